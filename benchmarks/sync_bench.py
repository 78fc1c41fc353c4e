"""Sync benchmark: the watch daemon's reconcile against a naive sequential sync, over a slow network.

Starts an emulator (rate limits off) and injects 20 ms of latency on every API request (a `latency`
fault with probability 1.0 on `/api/*`), writes N pattern files, and measures, side by side:

* the warm no-op reconcile of N unchanged patterns: a daemon cycle (`Daemon.run_once`) after a first
  cycle created them, vs a naive sync that lists the patterns and GETs each one to compare it;
* the apply of N changed patterns, with the concurrency and rate of `dragops-sync.yaml`, vs a naive
  sync that GETs and PUTs each pattern in turn;
* a cold plan of the N unchanged patterns, as a CI job makes it (a fresh client and observer), without
  and with the disk cache of live patterns (`--cache-dir`, warmed by an earlier plan): requests and time;
* the highest number of requests the sync sent in any one-second window during the apply, vs the
  configured `rate`, by the client's clock as each request leaves and by the emulator's request log
  (`at`, millisecond timestamps taken as it answers). The client is built as the CLI builds it:
  `rate` from `dragops-sync.yaml`, the client's own limiter.

Targets: the no-op at least 20x faster than the baseline, the apply at least 8x faster while never
exceeding the configured request rate. It prints the ratios and whether each target is met.

    python benchmarks/sync_bench.py [--patterns 1000] [--concurrency 16] [--rate 250]
                                    [--latency-ms 20] [--in-process]

The emulator runs as its own process by default (as a real instance would: the client's threads and
the server do not share an interpreter lock); `--in-process` serves it from a thread instead.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
for source in ("sync", "emulator"):
    sys.path.insert(0, str(ROOT / source))

from dragops_sync.api import Client  # noqa: E402
from dragops_sync.cycle import run_cycle  # noqa: E402
from dragops_sync.daemon import Daemon, DaemonSettings  # noqa: E402
from dragops_sync.directory import load_settings  # noqa: E402
from dragops_sync.essence import canonical_json, essence  # noqa: E402
from dragops_sync.live_cache import LiveCache  # noqa: E402
from dragops_sync.observe import LiveObserver  # noqa: E402

NOOP_TARGET = 20.0
APPLY_TARGET = 8.0
_ONE_PATTERN = re.compile(r"^/api/patterns/[^/]+$")


class RecordingTransport(httpx.HTTPTransport):
    """An ordinary HTTP transport that notes when each request leaves (to measure the request rate)."""

    def __init__(self) -> None:
        super().__init__(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        self._lock = threading.Lock()
        self._sent: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self._sent.append(time.monotonic())
        return super().handle_request(request)

    def take(self) -> list[float]:
        """The send times since the last call, and forget them."""
        with self._lock:
            sent, self._sent = self._sent, []
        return sorted(sent)


def max_in_one_second(times: list[float]) -> int:
    """The most requests sent within any half-open one-second window."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def received_at(log: list[dict[str, Any]]) -> list[float]:
    """The emulator's own timestamps (`at`, when it answered) of the requests in its log, sorted."""
    return sorted(datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in log)


