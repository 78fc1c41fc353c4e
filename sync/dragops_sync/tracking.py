"""What the watch daemon remembers between cycles: which objects are backing off, and how each is doing.

`CycleTracker` sits between the plan and the apply of every daemon cycle:

* `select(plan, desired, now)` drops the writes of every object (a pattern with its deployment, or a
  connection) whose last write failed and whose retry time has not come, so one failing pattern
  waits with capped exponential backoff (`backoff.Backoff`) while the others proceed. What the object
  is asked to become is fingerprinted (desired content hash and deployment intent): when the file
  changes, the wait is over at once, since that is a new attempt, not a retry of the failed one.
* A pattern the previous cycle created (its create made a pattern, even one that failed) is never
  created again while the live list does not show it: the second create is refused as a failure of
  that pattern (a server that stores another name than the one sent would otherwise get a new copy
  every cycle).
* `record(...)` reads the apply report: a failed write starts or extends the object's backoff, a
  successful one ends it; and it derives the per-object `PatternStatus` the status server shows
  (state, last action, last error, next retry, last commit), logging only the transitions (a
  pattern drifting is said once, not every interval).

Keys are `(resource, name)`: `("pattern", name)` for a pattern and its deployment (identity is the
name), `("connection", name)` for a connection. No I/O besides logging; time comes from the caller.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from dragops_sync.apply import ApplyReport, ItemResult, ResultStatus
from dragops_sync.backoff import Backoff
from dragops_sync.daemon_http import PatternStatus
from dragops_sync.desired import DesiredState
from dragops_sync.plan import ActionKind, Plan, PlanItem, Resource
from dragops_sync.states import PatternState

__all__ = ["CycleTracker", "Key", "item_key"]

log = logging.getLogger("dragops_sync.daemon")

Key = tuple[str, str]

_K = ActionKind
_S = PatternState

# States worth a warning when an object enters them (said once, not every cycle), with the kind of
# plan item whose reason explains it.
_NOTABLE = {
    _S.DRIFTED: (_K.DRIFT, _S.DRIFTED.label),
    _S.CONFLICT: (_K.CONFLICT, _S.CONFLICT.label),
    _S.UNMANAGED: (_K.UNMANAGED, _S.UNMANAGED.label),
    _S.INVALID: (_K.INVALID, "invalid file, nothing is written for it"),
}


def item_key(item: PlanItem) -> Key:
    """The object a plan item belongs to: a pattern (with its deployment) or a connection."""
    if item.resource == Resource.CONNECTION:
        return ("connection", item.name)
    return ("pattern", item.name)


def _fingerprints(plan: Plan, desired: DesiredState) -> dict[Key, str]:
    """What each object is asked to become; a different fingerprint ends its backoff at once."""
    intents = {dp.name: f"{dp.deploy}|{dp.environment_id}" for dp in desired.patterns}
    connections = {c.server_name: f"{c.provider}|{c.api_key_env}" for c in desired.connections}
    prints: dict[Key, str] = {}
    for item in plan.items:
        key = item_key(item)
        if item.resource == Resource.CONNECTION:
            prints[key] = connections.get(item.name, "")
        elif item.resource == Resource.PATTERN:
            prints[key] = f"{item.desired_hash}|{intents.get(item.name, 'absent')}"
    return prints


def _state(items: list[PlanItem], results: list[ItemResult], waiting: bool) -> PatternState:
    kinds = {i.kind for i in items}
    statuses = {r.status for r in results}
    if _K.INVALID in kinds:
        return _S.INVALID
    if _K.SUSPENDED in kinds:
        return _S.SUSPENDED
    if _K.ROLLED_BACK in kinds or ResultStatus.ROLLED_BACK in statuses:
        return _S.ROLLED_BACK
    if _K.ORPHANED in kinds:
        return _S.NO_FILE
    if ResultStatus.FAILED in statuses:
        return _S.FAILED
    if waiting:
        return _S.BACKOFF
    if _K.CONFLICT in kinds:
        return _S.CONFLICT
    if _K.UNMANAGED in kinds:
        return _S.UNMANAGED
    if ResultStatus.SKIPPED in statuses:
        return _S.PENDING
    if _K.DELETE in kinds:
        return _S.DELETED
    if _K.BIN in kinds or _K.BINNED in kinds:
        return _S.BINNED
    if _K.DRIFT in kinds:
        return _S.DRIFTED
    return _S.SYNCED


def _action(result: ItemResult) -> str:
    if result.item.kind == _K.NOOP:
        return "mark refresh"
    return str(result.item.kind)


class CycleTracker:
    """Backoff and status of every object across the daemon's cycles (used from the loop thread only)."""

    def __init__(self, backoff: Backoff[Key] | None = None) -> None:
        self.backoff: Backoff[Key] = backoff if backoff is not None else Backoff()
        self._prints: dict[Key, str] = {}  # fingerprint of each failing object at its failure
        self._waiting: frozenset[Key] = frozenset()
        self._statuses: dict[Key, PatternStatus] = {}
        self._created: set[str] = set()  # patterns whose create the last cycle sent (or refused)
        self._repeats: set[Key] = set()  # patterns whose repeated create this cycle's select refused

    @property
    def repeated_creates(self) -> frozenset[Key]:
        """The patterns whose repeated create the last `select` refused (each a failure of its cycle)."""
        return frozenset(self._repeats)

    @property
    def waiting(self) -> frozenset[Key]:
        """The objects whose writes the last `select` held back."""
        return self._waiting

    def statuses(self) -> dict[Key, PatternStatus]:
        return dict(self._statuses)

    def select(self, plan: Plan, desired: DesiredState, now: float) -> Plan:
        """`plan` without the writes of objects still backing off (their other items stay, for status)."""
        prints = _fingerprints(plan, desired)
        waiting = set()
        for key in self.backoff.waiting(now):
            if self._prints.get(key) == prints.get(key):
                waiting.add(key)
            else:
                log.info("%s %r changed since its failed write; trying again now", *key)
        self._waiting = frozenset(waiting)
        plan = self._refuse_repeated_creates(plan)
        if not waiting:
            return plan
        kept = tuple(i for i in plan.items if not (i.writes and item_key(i) in waiting))
        return replace(plan, items=kept)

    def _refuse_repeated_creates(self, plan: Plan) -> Plan:
        """`plan` with each create of a pattern the last cycle created turned into a refusal (and its
        deployment change dropped): the live list should show that pattern by now, and does not."""
        repeats = {
            item_key(i)
            for i in plan.items
            if i.kind == _K.CREATE and i.resource == Resource.PATTERN and i.name in self._created
        }
        self._repeats = repeats
        if not repeats:
            return plan
        items: list[PlanItem] = []
        for item in plan.items:
            if item_key(item) not in repeats or not item.writes:
                items.append(item)
            elif item.kind == _K.CREATE:
                reason = (
                    f"not created again: the previous cycle created {item.name!r}, but the live list shows "
                    "no pattern of ours by that name (the server may store another name than the one "
                    "sent); check the live patterns, then change the file or restart the daemon"
                )
                log.error("pattern %r: %s", item.name, reason)
                items.append(replace(item, kind=_K.CONFLICT, reason=reason, operation=None))
        return replace(plan, items=tuple(items))

    def record(
        self,
        plan: Plan,
        desired: DesiredState,
        report: ApplyReport | None,
        *,
        now: float,
        wall: float,
        commit: str | None,
    ) -> dict[Key, PatternStatus]:
        """Update backoff and statuses from one cycle's full `plan` and the `report` of what was applied.

        `now` is the monotonic time backoff is counted in, `wall` the Unix time shown to people.
        """
        prints = _fingerprints(plan, desired)
        items: dict[Key, list[PlanItem]] = defaultdict(list)
        for item in plan.items:
            items[item_key(item)].append(item)
        results: dict[Key, list[ItemResult]] = defaultdict(list)
        for result in report.results if report is not None else ():
            results[item_key(result.item)].append(result)

        for key in list(self.backoff):
            if key not in items:  # its file and its live object are gone: nothing left to retry
                self.backoff.forget(key)
                self._prints.pop(key, None)
        for key in self._repeats & results.keys():  # a refused repeated create is that pattern's failure
            results[key] = [replace(r, status=ResultStatus.FAILED) for r in results[key]]
        for key, got in results.items():
            if key not in self._waiting:  # a held-back object's other items say nothing of its writes
                self._outcome(key, got, prints.get(key), now)
        # A create that made a pattern reports its id (a failed one too, when the server made one under
        # another name); one refused before it reached the server (a 4xx) is retried, with backoff.
        made = [r for r in (report.results if report is not None else ()) if r.pattern_id is not None]
        self._created = {
            r.item.name for r in made if r.item.kind == _K.CREATE and r.item.resource == Resource.PATTERN
        } | {key[1] for key in self._repeats}

        statuses: dict[Key, PatternStatus] = {}
        for key, group in items.items():
            statuses[key] = self._status(
                key, items=group, results=results.get(key, []), now=now, wall=wall, commit=commit
            )
        self._statuses = statuses
        return dict(statuses)

    def _outcome(self, key: Key, results: Iterable[ItemResult], fingerprint: str | None, now: float) -> None:
        results = list(results)
        failed = [r for r in results if r.status == ResultStatus.FAILED]
        if failed:
            if key in self.backoff and self._prints.get(key) != (fingerprint or ""):
                self.backoff.forget(key)  # a new desired content: count its failures afresh
            message = "; ".join(f"{r.item.kind}: {r.message}" for r in failed)
            entry = self.backoff.failed(key, now, message)
            self._prints[key] = fingerprint or ""
            log.warning(
                "%s %r failed (%d in a row): %s; next attempt in %.0f s",
                *key,
                entry.failures,
                message,
                entry.delay,
                extra={
                    "event": "write_failed_backoff",
                    "pattern": key[1],
                    "error": message,
                    "duration": entry.delay,
                },
            )
        elif key in self.backoff and not any(r.status == ResultStatus.SKIPPED for r in results):
            # Written successfully, or nothing left to write (fixed live, or the file changed).
            self.backoff.succeeded(key)
            self._prints.pop(key, None)
            log.info("%s %r recovered", *key, extra={"event": "pattern_recovered", "pattern": key[1]})

    def _status(
        self,
        key: Key,
        *,
        items: list[PlanItem],
        results: list[ItemResult],
        now: float,
        wall: float,
        commit: str | None,
    ) -> PatternStatus:
        previous = self._statuses.get(key)
        waiting = key in self._waiting
        state = _state(items, results, waiting)
        written = [r for r in results if r.status == ResultStatus.OK and r.item.writes]
        last_action = previous.last_action if previous is not None else None
        last_action_at = previous.last_action_at if previous is not None else None
        if written:
            last_action = ", ".join(dict.fromkeys(_action(r) for r in written))
            last_action_at = wall
        last_commit = previous.last_commit if previous is not None else None
        if state in (_S.SYNCED, _S.DRIFTED, _S.DELETED, _S.BINNED):
            last_commit = commit
        entry = self.backoff.entry(key)
        last_error = entry.error if entry is not None else None
        if state == _S.INVALID:
            # Why nothing is written for it: the file's first problem (never null for an invalid file).
            last_error = next((f"{i.file}: {i.reason}" for i in items if i.kind == _K.INVALID), last_error)
        if state in _NOTABLE and (previous is None or previous.state != state):
            kind, label = _NOTABLE[state]
            reason = next((i.reason for i in items if i.kind == kind and i.reason), "")
            log.warning(
                "%s %r: %s%s",
                key[0],
                key[1],
                label,
                f" ({reason})" if reason else "",
                extra={"event": f"pattern_{state.value.replace(' ', '_')}", "pattern": key[1]},
            )
        return PatternStatus(
            name=key[1],
            resource=key[0],
            file=next((i.file for i in items if i.file), None),
            state=state,
            last_action=last_action,
            last_action_at=last_action_at,
            last_error=last_error,
            next_retry_at=wall + (entry.next_attempt - now) if entry is not None else None,
            failures=entry.failures if entry is not None else 0,
            last_commit=last_commit,
        )
