"""One cycle of the watch daemon: plan, hold back what is backing off, apply, and record the outcome.

`Reconciler.run()` is what the daemon's loop calls on every trigger (start, file event, interval,
backoff retry, follow-up). It reconciles through `cycle.run_cycle`, the code path of `dragops-sync
apply`, whose `select` hook drops the writes of patterns still backing off (`tracking.CycleTracker`);
the stop event lets the writes in flight finish and skips the others. It then updates the backoff
table, the per-pattern status and the metrics, and logs what it did and the commit it reconciled.
With `pull`, it first fast-forwards the checkout (`gitpull.fast_forward`).

A cycle that fails as a whole (the API is down, the token is refused) never raises: it is logged,
counted as `error`, every pattern's state becomes `unknown` in `/status` (the instance could not be
read), and the loop goes on; a refused authentication also makes `/readyz` fail until a cycle succeeds.
Each cycle starts a new budget for waiting out the server's rate limits (`Client.rate_limit_wait`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dragops_sync.api import AuthenticationError, Client, DragopsError
from dragops_sync.apply import ApplyOptions, ApplyReport, ResultStatus
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.daemon_http import Blocker, DaemonMetrics, DaemonStatus
from dragops_sync.files import PatternFileCache
from dragops_sync.gitpull import fast_forward, has_uncommitted_changes, head_commit
from dragops_sync.notify import Problem
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import ActionKind, PlanOptions
from dragops_sync.states import PatternState, ReconcileResult, Trigger
from dragops_sync.tracking import CycleTracker, Key

__all__ = ["CycleOutcome", "Reconciler", "blockers_of", "problems_of", "short_commit"]

log = logging.getLogger("dragops_sync.daemon")


@dataclass(frozen=True)
class CycleOutcome:
    """One daemon cycle: its result (ok, partial, blocked, error), the commit, and what it did.

    `cycle` is the plan side (desired state, observation, full plan); `report` what was applied;
    `held_back` the patterns whose writes waited for their backoff.
    """

    number: int
    trigger: Trigger
    result: ReconcileResult
    commit: str | None
    duration: float
    cycle: CycleResult | None = None
    report: ApplyReport | None = None
    held_back: frozenset[Key] = frozenset()
    error: str | None = None

    @property
    def wrote(self) -> bool:
        """Whether any write of this cycle succeeded."""
        report = self.report
        return report is not None and any(
            r.status == ResultStatus.OK and r.item.writes for r in report.results
        )


# Plan item kinds that keep git from being live (drift is the user's choice: observe/warn).
_BLOCKING_KINDS = {
    ActionKind.ORPHANED: "orphaned",
    ActionKind.CONFLICT: "conflict",
    ActionKind.UNMANAGED: "unmanaged",
    ActionKind.ROLLED_BACK: "rolled_back",
}


def blockers_of(planned: CycleResult, report: ApplyReport) -> list[Blocker]:
    """What keeps git from being live after a cycle: invalid files (with their errors), orphaned,
    conflicting, unmanaged or rolled-back patterns, refused prunes, a blocked plan, failed writes."""
    plan = planned.plan
    found = [Blocker("invalid", str(issue), file=issue.file) for issue in plan.issues]
    found += [Blocker("blocked", error.message) for error in plan.errors]
    found += [Blocker("prune_refused", refusal.message) for refusal in plan.refusals]
    found += [
        Blocker(kind, item.reason, pattern=item.name, file=item.file)
        for item in plan.items
        if (kind := _BLOCKING_KINDS.get(item.kind)) is not None
    ]
    found += [
        Blocker(str(r.status), r.message, pattern=r.item.name, file=r.item.file)
        for r in report.results
        if r.status in (ResultStatus.FAILED, ResultStatus.ROLLED_BACK)
    ]
    return found


# The notification event of each kind of blocker (notify.py); the others are not announced.
_NOTIFIED = {
    "failed": "failed",
    "rolled_back": "failed",
    "conflict": "conflict",
    "invalid": "invalid",
    "prune_refused": "prune_refused",
}


def problems_of(planned: CycleResult, report: ApplyReport | None) -> list[Problem]:
    """What a cycle (or an apply) has to tell people: its blockers that notifications announce, the
    patterns drifting in observe/warn mode, and a freeze window written through (--ignore-freeze)."""
    blockers = blockers_of(planned, report) if report is not None else []
    found = [
        Problem(_NOTIFIED[b.kind], b.message, pattern=b.pattern, file=b.file)
        for b in blockers
        if b.kind in _NOTIFIED
    ]
    found += [
        Problem("drift", item.reason, pattern=item.name, file=item.file)
        for item in planned.plan.items
        if item.kind == ActionKind.DRIFT
    ]
    if planned.freeze_ignored is not None:
        found.append(Problem("freeze_ignored", planned.freeze_ignored))
    return found


def short_commit(commit: str | None) -> str:
    return commit[:12] if commit else "(not a git checkout)"


class Reconciler:
    """Runs daemon cycles against one directory, sharing the daemon's cache, backoff, status and metrics."""

    def __init__(
        self,
        directory: Path,
        *,
        client: Client,
        planning: PlanOptions,
        applying: ApplyOptions,
        observer: LiveObserver,
        tracker: CycleTracker,
        status: DaemonStatus,
        metrics: DaemonMetrics,
        stop_event: threading.Event,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.client = client
        self.planning = planning  # the options of every cycle, as for `apply`
        self.applying = applying
        self.observer = observer
        self.tracker = tracker
        self.status = status
        self.metrics = metrics
        self.stop_event = stop_event
        self.env = env
        self.last_started = float("-inf")  # monotonic start of the last cycle
        self.files = PatternFileCache()  # an unchanged file is not parsed again by the next cycle

    def run(self, number: int, trigger: Trigger, *, pull: bool = False) -> CycleOutcome:
        """Cycle number `number`, started by `trigger`; never raises a cycle's failure."""
        started_wall, started = time.time(), time.monotonic()
        self.last_started = started
        self.status.cycle_started()
        if self.client.rate_limit_wait is not None:
            self.client.rate_limit_wait.reset()  # each cycle is a run with its own budget for 429s
        if pull:
            self._pull()
        commit = head_commit(self.directory)
        edits = " plus uncommitted changes" if commit and has_uncommitted_changes(self.directory) else ""
        log.info(
            "cycle %d (%s): reconciling commit %s%s",
            number,
            trigger,
            short_commit(commit),
            edits,
            extra={"event": "cycle_started", "cycle": number, "trigger": str(trigger), "commit": commit},
        )
        try:
            planned = run_cycle(
                self.client,
                self.directory,
                observer=self.observer,
                planning=self.planning,
                applying=self.applying,
                stop_event=self.stop_event,
                env=self.env,
                select=lambda plan, desired: self.tracker.select(plan, desired, started),
                files=self.files,
            )
        except Exception as exc:  # a failed cycle is logged and the loop goes on (level-triggered)
            duration = time.monotonic() - started
            return self._failed(
                number, trigger, commit=commit, started_wall=started_wall, duration=duration, exc=exc
            )
        report = planned.report
        assert report is not None  # not a dry run
        statuses = self.tracker.record(
            planned.plan, planned.desired, report, now=time.monotonic(), wall=time.time(), commit=commit
        )
        duration = time.monotonic() - started
        failures = (
            report.count(ResultStatus.FAILED)
            + report.count(ResultStatus.ROLLED_BACK)
            + len(self.tracker.repeated_creates)
        )
        blockers = blockers_of(planned, report) + [
            Blocker("backoff", f"held back until its retry: {entry.error}", pattern=name)
            for _, name in sorted(self.tracker.waiting)
            if (entry := self.tracker.backoff.entry(("pattern", name))) is not None
        ]
        result = (
            ReconcileResult.BLOCKED
            if report.blocked
            else ReconcileResult.PARTIAL
            if failures
            else ReconcileResult.DEGRADED
            if blockers or self.status.git_failing()
            else ReconcileResult.OK
        )
        self.metrics.record_cycle(
            result=result,
            duration=duration,
            finished_at=time.time(),
            item_failures=failures,
            drifted=sum(1 for s in statuses.values() if s.state == PatternState.DRIFTED),
            conflicts=sum(1 for s in statuses.values() if s.state == PatternState.CONFLICT),
        )
        self.metrics.invalid_files.set(len({issue.file for issue in planned.plan.issues}))
        self.metrics.orphaned.set(sum(1 for i in planned.plan.items if i.kind == ActionKind.ORPHANED))
        plan = planned.plan
        notes = tuple(e.message for e in plan.errors) + tuple(r.message for r in plan.refusals) + plan.notes
        self.status.cycle_finished(
            result=result,
            started_at=started_wall,
            duration=duration,
            commit=commit,
            patterns=statuses.values(),
            summary={str(status): report.count(status) for status in ResultStatus},
            notes=notes,
            owner=planned.owner,
            blockers=blockers,
        )
        outcome = CycleOutcome(
            number, trigger, result, commit, duration, planned, report, self.tracker.waiting
        )
        self._log(outcome, planned, report)
        return outcome

    def _log(self, outcome: CycleOutcome, planned: CycleResult, report: ApplyReport) -> None:
        number = outcome.number
        for error in planned.plan.errors:
            log.error(
                "cycle %d: nothing written: %s",
                number,
                error.message,
                extra={"event": "plan_blocked", "cycle": number, "error": error.message},
            )
        for refusal in planned.plan.refusals:
            log.warning("cycle %d: %s", number, refusal.message)
        for done in report.results:
            if done.status == ResultStatus.OK and done.item.writes:
                item = done.item
                log.info(
                    "%s %s %r: %s",
                    item.kind,
                    item.resource,
                    item.name,
                    done.message,
                    extra={
                        "event": "item_written",
                        "cycle": number,
                        "pattern": item.name,
                        "file": item.file,
                        "action": f"{item.kind} {item.resource}",
                    },
                )
        log.info(
            "cycle %d done (%s) at %s in %.2f s: %d written, %d failed, %d held back, %d skipped",
            number,
            outcome.result,
            short_commit(outcome.commit),
            outcome.duration,
            report.count(ResultStatus.OK),
            report.count(ResultStatus.FAILED),
            len(outcome.held_back),
            report.count(ResultStatus.SKIPPED),
            extra={
                "event": "cycle_done",
                "cycle": number,
                "result": str(outcome.result),
                "commit": outcome.commit,
                "duration": outcome.duration,
                "owner": planned.owner,
            },
        )

    def _pull(self) -> None:
        pulled = fast_forward(self.directory)
        self.status.git_problem(None if pulled.ok else pulled.reason)
        self.metrics.record_git(ok=pulled.ok, at=time.time(), behind=pulled.behind)
        if not pulled.ok:
            log.warning(
                "git pull skipped, reconciling the current checkout: %s",
                pulled.reason,
                extra={"event": "git_pull_failed", "error": pulled.reason, "commit": pulled.before},
            )
        elif pulled.moved:
            before, after = short_commit(pulled.before), short_commit(pulled.after)
            log.info("git pull: fast-forwarded %s -> %s", before, after)

    def _failed(
        self,
        number: int,
        trigger: Trigger,
        *,
        commit: str | None,
        started_wall: float,
        duration: float,
        exc: Exception,
    ) -> CycleOutcome:
        message = str(exc) or type(exc).__name__
        # Refused credentials do not heal by trying again (a token that can no longer be refreshed, a
        # changed password): the daemon is not ready until someone fixes them.
        authentication = isinstance(exc, AuthenticationError)
        if isinstance(exc, DragopsError):
            log.error(
                "cycle %d failed, will try again: %s",
                number,
                message,
                extra={"event": "cycle_failed", "cycle": number, "commit": commit, "error": message},
            )
        else:  # not an API problem: a bug or an environment problem, so keep the traceback
            log.exception("cycle %d failed unexpectedly, will try again: %s", number, message)
        error = ReconcileResult.ERROR
        self.metrics.record_cycle(result=error, duration=duration, finished_at=time.time())
        self.status.cycle_finished(
            result=error,
            started_at=started_wall,
            duration=duration,
            commit=commit,
            error=message,
            authentication_failed=authentication,
        )
        return CycleOutcome(number, trigger, error, commit, duration, error=message)
