"""The watch daemon behind `dragops-sync watch`: reconcile at start, on file changes, and on an interval.

    run_daemon("gitops/", client=client, interval=60, status_addr="127.0.0.1:9099", git_pull=True)

Level-triggered (style.md habit 9, after kopf and gitops-engine): every cycle re-reads the whole
directory and reconciles it with the instance through the same code as `plan` and `apply`
(`reconciler.Reconciler`: `cycle.run_cycle` plans, `apply.apply_plan` writes). A file event
(`watch.DirectoryWatcher`, debounced) only asks for a cycle; the interval resync catches live drift
and anything an event missed. A cycle that wrote anything is followed by one more at once, so what
its writes unblock (references by name to what it created) converges without waiting.

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

from dragops_sync.api import Client
from dragops_sync.backoff import Backoff
from dragops_sync.daemon_http import DaemonMetrics, DaemonStatus, StatusServer
from dragops_sync.observe import LiveObserver
from dragops_sync.reconciler import CycleOutcome, ReconcileOptions, Reconciler
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
    (None: no server); `git_pull`: fast-forward the checkout before the first and each interval
    cycle; `prune`, `force`, `adopt`, `owner`, `concurrency`: as for `apply` (None: from `dragops-sync.yaml`);
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
        options = ReconcileOptions(
            owner=settings.owner,
            prune=settings.prune,
            force=settings.force,
            adopt=settings.adopt,
            concurrency=settings.concurrency,
        )
        self.reconciler = Reconciler(
            self.directory,
            client=client,
            options=options,
            observer=self.observer,
            tracker=self.tracker,
            status=self.status,
            metrics=self.metrics,
            stop_event=self.stop_event,
            env=env,
        )
        self.cycles = 0
        self.last: CycleOutcome | None = None
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
                if trigger != "follow-up" and outcome.wrote and not self.stop_event.is_set():
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
            and entry.next_attempt > self.reconciler.last_started
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
        return self._finish(self.reconciler.run(self.cycles, trigger, pull=pull))

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
