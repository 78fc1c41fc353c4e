"""What the watch daemon tells the outside world: `/healthz`, Prometheus `/metrics` and `/status`.

* `DaemonMetrics` holds the daemon's Prometheus metrics on a private `CollectorRegistry` (so several
  daemons in one process, e.g. tests, never share counters):
  `dragops_sync_reconciles_total{result}` (result: ok, partial, blocked, error),
  `dragops_sync_item_failures_total`, `dragops_sync_drifted_patterns`, `dragops_sync_conflicts`,
  `dragops_sync_last_reconcile_timestamp_seconds` and `dragops_sync_reconcile_duration_seconds`.
* `DaemonStatus` is the last cycle's outcome and the state of every pattern, written by the daemon's
  loop and read by the server threads (under a lock).
* `StatusServer` serves them with the standard library's `ThreadingHTTPServer` in a thread:
  `/healthz` answers 200 while the last cycle finished, or the cycle in progress began, within
  3 x the interval (the loop is alive, whatever the API's state), else 503; `/readyz` answers 200
  once a cycle finished, while the loop is healthy and the last cycle was not refused authentication
  (credentials that no longer work do not heal by waiting: a token that can no longer be refreshed,
  a changed password), else 503 with the reason; `/metrics` is the Prometheus text format; `/status`
  is JSON. Other paths go to the `Pages` given (the dashboard, `dashboard.Dashboard`), then 404.

No secret ever reaches these: pattern names, files, states and error sentences only (the API client
already keeps tokens out of its error messages).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from dragops_sync.states import PatternState, ReconcileResult

__all__ = [
    "CYCLE_RESULTS",
    "HEALTHY_INTERVALS",
    "Blocker",
    "DaemonMetrics",
    "DaemonStatus",
    "Page",
    "Pages",
    "PatternStatus",
    "SourceView",
    "StatusServer",
    "parse_address",
]

log = logging.getLogger(__name__)

# The `result` label of dragops_sync_reconciles_total: every write succeeded; some item failed; the
# plan forbade every write (duplicate names, invalid settings); the cycle itself failed (API down).
CYCLE_RESULTS: tuple[ReconcileResult, ...] = tuple(ReconcileResult)

# A healthy daemon finished a cycle within this many intervals.
HEALTHY_INTERVALS = 3.0

_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


# `:PORT` listens on every interface, as Go servers (Flux, Argo CD, Prometheus) read it: in a pod the
# probes and the scraper come from outside the loopback interface.
_ALL_INTERFACES = "0.0.0.0"
# A refused POST body up to this size is read and dropped before the 413 (see `_discard`).
_DRAIN_LIMIT = 8 * 1024 * 1024


def parse_address(address: str) -> tuple[str, int]:
    """`"127.0.0.1:9099"` -> ("127.0.0.1", 9099); `"[::1]:9099"` for IPv6; `":9099"` -> every interface
    ("0.0.0.0", 9099); port 0 picks a free one."""
    text = address.strip()
    if text.startswith(":"):
        text = _ALL_INTERFACES + text
    parts = urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname
    if not text or host is None or port is None or not text.rsplit(":", 1)[-1].isdigit():
        raise ValueError(
            f"status address must look like HOST:PORT or :PORT (e.g. 127.0.0.1:9099), got {address!r}"
        )
    return host, port


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DaemonMetrics:
    """The daemon's Prometheus metrics, on a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.reconciles = Counter(
            "dragops_sync_reconciles",
            "Reconcile cycles run, by result (ok, partial, blocked, error).",
            ["result"],
            registry=self.registry,
        )
        for result in CYCLE_RESULTS:
            self.reconciles.labels(result=result.value)  # every series exists from the start, at 0
        self.item_failures = Counter(
            "dragops_sync_item_failures",
            "Plan items (pattern, deployment or connection writes) that failed.",
            registry=self.registry,
        )
        self.drifted = Gauge(
            "dragops_sync_drifted_patterns",
            "Patterns edited live since the last apply and not reverted (drift: observe or warn).",
            registry=self.registry,
        )
        self.conflicts = Gauge(
            "dragops_sync_conflicts",
            "Patterns changed both in git and live since the last apply (left alone without --force).",
            registry=self.registry,
        )
        self.last_reconcile = Gauge(
            "dragops_sync_last_reconcile_timestamp_seconds",
            "Unix time at which the last reconcile cycle finished.",
            registry=self.registry,
        )
        self.duration = Histogram(
            "dragops_sync_reconcile_duration_seconds",
            "Duration of reconcile cycles.",
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.invalid_files = Gauge(
            "dragops_sync_invalid_files",
            "Files of the directory that failed to load or validate (nothing is written for them).",
            registry=self.registry,
        )
        self.orphaned = Gauge(
            "dragops_sync_orphaned_patterns",
            "Patterns of this owner that no file declares while prune is off (live differs from git).",
            registry=self.registry,
        )
        self.git_fetch_failures = Counter(
            "dragops_sync_git_fetch_failures",
            "Fetches (--repo) or fast-forwards (--git-pull) of the repository that failed.",
            registry=self.registry,
        )
        self.git_last_fetch = Gauge(
            "dragops_sync_git_last_successful_fetch_timestamp_seconds",
            "Unix time of the last successful fetch (--repo) or fast-forward (--git-pull); 0: none yet.",
            registry=self.registry,
        )
        self.commit_lag = Gauge(
            "dragops_sync_commit_lag",
            "Commits of the branch not reconciled yet (the checkout is behind its upstream); 0 when "
            "following it, or when git cannot tell (a failing fetch).",
            registry=self.registry,
        )

    def record_git(self, *, ok: bool, at: float, behind: int | None = None) -> None:
        """Count one fetch or fast-forward of the repository."""
        if ok:
            self.git_last_fetch.set(at)
        else:
            self.git_fetch_failures.inc()
        self.commit_lag.set(behind or 0)

    def record_cycle(
        self,
        *,
        result: ReconcileResult,
        duration: float,
        finished_at: float,
        item_failures: int = 0,
        drifted: int | None = None,
        conflicts: int | None = None,
    ) -> None:
        """Count one finished cycle. `drifted`/`conflicts` None (a failed cycle) keep the last values."""
        if result not in CYCLE_RESULTS:
            raise ValueError(f"result must be one of {', '.join(CYCLE_RESULTS)}, got {result!r}")
        self.reconciles.labels(result=ReconcileResult(result).value).inc()
        if item_failures:
            self.item_failures.inc(item_failures)
        if drifted is not None:
            self.drifted.set(drifted)
        if conflicts is not None:
            self.conflicts.set(conflicts)
        self.last_reconcile.set(finished_at)
        self.duration.observe(duration)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


@dataclass(frozen=True)
class PatternStatus:
    """What the daemon knows about one pattern (or connection: `resource`) after its last cycle.

    `state`: one of `states.DAEMON_STATES`, shown by its value: synced, drifted, conflict, unmanaged,
    invalid, pending (a write not made yet: the daemon was stopping, or the plan was blocked), deleted
    (pruned this cycle), failed (its write failed this cycle) or backoff (failed before; held back
    until `next_retry_at`). `last_action` is the last write
    made for it ("update, redeploy") at `last_action_at`; `last_commit` the commit of the last cycle
    that left it in sync. Times are Unix seconds.
    """

    name: str
    file: str | None
    state: PatternState
    resource: str = "pattern"
    last_action: str | None = None
    last_action_at: float | None = None
    last_error: str | None = None
    next_retry_at: float | None = None
    last_commit: str | None = None
    failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "state": self.state.value,
            "lastAction": self.last_action,
            "lastActionAt": _iso(self.last_action_at),
            "lastError": self.last_error,
            "failures": self.failures,
            "nextRetryAt": _iso(self.next_retry_at),
            "lastCommit": self.last_commit,
        }


