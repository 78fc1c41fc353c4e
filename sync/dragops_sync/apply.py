"""Executing a plan through the client: one `ItemResult` per plan item, phase by phase.

Phases run one after the other: connections, pattern writes (create, update, adopt, mark refresh),
deployment changes (deploy, redeploy, undeploy), then the prune's undeploys and finally its deletes
(the API refuses to delete a deployed pattern). Inside a phase items run in a thread pool of
`concurrency` workers sharing one client, whose rate limiter bounds the request rate and whose retries
and create-recovery make a "committed, then the answer was lost" write safe to repeat (no duplicate).

Rules kept here:

* a plan with errors (duplicate names, invalid settings) writes nothing at all;
* a failed item does not stop the others, but the items that depend on it (`PlanItem.depends_on`,
  always of an earlier phase) are skipped with the reason: a pattern's deploy after its failed
  write, a delete after its failed undeploy; the results of earlier phases, by item key, decide;
* each item's `operation` says what it writes, and the applier `match`es on it;
* "deployed" means deployed: after a deploy the deployment is read back and must be active at the
  version the deploy answered (a `pending` one is polled for a bounded time); when the read-back
  itself fails (the deploy was accepted, the GET was not answered), it is read again with backoff,
  and the item fails only if the deployment really is not active;
* `stop_event` set (SIGTERM): the items in flight finish, the rest are skipped;
* secrets: a connection's key is read from `env` just before its create and never reported.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dragops_sync import operations
from dragops_sync.api import APIConnectionError, APIError, Client, ConflictError, DragopsError
from dragops_sync.desired import DesiredState
from dragops_sync.directory import ConnectionsError, resolve_connections
from dragops_sync.essence import Essence
from dragops_sync.key_registry import KeyRegistry
from dragops_sync.models import Pattern
from dragops_sync.observe import LiveObserver
from dragops_sync.operations import DEFAULT_DEPLOY_WAIT, describe_error
from dragops_sync.ownership import BINNED_TAG_PREFIX, ROLLED_BACK_TAG_PREFIX, ownership_mark, ownership_tags
from dragops_sync.plan import (
    ActionKind,
    ConnectionCreate,
    ConnectionKeyUpdate,
    DeploymentChange,
    ItemKey,
    PatternBin,
    PatternCreate,
    PatternDelete,
    PatternUpdate,
    Phase,
    Plan,
    PlanItem,
    TwinReduce,
    Undeploy,
)
from dragops_sync.smoke import roll_back, run_smoke_test
from dragops_sync.smoke_settings import SmokeSettings

__all__ = ["ApplyOptions", "ApplyReport", "ItemResult", "ResultStatus", "apply_plan"]

_K = ActionKind

log = logging.getLogger("dragops_sync.apply")

# After a deploy whose read-back GET failed: the waits before reading the deployment again.
_READ_BACK_RETRIES = (0.5, 1.0, 2.0, 4.0)


# Kinds that ask for a change the rules forbid making (the user must act): apply exits 1 on them.
_REFUSED_KINDS = frozenset({_K.CONFLICT, _K.UNMANAGED, _K.INVALID, _K.ROLLED_BACK})


class ResultStatus(StrEnum):
    """The outcome of one plan item."""

    OK = "ok"  # the write was made (and, for a deploy, read back active at the new version)
    FAILED = "failed"  # the write was tried and failed; `message` says why
    SKIPPED = "skipped"  # a write that was not tried: stop requested, blocked plan, failed dependency
    REFUSED = "refused"  # conflict, unmanaged or invalid: the rules forbid the write
    UNCHANGED = "unchanged"  # nothing to write: in sync, or drift reported (observe/warn)
    ROLLED_BACK = "rolled_back"  # deployed, failed its smoke test, and the previous graph put back


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply a plan; built once at the CLI edge and passed whole.

    `concurrency` None: the settings' `concurrency`. `deploy_wait`: seconds a deploy may stay
    `pending` before its item fails. `ignore_freeze`: write even inside a freeze window (an emergency;
    `freeze.py`).
    """

    concurrency: int | None = None
    deploy_wait: float = DEFAULT_DEPLOY_WAIT
    ignore_freeze: bool = False


