"""The watch daemon behind `dragops-sync watch`: reconcile at start, on file changes, and on an interval.

    run_daemon("gitops/", client=client, interval=60, status_addr="127.0.0.1:9099", git_pull=True)

Level-triggered (style.md habit 9, after kopf and gitops-engine): every cycle re-reads the whole
directory and reconciles it with the instance through the same code as `plan` and `apply`
(`cycle.run_cycle` plans, `apply.apply_plan` writes). A file event (`watch.DirectoryWatcher`,
debounced) only asks for a cycle; the interval resync catches live drift and anything an event missed.

* `--git-pull`: each interval cycle first fast-forwards the checkout from its upstream
  (`gitpull.fast_forward`; a diverged checkout or a fetch error is logged and the cycle runs on the
  current checkout). Every cycle logs the commit it reconciled.
* A failed write backs its pattern off (`tracking.CycleTracker`, capped exponential `Backoff`): its
  writes are held back until the retry time while every other pattern proceeds; the daemon wakes up
  for the retry. A cycle that fails as a whole (the API is down) is logged, counted, and the loop goes
  on.
* Stop: `stop_event` (SIGTERM/SIGINT set it; `run_daemon` installs the handlers when it runs on the
  main thread). The writes in flight finish, the rest of the plan is skipped, the status server
  closes, and `run()` returns 0.
* Stateless: the memory cache of the observer and the backoff table are rebuilt at start; durable
  state lives in git and in DRAGOPS.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from dragops_sync.api import Client, DragopsError
from dragops_sync.apply import ApplyReport, ResultStatus, apply_plan
from dragops_sync.backoff import Backoff
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.gitpull import fast_forward, head_commit
from dragops_sync.observe import LiveObserver
from dragops_sync.status_server import DaemonMetrics, DaemonStatus, StatusServer
from dragops_sync.tracking import CycleTracker, Key
from dragops_sync.watch import DEFAULT_DEBOUNCE, DirectoryWatcher

__all__ = ["CycleOutcome", "Daemon", "DaemonSettings", "run_daemon"]

log = logging.getLogger(__name__)

# How often the idle loop looks at the stop event (a file event wakes it at once).
_STOP_POLL = 0.1


@dataclass(frozen=True)
class DaemonSettings:
    """What the daemon does, as plain options (the CLI's flags map onto these).

    `interval`: seconds between resyncs; `status_addr`: HOST:PORT of /healthz, /metrics and /status
    (None: no server); `git_pull`: fast-forward the checkout before each interval cycle; `prune`,
    `force`, `adopt`, `owner`, `concurrency`: as for `apply` (None: from `dragops-sync.yaml`);
    `watch`: react to file events (debounced by `debounce` s); `backoff_initial`/`backoff_max`: the
    wait after a pattern's first failed write, and its cap.
    """

    directory: Path
    interval: float = 60.0
    status_addr: str | None = "127.0.0.1:9099"
    git_pull: bool = False
    prune: bool | None = None
    force: bool = False
    adopt: bool = False
    owner: str | None = None
    concurrency: int | None = None
    watch: bool = True
    debounce: float = DEFAULT_DEBOUNCE
    backoff_initial: float = 10.0
    backoff_max: float = 600.0

    def __post_init__(self) -> None:
        if not Path(self.directory).is_dir():
            raise ValueError(
                f"the sync directory {str(self.directory)!r} does not exist or is not a directory"
            )
        if not (math.isfinite(self.interval) and self.interval > 0):
            raise ValueError(f"interval must be a positive number of seconds, got {self.interval!r}")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if not self.debounce > 0:
            raise ValueError(f"debounce must be a positive number of seconds, got {self.debounce!r}")
        if not 0 < self.backoff_initial <= self.backoff_max:
            raise ValueError("backoff_initial must be positive and at most backoff_max")


@dataclass(frozen=True)
class CycleOutcome:
    """One daemon cycle: its result (ok, partial, blocked, error), the commit, and what it did."""

    number: int
    trigger: str
    result: str
    commit: str | None
    duration: float
    cycle: CycleResult | None = None
    report: ApplyReport | None = None
    held_back: frozenset[Key] = frozenset()
    error: str | None = None


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(not a git checkout)"


def _wrote(outcome: CycleOutcome) -> bool:
    report = outcome.report
    return report is not None and any(r.status == ResultStatus.OK and r.item.writes for r in report.results)


def _summary(report: ApplyReport | None) -> dict[str, int]:
    if report is None:
        return {}
    return {str(status): report.count(status) for status in ResultStatus}


class Daemon:
    """The reconcile loop; `run()` blocks until the stop event is set, then returns 0.

    Binds the status server in the constructor (a busy port fails before anything runs); `status_url`
    is its address. `on_cycle` is called after every cycle (tests, progress).
    """

    def __init__(
        self,
        settings: DaemonSettings,
        *,
        client: Client,
        stop_event: threading.Event | None = None,
        env: Mapping[str, str] | None = None,
        on_cycle: Callable[[CycleOutcome], None] | None = None,
    ) -> None:
        self.settings = settings
        self.directory = Path(settings.directory).resolve()
        self.client = client
        self.stop_event = stop_event if stop_event is not None else threading.Event()
        self.env = env
        self.on_cycle = on_cycle
        self.requested = threading.Event()
        self.observer = LiveObserver(client, concurrency=settings.concurrency or 8)
        backoff: Backoff[Key] = Backoff(initial=settings.backoff_initial, maximum=settings.backoff_max)
        self.tracker = CycleTracker(backoff)
        self.metrics = DaemonMetrics()
        self.status = DaemonStatus(directory=str(self.directory), interval=settings.interval)
        self.cycles = 0
        self.last: CycleOutcome | None = None
        self._last_started = -math.inf
        self._server = (
            StatusServer(settings.status_addr, status=self.status, metrics=self.metrics)
            if settings.status_addr
            else None
        )

    @property
    def status_url(self) -> str | None:
        return self._server.url if self._server is not None else None

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Reconcile until stopped; always returns 0 (a failing cycle is logged, not fatal)."""
        watcher = None
        if self.settings.watch:
            watcher = DirectoryWatcher(self.directory, self.requested, debounce=self.settings.debounce)
            watcher.start()
        if self._server is not None:
            self._server.start()
            log.info("status endpoints on %s (/healthz, /metrics, /status)", self._server.url)
        log.info(
            "watching %s: resync every %g s%s%s",
            self.directory,
            self.settings.interval,
            ", following the upstream branch (--git-pull)" if self.settings.git_pull else "",
            ", file events on" if watcher is not None else "",
        )
        try:
            trigger = "start"
            next_resync = time.monotonic()
            while not self.stop_event.is_set():
                if trigger in ("start", "interval"):
                    next_resync = time.monotonic() + self.settings.interval
                pull = self.settings.git_pull and trigger in ("start", "interval")
                outcome = self.run_once(trigger=trigger, pull=pull)
                if trigger != "follow-up" and _wrote(outcome) and not self.stop_event.is_set():
                    # What a cycle wrote can unblock more (a reference by name to a pattern it just
                    # created resolves only now): one more cycle at once converges, as `apply`'s second
                    # round does. Only one, so a write that never converges cannot spin the loop.
                    trigger = "follow-up"
                    continue
                trigger = self._wait(next_resync)
        finally:
            if watcher is not None:
                watcher.stop()
            if self._server is not None:
                self._server.stop()
        log.info("stopped after %d cycle(s)", self.cycles)
        return 0

    def close(self) -> None:
        """Release the status server's socket when `run()` was never called."""
        if self._server is not None:
            self._server.stop()

    def _next_retry(self) -> float | None:
        # Only retry times after the last cycle's start: one that was due then was handled then (or
        # held back by a blocked plan, which must not spin the loop).
        times = [
            entry.next_attempt
            for key in self.tracker.backoff
            if (entry := self.tracker.backoff.entry(key)) is not None
            and entry.next_attempt > self._last_started
        ]
        return min(times, default=None)

    def _wait(self, next_resync: float) -> str:
        """Sleep until a stop, a file event, the next resync or a backoff retry; say which."""
        while True:
            if self.stop_event.is_set():
                return "stop"
            if self.requested.is_set():
                self.requested.clear()
                return "files"
            now = time.monotonic()
            if now >= next_resync:
                return "interval"
            retry = self._next_retry()
            if retry is not None and now >= retry:
                return "retry"
            until = min(next_resync, retry if retry is not None else math.inf)
            self.requested.wait(min(until - now, _STOP_POLL))

    # -- one cycle --------------------------------------------------------------------------------

    def run_once(self, *, trigger: str = "manual", pull: bool = False) -> CycleOutcome:
        """One reconcile cycle (with a fast-forward first when `pull`); never raises a cycle's failure."""
        self.cycles += 1
        number = self.cycles
        started_wall, started = time.time(), time.monotonic()
        self._last_started = started
        self.status.cycle_started()
        if pull:
            self._pull()
        commit = head_commit(self.directory)
        log.info("cycle %d (%s): reconciling commit %s", number, trigger, _short(commit))
        try:
            planned = run_cycle(
                self.client,
                self.directory,
                observer=self.observer,
                owner=self.settings.owner,
                prune=self.settings.prune,
                force=self.settings.force,
                adopt=self.settings.adopt,
                dry_run=True,
                env=self.env,
            )
            selected = self.tracker.select(planned.plan, planned.desired, started)
            report = apply_plan(
                self.client,
                selected,
                planned.desired,
                concurrency=self.settings.concurrency or planned.desired.options.concurrency,
                observer=self.observer,
                stop_event=self.stop_event,
                env=self.env,
            )
        except Exception as exc:  # a failed cycle is logged and the loop goes on (habit 9)
            return self._failed(
                number, trigger, commit=commit, started_wall=started_wall, started=started, exc=exc
            )

        statuses = self.tracker.record(
            planned.plan, planned.desired, report, now=time.monotonic(), wall=time.time(), commit=commit
        )
        duration = time.monotonic() - started
        failures = report.count(ResultStatus.FAILED)
        result = "blocked" if report.blocked else "partial" if failures else "ok"
        plan = planned.plan
        self.metrics.record_cycle(
            result=result,
            duration=duration,
            finished_at=time.time(),
            item_failures=failures,
            drifted=sum(1 for s in statuses.values() if s.state == "drifted"),
            conflicts=sum(1 for s in statuses.values() if s.state == "conflict"),
        )
        notes = tuple(e.message for e in plan.errors) + tuple(r.message for r in plan.refusals) + plan.notes
        self.status.cycle_finished(
            result=result,
            started_at=started_wall,
            duration=duration,
            commit=commit,
            patterns=statuses.values(),
            summary=_summary(report),
            notes=notes,
            owner=planned.owner,
        )
        for message in (e.message for e in plan.errors):
            log.error("cycle %d: nothing written: %s", number, message)
        for refusal in plan.refusals:
            log.warning("cycle %d: %s", number, refusal.message)
        for result_item in report.results:
            if result_item.status == ResultStatus.OK and result_item.item.writes:
                item = result_item.item
                log.info("%s %s %r: %s", item.kind, item.resource, item.name, result_item.message)
        held = self.tracker.waiting
        log.info(
            "cycle %d done (%s) at %s in %.2f s: %d written, %d failed, %d held back, %d skipped",
            number,
            result,
            _short(commit),
            duration,
            report.count(ResultStatus.OK),
            failures,
            len(held),
            report.count(ResultStatus.SKIPPED),
        )
        outcome = CycleOutcome(number, trigger, result, commit, duration, planned, report, held)
        return self._finish(outcome)

    def _pull(self) -> None:
        pulled = fast_forward(self.directory)
        if not pulled.ok:
            log.warning("git pull skipped, reconciling the current checkout: %s", pulled.reason)
        elif pulled.moved:
            log.info("git pull: fast-forwarded %s -> %s", _short(pulled.before), _short(pulled.after))

    def _failed(
        self,
        number: int,
        trigger: str,
        *,
        commit: str | None,
        started_wall: float,
        started: float,
        exc: Exception,
    ) -> CycleOutcome:
        duration = time.monotonic() - started
        message = str(exc) or type(exc).__name__
        if isinstance(exc, DragopsError):
            log.error("cycle %d failed, will try again: %s", number, message)
        else:  # not an API problem: a bug or an environment problem, so keep the traceback
            log.exception("cycle %d failed unexpectedly, will try again: %s", number, message)
        self.metrics.record_cycle(result="error", duration=duration, finished_at=time.time())
        self.status.cycle_finished(
            result="error", started_at=started_wall, duration=duration, commit=commit, error=message
        )
        return self._finish(CycleOutcome(number, trigger, "error", commit, duration, error=message))

    def _finish(self, outcome: CycleOutcome) -> CycleOutcome:
        self.last = outcome
        if self.on_cycle is not None:
            self.on_cycle(outcome)
        return outcome


def _install_signal_handlers(stop_event: threading.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT set `stop_event`; returns a function restoring the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be installed from the main thread

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop_event.is_set():
            log.info("received %s again; still finishing the writes in flight", name)
        else:
            log.info("received %s: finishing the writes in flight, then stopping", name)
        stop_event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def run_daemon(
    directory: str | Path,
    *,
    client: Client | None = None,
    client_factory: Callable[[], Client] | None = None,
    interval: float = 60.0,
    status_addr: str | None = "127.0.0.1:9099",
    git_pull: bool = False,
    prune: bool | None = None,
    force: bool = False,
    adopt: bool = False,
    owner: str | None = None,
    concurrency: int | None = None,
    watch: bool = True,
    debounce: float = DEFAULT_DEBOUNCE,
    backoff_initial: float = 10.0,
    backoff_max: float = 600.0,
    stop_event: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    handle_signals: bool = True,
    on_cycle: Callable[[CycleOutcome], None] | None = None,
) -> int:
    """Run the watch daemon on `directory` until stopped; return the exit code (0).

    Give a ready `client` (left open) or a `client_factory` (its client is closed at the end).
    With `handle_signals` (and on the main thread), SIGTERM and SIGINT stop the daemon cleanly.
    Raises `ValueError` for bad options and `OSError` when the status address cannot be bound.
    """
    if (client is None) == (client_factory is None):
        raise ValueError("pass exactly one of client= or client_factory=")
    settings = DaemonSettings(
        directory=Path(directory),
        interval=interval,
        status_addr=status_addr,
        git_pull=git_pull,
        prune=prune,
        force=force,
        adopt=adopt,
        owner=owner,
        concurrency=concurrency,
        watch=watch,
        debounce=debounce,
        backoff_initial=backoff_initial,
        backoff_max=backoff_max,
    )
    if not logging.getLogger().handlers:
        # A daemon's log is its output: without a configured handler, its INFO lines (the commit of
        # each cycle, each write) would vanish. Whoever configured logging already keeps control.
        # Libraries (httpx logs every request at INFO) stay at WARNING.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("dragops_sync").setLevel(logging.INFO)
    stop = stop_event if stop_event is not None else threading.Event()
    own = client is None
    active = client if client is not None else client_factory()  # type: ignore[misc]
    restore = _install_signal_handlers(stop) if handle_signals else (lambda: None)
    try:
        daemon = Daemon(settings, client=active, stop_event=stop, env=env, on_cycle=on_cycle)
        return daemon.run()
    finally:
        restore()
        if own:
            active.close()
