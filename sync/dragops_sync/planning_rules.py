"""The planning rules (docs/decisions.md D19-D25), as pure functions over one `LiveIndex`.

Each rule looks at one desired object (a pattern file, the connections, the prune candidates) and
returns what it plans as a `Planned`: items, plan errors, prune refusals and notes. Every item is
made complete here, once: its operation (what applying it writes), its phase and the keys of the
items it depends on. `planner.build_plan` concatenates the rules' results and sorts them.

* Ownership: a live pattern is ours when its `dragops-sync:owner=` tag names our owner, or the legacy
  owner (the default of earlier versions) and a file here declares its name: then it is re-marked (a
  quiet mark refresh when in sync), and never pruned when no file declares it. An unmarked pattern of
  a file's name gives UNMANAGED, or ADOPT when asked for; another owner's is never touched. Names
  are compared as the server stores them (`names.server_name`).
* In sync means live essence == desired essence, whatever the recorded hash says; a stale mark then
  gets a quiet refresh (a NOOP with `refresh_mark`, writing only `tags`).
* Otherwise, with `applied` the hash in the mark: live == applied -> UPDATE (git changed); desired ==
  applied -> drift: DRIFT in observe/warn, an UPDATE reverting it in enforce; neither (or no mark
  hash) -> CONFLICT, or an UPDATE with `forced` under `force`.
* Deployment intent is judged only for patterns that will be in sync after the writes: DEPLOY when
  it should be deployed and is not, REDEPLOY when the graph changes while deployed, when the
  environment differs or when the deployment is stale, UNDEPLOY when the file says `deploy: false`.
* Prune deletes only our patterns whose file is gone, never one marked keep, and is refused when any
  file has an issue, when the desired set is empty, or over the budget; a deployed pattern is
  undeployed (an earlier phase) before its deletion, which depends on that undeploy.
* Connections are created when no live connection has their display name, never updated or deleted.

No I/O, no clock, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from dragops_sync.desired import DesiredConnection, DesiredPattern, DesiredState
from dragops_sync.diff import diff_essence, graph_changed
from dragops_sync.essence import Essence, canonical_json
from dragops_sync.files import FileIssue
from dragops_sync.key_registry import KeyState
from dragops_sync.live import LiveConnection, LiveDeployment, LivePattern
from dragops_sync.live_index import LiveIndex
from dragops_sync.names import server_name
from dragops_sync.ownership import ownership_tags
from dragops_sync.plan import (
    ActionKind,
    ConnectionCreate,
    ConnectionKeyUpdate,
    DeploymentChange,
    PatternBin,
    PatternCreate,
    PatternDelete,
    PatternUpdate,
    Phase,
    PlanError,
    PlanItem,
    PlanRefusal,
    RefusalReason,
    Resource,
    TwinReduce,
    Undeploy,
    key_of,
)
from dragops_sync.recycle_bin import BinMark, bin_tag, read_bin
from dragops_sync.spec import PatternSpec
from dragops_sync.target_spec import Target

__all__ = [
    "Planned",
    "plan_connections",
    "plan_deployment",
    "plan_invalid",
    "plan_pattern",
    "plan_prune",
]

_K = ActionKind


@dataclass(frozen=True)
class Planned:
    """What one rule plans: items (complete with operation, phase and dependencies) and findings."""

    items: tuple[PlanItem, ...] = ()
    errors: tuple[PlanError, ...] = ()
    refusals: tuple[PlanRefusal, ...] = ()
    notes: tuple[str, ...] = ()

    def __add__(self, other: Planned) -> Planned:
        return Planned(
            self.items + other.items,
            self.errors + other.errors,
            self.refusals + other.refusals,
            self.notes + other.notes,
        )

    @classmethod
    def concat(cls, parts: Iterable[Planned]) -> Planned:
        """Every part's findings, in order (linear, unlike a chain of `+`)."""
        items: list[PlanItem] = []
        errors: list[PlanError] = []
        refusals: list[PlanRefusal] = []
        notes: list[str] = []
        for part in parts:
            items += part.items
            errors += part.errors
            refusals += part.refusals
            notes += part.notes
        return cls(tuple(items), tuple(errors), tuple(refusals), tuple(notes))