@dataclass(frozen=True)
class ItemResult:
    """What happened to one plan item."""

    item: PlanItem
    status: ResultStatus
    message: str = ""
    pattern_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (ResultStatus.OK, ResultStatus.UNCHANGED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.item.kind),
            "resource": str(self.item.resource),
            "name": self.item.name,
            "file": self.item.file,
            "status": str(self.status),
            "message": self.message,
            "patternId": self.pattern_id or self.item.pattern_id,
        }


@dataclass(frozen=True)
class ApplyReport:
    """Every item's result, in plan order, plus whether the plan could be applied at all."""

    results: tuple[ItemResult, ...]
    blocked: bool = False
    stopped: bool = False

    @property
    def ok(self) -> bool:
        """True when every write the apply was meant to make succeeded (reported drift is no failure)."""
        return not self.blocked and all(r.ok for r in self.results)

    def count(self, status: ResultStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "blocked": self.blocked,
            "stopped": self.stopped,
            "summary": {str(s): self.count(s) for s in ResultStatus},
            "results": [r.to_dict() for r in self.results],
        }


# A dependency that ended so skips the items that need it.
_UNSUCCESSFUL = frozenset({ResultStatus.FAILED, ResultStatus.SKIPPED})


class _Applier:
    """Runs one item at a time (from several threads); `done` holds the results of earlier phases."""

    def __init__(
        self,
        client: Client,
        desired: DesiredState,
        *,
        observer: LiveObserver | None,
        stop_event: threading.Event | None,
        env: Mapping[str, str],
        deploy_wait: float,
        plan_owner: str | None = None,
    ) -> None:
        self.client = client
        self.desired = desired
        self.plan_owner = plan_owner  # whose patterns a twin reduction may remove
        self.observer = observer
        self.stop_event = stop_event
        self.env = env
        self.deploy_wait = deploy_wait
        # Results by item key, filled between phases (an item depends only on items of earlier phases).
        self.done: dict[ItemKey, ItemResult] = {}

    # -- dispatch ---------------------------------------------------------------------------------

    def run(self, item: PlanItem) -> ItemResult:
        if not item.writes:
            status = ResultStatus.REFUSED if item.kind in _REFUSED_KINDS else ResultStatus.UNCHANGED
            return ItemResult(item, status, item.reason, item.pattern_id)
        if self.stop_event is not None and self.stop_event.is_set():
            return ItemResult(
                item, ResultStatus.SKIPPED, "stop requested before this item started", item.pattern_id
            )
        if (blocker := self._unsuccessful_dependency(item)) is not None:
            return ItemResult(item, ResultStatus.SKIPPED, _skip_reason(item, blocker), item.pattern_id)
        try:
            return self._write(item)
        except DragopsError as exc:
            return ItemResult(item, ResultStatus.FAILED, describe_error(exc), item.pattern_id)

    def _unsuccessful_dependency(self, item: PlanItem) -> PlanItem | None:
        """The first item `item` needs that failed or was skipped (one not in the plan is no obstacle)."""
        for key in item.depends_on:
            result = self.done.get(key)
            if result is not None and result.status in _UNSUCCESSFUL:
                return result.item
        return None

    def _write(self, item: PlanItem) -> ItemResult:
        match item.operation:
            case ConnectionCreate():
                return self._connection(item)
            case ConnectionKeyUpdate():
                return self._connection(item, update=True)
            case PatternCreate(spec=spec):
                pattern = operations.create_pattern(self.client, spec)
                if pattern.name != spec.name:
                    return self._renamed_by_server(item, pattern, sent=spec.name)
                return self._created(item, pattern, owner=ownership_mark(spec.tags).owner)
            case TwinReduce(others=others):
                return self._reduce(item, others)
            case PatternUpdate(spec=spec, fields=fields):
                assert item.pattern_id is not None  # the planner sets it for every live pattern
                pattern = operations.update_pattern(self.client, item.pattern_id, spec, fields=fields)
                return self._written(item, pattern, _update_message(item))
            case DeploymentChange(environment_id=environment_id, smoke=smoke, content_hash=content_hash):
                if smoke is not None:
                    return self._deploy_checked(item, environment_id, smoke, content_hash)
                return self._deploy(item, environment_id)
            case Undeploy():
                pattern_id = self._pattern_id(item)
                operations.undeploy_pattern(self.client, pattern_id)
                return ItemResult(item, ResultStatus.OK, "undeployed", pattern_id)
            case PatternBin(tag=tag):
                return self._bin(item, tag)
            case PatternDelete():
                return self._delete(item)
            case None:
                raise ValueError(
                    f"plan item {item.key!r} writes but has no operation (plans come from build_plan)"
                )

    # -- writes -----------------------------------------------------------------------------------

    def _connection(self, item: PlanItem, *, update: bool = False) -> ItemResult:
        """Create a connection, or write its key again (`update`); then record the key's salted
        fingerprint, so a later plan notices when the key in the environment changes."""
        wanted = [c for c in self.desired.connections if c.server_name == item.name]
        try:
            resolved = resolve_connections(wanted, self.env)
        except ConnectionsError as exc:
            return ItemResult(item, ResultStatus.FAILED, "; ".join(i.message for i in exc.issues))
        conn = resolved[0]
        if update:
            live = [
                c
                for c in self.client.connections.list()
                if c.display_name == conn.display_name and c.provider == conn.provider
            ]
            if len(live) != 1:
                return ItemResult(
                    item, ResultStatus.FAILED, f"{len(live)} live connections named {item.name!r}"
                )
            written = self.client.connections.update(live[0].id, api_key=conn.api_key)
            message = f"wrote the key of connection {written.id} again (from ${{{conn.api_key_env}}})"
        else:
            written = self.client.connections.create_api_key(
                provider=conn.provider, api_key=conn.api_key, display_name=conn.display_name
            )
            message = f"created connection {written.id}"
        if self.plan_owner:
            KeyRegistry(self.client, self.plan_owner).record(conn.display_name, conn.api_key)
        return ItemResult(item, ResultStatus.OK, message)

    def _renamed_by_server(self, item: PlanItem, pattern: Pattern, *, sent: str) -> ItemResult:
        """A create the server answered with another name: the next plan would not find it by the
        file's name and would create it again, every time. So it is removed again and fails."""
        message = (
            f"the server stored the new pattern as {pattern.name!r}, not {sent!r}: the sync could never "
            "find it by the file's name, so it was removed again; use a name the server keeps as written"
        )
        try:
            operations.delete_pattern(self.client, pattern.id)
        except DragopsError as exc:
            message += f" (removing {pattern.id} failed: {describe_error(exc)}; delete it by hand)"
        # The id says the create reached the server (the daemon does not send it again).
        return ItemResult(item, ResultStatus.FAILED, message, pattern.id)

    def _created(self, item: PlanItem, pattern: Pattern, *, owner: str | None) -> ItemResult:
        """A create, then the reduction of twins another writer may have created at the same moment."""
        if owner is None:
            return self._written(item, pattern, f"created {pattern.id}")
        reduced = operations.reduce_twins(self.client, pattern.id, owner=owner)
        if reduced.kept != pattern.id:
            kept = self.client.patterns.get(reduced.kept)
            message = f"another writer created it at the same moment: kept its {kept.id}, removed ours"
            return self._written(item, kept, message)
        twins = f"; removed twin(s) {', '.join(reduced.removed)}" if reduced.removed else ""
        return self._written(item, pattern, f"created {pattern.id}{twins}")

    def _reduce(self, item: PlanItem, others: Sequence[str]) -> ItemResult:
        """Remove the twins of the item's pattern (owned by us, identical: the plan checked both)."""
        owner = self.plan_owner
        removed = []
        for twin_id in others:
            if operations.current_deployment(self.client, twin_id) is not None:
                operations.undeploy_pattern(self.client, twin_id)
            if operations.delete_pattern(self.client, twin_id, owned_only=True, owner=owner):
                removed.append(twin_id)
            if self.observer is not None:
                self.observer.invalidate(twin_id)
        message = f"kept {item.pattern_id}, removed {', '.join(removed) or 'nothing (already gone)'}"
        return ItemResult(item, ResultStatus.OK, message, item.pattern_id)

    def _written(self, item: PlanItem, pattern: Pattern, message: str) -> ItemResult:
        if self.observer is not None:
            self.observer.remember(pattern)
        return ItemResult(item, ResultStatus.OK, message, pattern.id)

    def _pattern_id(self, item: PlanItem) -> str:
        """The item's pattern: as planned, or as created by the item it depends on (same apply)."""
        pattern_id = item.pattern_id
        for key in item.depends_on:
            if pattern_id is None and (result := self.done.get(key)) is not None:
                pattern_id = result.pattern_id
        if pattern_id is None:
            raise DragopsError(f"no pattern id known for {item.name!r} (its create did not report one)")
        return pattern_id

    def _deploy(self, item: PlanItem, environment_id: str | None) -> ItemResult:
        pattern_id = self._pattern_id(item)
        try:
            deployed = operations.deploy_pattern(
                self.client,
                pattern_id,
                environment_id=environment_id,
                wait=self.deploy_wait,
                same_content_ok=True,  # another writer of this directory deploying the same content
            )
        except (APIError, APIConnectionError) as exc:
            if exc.method != "GET":
                raise  # the deploy itself failed (or was refused)
            # The deploy was accepted; only reading it back failed. Whether it is deployed is a
            # question for the deployment, not for that one lost answer.
            version = self._read_back_again(item, pattern_id, exc)
            return ItemResult(item, ResultStatus.OK, f"active at version {version}", pattern_id)
        version = deployed.deployment.version_number
        return ItemResult(item, ResultStatus.OK, f"active at version {version}", pattern_id)

    def _deploy_checked(
        self, item: PlanItem, environment_id: str | None, smoke: SmokeSettings, content_hash: str | None
    ) -> ItemResult:
        """A deploy followed by its smoke test; a failed test rolls back to what ran before and marks
        the failed content on the pattern (`smoke.py`), so it is not deployed again unchanged."""
        pattern_id = self._pattern_id(item)
        before = operations.current_deployment(self.client, pattern_id)
        previous = before.version_number if before is not None else None
        result = self._deploy(item, environment_id)
        if result.status != ResultStatus.OK:
            return result
        deployment = operations.current_deployment(self.client, pattern_id)
        if deployment is None:
            return ItemResult(
                item, ResultStatus.FAILED, "deployed, then no deployment to smoke-test", pattern_id
            )
        outcome = run_smoke_test(self.client, pattern_id, deployment.deployment_id, smoke)
        if outcome.passed:
            return ItemResult(item, ResultStatus.OK, f"{result.message}; {outcome.describe()}", pattern_id)
        log.warning("%r: %s; rolling back", item.name, outcome.describe())
        how = roll_back(self.client, pattern_id, previous, environment_id=environment_id)
        self._mark_rolled_back(pattern_id, content_hash)
        if self.observer is not None:
            self.observer.invalidate(pattern_id)
        return ItemResult(item, ResultStatus.ROLLED_BACK, f"{outcome.describe()}; {how}", pattern_id)

    def _mark_rolled_back(self, pattern_id: str, content_hash: str | None) -> None:
        """Tag the pattern with the hash of the content that failed, and its applied hash with what
        is live now (the restored graph), so the next plan sees a file change, not live drift."""
        live = self.client.patterns.get(pattern_id).to_api()
        mark = ownership_mark(live.get("tags"))
        if mark.owner is None or content_hash is None:
            return
        restored = Essence.of(live, ignore=self.desired.options.ignore).short_hash
        tags = ownership_tags(live.get("tags") or [], owner=mark.owner, applied=restored, keep=mark.keep)
        self.client.patterns.update(pattern_id, tags=[*tags, f"{ROLLED_BACK_TAG_PREFIX}{content_hash}"])

    def _read_back_again(self, item: PlanItem, pattern_id: str, failure: DragopsError) -> int | None:
        """After an accepted deploy whose read-back failed: read it again with backoff until it answers.

        Returns the active version; raises `failure` when no read answers, or what a read says when the
        deployment is not active (paused, undeployed, still pending after the deploy wait).
        """
        for delay in _READ_BACK_RETRIES:
            log.warning(
                "%r: deployed, but reading the deployment back failed (%s); reading again in %.1f s",
                item.name,
                describe_error(failure),
                delay,
            )
            time.sleep(delay)
            try:
                live = self.client.deployments.wait_until_active(pattern_id, timeout=self.deploy_wait)
            except (APIError, APIConnectionError) as exc:
                if exc.method != "GET":
                    raise
                failure = exc
                continue
            return live.version_number
        raise failure

    def _bin(self, item: PlanItem, tag: str) -> ItemResult:
        """Prune's move to the recycle bin: the bin tag added, nothing else touched (graph, versions,
        runs and webhook ids stay)."""
        pattern_id = self._pattern_id(item)
        tags = [
            t for t in self.client.patterns.get(pattern_id).tags if not str(t).startswith(BINNED_TAG_PREFIX)
        ]
        pattern = self.client.patterns.update(pattern_id, tags=[*tags, tag])
        retention = self.desired.options.prune_retention
        return self._written(
            item, pattern, f"moved to the recycle bin (apply --prune purges it after {retention})"
        )

    def _delete(self, item: PlanItem) -> ItemResult:
        pattern_id = self._pattern_id(item)
        try:
            message = "deleted" if operations.delete_pattern(self.client, pattern_id) else "already gone"
        except ConflictError as exc:
            # Deployed by someone after the plan was made: deleting would need an undeploy we did not plan.
            return ItemResult(item, ResultStatus.FAILED, describe_error(exc), pattern_id)
        if self.observer is not None:
            self.observer.invalidate(pattern_id)
        return ItemResult(item, ResultStatus.OK, message, pattern_id)


