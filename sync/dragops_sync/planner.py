"""The planner: desired state + live state -> `Plan`. Pure; the rules (docs/decisions.md D19-D25) are in
`planning_rules`, applied here to every object of the directory and concatenated.

* Identity is the pattern name. Two files with one name, or two live patterns with one name managed
  by this owner, are plan errors: apply writes nothing. So is an invalid `dragops-sync.yaml` (then
  nothing is compared at all: `settings_invalid_plan`), and prune or adopt asked of a guessed owner.
* A file with issues gets an INVALID item and no writes; an invalid `connections.yaml` plans no
  connection.
* The items are sorted by (phase, name): connections, pattern writes, deployment changes, the
  prune's undeploys, then its deletes; each item's phase and dependencies are set by its rule.

Hashes are computed on the essence after `ignore` is applied. No I/O, no clock, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dragops_sync.desired import SETTINGS_FILE, DesiredPattern, DesiredState
from dragops_sync.essence import EssenceMemo
from dragops_sync.files import FileIssue
from dragops_sync.key_registry import KeyState
from dragops_sync.live import LiveState
from dragops_sync.live_index import LiveIndex
from dragops_sync.plan import Plan, PlanError, PlanItem, PlanOptions
from dragops_sync.planning_rules import (
    Planned,
    plan_connections,
    plan_invalid,
    plan_pattern,
    plan_prune,
)
from dragops_sync.validate import NodeLibrary, validate_desired

__all__ = ["Plan", "PlanItem", "build_plan", "settings_invalid_plan"]

_SETTINGS_INVALID = "dragops-sync.yaml is invalid: nothing is compared or written until it is fixed"


def settings_invalid_plan(desired: DesiredState) -> Plan:
    """The plan of a directory whose `dragops-sync.yaml` is invalid: its error and issues, no owner
    (the settings may name one), no items; the instance is not even read."""
    error = PlanError("invalid_settings", _SETTINGS_INVALID, files=(SETTINGS_FILE,))
    environment = desired.options.environment
    return Plan(owner="", items=(), errors=(error,), issues=desired.issues, environment=environment)


def _owner_errors(options: PlanOptions, *, prune_on: bool) -> Planned:
    """Prune and adopt refuse a guessed owner: another directory of the same name derives it too."""
    asked = [what for what, on in (("prune", prune_on), ("adopt", options.adopt)) if on]
    if not options.owner_guessed:
        return Planned()
    if not asked:
        note = (
            f"the owner {options.owner!r} is guessed from the directory's name (no git remote `origin`); "
            "set `owner:` in dragops-sync.yaml (or --owner) before using prune or adopt"
        )
        return Planned(notes=(note,))
    message = (
        f"{' and '.join(asked)} refused: the owner {options.owner!r} is guessed from the directory's name "
        "(no git remote `origin` names it), and any other directory of that name guesses it too; set "
        "one: `owner: <team>/<name>` in dragops-sync.yaml, or --owner"
    )
    return Planned(errors=(PlanError("guessed_owner", message, files=(SETTINGS_FILE,)),))


def _directory_errors(desired: DesiredState) -> Planned:
    """Errors of the directory as a whole: invalid settings, one pattern name in several files."""
    errors: list[PlanError] = []
    if not desired.settings_valid:
        errors.append(PlanError("invalid_settings", _SETTINGS_INVALID, files=(SETTINGS_FILE,)))
    by_name: dict[str, list[DesiredPattern]] = defaultdict(list)
    for dp in desired.patterns:
        by_name[dp.name].append(dp)
    for name, group in by_name.items():
        if len(group) > 1:
            files = tuple(dp.path for dp in group)
            message = f"the pattern name {name!r} is declared by {len(group)} files: {', '.join(files)}"
            errors.append(PlanError("duplicate_file_names", message, (name,), files))
    return Planned(errors=tuple(errors))


def _patterns(
    desired: DesiredState, index: LiveIndex, issues: Sequence[FileIssue], options: PlanOptions
) -> list[Planned]:
    """Every pattern file's items, by (name, path): the rules for valid files, INVALID for the others."""
    first_issue: dict[str | None, FileIssue] = {}
    for issue in issues:
        first_issue.setdefault(issue.file, issue)
    parts: list[Planned] = []
    for dp in sorted(desired.patterns, key=lambda d: (d.name, d.path)):
        if (first := first_issue.get(dp.path)) is not None:
            parts.append(plan_invalid(dp.name, dp.path, first))
        else:
            # A guessed owner adopts nothing (its error says why): another directory may guess it too.
            adopt = options.adopt and not options.owner_guessed
            parts.append(
                plan_pattern(
                    dp, index, force=options.force, adopt=adopt, retry_rolled_back=options.retry_rolled_back
                )
            )
    loaded = {dp.path for dp in desired.patterns}
    for file in sorted(f for f in first_issue if f and f.startswith("patterns/") and f not in loaded):
        parts.append(plan_invalid(file, file, first_issue[file]))
    return parts


def _order(item: PlanItem) -> tuple[int, str]:
    if item.phase is None:
        raise AssertionError(f"a planning rule left the phase of {item.key!r} unset")
    return item.phase, item.name


def build_plan(
    desired: DesiredState,
    live: LiveState,
    options: PlanOptions = PlanOptions(),  # noqa: B008 (frozen: one shared default is safe)
    *,
    node_library: Sequence[Mapping[str, Any]] | NodeLibrary | None = None,
    essences: EssenceMemo | None = None,
    key_states: Mapping[str, KeyState] | None = None,
    now: datetime | None = None,
) -> Plan:
    """Plan the changes that make `live` follow `desired`, as `options` ask.

    `node_library` (the definitions of `GET /api/nodes`) adds the online checks. `essences` is a memo
    of essences computed before (a long-running caller passes the same one each time; the plan is the
    same with or without it). `key_states` says, by connection name, whether the key in the
    environment is the one written (`key_registry`). `now` dates what prune puts in the recycle bin
    and decides what it purges (default: the clock). Invalid files get INVALID items and no writes.
    """
    owner = options.owner or desired.options.owner
    if not owner:
        raise ValueError("an owner is required (set `owner` in dragops-sync.yaml or pass one)")
    prune_on = desired.options.prune_enabled if options.prune is None else options.prune
    index = LiveIndex.build(
        live,
        owner,
        legacy=options.legacy_owner,
        siblings=options.sibling_owners,
        ignore=desired.options.ignore,
        memo=essences,
    )
    issues = validate_desired(desired, node_library=node_library)

    connections_valid = not any(i.file == "connections.yaml" for i in issues)
    planned = Planned.concat(
        [
            _directory_errors(desired),
            _owner_errors(options, prune_on=prune_on),
            plan_connections(desired.connections, live.connections, key_states)
            if connections_valid
            else Planned(),
            *_patterns(desired, index, issues, options),
            plan_prune(
                desired,
                index,
                enabled=prune_on and not options.owner_guessed,
                any_issue=bool(issues),
                now=now or datetime.now(UTC),
                target=options.target,
            ),
        ]
    )
    # Stable: items of one phase and name keep the rules' order (a pattern's files by path).
    ordered = sorted(planned.items, key=_order)
    return Plan(
        owner=owner,
        items=tuple(ordered),
        errors=planned.errors,
        refusals=planned.refusals,
        issues=tuple(issues),
        notes=desired.name_notes() + planned.notes,
        prune=prune_on,
        force=options.force,
        environment=desired.options.environment,
        target=options.target,
    )