@dataclass(frozen=True)
class _Target:
    """A valid pattern file about to be planned: its document and desired essence, computed once."""

    dp: DesiredPattern
    document: Mapping[str, Any]
    essence: Essence

    def spec(self, owner: str) -> PatternSpec:
        """The content to write: the file's, with the ownership mark (and keep tag) in `tags`."""
        tags = ownership_tags(
            self.dp.pattern.tags, owner=owner, applied=self.essence.short_hash, keep=self.dp.keep
        )
        return PatternSpec.from_document(self.document).with_tags(tags)


# -- patterns -------------------------------------------------------------------------------------


def plan_invalid(name: str, file: str, issue: FileIssue) -> Planned:
    """An INVALID item for a file with issues (the first one is shown): nothing is written for it."""
    reason = f"{issue.field}: {issue.message}"
    item = PlanItem(_K.INVALID, Resource.PATTERN, name, reason=reason, file=file, phase=Phase.PATTERN_WRITES)
    return Planned((item,))


def plan_pattern(
    dp: DesiredPattern,
    index: LiveIndex,
    *,
    force: bool = False,
    adopt: bool = False,
    retry_rolled_back: bool = False,
) -> Planned:
    """The items for one valid pattern file: its pattern write (or why not) and its deployment change."""
    document = {**dp.pattern.document(), "name": dp.name}  # the name as the server will store it
    target = _Target(dp, document, index.essence(document))
    base = PlanItem(
        _K.NOOP,
        Resource.PATTERN,
        dp.name,
        file=dp.path,
        desired_hash=target.essence.short_hash,
        phase=Phase.PATTERN_WRITES,
        file_content=target.essence.value,
        file_graph=document.get("graphData"),
    )
    ours = index.ours_named(dp.name)
    if dp.suspended:
        reason = "sync.suspend: true: left alone (no write, no drift revert, no prune)"
        live_id = ours[0].id if len(ours) == 1 else None
        return Planned((replace(base, kind=_K.SUSPENDED, reason=reason, pattern_id=live_id),))
    if len(ours) == 1 and ours[0].mark.rolled_back == target.essence.short_hash and not retry_rolled_back:
        reason = (
            "this content failed its smoke test and was rolled back; it is deployed again when the file "
            "changes, or with --retry-rolled-back"
        )
        return Planned((replace(base, kind=_K.ROLLED_BACK, reason=reason, pattern_id=ours[0].id),))
    if len(ours) > 1 and (reduced := _reduce_twins(ours, base, index)) is not None:
        return reduced
    if len(ours) > 1:
        ids = ", ".join(p.id for p in ours)
        message = f"{len(ours)} live patterns named {dp.name!r} carry owner {index.owner!r} ({ids})"
        error = PlanError("duplicate_live_names", message, (dp.name,), (dp.path,))
        return Planned((replace(base, kind=_K.CONFLICT, reason=message),), (error,))
    if ours:
        return _plan_managed(target, ours[0], base, index, force=force)
    unmarked = index.unmarked_named(dp.name)
    if unmarked and adopt and len(unmarked) == 1:
        return _plan_adopt(target, unmarked[0], base, index)
    if unmarked:
        if len(unmarked) > 1:
            reason = f"{len(unmarked)} unmanaged live patterns are named {dp.name!r}; rename them apart"
        else:
            reason = f"an unmanaged live pattern named {dp.name!r} exists; adopt it explicitly (--adopt)"
        return Planned((replace(base, kind=_K.UNMANAGED, reason=reason, pattern_id=unmarked[0].id),))
    if foreign := index.foreign_named(dp.name):
        other = foreign[0].mark.owner
        reason = f"a live pattern named {dp.name!r} is managed by another owner ({other!r}); left alone"
        return Planned((replace(base, kind=_K.UNMANAGED, reason=reason, pattern_id=foreign[0].id),))
    return _plan_create(target, base, index)


def _plan_create(target: _Target, base: PlanItem, index: LiveIndex) -> Planned:
    dp = target.dp
    create = replace(
        base,
        kind=_K.CREATE,
        reason="no live pattern has this name",
        changes=tuple(diff_essence(target.essence.value, {})),  # every field is new
        operation=PatternCreate(target.spec(index.owner)),
    )
    if not dp.deploy:
        return Planned((create,))
    deploy = _deployment_item(
        _K.DEPLOY, dp, "new pattern, deploy: true", pattern_id=None, content_hash=target.essence.short_hash
    )
    return Planned((create, deploy))