def _update_message(item: PlanItem) -> str:
    if item.kind == _K.NOOP:  # only the ownership mark was stale
        return "ownership mark refreshed"
    message = {_K.ADOPT: "adopted", _K.UPDATE: "updated"}.get(item.kind, "written")
    return message + " (--force)" if item.forced else message


def _skip_reason(item: PlanItem, blocker: PlanItem) -> str:
    """Why `item` is not tried: what the failed or skipped `blocker` it depends on did not do."""
    if isinstance(blocker.operation, Undeploy):
        return f"pattern {item.name!r} could not be undeployed, so it is not moved to the recycle bin"
    return f"the write of pattern {item.name!r} did not succeed"


def _by_phase(plan: Plan) -> dict[Phase, list[tuple[int, PlanItem]]]:
    """The items of each phase with their index in the plan, in plan order."""
    phases: dict[Phase, list[tuple[int, PlanItem]]] = {}
    for index, item in enumerate(plan.items):
        if item.phase is None:
            raise ValueError(f"plan item {item.key!r} has no phase (plans come from build_plan)")
        phases.setdefault(item.phase, []).append((index, item))
    return phases


def apply_plan(
    client: Client,
    plan: Plan,
    desired: DesiredState,
    options: ApplyOptions = ApplyOptions(),
    *,
    observer: LiveObserver | None = None,
    stop_event: threading.Event | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> ApplyReport:
    """Execute `plan` (built from `desired`) as `options` ask; one result per item, in plan order.

    `env` holds the connections' keys (default `os.environ`); `on_result` is called as each item
    finishes (progress, metrics).
    """
    concurrency = options.concurrency or desired.options.concurrency
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if plan.blocked:
        why = "the plan has errors, nothing is written: " + "; ".join(e.message for e in plan.errors)
        skipped = []
        for item in plan.items:
            status = ResultStatus.SKIPPED if item.writes else ResultStatus.UNCHANGED
            skipped.append(ItemResult(item, status, why if item.writes else item.reason, item.pattern_id))
        for result in skipped:
            if on_result is not None:
                on_result(result)
        return ApplyReport(tuple(skipped), blocked=True)

    applier = _Applier(
        client,
        desired,
        observer=observer,
        stop_event=stop_event,
        env=os.environ if env is None else env,
        deploy_wait=options.deploy_wait,
        plan_owner=plan.owner,
    )
    phases = _by_phase(plan)
    results: dict[int, ItemResult] = {}

    def run(pair: tuple[int, PlanItem]) -> tuple[int, ItemResult]:
        result = applier.run(pair[1])
        if on_result is not None:
            on_result(result)
        return pair[0], result

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for phase in sorted(phases):
            batch: Sequence[tuple[int, PlanItem]] = phases[phase]
            # Items that write nothing are answered here: handing each to a worker thread would cost
            # more than answering it (a no-op reconcile of 1,000 patterns is 1,000 such items).
            finished = [run(pair) for pair in batch if not pair[1].writes]
            # A phase ends before the next starts: creates before deploys, undeploys before deletes.
            finished += pool.map(run, [pair for pair in batch if pair[1].writes])
            for index, result in finished:
                results[index] = result
                applier.done[result.item.key] = result
    stopped = stop_event is not None and stop_event.is_set()
    return ApplyReport(tuple(results[i] for i in range(len(plan.items))), stopped=stopped)