class Page(NamedTuple):
    """An answer of the `Pages` the server hosts: status, content type, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class Pages(Protocol):
    """More routes on the status server (the dashboard, the push webhooks): None from `get`/`post`
    means "not mine". `body_limit(path)` is the largest POST body the path takes (None: not mine);
    a larger one is refused with 413 (`too_large` is told), its body read and dropped up to 8 MiB so
    the sender reads the answer. `post` gets header names lower-cased."""

    def get(self, path: str, query: Mapping[str, list[str]]) -> Page | None: ...

    def body_limit(self, path: str) -> int | None: ...

    def too_large(self, path: str) -> None: ...

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Page | None: ...


# Sent with every page: scripts, styles and images from this server only, never framed.
_PAGE_HEADERS = (
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


@dataclass(frozen=True)
class Blocker:
    """One thing that keeps git from being live on the instance, as `/status` and `/readyz` report it.

    `kind`: `invalid` (a file failed to load or validate; `message` is its `file:line:col: field:
    error`), `orphaned` (a pattern of ours no file declares, prune off), `conflict`, `unmanaged`,
    `failed` (a write failed), `rolled_back` (a smoke test failed), `backoff` (a failed write waiting
    for its retry), `blocked` (the plan forbade every write), `prune_refused`, or `git` (the checkout
    cannot follow its branch: a failing fetch or pull, a diverged checkout).
    """

    kind: str
    message: str
    pattern: str | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "pattern": self.pattern, "file": self.file, "message": self.message}


class SourceView(Protocol):
    """What the status server reads of a remote source (`source.GitSource`): how long its fetch has
    been failing (None: it works) and its `/status` part, free of credentials."""

    def failing_for(self) -> float | None: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass
class _Cycle:
    result: ReconcileResult
    started_at: float
    finished_at: float
    duration: float
    commit: str | None
    error: str | None
    summary: Mapping[str, int] = field(default_factory=dict)


class DaemonStatus:
    """The daemon's state as the status server shows it; safe to share between threads.

    `clock` is wall time (Unix seconds, for the timestamps shown) and `monotonic` the clock that
    health is judged by (immune to wall-clock jumps); both injectable for tests.
    """

    def __init__(
        self,
        *,
        directory: str,
        interval: float,
        owner: str | None = None,
        environment: str | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.interval = interval
        self.owner = owner
        self.environment = environment  # the --env the daemon serves (None: no environments)
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._started = monotonic()
        self._last_finish: float | None = None  # monotonic
        self._running_since: float | None = None  # monotonic start of the cycle in progress
        self._cycles = 0
        self._last: _Cycle | None = None
        self._patterns: dict[tuple[str, str], PatternStatus] = {}
        self._notes: tuple[str, ...] = ()
        self.source: SourceView | None = None  # a remote repository the daemon follows (--repo)
        self._authentication_failed = False
        self._blockers: tuple[Blocker, ...] = ()
        self._git_problem: str | None = None  # the last fetch or pull, when it failed

    def cycle_finished(
        self,
        *,
        result: ReconcileResult,
        started_at: float,
        duration: float,
        commit: str | None,
        error: str | None = None,
        patterns: Iterable[PatternStatus] | None = None,
        summary: Mapping[str, int] | None = None,
        notes: tuple[str, ...] = (),
        owner: str | None = None,
        authentication_failed: bool = False,
        blockers: Iterable[Blocker] | None = None,
    ) -> None:
        """Record a finished cycle.

        `patterns` None (a failed cycle) keeps the last known patterns, but their state becomes
        `unknown` with the cycle's error: the instance could not be read, so "synced" would be a guess.
        (An invalid file stays `invalid`: that is known without the instance.) `authentication_failed`:
        the cycle failed because the server refused the credentials (see `ready`). `blockers`: what
        keeps git from being live after this cycle (None, a failed cycle: the last ones are kept).
        """
        with self._lock:
            self._last_finish = self._monotonic()
            self._running_since = None
            self._cycles += 1
            finished = self._clock()
            self._last = _Cycle(result, started_at, finished, duration, commit, error, dict(summary or {}))
            self._authentication_failed = authentication_failed
            if blockers is not None:
                self._blockers = tuple(blockers)
            if patterns is not None:
                self._patterns = {(p.resource, p.name): p for p in patterns}
                self._notes = notes
            elif result == ReconcileResult.ERROR:
                self._patterns = {
                    key: p
                    if p.state == PatternState.INVALID
                    else replace(p, state=PatternState.UNKNOWN, last_error=error)
                    for key, p in self._patterns.items()
                }
            if owner is not None:
                self.owner = owner

    def git_problem(self, problem: str | None) -> None:
        """Record the last fetch or fast-forward: None when it worked, else why it did not."""
        with self._lock:
            self._git_problem = problem

    def git_failing(self) -> bool:
        """Whether the last fetch or fast-forward of the repository failed."""
        with self._lock:
            return self._git_problem is not None

    def blockers(self) -> list[Blocker]:
        """Everything that keeps git from being live now: the last cycle's, and the repository's."""
        with self._lock:
            found = list(self._blockers)
            if self._git_problem is not None:
                found.insert(0, Blocker("git", self._git_problem))
        return found

    def patterns(self) -> dict[str, PatternStatus]:
        """The patterns' statuses by name (connections left out)."""
        with self._lock:
            return {name: p for (resource, name), p in self._patterns.items() if resource == "pattern"}

    def cycle_started(self) -> None:
        """Note that a cycle began: a long apply in progress is alive until it is 3 intervals old."""
        with self._lock:
            self._running_since = self._monotonic()

    def healthy(self) -> bool:
        """True while the loop shows life within 3 intervals: a cycle finished, or began and still runs
        (before the first cycle, the daemon's start counts); and, following a remote repository, while
        its fetch has not been failing for longer than 3 intervals."""
        return self.unhealthy_reason() is None

    def unhealthy_reason(self) -> str | None:
        """Why the daemon is unhealthy (the `/healthz` answer), or None."""
        limit = HEALTHY_INTERVALS * self.interval
        with self._lock:
            reference = self._last_finish if self._last_finish is not None else self._started
            if self._running_since is not None:
                reference = max(reference, self._running_since)
            if self._monotonic() - reference > limit:
                return "no reconcile cycle finished within 3 intervals"
        failing = self.source.failing_for() if self.source is not None else None
        if failing is not None and failing > limit:
            return f"fetching the repository has failed for {failing:.0f} s (over 3 intervals)"
        return None

    def ready(self) -> tuple[bool, str]:
        """Whether the daemon is doing its job, and why not: a cycle has finished, the loop is healthy,
        and the last cycle was not refused authentication (which no retry can heal)."""
        unhealthy = self.unhealthy_reason()
        if unhealthy is not None:
            return False, unhealthy
        with self._lock:
            if self._last is None:
                return False, "the first reconcile cycle has not finished yet"
            if self._authentication_failed:
                reason = self._last.error or "authentication failed"
                return False, f"the server refuses the daemon's credentials: {reason}"
        blockers = self.blockers()
        if blockers:
            listed = "; ".join(f"{b.kind}: {b.message}" for b in blockers[:5])
            more = f" (and {len(blockers) - 5} more)" if len(blockers) > 5 else ""
            return False, f"{len(blockers)} problem(s) keep git from being live: {listed}{more}"
        return True, "ready"

    def to_dict(self) -> dict[str, Any]:
        """The `/status` document."""
        healthy = self.healthy()
        ready, _ = self.ready()
        blockers = [b.to_dict() for b in self.blockers()]
        with self._lock:
            last = self._last
            cycle = None
            if last is not None:
                cycle = {
                    "result": last.result.value,
                    "startedAt": _iso(last.started_at),
                    "finishedAt": _iso(last.finished_at),
                    "durationSeconds": round(last.duration, 3),
                    "commit": last.commit,
                    "error": last.error,
                    "summary": dict(last.summary),
                }
            return {
                "directory": self.directory,
                "owner": self.owner,
                "environment": self.environment,
                "intervalSeconds": self.interval,
                "healthy": healthy,
                "ready": ready,
                "cycleInProgress": self._running_since is not None,
                "cycles": self._cycles,
                "lastCycle": cycle,
                "blockers": blockers,
                "notes": list(self._notes),
                "patterns": [p.to_dict() for (r, _), p in sorted(self._patterns.items()) if r == "pattern"],
                "connections": [
                    p.to_dict() for (r, _), p in sorted(self._patterns.items()) if r == "connection"
                ],
            } | ({"source": self.source.to_dict()} if self.source is not None else {})


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # the name http.server dispatches to
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        if path == "/healthz":
            reason = self.server.status.unhealthy_reason()
            body = b"ok\n" if reason is None else f"unhealthy: {reason}\n".encode()
            self._send(200 if reason is None else 503, "text/plain; charset=utf-8", body)
        elif path == "/readyz":
            ready, reason = self.server.status.ready()
            body = b"ok\n" if ready else f"not ready: {reason}\n".encode()
            self._send(200 if ready else 503, "text/plain; charset=utf-8", body)
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, self.server.metrics.render())
        elif path == "/status":
            body = json.dumps(self.server.status.to_dict(), indent=2).encode() + b"\n"
            self._send(200, "application/json", body)
        else:
            query = parse_qs(parts.query)
            page = next((p for pages in self.server.pages if (p := pages.get(path, query)) is not None), None)
            if page is None:
                self._not_found()
            else:
                self._send(page.status, page.content_type, page.body, (*_PAGE_HEADERS, *page.headers))

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        owner = next((p for p in self.server.pages if p.body_limit(path) is not None), None)
        if owner is None:
            self._not_found()
            return
        limit = owner.body_limit(path) or 0
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > limit:
            owner.too_large(path)
            self._discard(length)
            self.close_connection = True
            self._send(413, "text/plain; charset=utf-8", b"request body too large\n")
            return
        body = self.rfile.read(length) if length else b""
        page = owner.post(path, {k.lower(): v for k, v in self.headers.items()}, body)
        if page is None:
            self._not_found()
        else:
            self._send(page.status, page.content_type, page.body, (*_PAGE_HEADERS, *page.headers))

    def _discard(self, length: int) -> None:
        """Read and drop a refused body of up to `_DRAIN_LIMIT` bytes, so the sender, still writing
        it, reads the 413 rather than a broken pipe; a larger (or unsized) one is left unread."""
        if not 0 < length <= _DRAIN_LIMIT:
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 64 * 1024))
            if not chunk:
                return
            length -= len(chunk)

    def _not_found(self) -> None:
        self._send(
            404, "text/plain; charset=utf-8", b"not found: try /, /healthz, /readyz, /metrics or /status\n"
        )

    def _send(
        self, status: int, content_type: str, body: bytes, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
        log.debug("status server: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        status: DaemonStatus,
        metrics: DaemonMetrics,
        pages: Sequence[Pages] = (),
    ) -> None:
        self.status = status
        self.metrics = metrics
        self.pages = tuple(pages)
        super().__init__(address, _Handler)


class StatusServer:
    """`/healthz`, `/metrics` and `/status` on `address` ("HOST:PORT"), served from a thread.

    Binding happens in the constructor, so a busy port fails early with a clear `OSError`; `url` gives
    the actual address (useful with port 0).
    """

    def __init__(
        self, address: str, *, status: DaemonStatus, metrics: DaemonMetrics, pages: Sequence[Pages] = ()
    ) -> None:
        host, port = parse_address(address)
        try:
            self._server = _Server((host, port), status, metrics, pages)
        except OSError as exc:
            raise OSError(f"cannot serve the status endpoints on {address}: {exc.strerror or exc}") from exc
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        address = self._server.server_address
        host, port = str(address[0]), int(address[1])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="dragops-sync-status"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> StatusServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