def _plan_adopt(target: _Target, live: LivePattern, base: PlanItem, index: LiveIndex) -> Planned:
    if live.document is None:
        return _not_fetched(live, base)
    live_content = index.essence(live.document).value
    changes = tuple(diff_essence(target.essence.value, live_content))
    adopt = replace(
        base,
        live_content=live_content,
        kind=_K.ADOPT,
        reason="adopting an unmanaged pattern: writing the file's content and the ownership mark",
        pattern_id=live.id,
        changes=changes,
        operation=PatternUpdate(target.spec(index.owner)),
    )
    deployment = plan_deployment(
        target.dp, live, index, graph_changed=graph_changed(changes), content_hash=target.essence.short_hash
    )
    return Planned((adopt,)) + deployment


def _not_fetched(live: LivePattern, base: PlanItem) -> Planned:
    message = f"the live pattern {live.name!r} ({live.id}) was listed but its content was not fetched"
    error = PlanError("live_not_fetched", message, (live.name,))
    return Planned((replace(base, kind=_K.CONFLICT, reason=message, pattern_id=live.id),), (error,))


def _plan_managed(
    target: _Target, live: LivePattern, base: PlanItem, index: LiveIndex, *, force: bool
) -> Planned:
    if live.document is None:
        return _not_fetched(live, base)
    live_ess = index.essence(live.document)
    base = replace(
        base,
        pattern_id=live.id,
        live_hash=live_ess.short_hash,
        applied_hash=live.mark.applied,
        live_content=live_ess.value,
    )
    if live_ess.canonical == target.essence.canonical:
        dp = target.dp
        legacy = live.mark.owner != index.owner
        binned = live.mark.binned is not None
        refresh = binned or legacy or live.mark.applied != base.desired_hash or live.mark.keep != dp.keep
        reason = "in sync; refreshing a stale ownership mark" if refresh else "in sync"
        if binned:
            reason = _TAKEN_BACK
        elif legacy:
            old = live.mark.owner
            reason = f"in sync; re-marking it from the old default owner {old!r} to {index.owner!r}"
        write = PatternUpdate(target.spec(index.owner), fields=("tags",)) if refresh else None
        item = replace(base, reason=reason, refresh_mark=refresh, operation=write)
        content = target.essence.short_hash
        return Planned((item,)) + plan_deployment(dp, live, index, graph_changed=False, content_hash=content)
    changes = tuple(diff_essence(target.essence.value, live_ess.value))
    update = replace(base, kind=_K.UPDATE, changes=changes)
    if live.mark.binned is not None:  # the file is back: it is the truth, whatever happened in the bin
        item, writes = replace(update, reason=f"{_TAKEN_BACK}; writing the file's content"), True
    else:
        item, writes = _judge_update(target.dp, update, force=force)
    if not writes:  # drift reported or conflict: nothing is written, the deployment is left as it is
        return Planned((item,))
    item = replace(item, operation=PatternUpdate(target.spec(index.owner)))
    deployment = plan_deployment(
        target.dp, live, index, graph_changed=graph_changed(changes), content_hash=target.essence.short_hash
    )
    return Planned((item,)) + deployment


_TAKEN_BACK = "taken back from the recycle bin (a file declares it again)"


def _judge_update(dp: DesiredPattern, update: PlanItem, *, force: bool) -> tuple[PlanItem, bool]:
    """Whose change this is (the file's, live's or both's), so what is done: the item, and whether it
    writes (an UPDATE) or only reports (DRIFT, CONFLICT)."""
    applied = update.applied_hash
    if applied is not None and applied == update.live_hash:
        return replace(update, reason="the file changed"), True
    if applied is not None and applied == update.desired_hash:
        if dp.drift != "enforce":
            reason = f"live was edited since the last apply (drift: {dp.drift}; not reverted)"
            return replace(update, kind=_K.DRIFT, reason=reason, drift_mode=dp.drift), False
        reason = "live was edited since the last apply; reverting it (drift: enforce)"
        return replace(update, reason=reason, drift_mode="enforce"), True
    why = "no applied hash is recorded" if applied is None else "the file and live both changed"
    if not force:
        reason = f"conflict: {why} since the last apply; not overwritten (use --force)"
        return replace(update, kind=_K.CONFLICT, reason=reason), False
    return replace(update, reason=f"conflict ({why}); overwritten with the file (--force)", forced=True), True


