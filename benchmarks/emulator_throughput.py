"""Emulator throughput: requests per second for list, get and create over real HTTP.

Starts an emulator (rate limits off), seeds a user and 200 patterns, then drives each operation with N
concurrent client threads (httpx, keep-alive connections) for a few seconds and prints a table of
requests/s and latency next to the target (>= 500 GET/s on 2 cores).

    python benchmarks/emulator_throughput.py [--threads 4] [--seconds 3] [--patterns 200] [--process]

By default the emulator runs in a thread of this process, as it does in the test suite, so the client
threads and the server share one interpreter lock. ``--process`` serves it from a separate
``dragops-emulator`` process instead, which is how a CI job or a developer would run it.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator"))

from dragops_emulator import Emulator, EmulatorSettings

GET_TARGET = 500.0


def _graph(index: int) -> dict[str, object]:
    """A realistic small graph: a webhook trigger, a few processing nodes, a log."""
    nodes = [{"id": "n0", "type": "OnWebhook", "position": {"x": 0, "y": 0}, "data": {"properties": {}}}]
    edges = []
    for step in range(1, 8):
        nodes.append(
            {
                "id": f"n{step}",
                "type": "Log",
                "position": {"x": 200 * step, "y": 0},
                "data": {"pinDefaults": {"message": f"pattern {index} step {step}"}},
            }
        )
        edges.append(
            {
                "id": f"e{step}",
                "source": f"n{step - 1}",
                "sourceHandle": "exec",
                "target": f"n{step}",
                "targetHandle": "exec",
            }
        )
    return {"nodes": nodes, "edges": edges}


@dataclass
class Result:
    """Counts and latencies of one operation."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else 0.0


@contextmanager
def serve(separate_process: bool) -> Iterator[tuple[str, Callable[[], dict[str, str]]]]:
    """Yields the base URL and a function that seeds a user (returning its token)."""
    if not separate_process:
        with Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as emu:
            yield emu.url, lambda: {"token": emu.seed_user().token}
        return
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dragops_emulator.cli",
            "--port",
            "0",
            "--no-rate-limits",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "emulator")},
    )
    assert process.stdout is not None
    match = re.search(r"(http://\S+)", process.stdout.readline())
    assert match, "the emulator did not print its URL"
    url = match.group(1)
    try:
        with httpx.Client(trust_env=False) as control:
            yield url, lambda: control.post(url + "/__emulator/users").json()
    finally:
        process.terminate()
        process.wait(timeout=30)


def drive(
    name: str,
    url: str,
    token: str,
    threads: int,
    seconds: float,
    request: Callable[[httpx.Client], httpx.Response],
) -> Result:
    """Run ``request`` in ``threads`` threads for ``seconds`` and collect the latencies."""
    result = Result(name=name, seconds=seconds)
    start = threading.Barrier(threads + 1)

    def worker() -> None:
        latencies: list[float] = []
        errors = 0
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=30) as client:
            request(client)  # open the keep-alive connection before timing
            start.wait()
            deadline = time.perf_counter() + seconds
            while (now := time.perf_counter()) < deadline:
                response = request(client)
                latencies.append(time.perf_counter() - now)
                if response.status_code >= 300:
                    errors += 1
        with result.lock:
            result.latencies.extend(latencies)
            result.errors += errors

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    # Every worker opens its connection first; the clock starts when they all pass the barrier.
    start.wait()
    for thread in workers:
        thread.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per operation (default 3)")
    parser.add_argument("--patterns", type=int, default=200, help="patterns seeded before measuring")
    parser.add_argument("--process", action="store_true", help="serve from a separate emulator process")
    args = parser.parse_args()

    with serve(args.process) as (url, seed_user):
        token = seed_user()["token"]
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, trust_env=False
        ) as setup:
            ids = []
            for index in range(args.patterns):
                response = setup.post(
                    "/api/patterns",
                    json={"name": f"bench-{index:04d}", "tags": ["bench"], "graphData": _graph(index)},
                )
                response.raise_for_status()
                ids.append(response.json()["data"]["id"])
        counter = iter(range(10**9))
        operations: list[tuple[str, Callable[[httpx.Client], httpx.Response], str]] = [
            (
                "list (20 per page)",
                lambda c: c.get("/api/patterns", params={"limit": 20}),
                f">= {GET_TARGET:.0f}/s",
            ),
            ("get", lambda c: c.get(f"/api/patterns/{random.choice(ids)}"), f">= {GET_TARGET:.0f}/s"),
            (
                "create",
                lambda c: c.post(
                    "/api/patterns", json={"name": f"new-{next(counter)}", "graphData": _graph(0)}
                ),
                "-",
            ),
        ]
        results = [
            (drive(name, url, token, args.threads, args.seconds, op), target)
            for name, op, target in operations
        ]

    where = "separate process" if args.process else "in-process thread"
    print(
        f"\nemulator throughput: {args.threads} client threads, {args.seconds:g} s per operation, "
        f"{args.patterns} seeded patterns, server in a {where}\n"
    )
    header = (
        f"{'operation':<20} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}  target"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for result, target in results:
        p50, p95 = result.percentile(0.5), result.percentile(0.95)
        print(
            f"{result.name:<20} {len(result.latencies):>9} {result.rate:>9.0f} {p50:>8.1f} {p95:>8.1f} "
            f"{result.errors:>7}  {target}"
        )
        if target != "-" and result.rate < GET_TARGET:
            ok = False
        ok = ok and result.errors == 0
    mean_get = statistics.mean(r.rate for r, t in results if t != "-")
    verdict = "meets" if ok else "MISSES"
    print(f"\nmean GET rate {mean_get:.0f}/s: {verdict} the target of {GET_TARGET:.0f} GET/s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
