"""The planner: desired state + live state -> `Plan`. Pure; the rules of design.md §4 live here.

* Identity is the pattern name. Two files with one name, or two live patterns with one name managed
  by this owner, are plan errors: apply writes nothing.
* Ownership: a live pattern is ours when its `dragops-sync:owner=` tag names our owner. Patterns
  without a mark, or with another owner's, are never changed or deleted. A file whose name matches an
  unmarked live pattern gives an UNMANAGED item ("exists, not managed"), unless adoption is asked for
  (`adopt=True`), which gives an ADOPT item: the content is written with our mark. Another owner's
  pattern is never adopted.
* In sync means live essence == desired essence, whatever the recorded hash says; a stale mark then
  gets a quiet refresh (a NOOP with `refresh_mark`).
* Otherwise, with `applied` the hash in the mark: live == applied -> UPDATE (git changed); desired ==
  applied -> drift (live changed): DRIFT in observe/warn, an UPDATE reverting it in enforce; neither ->
  CONFLICT, or an UPDATE with `forced` under `force`. No mark hash at all is a conflict too (we cannot
  tell who changed what).
* Deployment intent is judged only for patterns that will be in sync after the writes (create, adopt,
  update, noop): DEPLOY when it should be deployed and is not, REDEPLOY when the graph changes while
  deployed, when the environment differs, or when the deployment is stale (version, or deployed graph
  != live graph), UNDEPLOY when the file says `deploy: false`.
* Prune (off by default) deletes only our patterns whose file is gone, never one marked keep, and is
  refused when any file has an issue, when the desired set is empty, or over the budget. A deployed
  pattern is undeployed before its deletion.
* Connections are created when no live connection has their display name; they are never updated or
  deleted (keys cannot be read back to compare, and deleting credentials is not a sync's call).

Hashes are computed on the essence after `ignore` is applied. No I/O, no clock, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from dragops_sync.desired import DesiredPattern, DesiredState
from dragops_sync.diff import diff_essence
from dragops_sync.essence import Essence, EssenceMemo, canonical_json
from dragops_sync.live import LiveDeployment, LivePattern, LiveState
from dragops_sync.ownership import ownership_tags
from dragops_sync.plan import (
    ActionKind,
    Plan,
    PlanError,
    PlanItem,
    PlanOptions,
    PlanRefusal,
    RefusalReason,
    Resource,
)
from dragops_sync.validate import NodeLibrary, validate_desired

__all__ = ["Plan", "PlanItem", "build_plan"]

_K = ActionKind

# Keys of a pattern file's document that the pattern API does not take.
_FILE_ONLY = frozenset({"formatVersion", "createdAt"})

# Apply order: connections, pattern writes, deployment changes, then deletions in reverse.
_PHASE = {
    (Resource.CONNECTION, None): 0,
    (Resource.PATTERN, None): 1,
    (Resource.DEPLOYMENT, None): 2,
    (Resource.DEPLOYMENT, "prune"): 3,
    (Resource.PATTERN, "prune"): 4,
}


class _Planner:
    def __init__(
        self,
        desired: DesiredState,
        live: LiveState,
        owner: str,
        force: bool,
        adopt: bool,
        *,
        essences: EssenceMemo | None = None,
    ) -> None:
        self.desired = desired
        self.essences = essences
        self.live = live
        self.owner = owner
        self.force = force
        self.adopt = adopt
        self.ignore = desired.options.ignore
        self.items: list[tuple[int, PlanItem]] = []
        self.errors: list[PlanError] = []
        self.notes: list[str] = []
        self.ours: dict[str, list[LivePattern]] = defaultdict(list)
        self.unmarked: dict[str, list[LivePattern]] = defaultdict(list)
        self.foreign: dict[str, list[LivePattern]] = defaultdict(list)
        for pattern in live.patterns:
            owner_tag = pattern.mark.owner
            bucket = self.ours if owner_tag == owner else self.unmarked if owner_tag is None else self.foreign
            bucket[pattern.name].append(pattern)

    def add(self, item: PlanItem, prune: bool = False) -> None:
        self.items.append((_PHASE[(item.resource, "prune" if prune else None)], item))

    def essence(self, document: Mapping[str, Any]) -> Essence:
        if self.essences is not None:
            return self.essences.get(document, ignore=self.ignore)
        return Essence.of(document, ignore=self.ignore)

    # -- patterns ---------------------------------------------------------------------------------

    def pattern(self, dp: DesiredPattern) -> None:
        document = dp.pattern.document()
        desired = self.essence(document)
        d_hash = desired.short_hash
        tags = ownership_tags(dp.pattern.tags, owner=self.owner, applied=d_hash, keep=dp.keep)
        write = {k: v for k, v in document.items() if k not in _FILE_ONLY} | {"tags": tags}
        base = PlanItem(_K.NOOP, Resource.PATTERN, dp.name, file=dp.path, desired_hash=d_hash)

        ours = self.ours.get(dp.name, [])
        if len(ours) > 1:
            ids = ", ".join(p.id for p in ours)
            message = f"{len(ours)} live patterns named {dp.name!r} carry owner {self.owner!r} ({ids})"
            self.errors.append(PlanError("duplicate_live_names", message, (dp.name,), (dp.path,)))
            self.add(replace(base, kind=_K.CONFLICT, reason=message))
        elif ours:
            self.managed(dp, ours[0], desired, replace(base, write=write))
        elif (unmarked := self.unmarked.get(dp.name, [])) and self.adopt and len(unmarked) == 1:
            live = unmarked[0]
            if live.document is None:
                self.not_fetched(live, base)
                return
            changes = tuple(diff_essence(desired.value, self.essence(live.document).value))
            reason = "adopting an unmanaged pattern: writing the file's content and the ownership mark"
            self.add(
                replace(base, kind=_K.ADOPT, reason=reason, pattern_id=live.id, changes=changes, write=write)
            )
            self.deployment(dp, live, graph_changed=_graph_changed(changes))
        elif unmarked:
            if len(unmarked) > 1:
                reason = f"{len(unmarked)} unmanaged live patterns are named {dp.name!r}; rename them apart"
            else:
                reason = f"an unmanaged live pattern named {dp.name!r} exists; adopt it explicitly (--adopt)"
            self.add(replace(base, kind=_K.UNMANAGED, reason=reason, pattern_id=unmarked[0].id))
        elif foreign := self.foreign.get(dp.name, []):
            other = foreign[0].mark.owner
            reason = f"a live pattern named {dp.name!r} is managed by another owner ({other!r}); left alone"
            self.add(replace(base, kind=_K.UNMANAGED, reason=reason, pattern_id=foreign[0].id))
        else:
            changes = tuple(diff_essence(desired.value, {}))  # every field is new
            reason = "no live pattern has this name"
            self.add(replace(base, kind=_K.CREATE, reason=reason, changes=changes, write=write))
            if dp.deploy:
                reason = "new pattern, deploy: true"
                deploy = PlanItem(_K.DEPLOY, Resource.DEPLOYMENT, dp.name, reason, file=dp.path)
                self.add(replace(deploy, environment_id=dp.environment_id))

    def not_fetched(self, live: LivePattern, base: PlanItem) -> None:
        message = f"the live pattern {live.name!r} ({live.id}) was listed but its content was not fetched"
        self.errors.append(PlanError("live_not_fetched", message, (live.name,)))
        self.add(replace(base, kind=_K.CONFLICT, reason=message, pattern_id=live.id, write=None))

    def managed(self, dp: DesiredPattern, live: LivePattern, desired: Essence, base: PlanItem) -> None:
        if live.document is None:
            self.not_fetched(live, base)
            return
        live_ess = self.essence(live.document)
        applied = live.mark.applied
        base = replace(base, pattern_id=live.id, live_hash=live_ess.short_hash, applied_hash=applied)
        if live_ess.canonical == desired.canonical:
            refresh = applied != base.desired_hash or live.mark.keep != dp.keep
            reason = "in sync; refreshing a stale ownership mark" if refresh else "in sync"
            self.add(
                replace(base, reason=reason, refresh_mark=refresh, write=base.write if refresh else None)
            )
            self.deployment(dp, live, graph_changed=False)
            return
        changes = tuple(diff_essence(desired.value, live_ess.value))
        base = replace(base, kind=_K.UPDATE, changes=changes)
        if applied is not None and applied == base.live_hash:
            self.add(replace(base, reason="the file changed"))
        elif applied is not None and applied == base.desired_hash:
            if dp.drift != "enforce":
                reason = f"live was edited since the last apply (drift: {dp.drift}; not reverted)"
                self.add(replace(base, kind=_K.DRIFT, reason=reason, drift_mode=dp.drift, write=None))
                return
            reason = "live was edited since the last apply; reverting it (drift: enforce)"
            self.add(replace(base, reason=reason, drift_mode="enforce"))
        else:
            why = "no applied hash is recorded" if applied is None else "the file and live both changed"
            if not self.force:
                reason = f"conflict: {why} since the last apply; not overwritten (use --force)"
                self.add(replace(base, kind=_K.CONFLICT, reason=reason, write=None))
                return
            self.add(
                replace(base, reason=f"conflict ({why}); overwritten with the file (--force)", forced=True)
            )
        self.deployment(dp, live, graph_changed=_graph_changed(changes))

    # -- deployments ------------------------------------------------------------------------------

    def deployment(self, dp: DesiredPattern, live: LivePattern, *, graph_changed: bool) -> None:
        dep = self.live.deployments.get(live.id)
        deployed = dep is not None and dep.deployed

        def item(kind: ActionKind, reason: str) -> None:
            self.add(
                PlanItem(
                    kind,
                    Resource.DEPLOYMENT,
                    dp.name,
                    reason=reason,
                    file=dp.path,
                    pattern_id=live.id,
                    environment_id=dp.environment_id,
                )
            )

        if not dp.deploy:
            if deployed:
                item(_K.UNDEPLOY, "the file says deploy: false")
            return
        if dep is None or not deployed:
            item(_K.DEPLOY, "not deployed" if dep is None else f"deployment is {dep.status}")
            return
        stale = self.stale(dep, live)
        if graph_changed:
            item(_K.REDEPLOY, "the graph changes while deployed")
        elif dp.environment_id and dep.environment_id and dp.environment_id != dep.environment_id:
            item(_K.REDEPLOY, f"deployed to {dep.environment_id}, the file asks for {dp.environment_id}")
        elif stale:
            item(_K.REDEPLOY, stale)

    def stale(self, dep: LiveDeployment, live: LivePattern) -> str | None:
        version = live.version_number
        if dep.version_number is not None and version is not None and dep.version_number != version:
            return f"deployed version {dep.version_number} is not the pattern's version {version}"
        if dep.graph_data is not None and live.document is not None:
            deployed = self.essence({"graphData": dep.graph_data}).value["graphData"]
            current = self.essence(live.document).value["graphData"]
            if canonical_json(deployed) != canonical_json(current):
                return "the live graph differs from the deployed version"
        return None

    # -- connections ------------------------------------------------------------------------------

    def connections(self, connections_valid: bool) -> None:
        if not connections_valid:
            return  # the issues are reported; nothing is written for an invalid connections.yaml
        live_by_name: dict[str, list[str]] = defaultdict(list)
        for conn in self.live.connections:
            live_by_name[conn.display_name].append(conn.provider)
        for dc in self.desired.connections:
            base = PlanItem(_K.NOOP, Resource.CONNECTION, dc.server_name, file=dc.path)
            base = replace(base, provider=dc.provider, env_var=dc.api_key_env)
            providers = live_by_name.get(dc.server_name)
            if not providers:
                reason = f"no live connection named {dc.server_name!r}; key from ${{{dc.api_key_env}}}"
                self.add(replace(base, kind=_K.CREATE, reason=reason))
            elif dc.provider not in providers:
                reason = f"a live connection named {dc.server_name!r} exists for provider {providers[0]!r}"
                self.add(replace(base, kind=_K.CONFLICT, reason=reason))
            else:
                self.add(replace(base, reason="exists (keys are never read back: rotation is not detected)"))

    # -- prune ------------------------------------------------------------------------------------

    def prune(self, enabled: bool, any_issue: bool) -> list[PlanRefusal]:
        declared = {dp.name for dp in self.desired.patterns}
        managed = [p for group in self.ours.values() for p in group]
        orphans = sorted((p for p in managed if p.name not in declared), key=lambda p: (p.name, p.id))
        kept = [p for p in orphans if p.mark.keep]
        doomed = [p for p in orphans if not p.mark.keep]
        if kept:
            self.notes.append("kept (sync.prune: false): " + ", ".join(p.name for p in kept))
        if not doomed:
            return []
        names = tuple(p.name for p in doomed)
        if not enabled:
            self.notes.append(
                f"{len(doomed)} managed pattern(s) have no file; --prune would delete: " + ", ".join(names)
            )
            return []
        refusals: list[PlanRefusal] = []
        if any_issue:
            message = (
                "prune refused: some files failed to load or validate, so their patterns could look deleted"
            )
            refusals.append(PlanRefusal(RefusalReason.INVALID_FILES, message, names))
        if not self.desired.patterns:
            message = (
                "prune refused: the directory declares no pattern (an empty checkout would delete everything)"
            )
            refusals.append(PlanRefusal(RefusalReason.EMPTY_DESIRED, message, names))
        budget = self.desired.options.prune_budget
        limit = budget.limit(len(managed))
        if len(doomed) > limit:
            message = f"prune refused: {len(doomed)} deletions exceed the budget ({limit}; budget: {budget})"
            refusals.append(PlanRefusal(RefusalReason.OVER_BUDGET, message, names))
        if refusals:
            return refusals
        for live in doomed:
            dep = self.live.deployments.get(live.id)
            if dep is not None and dep.deployed:
                reason = "deployed; undeploying before the prune deletes it"
                self.add(
                    PlanItem(_K.UNDEPLOY, Resource.DEPLOYMENT, live.name, reason=reason, pattern_id=live.id),
                    prune=True,
                )
            reason = "managed by this owner and no file declares it (prune)"
            self.add(
                PlanItem(
                    _K.DELETE,
                    Resource.PATTERN,
                    live.name,
                    reason=reason,
                    pattern_id=live.id,
                    applied_hash=live.mark.applied,
                ),
                prune=True,
            )
        return []


def _graph_changed(changes: Sequence[Any]) -> bool:
    return any(change.path == "/graphData" or change.path.startswith("/graphData/") for change in changes)


def build_plan(
    desired: DesiredState,
    live: LiveState,
    options: PlanOptions = PlanOptions(),  # noqa: B008 (frozen: one shared default is safe)
    *,
    node_library: Sequence[Mapping[str, Any]] | NodeLibrary | None = None,
    essences: EssenceMemo | None = None,
) -> Plan:
    """Plan the changes that make `live` follow `desired`, as `options` ask.

    `node_library` (the definitions of `GET /api/nodes`) adds the online checks. `essences` is a memo
    of essences computed before (a long-running caller passes the same one each time; the plan is the
    same with or without it). Invalid files get INVALID items and no writes.
    """
    owner = options.owner or desired.options.owner
    if not owner:
        raise ValueError("an owner is required (set `owner` in dragops-sync.yaml or pass one)")
    prune_on = desired.options.prune_enabled if options.prune is None else options.prune
    force, adopt = options.force, options.adopt
    planner = _Planner(desired, live, owner, force, adopt, essences=essences)
    issues = validate_desired(desired, node_library=node_library)
    bad_files = {issue.file for issue in issues}

    if not desired.settings_valid:
        message = "dragops-sync.yaml is invalid: nothing is written until it is fixed"
        planner.errors.append(PlanError("invalid_settings", message, files=("dragops-sync.yaml",)))

    by_name: dict[str, list[DesiredPattern]] = defaultdict(list)
    for dp in desired.patterns:
        by_name[dp.name].append(dp)
    for name, group in by_name.items():
        if len(group) > 1:
            files = tuple(dp.path for dp in group)
            message = f"the pattern name {name!r} is declared by {len(group)} files: {', '.join(files)}"
            planner.errors.append(PlanError("duplicate_file_names", message, (name,), files))

    planner.connections(connections_valid=not any(i.file == "connections.yaml" for i in issues))
    for dp in sorted(desired.patterns, key=lambda d: (d.name, d.path)):
        if dp.path in bad_files:
            first = next(i for i in issues if i.file == dp.path)
            reason = f"{first.field}: {first.message}"
            planner.add(PlanItem(_K.INVALID, Resource.PATTERN, dp.name, reason=reason, file=dp.path))
            continue
        planner.pattern(dp)
    loaded = {dp.path for dp in desired.patterns}
    for file in sorted(f for f in bad_files if f and f.startswith("patterns/") and f not in loaded):
        first = next(i for i in issues if i.file == file)
        planner.add(
            PlanItem(_K.INVALID, Resource.PATTERN, file, reason=f"{first.field}: {first.message}", file=file)
        )

    refusals = planner.prune(prune_on, any_issue=bool(issues))
    ordered = [item for _, item in sorted(planner.items, key=lambda pair: (pair[0], pair[1].name))]
    return Plan(
        owner=owner,
        items=tuple(ordered),
        errors=tuple(planner.errors),
        refusals=tuple(refusals),
        issues=tuple(issues),
        notes=tuple(planner.notes),
        prune=prune_on,
        force=force,
    )