# -- deployments ----------------------------------------------------------------------------------


def _deployment_item(
    kind: ActionKind, dp: DesiredPattern, reason: str, *, pattern_id: str | None, content_hash: str | None
) -> PlanItem:
    """A deployment change for a file's pattern: after (and depending on) that pattern's write; a
    deploy carries the pattern's smoke test (`smoke.py`) and the hash of the content it deploys."""
    operation: Undeploy | DeploymentChange = (
        Undeploy()
        if kind == _K.UNDEPLOY
        else DeploymentChange(dp.environment_id, smoke=dp.smoke, content_hash=content_hash)
    )
    return PlanItem(
        kind,
        Resource.DEPLOYMENT,
        dp.name,
        reason=reason,
        file=dp.path,
        pattern_id=pattern_id,
        environment_id=dp.environment_id,
        operation=operation,
        phase=Phase.DEPLOYMENTS,
        depends_on=(key_of(Resource.PATTERN, dp.name),),
    )


def plan_deployment(
    dp: DesiredPattern,
    live: LivePattern,
    index: LiveIndex,
    *,
    graph_changed: bool,
    content_hash: str | None = None,
) -> Planned:
    """The deployment change (if any) that makes `live`, in sync after the writes, deployed as `dp` says."""
    dep = index.deployment(live.id)
    deployed = dep is not None and dep.deployed
    kind, reason = _K.NOOP, ""
    if not dp.deploy:
        if deployed:
            kind, reason = _K.UNDEPLOY, "the file says deploy: false"
    elif dep is None or not deployed:
        kind, reason = _K.DEPLOY, "not deployed" if dep is None else f"deployment is {dep.status}"
    elif graph_changed:
        kind, reason = _K.REDEPLOY, "the graph changes while deployed"
    elif dp.environment_id and dep.environment_id and dp.environment_id != dep.environment_id:
        kind, reason = _K.REDEPLOY, f"deployed to {dep.environment_id}, the file asks for {dp.environment_id}"
    elif stale := _stale(dep, live, index):
        kind, reason = _K.REDEPLOY, stale
    if kind == _K.NOOP:
        return Planned()
    return Planned((_deployment_item(kind, dp, reason, pattern_id=live.id, content_hash=content_hash),))


def _stale(dep: LiveDeployment, live: LivePattern, index: LiveIndex) -> str | None:
    version = live.version_number
    if dep.version_number is not None and version is not None and dep.version_number != version:
        return f"deployed version {dep.version_number} is not the pattern's version {version}"
    if dep.graph_data is not None and live.document is not None:
        deployed = index.essence({"graphData": dep.graph_data}).value["graphData"]
        current = index.essence(live.document).value["graphData"]
        if canonical_json(deployed) != canonical_json(current):
            return "the live graph differs from the deployed version"
    return None


# -- connections ----------------------------------------------------------------------------------


def plan_connections(
    desired: Sequence[DesiredConnection],
    live: Sequence[LiveConnection],
    key_states: Mapping[str, KeyState] | None = None,
) -> Planned:
    """One item per desired connection: created when no live connection has its display name; its
    key written again when its salted fingerprint (`key_states`, by name) says it changed or was never
    recorded."""
    states = key_states or {}
    live_by_name: dict[str, list[str]] = defaultdict(list)
    for conn in live:
        live_by_name[conn.display_name].append(conn.provider)
    items: list[PlanItem] = []
    for dc in desired:
        base = PlanItem(
            _K.NOOP,
            Resource.CONNECTION,
            dc.server_name,
            file=dc.path,
            provider=dc.provider,
            env_var=dc.api_key_env,
            phase=Phase.CONNECTIONS,
        )
        providers = live_by_name.get(dc.server_name)
        if not providers:
            reason = f"no live connection named {dc.server_name!r}; key from ${{{dc.api_key_env}}}"
            operation = ConnectionCreate(dc.provider, dc.api_key_env)
            items.append(replace(base, kind=_K.CREATE, reason=reason, operation=operation))
        elif dc.provider not in providers:
            reason = f"a live connection named {dc.server_name!r} exists for provider {providers[0]!r}"
            items.append(replace(base, kind=_K.CONFLICT, reason=reason))
        else:
            items.append(_key_item(base, dc, states.get(dc.server_name)))
    return Planned(tuple(items))


