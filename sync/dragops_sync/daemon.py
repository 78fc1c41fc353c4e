"""The watch daemon behind `dragops-sync watch`: reconcile at start, on file changes, and on an interval.

    run_daemon("gitops/", client=client, interval=60, status_addr="127.0.0.1:9099", git_pull=True)
    run_daemon(DaemonSettings(Path("gitops"), planning=PlanOptions(prune=True)), client=client)

Level-triggered (after kopf and gitops-engine): every cycle re-reads the whole
directory and reconciles it with the instance through the same code as `plan` and `apply`
(`reconciler.Reconciler`: `cycle.run_cycle` plans, `apply.apply_plan` writes). A file event
(`watch.DirectoryWatcher`, debounced) only asks for a cycle; the interval resync catches live drift
and anything an event missed. A cycle that wrote anything is followed by one more at once, so what
its writes unblock (references by name to what it created) converges without waiting.

* `--git-pull`: each interval cycle first fast-forwards the checkout from its upstream
  (`gitpull.fast_forward`; a diverged checkout or a fetch error is logged and the cycle runs on the
  current checkout). Every cycle logs the commit it reconciled.
* `--repo URL`: the daemon follows a remote repository through its own clone (`source.GitSource`,
  in `settings.source`, prepared before the daemon starts): each `start`, `interval` and `push`
  cycle (`GitSource.request_fetch`, for a push webhook) first fetches and resets the clone to the
  remote branch; a failed fetch is logged and the cycle reconciles the last commit fetched.
* A failed write backs its pattern off (`tracking.CycleTracker`, capped exponential `Backoff`): its
  writes are held back until the retry time while every other pattern proceeds; the daemon wakes up
  for the retry. A cycle that fails as a whole (the API is down) is logged, counted, and retried with
  the same capped backoff (never later than the next resync), so the daemon catches up soon after the
  API answers again instead of a whole interval later.
* Stop: `stop_event` (SIGTERM/SIGINT set it; `run_daemon` installs the handlers when it runs on the
  main thread). The writes in flight finish, the rest of the plan is skipped, the status server
  closes, and `run()` returns 0.
* Stateless: the memory cache of the observer and the backoff table are rebuilt at start; durable
  state lives in git and in DRAGOPS.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TypedDict, Unpack

from prometheus_client import Gauge

from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions, ResultStatus
from dragops_sync.backoff import Backoff
from dragops_sync.daemon_http import DaemonMetrics, DaemonStatus, StatusServer
from dragops_sync.dashboard import Dashboard
from dragops_sync.directory import notification_targets
from dragops_sync.gitpull import current_branch
from dragops_sync.live_cache import LiveCache
from dragops_sync.logs import logs_configured
from dragops_sync.notify import Notifier
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import PlanOptions
from dragops_sync.push_hooks import PushHooks
from dragops_sync.reconciler import CycleOutcome, Reconciler, problems_of
from dragops_sync.source import GitSource
from dragops_sync.states import ReconcileResult, Trigger
from dragops_sync.tracking import CycleTracker, Key
from dragops_sync.watch import DEFAULT_DEBOUNCE, DirectoryWatcher

__all__ = ["CycleOutcome", "Daemon", "DaemonOptions", "DaemonSettings", "ensure_logging", "run_daemon"]

log = logging.getLogger(__name__)

# How often the idle loop looks at the stop event (a file event wakes it at once).
_STOP_POLL = 0.1

# Cycles that first bring the checkout up to date: --git-pull fast-forwards, --repo fetches.
_PULL_TRIGGERS = frozenset({Trigger.START, Trigger.INTERVAL, Trigger.SYNC_NOW, Trigger.PUSH})
_FETCH_TRIGGERS = frozenset({Trigger.START, Trigger.INTERVAL, Trigger.PUSH, Trigger.SYNC_NOW})

# The key of the whole cycle in `Daemon.cycle_backoff`.
_CYCLE = "cycle"


class DaemonOptions(TypedDict, total=False):
    """The flat keywords `run_daemon` (and `DaemonSettings.of`) accept besides a settings object."""

    interval: float
    status_addr: str | None
    git_pull: bool
    owner: str | None
    prune: bool | None
    force: bool
    adopt: bool
    concurrency: int | None
    watch: bool
    debounce: float
    backoff_initial: float
    backoff_max: float
    ui_token: str | None
    webhook_secret: str | None
    environment: str | None
    cache_dir: Path | None


@dataclass(frozen=True)
class DaemonSettings:
    """What the daemon does (the CLI's flags map onto these).

    `interval`: seconds between resyncs; `status_addr`: HOST:PORT of /healthz, /metrics and /status
    (None: no server); `git_pull`: fast-forward the checkout before the first and each interval
    cycle; `planning` and `applying`: the options of every cycle's plan and apply, as for `apply`
    (held whole and passed on whole; their None fields come from `dragops-sync.yaml`); `watch`: react
    to file events (debounced by `debounce` s); `backoff_initial`/`backoff_max`: the wait after a
    pattern's first failed write, and its cap. `source`: the remote repository followed (`--repo`),
    already prepared, whose sync directory is `directory`; file events are off with it (only its
    fetches change the checkout). `ui_token`: enables "Sync now" on the dashboard for requests that
    carry it (None: the dashboard is read-only; never shown in a repr). `webhook_secret`: turns on
    the push webhooks (`push_hooks`; None: off; never shown in a repr). `cache_dir`: where the live
    patterns' essences are cached on disk (`live_cache`), so a restarted daemon's first cycle reads
    only what changed; None: memory only.
    """

    directory: Path
    interval: float = 60.0
    status_addr: str | None = "127.0.0.1:9099"
    git_pull: bool = False
    planning: PlanOptions = field(default_factory=PlanOptions)
    applying: ApplyOptions = field(default_factory=ApplyOptions)
    watch: bool = True
    debounce: float = DEFAULT_DEBOUNCE
    backoff_initial: float = 10.0
    backoff_max: float = 600.0
    source: GitSource | None = None
    ui_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if not Path(self.directory).is_dir():
            raise ValueError(
                f"the sync directory {str(self.directory)!r} does not exist or is not a directory"
            )
        if not (math.isfinite(self.interval) and self.interval > 0):
            raise ValueError(f"interval must be a positive number of seconds, got {self.interval!r}")
        concurrency = self.applying.concurrency
        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if not self.debounce > 0:
            raise ValueError(f"debounce must be a positive number of seconds, got {self.debounce!r}")
        if not 0 < self.backoff_initial <= self.backoff_max:
            raise ValueError("backoff_initial must be positive and at most backoff_max")

    @classmethod
    def of(cls, directory: str | Path, **options: Unpack[DaemonOptions]) -> DaemonSettings:
        """The settings from the flat keywords of `run_daemon` (docs/watch-daemon.md, "Embedding"):
        `owner`, `prune`, `force`, `adopt` and `environment` go into `planning`, `concurrency` into
        `applying`.

        Raises `TypeError` for a keyword that is none of these (a typo never passes silently).
        """
        known = set(DaemonOptions.__annotations__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown daemon option(s): {', '.join(unknown)}")
        planning = PlanOptions(
            owner=options.pop("owner", None),
            prune=options.pop("prune", None),
            force=options.pop("force", False),
            adopt=options.pop("adopt", False),
            environment=options.pop("environment", None),
        )
        applying = ApplyOptions(concurrency=options.pop("concurrency", None))
        # What is left are DaemonSettings' own fields (interval, status_addr, ...).
        return cls(Path(directory), planning=planning, applying=applying, **options)  # type: ignore[misc]


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
        self._sync_now = threading.Event()  # "Sync now" pressed: the next wake-up is its cycle
        self._push = threading.Event()  # a push webhook, without --repo: the next wake-up pulls
        cache = LiveCache(settings.cache_dir, client.settings.instance_url) if settings.cache_dir else None
        self.observer = LiveObserver(client, concurrency=settings.applying.concurrency or 8, cache=cache)
        backoff: Backoff[Key] = Backoff(initial=settings.backoff_initial, maximum=settings.backoff_max)
        self.tracker = CycleTracker(backoff)
        # A cycle that failed as a whole (the API is down) is retried on this backoff, not the interval.
        self.cycle_backoff: Backoff[str] = Backoff(
            initial=settings.backoff_initial, maximum=settings.backoff_max
        )
        self.metrics = DaemonMetrics()
        if settings.planning.environment is not None:
            # Which environment this daemon serves, as dashboards join it onto the other series.
            Gauge(
                "dragops_sync_environment_info",
                "The environment (--env) this daemon reconciles; always 1.",
                ["environment"],
                registry=self.metrics.registry,
            ).labels(environment=settings.planning.environment).set(1)
        self.status = DaemonStatus(
            directory=str(self.directory),
            interval=settings.interval,
            environment=settings.planning.environment,
        )
        self.reconciler = Reconciler(
            self.directory,
            client=client,
            planning=settings.planning,
            applying=settings.applying,
            observer=self.observer,
            tracker=self.tracker,
            status=self.status,
            metrics=self.metrics,
            stop_event=self.stop_event,
            env=env,
        )
        self.cycles = 0
        self.last: CycleOutcome | None = None
        if settings.source is not None:
            self._follow(settings.source)
        self.dashboard = Dashboard(self.status, token=settings.ui_token, sync_now=self.request_sync)
        self.notifier = Notifier(
            notification_targets(self.directory),
            env=os.environ if env is None else env,
            context={"environment": settings.planning.environment},
        )
        source = settings.source
        branch = source.repo.branch if source is not None else current_branch(self.directory)
        self.push_hooks = PushHooks(secret=settings.webhook_secret, branch=branch, on_push=self.request_push)
        self.push_hooks.register_metrics(self.metrics.registry)
        self._server = (
            StatusServer(
                settings.status_addr,
                status=self.status,
                metrics=self.metrics,
                pages=(self.push_hooks, self.dashboard),
            )
            if settings.status_addr
            else None
        )

    def _follow(self, source: GitSource) -> None:
        # The remote source: a push webhook's request wakes the loop; /status, /healthz and /metrics see it.
        source.on_request = self.requested.set
        self.status.source = source
        source.register_metrics(self.metrics.registry)

    def request_push(self) -> None:
        """A verified push webhook: fetch (`--repo`) or fast-forward (`--git-pull`), then a cycle, at
        once; coalesced with one already due."""
        if self.settings.source is not None:
            self.settings.source.request_fetch()  # wakes the loop through its on_request
            return
        self._push.set()
        self.requested.set()

    def request_sync(self) -> None:
        """Ask for a cycle now (the dashboard's "Sync now"); coalesced with one already due."""
        self._sync_now.set()
        self.requested.set()

    @property
    def status_url(self) -> str | None:
        return self._server.url if self._server is not None else None

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Reconcile until stopped; always returns 0 (a failing cycle is logged, not fatal)."""
        watcher = None
        source = self.settings.source
        if self.settings.watch and source is None:
            watcher = DirectoryWatcher(self.directory, self.requested, debounce=self.settings.debounce)
            watcher.start()
        if self._server is not None:
            self._server.start()
            log.info(
                "status endpoints on %s (/healthz, /readyz, /metrics, /status; the dashboard at /%s)",
                self._server.url,
                "" if self.dashboard.sync_enabled else ", read-only: no DRAGOPS_SYNC_UI_TOKEN",
            )
        log.info(
            "watching %s%s: resync every %g s%s%s",
            self.directory,
            f" ({source.repo.display}, branch {source.repo.branch})" if source is not None else "",
            self.settings.interval,
            ", following the upstream branch (--git-pull)" if self.settings.git_pull else "",
            ", file events on" if watcher is not None else "",
        )
        try:
            trigger: Trigger | None = Trigger.START
            next_resync = time.monotonic()
            while trigger is not None and not self.stop_event.is_set():
                if trigger in (Trigger.START, Trigger.INTERVAL):
                    next_resync = time.monotonic() + self.settings.interval
                pull = self.settings.git_pull and trigger in _PULL_TRIGGERS
                fetch = trigger in _FETCH_TRIGGERS
                outcome = self.run_once(trigger=trigger, pull=pull, fetch=fetch)
                if trigger != Trigger.FOLLOW_UP and outcome.wrote and not self.stop_event.is_set():
                    # What a cycle wrote can unblock more (a reference by name to a pattern it just
                    # created resolves only now): one more cycle at once converges, as `apply`'s second
                    # round does. Only one, so a write that never converges cannot spin the loop.
                    trigger = Trigger.FOLLOW_UP
                    continue
                trigger = self._wait(next_resync)
        finally:
            if watcher is not None:
                watcher.stop()
            if self._server is not None:
                self._server.stop()
            self.notifier.close(timeout=5)
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
        failed_cycle = self.cycle_backoff.entry(_CYCLE)
        if failed_cycle is not None:
            times.append(failed_cycle.next_attempt)
        return min(times, default=None)

    def _wait(self, next_resync: float) -> Trigger | None:
        """Sleep until a stop (None), a file event, the next resync or a backoff retry; say which."""
        while True:
            if self.stop_event.is_set():
                return None
            if self.requested.is_set():
                self.requested.clear()
                if self._sync_now.is_set():
                    self._sync_now.clear()
                    return Trigger.SYNC_NOW
                if self._push.is_set():
                    self._push.clear()
                    return Trigger.PUSH
                source = self.settings.source
                return Trigger.PUSH if source is not None and source.take_request() else Trigger.FILES
            now = time.monotonic()
            if now >= next_resync:
                return Trigger.INTERVAL
            retry = self._next_retry()
            if retry is not None and now >= retry:
                return Trigger.RETRY
            until = min(next_resync, retry if retry is not None else math.inf)
            self.requested.wait(min(until - now, _STOP_POLL))

    # -- one cycle --------------------------------------------------------------------------------

    def run_once(
        self, *, trigger: Trigger = Trigger.MANUAL, pull: bool = False, fetch: bool = False
    ) -> CycleOutcome:
        """One reconcile cycle (with a fast-forward first when `pull`, a fetch of the remote source
        when `fetch`); never raises a cycle's failure."""
        if fetch and self.settings.source is not None:
            synced = self.settings.source.sync()  # logs a move, a force push or a failure; never raises
            self.status.git_problem(None if synced.ok else f"fetching the repository failed: {synced.error}")
            self.metrics.record_git(ok=synced.ok, at=time.time())
        self.cycles += 1
        return self._finish(self.reconciler.run(self.cycles, trigger, pull=pull))

    def _finish(self, outcome: CycleOutcome) -> CycleOutcome:
        self.last = outcome
        self.dashboard.record(outcome)
        if outcome.cycle is not None:  # a cycle that failed as a whole knows nothing new to tell
            self.notifier.scope(owner=outcome.cycle.owner)
            written = outcome.report.count(ResultStatus.OK) if outcome.report is not None else 0
            applied = f"cycle {outcome.number} wrote {written} change(s)" if outcome.wrote else None
            self.notifier.cycle(
                problems_of(outcome.cycle, outcome.report), commit=outcome.commit, applied=applied
            )
        if outcome.result == ReconcileResult.ERROR:
            entry = self.cycle_backoff.failed(_CYCLE, time.monotonic(), outcome.error or "")
            log.info("cycle %d failed; trying again in %.0f s", outcome.number, entry.delay)
        else:
            self.cycle_backoff.succeeded(_CYCLE)
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


def ensure_logging() -> None:
    """Send the daemon's INFO lines to stderr unless logging is configured already (also called by
    `watch --repo` before it clones, so the clone's lines are seen)."""
    if not logging.getLogger().handlers and not logs_configured():
        # A daemon's log is its output: without a configured handler, its INFO lines (the commit of
        # each cycle, each write) would vanish. Whoever configured logging already keeps control.
        # Libraries (httpx logs every request at INFO) stay at WARNING.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("dragops_sync").setLevel(logging.INFO)


def run_daemon(
    settings: DaemonSettings | str | Path,
    *,
    client: Client | None = None,
    client_factory: Callable[[], Client] | None = None,
    stop_event: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    handle_signals: bool = True,
    on_cycle: Callable[[CycleOutcome], None] | None = None,
    **options: Unpack[DaemonOptions],
) -> int:
    """Run the watch daemon until stopped; return the exit code (0).

    `settings` is a `DaemonSettings`, or the directory with the settings as flat keywords
    (`options`, see `DaemonOptions`; the documented embedding form). Give a ready `client` (left
    open) or a `client_factory` (its client is closed at the end). With `handle_signals` (and on the
    main thread), SIGTERM and SIGINT stop the daemon cleanly. Raises `ValueError` for bad options,
    `TypeError` for an unknown keyword, and `OSError` when the status address cannot be bound.
    """
    if (client is None) == (client_factory is None):
        raise ValueError("pass exactly one of client= or client_factory=")
    if isinstance(settings, DaemonSettings):
        if options:
            raise TypeError(f"options given beside a DaemonSettings: {', '.join(sorted(options))}")
    else:
        settings = DaemonSettings.of(settings, **options)
    ensure_logging()
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
