"""One reconcile: read the directory, observe the instance, plan, and (unless a dry run) apply.

`run_cycle` is the single code path behind `dragops-sync plan` (dry run), `apply`, `status` and each
cycle of the watch daemon, so what a plan shows is what an apply does (plan, then apply, one path).
The owner defaults (docs/decisions.md D27): the command line, else `dragops-sync.yaml`, else
`<org>/<repo>:<path>` from the git remote `origin`, else the directory's name, *guessed* (`gitinfo`).
An invalid `dragops-sync.yaml` stops the cycle before the instance is read: with no trustworthy owner,
nothing is compared.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dragops_sync._documents import locate_issues
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions, ApplyReport, ItemResult, ResultStatus, apply_plan
from dragops_sync.desired import DesiredState
from dragops_sync.directory import load_directory
from dragops_sync.files import PatternFileCache
from dragops_sync.freeze import active_freeze, current_time
from dragops_sync.gitinfo import default_owner
from dragops_sync.key_registry import KeyRegistry
from dragops_sync.live import LiveState
from dragops_sync.observe import LiveObserver, Observation
from dragops_sync.plan import Plan, PlanError, PlanItem, PlanOptions
from dragops_sync.planner import build_plan, settings_invalid_plan
from dragops_sync.refs import WaitingRef, reference_targets, resolve_references
from dragops_sync.targeting import targeted
from dragops_sync.validate import NodeLibrary

__all__ = ["CycleResult", "Selector", "resolve_owner", "run_cycle"]

log = logging.getLogger(__name__)

# Rounds of one apply: each resolves one more level of references to objects the apply creates.
_MAX_ROUNDS = 5

# Given a round's plan and the desired state, the part of the plan to apply in that round.
Selector = Callable[[Plan, DesiredState], Plan]


@dataclass(frozen=True)
class CycleResult:
    """What one reconcile saw and did. `report` is None for a dry run.

    `follow_up` is the plan of the last extra round an apply ran because a file references (by name)
    a connection or pattern that an earlier round created; every round's results are in `report`.
    """

    directory: Path
    owner: str
    desired: DesiredState
    observation: Observation
    plan: Plan
    report: ApplyReport | None
    duration: float = 0.0
    follow_up: Plan | None = None
    freeze_ignored: str | None = None  # the freeze window `--ignore-freeze` wrote through, if any

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


def resolve_owner(directory: Path, desired: DesiredState, planning: PlanOptions) -> PlanOptions:
    """`planning` with its owner resolved: given, else the settings' (an environment's already), else
    git's default (which may be guessed, and brings the legacy owner whose marks this directory may
    still carry), with `@<environment>` appended when one is selected."""
    options = desired.options
    chosen = planning.owner or options.owner
    if options.environment is not None:
        # One directory, several environments: each its own owner (earlier versions had none), and
        # each blind to the others' patterns.
        found = default_owner(directory) if not chosen or options.sibling_suffixes else None
        owner = chosen or f"{found.owner}@{options.environment}" if found else chosen
        siblings = options.sibling_owners + tuple(
            f"{found.owner}{suffix}" for suffix in options.sibling_suffixes if found is not None
        )
        guessed = not chosen and found is not None and found.guessed
        return replace(
            planning, owner=owner, owner_guessed=guessed, legacy_owner=None, sibling_owners=siblings
        )
    if chosen:
        return replace(planning, owner=chosen, owner_guessed=False, legacy_owner=None)
    found = default_owner(directory)
    legacy = found.legacy if found.legacy != found.owner else None
    return replace(planning, owner=found.owner, owner_guessed=found.guessed, legacy_owner=legacy)


def _freeze(
    plan: Plan, desired: DesiredState, env: Mapping[str, str], *, writing: bool, ignore: bool
) -> tuple[Plan, bool, str | None]:
    """The plan inside a freeze window, whether it must not be applied, and the window written
    through: a note for a dry run or an ignored freeze (`--ignore-freeze`, logged as a warning, its
    window returned so it is notified), an error that blocks every write else."""
    active = active_freeze(desired.options.freeze, current_time(env))
    if active is None:
        return plan, False, None
    if not writing:
        return (
            replace(plan, notes=(*plan.notes, f"{active.message()}: apply writes nothing until then")),
            False,
            None,
        )
    if ignore:
        ignored = f"{active.message()}: ignored (--ignore-freeze)"
        log.warning("%s, writing anyway", ignored)
        return replace(plan, notes=(*plan.notes, ignored)), False, ignored
    message = f"{active.message()}: nothing is written (--ignore-freeze overrides it in an emergency)"
    return replace(plan, errors=(*plan.errors, PlanError("frozen", message))), True, None


def _hold(plan: Plan, waiting: list[WaitingRef]) -> tuple[Plan, list[PlanItem]]:
    """Split off the writes of patterns whose references wait for objects not created yet."""
    names = {ref.pattern for ref in waiting}
    held = [i for i in plan.items if i.name in names and i.writes]
    runnable = replace(plan, items=tuple(i for i in plan.items if not (i.name in names and i.writes)))
    return runnable, held


def _plan(
    client: Client,
    desired: DesiredState,
    observer: LiveObserver,
    planning: PlanOptions,
    env: Mapping[str, str],
) -> tuple[Observation, Plan, list[WaitingRef]]:
    """Observe, resolve references by name, plan (noting the references that must wait). The keys of
    `env` are compared with their recorded fingerprints (`key_registry`), never kept.

    `planning.owner` is the resolved owner (never None here)."""
    owner = planning.owner
    assert owner is not None
    names = {dp.name for dp in desired.patterns}
    observation = observer.observe_detailed(names=names, owner=owner, legacy_owner=planning.legacy_owner)
    resolved, waiting = resolve_references(desired, reference_targets(observation.state, owner))
    library = NodeLibrary(client.nodes.library().values())
    key_states = KeyRegistry(client, owner).states(desired.connections, env) if desired.connections else {}
    plan = build_plan(
        resolved,
        observation.state,
        planning,
        node_library=library,
        essences=observer.essences,
        key_states=key_states,
        now=current_time(env),
    )
    if plan.issues:  # put each problem found after loading on its field's line (rare: re-reads those files)
        plan = replace(plan, issues=tuple(locate_issues(plan.issues, Path(desired.root))))
    if waiting:
        notes = tuple(
            f"{ref}; that pattern is written and deployed in a later round, once it exists" for ref in waiting
        )
        plan = replace(plan, notes=plan.notes + notes)
    return observation, plan, waiting


def run_cycle(
    client: Client,
    directory: Path,
    *,
    observer: LiveObserver,
    planning: PlanOptions = PlanOptions(),  # noqa: B008 (frozen: one shared default is safe)
    applying: ApplyOptions = ApplyOptions(),  # noqa: B008 (frozen)
    dry_run: bool = False,
    stop_event: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
    select: Selector | None = None,
    files: PatternFileCache | None = None,
) -> CycleResult:
    """Reconcile `directory` with the instance once; see the module docstring.

    `planning` says how to plan (its `owner` None: see `resolve_owner`), `applying` how to write (its
    `concurrency` None: the settings'); both are built once by the caller (the CLI, the daemon's
    settings) and passed on whole. `env` resolves the connections' `${VAR}` keys when applying
    (default `os.environ`; a plan does not need them). `select` narrows what each
    round applies (the daemon leaves out the writes of patterns still backing off); the result's
    `plan` stays the full plan. `files` keeps parsed pattern files between the cycles of a
    long-running caller. Raises `DragopsError` when the instance cannot be read; problems with the
    files are in `plan` (never raised).
    """
    started = time.monotonic()
    root = Path(directory)
    environment = os.environ if env is None else env
    desired = load_directory(
        root, env=None if dry_run else environment, files=files, environment=planning.environment
    )
    desired = targeted(desired, planning.target)
    if not desired.settings_valid:
        # No owner can be trusted (the settings may name one): nothing is read, compared or written.
        plan = settings_invalid_plan(desired)
        duration = time.monotonic() - started
        report = None if dry_run else ApplyReport((), blocked=True)
        return CycleResult(root, plan.owner, desired, Observation(LiveState()), plan, report, duration)
    planning = resolve_owner(root, desired, planning)
    who = planning.owner
    assert who is not None
    observation, plan, waiting = _plan(client, desired, observer, planning, environment)
    plan, frozen, freeze_ignored = _freeze(
        plan, desired, environment, writing=not dry_run, ignore=applying.ignore_freeze
    )
    if dry_run or frozen:
        report = None if dry_run else ApplyReport((), blocked=True)
        return CycleResult(root, who, desired, observation, plan, report, time.monotonic() - started)

    def apply(current: Plan) -> ApplyReport:
        return apply_plan(
            client,
            current,
            desired,
            applying,
            observer=observer,
            stop_event=stop_event,
            on_result=on_result,
            env=environment,
        )

    # A pattern whose reference waits for something this apply creates is neither written nor
    # deployed until it exists (one more round per level of references), so no placeholder ever
    # reaches the instance.
    results: list[ItemResult] = []
    blocked = stopped = False
    current, follow_up = plan, None
    for round_number in range(_MAX_ROUNDS):
        runnable, held = _hold(current if select is None else select(current, desired), waiting)
        report = apply(runnable)
        results += report.results
        blocked, stopped = blocked or report.blocked, report.stopped
        if not held:
            break
        progress = any(i.writes for i in runnable.items)
        if not report.ok or stopped or not progress or round_number == _MAX_ROUNDS - 1:
            why = "; ".join(sorted({str(ref) for ref in waiting}))
            reason = f"not written: it waits for a reference this apply could not create ({why})"
            results += [ItemResult(item, ResultStatus.SKIPPED, reason, item.pattern_id) for item in held]
            break
        _, current, waiting = _plan(client, desired, observer, planning, environment)
        follow_up = current
    report = ApplyReport(tuple(results), blocked=blocked, stopped=stopped)
    duration = time.monotonic() - started
    return CycleResult(root, who, desired, observation, plan, report, duration, follow_up, freeze_ignored)
