"""Saved plans: `plan --out FILE` writes the plan that was reviewed; `apply FILE` applies exactly it.

The file (JSON, `format: "dragops-sync saved plan 1"`) holds what the plan was made from — the
directory, the commit, the owner, the environment, the instance URL, the target and prune/force/adopt —
and the plan itself (`Plan.to_dict()`, docs/plan-json.md) with, for every item, the hashes of the file
content it was planned from and of the live pattern it would change. No secret: plans name a
connection's environment variable, never its key.

`apply FILE` plans the same directory again with the same options and compares: every write of the
saved plan must appear unchanged in the new one (same kind, object, file content and live content). If
a file or a live pattern the plan touches changed since, nothing is written and the apply says what
changed (plan again, review again). Then only the saved plan's writes are applied; anything the new
plan would do besides (a pattern edited since in a file the saved plan did not touch) is left for the
next plan, and said so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dragops_sync.errors import DragopsError
from dragops_sync.plan import WRITE_KINDS, ActionKind, Plan, PlanItem, PlanOptions
from dragops_sync.target_spec import Target

__all__ = [
    "SAVED_PLAN_FORMAT",
    "SavedPlan",
    "StalePlanError",
    "exactly_the_saved_plan",
    "only_the_saved_writes",
    "read_saved_plan",
]

SAVED_PLAN_FORMAT = "dragops-sync saved plan 1"


class StalePlanError(DragopsError):
    """The saved plan no longer describes what applying it would do (or is not a saved plan)."""


def _identity(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must not have changed for an item (its JSON form) to be applied as reviewed."""
    hashes = item.get("hashes") or {}
    connection = item.get("connection") or {}
    return (
        item.get("kind"),
        item.get("resource"),
        item.get("name"),
        item.get("patternId"),
        hashes.get("desired"),
        hashes.get("live"),
        item.get("environmentId"),
        connection.get("envVar"),
    )


def _writes(item: Mapping[str, Any]) -> bool:
    kind = item.get("kind")
    return kind in {str(k) for k in WRITE_KINDS} or (
        kind == str(ActionKind.NOOP) and bool(item.get("refreshMark"))
    )


@dataclass(frozen=True)
class SavedPlan:
    """A plan file: where and how it was made, and its items."""

    directory: str
    commit: str | None
    owner: str
    environment: str | None
    instance: str | None
    options: Mapping[str, Any]
    plan: Mapping[str, Any]

    @classmethod
    def of(
        cls, plan: Plan, planning: PlanOptions, *, directory: Path, commit: str | None, instance: str | None
    ) -> SavedPlan:
        options = {
            "prune": planning.prune,
            "force": planning.force,
            "adopt": planning.adopt,
            "retryRolledBack": planning.retry_rolled_back,
            "target": planning.target.to_dict(),
        }
        return cls(
            str(directory.resolve()), commit, plan.owner, plan.environment, instance, options, plan.to_dict()
        )

    def to_json(self) -> str:
        doc = {
            "format": SAVED_PLAN_FORMAT,
            "directory": self.directory,
            "commit": self.commit,
            "owner": self.owner,
            "environment": self.environment,
            "instance": self.instance,
            "options": dict(self.options),
            "plan": dict(self.plan),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def planning(self) -> PlanOptions:
        """The options to plan again with (the owner, environment and target it was made for)."""
        target = self.options.get("target") or {}
        return PlanOptions(
            owner=self.owner or None,
            prune=self.options.get("prune"),
            force=bool(self.options.get("force")),
            adopt=bool(self.options.get("adopt")),
            retry_rolled_back=bool(self.options.get("retryRolledBack")),
            environment=self.environment,
            target=Target(tuple(target.get("names") or ()), tuple(target.get("tags") or ())),
        )

    def writes(self) -> list[Mapping[str, Any]]:
        """The items of the saved plan that write something."""
        return [i for i in self.plan.get("items", []) if _writes(i)]

    def keys(self) -> set[tuple[str, str]]:
        return {(str(i.get("resource")), str(i.get("name"))) for i in self.writes()}


def read_saved_plan(path: Path) -> SavedPlan:
    """A saved plan file; `StalePlanError` naming the file when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StalePlanError(f"{path} is not a saved plan: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != SAVED_PLAN_FORMAT:
        raise StalePlanError(
            f"{path} is not a saved plan of this dragops-sync (format {SAVED_PLAN_FORMAT!r})"
        )
    try:
        return SavedPlan(
            directory=str(doc["directory"]),
            commit=doc.get("commit"),
            owner=str(doc["owner"]),
            environment=doc.get("environment"),
            instance=doc.get("instance"),
            options=dict(doc.get("options") or {}),
            plan=dict(doc["plan"]),
        )
    except (KeyError, TypeError) as exc:
        raise StalePlanError(f"{path} is not a complete saved plan (missing {exc})") from None


def exactly_the_saved_plan(saved: SavedPlan, fresh: Plan, *, instance: str | None) -> tuple[Plan, list[str]]:
    """The fresh plan narrowed to the saved plan's writes, and notes about what it leaves out.

    Raises `StalePlanError` (nothing may be written) when it was made for another instance, owner or
    environment, when the fresh plan is blocked, or when any saved write changed or disappeared."""
    if saved.instance and instance and saved.instance != instance:
        raise StalePlanError(f"the plan was made for {saved.instance}, not {instance}")
    if fresh.owner != saved.owner or fresh.environment != saved.environment:
        raise StalePlanError(
            f"the plan was made for owner {saved.owner!r} (environment {saved.environment}), "
            f"not {fresh.owner!r} ({fresh.environment})"
        )
    if fresh.errors:
        raise StalePlanError(
            "the directory cannot be applied now: " + "; ".join(e.message for e in fresh.errors)
        )
    fresh_by_key = {(i.resource.value, i.name): i for i in fresh.items}
    changed = []
    keep: list[PlanItem] = []
    for item in saved.writes():
        current = fresh_by_key.get((str(item.get("resource")), str(item.get("name"))))
        if current is None or _identity(current.to_dict()) != _identity(item):
            now = current.kind.value if current is not None else "nothing"
            changed.append(f"{item.get('kind')} {item.get('resource')} {item.get('name')!r} (now: {now})")
        else:
            keep.append(current)
    if changed:
        raise StalePlanError(
            "the files or the live patterns this plan touches changed since it was made; nothing was "
            "written. Plan again: " + "; ".join(changed)
        )
    kept_keys = {i.key for i in keep}
    extra = [i for i in fresh.items if i.writes and i.key not in kept_keys]
    notes = (
        [
            f"{len(extra)} change(s) made since the plan are not applied (plan again): "
            + ", ".join(f"{i.kind.value} {i.name!r}" for i in extra)
        ]
        if extra
        else []
    )
    narrowed = replace(fresh, items=tuple(i for i in fresh.items if not i.writes or i.key in kept_keys))
    return narrowed, notes


def only_the_saved_writes(saved: SavedPlan, plan: Plan) -> Plan:
    """A later round of the same apply (what the first round created resolved references): the
    saved plan's writes only; nothing else is written."""
    keys = saved.keys()
    return replace(
        plan, items=tuple(i for i in plan.items if not i.writes or (i.resource.value, i.name) in keys)
    )