def _key_item(base: PlanItem, dc: DesiredConnection, state: KeyState | None) -> PlanItem:
    """An existing connection: its key is written again when it changed or was never recorded."""
    var = f"${{{dc.api_key_env}}}"
    if state is None:
        return replace(base, reason=f"exists; {var} is not set here, so a changed key cannot be noticed")
    if state == "same":
        return replace(base, reason=f"exists; the key in {var} is the one written (salted fingerprint)")
    reason = (
        f"the key in {var} changed since it was written (salted fingerprint)"
        if state == "rotated"
        else f"exists, but its key was never recorded: {var} is written again and its fingerprint kept"
    )
    return replace(
        base, kind=_K.UPDATE, reason=reason, operation=ConnectionKeyUpdate(dc.provider, dc.api_key_env)
    )


# -- prune ----------------------------------------------------------------------------------------


# No --name/--tag: every pattern is in scope.
_EVERYTHING = Target()


def plan_prune(
    desired: DesiredState,
    index: LiveIndex,
    *,
    enabled: bool,
    any_issue: bool,
    now: datetime,
    target: Target = _EVERYTHING,
) -> Planned:
    """Our live patterns that no file declares: moved to the recycle bin (after an undeploy) when
    prune is on and safe, and purged from it once `prune.retention` has passed since (`now`). With a
    `target`, only the patterns it matches are candidates (and nothing any file declares)."""
    declared = {dp.name for dp in desired.patterns} | desired.untargeted
    managed = index.all_ours()
    orphans = sorted(
        (p for p in managed if server_name(p.name) not in declared and target.matches(p.name, p.tags)),
        key=lambda p: (p.name, p.id),
    )
    retention = desired.options.prune_retention
    binned = [(p, mark) for p in orphans if (mark := read_bin(p.mark.binned)) is not None]
    due = [p for p, mark in binned if enabled and now >= mark.purge_at(retention)]
    waiting = [_binned_item(p, mark, retention) for p, mark in binned if p not in due]
    kept = [p for p in orphans if p.mark.keep and p.mark.binned is None]
    doomed = [p for p in orphans if not p.mark.keep and p.mark.binned is None]
    notes: tuple[str, ...] = ("kept (sync.prune: false): " + ", ".join(p.name for p in kept),) if kept else ()
    if unclaimed := index.legacy_unclaimed(declared):
        old = unclaimed[0].mark.owner
        listed = ", ".join(sorted(p.name for p in unclaimed))
        notes += (
            f"{len(unclaimed)} pattern(s) carry the old default owner {old!r} and no file here declares "
            f"them; never pruned from here (another directory of the repository may own them): {listed}",
        )
    if not doomed and not due:
        return Planned(tuple(waiting), notes=notes)
    names = tuple(p.name for p in doomed)
    if not enabled:
        note = f"{len(doomed)} managed pattern(s) have no file; --prune would move them to the recycle bin: "
        return Planned(
            (*(_orphaned_item(live) for live in doomed), *waiting), notes=(*notes, note + ", ".join(names))
        )
    refusals = _prune_refusals(
        desired, names + tuple(p.name for p in due), managed=len(managed), any_issue=any_issue
    )
    if refusals:
        return Planned(
            tuple(_binned_item(p, m, retention) for p, m in binned), refusals=refusals, notes=notes
        )
    binning = tuple(item for live in doomed for item in _bin_items(live, index, now))
    purging = tuple(_purge_item(live, read_bin(live.mark.binned), retention) for live in due)
    return Planned((*binning, *purging, *waiting), notes=notes)