class Control:
    """The emulator's control endpoints over HTTP (what `Emulator`'s methods call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with self._opener.open(request, timeout=60) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def seed_token(self) -> str:
        return str(self._call("POST", "/__emulator/users", {})["token"])

    def latency_everywhere(self, latency_ms: int) -> None:
        fault = {"path": "/api/*", "kind": "latency", "latencyMs": latency_ms, "probability": 1.0}
        self._call("POST", "/__emulator/faults", fault)

    def clear_request_log(self) -> None:
        self._call("DELETE", "/__emulator/requests")

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/__emulator/requests")["requests"])


@contextmanager
def emulator(in_process: bool) -> Iterator[str]:
    """Yields the base URL of a fresh emulator with rate limits off."""
    if in_process:
        from dragops_emulator import Emulator, EmulatorSettings

        with Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as emu:
            yield emu.url
        return
    command = [sys.executable, "-m", "dragops_emulator.cli", "--port", "0", "--no-rate-limits"]
    process = subprocess.Popen([*command, "--log-level", "warning"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        match = re.search(r"(http://\S+)", process.stdout.readline())
        if match is None:
            raise SystemExit("the emulator did not print its URL")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def pattern_document(index: int, message: str) -> dict[str, Any]:
    """A realistic small pattern: a webhook trigger, a formatting step and a log."""
    return {
        "formatVersion": 1,
        "name": f"Bench Pattern {index:04d}",
        "description": f"Benchmark pattern number {index}",
        "tags": ["bench", f"group-{index % 10}"],
        "graphData": {
            "nodes": [
                {"id": "n1", "type": "OnWebhook", "position": {"x": 0, "y": 0}, "data": {"properties": {}}},
                {
                    "id": "n2",
                    "type": "Log",
                    "position": {"x": 300, "y": 0},
                    "data": {"pinDefaults": {"message": f"{message} #{index}"}},
                },
            ],
            "edges": [
                {"id": "e1", "source": "n1", "sourceHandle": "exec", "target": "n2", "targetHandle": "exec"}
            ],
        },
    }


def write_patterns(root: Path, count: int, message: str) -> None:
    folder = root / "patterns"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        path = folder / f"bench-{index:04d}.json"
        path.write_text(json.dumps(pattern_document(index, message), indent=2), encoding="utf-8")


def _documents(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "patterns").glob("*.json"))]


def naive_sync(client: Client, root: Path) -> int:
    """The baseline: list, then for each file in turn one GET, and one PUT when the content differs.

    Returns the number of PUTs. It compares with the same normaliser as the sync, so both do the same
    job; only the strategy differs (no cache, no concurrency).
    """
    ids = {p.name: p.id for p in client.patterns.list()}
    writes = 0
    for document in _documents(root):
        live = client.patterns.get(ids[document["name"]]).model_dump(by_alias=True, mode="json")
        if canonical_json(essence(live)) != canonical_json(essence(document)):
            client.patterns.update(
                ids[document["name"]],
                description=document["description"],
                tags=[*document["tags"], *[t for t in live["tags"] if t.startswith("dragops-sync:")]],
                graph_data=document["graphData"],
            )
            writes += 1
    return writes


@dataclass
class Figures:
    sync_noop: float = 0.0
    naive_noop: float = 0.0
    sync_apply: float = 0.0
    naive_apply: float = 0.0
    noop_requests: int = 0
    cold_plan: float = 0.0
    cold_plan_requests: int = 0
    cached_plan: float = 0.0
    cached_plan_requests: int = 0
    noop_per_pattern_gets: int = 0
    apply_requests: int = 0
    apply_failures: int = 0
    naive_writes: int = 0
    max_rate: int = 0
    max_received: int = 0


def timed(func: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - started, result


def cold_plan(url: str, token: str, rate: float, root: Path, cache: Path | None) -> bool:
    """A plan as a fresh process (a CI job) makes it: new client, new observer; True when in sync."""
    with Client(base_url=url, token=token, rate=rate) as client:
        observer = LiveObserver(client, cache=LiveCache(cache, url) if cache is not None else None)
        result = run_cycle(client, root, observer=observer, dry_run=True)
    return not result.plan.has_changes


def run(args: argparse.Namespace) -> Figures:
    figures = Figures()
    with emulator(args.in_process) as url, tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        control = Control(url)
        token = control.seed_token()
        root = Path(tmp)
        settings_file = (
            "owner: bench/sync\ndefaults: {deploy: false}\n"
            f"concurrency: {args.concurrency}\nrate: {args.rate}\n"
        )
        (root / "dragops-sync.yaml").write_text(settings_file, encoding="utf-8")
        write_patterns(root, args.patterns, "first")
        recorder = RecordingTransport()
        settings = DaemonSettings(directory=root, status_addr=None, watch=False)
        # The client the CLI builds: the limiter of the `rate` in dragops-sync.yaml (no special setting).
        rate = load_settings(root / "dragops-sync.yaml").rate
        with Client(base_url=url, token=token, rate=rate, transport=recorder) as client:
            daemon = Daemon(settings, client=client)
            print(f"creating {args.patterns} patterns (cold first cycle, no latency yet)...", flush=True)
            first = daemon.run_once()
            if first.result != "ok":
                raise SystemExit(f"the first cycle did not succeed: {first.result} {first.error or ''}")
            control.latency_everywhere(args.latency_ms)
            recorder.take()

            control.clear_request_log()
            figures.sync_noop, outcome = timed(daemon.run_once)
            log = control.request_log()
            figures.noop_requests = len(log)
            figures.noop_per_pattern_gets = sum(
                1 for r in log if r["method"] == "GET" and _ONE_PATTERN.match(r["path"])
            )
            assert outcome.result == "ok", outcome
            print(f"warm no-op cycle: {figures.sync_noop:.2f} s; naive baseline...", flush=True)
            with Client(base_url=url, token=token) as plain:
                figures.naive_noop, _ = timed(naive_sync, plain, root)

            cache = Path(tmp) / "live-cache"  # outside the sync directory: what actions/cache restores
            control.clear_request_log()
            figures.cold_plan, in_sync = timed(cold_plan, url, token, rate, root, None)
            figures.cold_plan_requests = len(control.request_log())
            assert in_sync, "the cold plan found changes"
            cold_plan(url, token, rate, root, cache)  # an earlier job: fills the cache
            control.clear_request_log()
            figures.cached_plan, in_sync = timed(cold_plan, url, token, rate, root, cache)
            figures.cached_plan_requests = len(control.request_log())
            assert in_sync, "the cached cold plan found changes"
            print(
                f"cold plan: {figures.cold_plan:.2f} s without the cache, {figures.cached_plan:.2f} s with",
                flush=True,
            )

            write_patterns(root, args.patterns, "second")
            recorder.take()
            control.clear_request_log()
            figures.sync_apply, outcome = timed(daemon.run_once)
            sent = recorder.take()
            figures.apply_requests = len(sent)
            figures.max_rate = max_in_one_second(sent)
            figures.max_received = max_in_one_second(received_at(control.request_log()))
            figures.apply_failures = outcome.report.count("failed") if outcome.report else -1
            print(f"apply cycle: {figures.sync_apply:.2f} s; naive baseline...", flush=True)

            write_patterns(root, args.patterns, "third")
            with Client(base_url=url, token=token) as plain:
                figures.naive_apply, figures.naive_writes = timed(naive_sync, plain, root)
    return figures


def report(args: argparse.Namespace, f: Figures) -> bool:
    noop_ratio = f.naive_noop / f.sync_noop
    apply_ratio = f.naive_apply / f.sync_apply
    within = f.max_rate <= args.rate and f.max_received <= args.rate
    rows = [
        ("warm no-op", f.sync_noop, f.naive_noop, noop_ratio, NOOP_TARGET),
        ("apply changed", f.sync_apply, f.naive_apply, apply_ratio, APPLY_TARGET),
    ]
    print()
    print(
        f"{args.patterns} patterns, {args.latency_ms} ms latency on every request, "
        f"concurrency {args.concurrency}, rate {args.rate:g}/s"
    )
    print(f"{'':16}{'dragops-sync':>14}{'naive':>12}{'speed-up':>11}{'target':>9}  met")
    for name, sync_s, naive_s, ratio, target in rows:
        met = "yes" if ratio >= target else "NO"
        print(f"{name:16}{sync_s:>12.2f} s{naive_s:>10.2f} s{ratio:>10.1f}x{target:>8.0f}x  {met}")
    print(
        f"no-op requests: {f.noop_requests} ({f.noop_per_pattern_gets} per-pattern GETs); "
        f"apply requests: {f.apply_requests} ({f.apply_failures} failed items); naive PUTs: {f.naive_writes}"
    )
    print(
        f"cold plan (fresh process, {args.patterns} unchanged): {f.cold_plan:.2f} s and "
        f"{f.cold_plan_requests} requests without the cache; {f.cached_plan:.2f} s and "
        f"{f.cached_plan_requests} requests with --cache-dir ({f.cold_plan / f.cached_plan:.1f}x)"
    )
    print(
        f"apply request rate: {f.apply_requests / f.sync_apply:.0f}/s on average; most in any 1 s window: "
        f"{f.max_rate} sent, {f.max_received} answered by the emulator (configured rate {args.rate:g}/s): "
        f"{'within the rate' if within else 'EXCEEDS the rate'}"
    )
    return noop_ratio >= NOOP_TARGET and apply_ratio >= APPLY_TARGET and within


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", type=int, default=1000, help="pattern files (default 1000)")
    parser.add_argument("--concurrency", type=int, default=16, help="apply workers (default 16)")
    parser.add_argument("--rate", type=float, default=250.0, help="requests/s for the sync (default 250)")
    parser.add_argument("--latency-ms", type=int, default=20, help="latency on every request (default 20)")
    parser.add_argument("--in-process", action="store_true", help="serve the emulator from a thread")
    args = parser.parse_args()
    if args.patterns < 1 or args.concurrency < 1 or args.rate <= 0:
        parser.error("--patterns and --concurrency must be >= 1, --rate > 0")
    ok = report(args, run(args))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
