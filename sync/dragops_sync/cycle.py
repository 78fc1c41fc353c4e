"""One reconcile: read the directory, observe the instance, plan, and (unless a dry run) apply.

`run_cycle` is the single code path behind `dragops-sync plan` (dry run), `apply`, `status` and each
cycle of the watch daemon, so what a plan shows is what an apply does (plan, then apply, one path).
The owner defaults per design.md §4: the command line, else `dragops-sync.yaml`, else `<org>/<repo>` of
the git remote `origin`, else the directory's name.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dragops_sync.actions import Plan, Resource
from dragops_sync.api import Client
from dragops_sync.apply import ApplyReport, ItemResult, apply_plan
from dragops_sync.desired import DesiredState
from dragops_sync.gitinfo import default_owner
from dragops_sync.observe import LiveObserver, Observation
from dragops_sync.plan import build_plan
from dragops_sync.refs import WaitingRef, reference_targets, resolve_references
from dragops_sync.settings import load_directory
from dragops_sync.validate import NodeLibrary

__all__ = ["CycleResult", "resolve_owner", "run_cycle"]


@dataclass(frozen=True)
class CycleResult:
    """What one reconcile saw and did. `report` is None for a dry run.

    `follow_up` is the plan of the second round an apply runs when a file references (by name) a
    connection or pattern that the first round created; its results are part of `report`.
    """

    directory: Path
    owner: str
    desired: DesiredState
    observation: Observation
    plan: Plan
    report: ApplyReport | None
    duration: float = 0.0
    follow_up: Plan | None = None

    @property
    def dry_run(self) -> bool:
        return self.report is None

    @property
    def ok(self) -> bool:
        """The plan is valid and, when applied, every write it meant to make succeeded."""
        plans_valid = self.plan.valid and (self.follow_up is None or self.follow_up.valid)
        return plans_valid and (self.report is None or self.report.ok)

    def exit_code(self, *, detailed: bool = False) -> int:
        """Terraform's: 1 on any error; with `detailed`, 2 for a dry run that found changes; else 0."""
        if not self.ok:
            return 1
        if detailed and self.report is None and self.plan.has_changes:
            return 2
        return 0


def resolve_owner(directory: Path, desired: DesiredState, owner: str | None = None) -> str:
    """The owner id: given, else the settings', else from git, else the directory name."""
    return owner or desired.options.owner or default_owner(directory)


def _plan(
    client: Client,
    desired: DesiredState,
    observer: LiveObserver,
    owner: str,
    **options: Any,
) -> tuple[Observation, Plan, list[WaitingRef]]:
    """Observe, resolve references by name, plan; deploys of patterns with waiting references wait."""
    names = {dp.name for dp in desired.patterns}
    observation = observer.observe_detailed(names=names, owner=owner)
    resolved, waiting = resolve_references(desired, reference_targets(observation.state, owner))
    library = NodeLibrary(client.nodes.library().values())
    plan = build_plan(resolved, observation.state, owner=owner, node_library=library, **options)
    if waiting:
        held = {ref.pattern for ref in waiting}
        items = tuple(
            i for i in plan.items if not (i.resource == Resource.DEPLOYMENT and i.name in held and i.writes)
        )
        notes = tuple(f"{ref}; resolved (and deployed) in a second round" for ref in waiting)
        plan = replace(plan, items=items, notes=plan.notes + notes)
    return observation, plan, waiting


def run_cycle(
    client: Client,
    directory: Path,
    *,
    observer: LiveObserver,
    owner: str | None = None,
    prune: bool | None = None,
    force: bool = False,
    adopt: bool = False,
    dry_run: bool = False,
    concurrency: int | None = None,
    stop_event: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> CycleResult:
    """Reconcile `directory` with the instance once; see the module docstring.

    `env` resolves the connections' `${VAR}` keys when applying (default `os.environ`; a plan does not
    need them). `concurrency` defaults to the settings' `concurrency`. Raises `DragopsError` when the
    instance cannot be read; problems with the files are in `plan` (never raised).
    """
    started = time.monotonic()
    root = Path(directory)
    environment = os.environ if env is None else env
    desired = load_directory(root, env=None if dry_run else environment)
    who = resolve_owner(root, desired, owner)
    options: dict[str, Any] = {"prune": prune, "force": force, "adopt": adopt}
    observation, plan, waiting = _plan(client, desired, observer, who, **options)
    if dry_run:
        return CycleResult(root, who, desired, observation, plan, None, time.monotonic() - started)

    def apply(current: Plan) -> ApplyReport:
        return apply_plan(
            client,
            current,
            desired,
            concurrency=concurrency or desired.options.concurrency,
            observer=observer,
            stop_event=stop_event,
            on_result=on_result,
            env=environment,
        )

    report = apply(plan)
    follow_up = None
    if waiting and report.ok and not report.stopped:
        # The first round created what the references point at: resolve them, write and deploy.
        _, follow_up, _ = _plan(client, desired, observer, who, **options)
        second = apply(follow_up)
        report = ApplyReport(report.results + second.results, second.blocked, second.stopped)
    duration = time.monotonic() - started
    return CycleResult(root, who, desired, observation, plan, report, duration, follow_up)