def _prune_refusals(
    desired: DesiredState, names: tuple[str, ...], *, managed: int, any_issue: bool
) -> tuple[PlanRefusal, ...]:
    refusals: list[PlanRefusal] = []
    if any_issue:
        message = "prune refused: some files failed to load or validate, so their patterns could look deleted"
        refusals.append(PlanRefusal(RefusalReason.INVALID_FILES, message, names))
    if not desired.patterns and not desired.untargeted:
        message = (
            "prune refused: the directory declares no pattern (an empty checkout would delete everything)"
        )
        refusals.append(PlanRefusal(RefusalReason.EMPTY_DESIRED, message, names))
    budget = desired.options.prune_budget
    limit = budget.limit(managed)
    if len(names) > limit:
        message = (
            f"prune refused: {len(names)} patterns to move to the recycle bin or purge exceed the budget "
            f"({limit}; budget: {budget})"
        )
        refusals.append(PlanRefusal(RefusalReason.OVER_BUDGET, message, names))
    return tuple(refusals)


def _reduce_twins(ours: Sequence[LivePattern], base: PlanItem, index: LiveIndex) -> Planned | None:
    """Live patterns of ours sharing a name with the same content (two writers both created it): one
    item keeping the oldest and removing the others; None when they differ (a person must choose)."""
    if any(p.document is None for p in ours):
        return None
    contents = {index.essence(p.document).canonical for p in ours if p.document is not None}
    if len(contents) != 1:
        return None
    by_age = sorted(ours, key=lambda p: (str((p.document or {}).get("createdAt") or ""), p.id))
    kept, others = by_age[0], tuple(p.id for p in by_age[1:])
    removed = ", ".join(others)
    reason = f"{len(ours)} identical live patterns of ours share this name: keep {kept.id}, remove {removed}"
    item = replace(
        base,
        kind=_K.REDUCE_TWINS,
        reason=reason,
        pattern_id=kept.id,
        operation=TwinReduce(others),
    )
    return Planned((item,))


def _orphaned_item(live: LivePattern) -> PlanItem:
    """A pattern of ours whose file is gone while prune is off: listed (and counted as a change by
    --detailed-exitcode), never written, so nobody thinks the instance matches git."""
    return PlanItem(
        _K.ORPHANED,
        Resource.PATTERN,
        live.name,
        reason="managed by this owner, but no file declares it and prune is off (apply --prune deletes it)",
        pattern_id=live.id,
        applied_hash=live.mark.applied,
        phase=Phase.PRUNE_DELETES,  # listed with the prune; it writes nothing
    )


def _binned_item(live: LivePattern, mark: BinMark | None, retention: timedelta) -> PlanItem:
    """A pattern in the recycle bin, waiting for its purge (or for its file to come back): reported."""
    reason = mark.describe(retention) if mark is not None else "in the recycle bin"
    return PlanItem(
        _K.BINNED,
        Resource.PATTERN,
        live.name,
        reason=reason + " (restore: dragops-sync restore DIR NAME, or add a file of that name)",
        pattern_id=live.id,
        applied_hash=live.mark.applied,
        phase=Phase.PRUNE_DELETES,  # listed with the prune; it writes nothing
    )


def _purge_item(live: LivePattern, mark: BinMark | None, retention: timedelta) -> PlanItem:
    since = f" since {mark.since:%Y-%m-%d %H:%M} UTC" if mark is not None else ""
    return PlanItem(
        _K.DELETE,
        Resource.PATTERN,
        live.name,
        reason=f"in the recycle bin{since}, longer than prune.retention ({retention}): purged for good",
        pattern_id=live.id,
        applied_hash=live.mark.applied,
        operation=PatternDelete(),
        phase=Phase.PRUNE_DELETES,
    )


def _bin_items(live: LivePattern, index: LiveIndex, now: datetime) -> tuple[PlanItem, ...]:
    deployed = index.deployed(live.id)
    binning = PlanItem(
        _K.BIN,
        Resource.PATTERN,
        live.name,
        reason="managed by this owner and no file declares it (prune): to the recycle bin, kept with its "
        "history and webhook ids",
        pattern_id=live.id,
        applied_hash=live.mark.applied,
        operation=PatternBin(bin_tag(now, deployed=deployed)),
        phase=Phase.PRUNE_DELETES,
    )
    if not deployed:
        return (binning,)
    undeploy = PlanItem(
        _K.UNDEPLOY,
        Resource.DEPLOYMENT,
        live.name,
        reason="deployed; undeploying before prune moves it to the recycle bin",
        pattern_id=live.id,
        operation=Undeploy(),
        phase=Phase.PRUNE_UNDEPLOYS,
    )
    return (undeploy, replace(binning, depends_on=(undeploy.key,)))
