"""Push latency: how long after a `git push` the changed pattern is live, with the push webhook and with
polling, side by side.

Starts an emulator, a bare repository served over `file://`, and the watch daemon following it
(`--repo`). Then, N times: commit a new Log message, push, and time until the emulator serves the new
message — once with the daemon told by a signed `POST /hooks/github` right after each push (interval
300 s, so only the webhook can explain a fast answer), once with polling at `--interval 5` and no
webhook. Prints p50 and p95 of each. Target: with the webhook, p50 under 2 s.

    python benchmarks/push_latency.py [--pushes 20] [--interval 5]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "sync"), str(ROOT / "emulator")]

from dragops_emulator import Emulator, EmulatorSettings  # noqa: E402
from dragops_sync.api import Client  # noqa: E402
from dragops_sync.daemon import Daemon, DaemonSettings  # noqa: E402
from dragops_sync.source import GitSource, RemoteRepo  # noqa: E402

SECRET = "benchmark-webhook-secret"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True, env=GIT_ENV
    )
    return done.stdout.strip()


def write_pattern(author: Path, message: str) -> None:
    document = {
        "formatVersion": 1,
        "name": "Latency Probe",
        "graphData": {
            "nodes": [
                {"id": "hook", "type": "OnWebhook", "position": {"x": 0, "y": 0}, "data": {}},
                {
                    "id": "log",
                    "type": "Log",
                    "position": {"x": 300, "y": 0},
                    "data": {"pinDefaults": {"message": message}},
                },
            ],
            "edges": [
                {
                    "id": "e1",
                    "source": "hook",
                    "sourceHandle": "exec",
                    "target": "log",
                    "targetHandle": "exec",
                }
            ],
        },
    }
    (author / "patterns").mkdir(exist_ok=True)
    (author / "patterns" / "probe.json").write_text(json.dumps(document, indent=2), encoding="utf-8")


def live_message(client: Client) -> str | None:
    for summary in client.patterns.list(search="Latency Probe"):
        graph = client.patterns.get(summary.id).graph_data
        return str(next(n for n in graph["nodes"] if n["id"] == "log")["data"]["pinDefaults"]["message"])
    return None


def notify(url: str) -> None:
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{url}/hooks/github",
        data=body,
        method="POST",
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": signature},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def measure(
    client: Client, author: Path, bare: Path, work: Path, *, webhook: bool, interval: float, pushes: int
) -> list[float]:
    source = GitSource(RemoteRepo(bare.as_uri()), workdir=work)
    source.prepare()
    settings = DaemonSettings(
        source.directory,
        interval=300.0 if webhook else interval,
        status_addr="127.0.0.1:0",
        source=source,
        webhook_secret=SECRET if webhook else None,
    )
    daemon = Daemon(settings, client=client)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    times: list[float] = []
    try:
        for n in range(pushes):
            message = f"{'hook' if webhook else 'poll'} {n} {time.time()}"
            write_pattern(author, message)
            git(author, "add", "-A")
            git(author, "commit", "-q", "-m", message)
            git(author, "push", "-q", "origin", "main")
            started = time.monotonic()
            if webhook:
                assert daemon.status_url is not None
                notify(daemon.status_url)
            while live_message(client) != message:
                if time.monotonic() - started > 120:
                    raise SystemExit(f"push {n} never reached the instance")
                time.sleep(0.02)
            times.append(time.monotonic() - started)
    finally:
        daemon.stop_event.set()
        thread.join(30)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pushes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as emu,
    ):
        root = Path(tmp)
        bare = root / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
        author = root / "author"
        author.mkdir()
        git(author, "init", "-q", "-b", "main")
        (author / "dragops-sync.yaml").write_text(
            "owner: bench/latency\nrate: 1000\ndefaults: {deploy: false}\n"
        )
        write_pattern(author, "first")
        git(author, "add", "-A")
        git(author, "commit", "-q", "-m", "first")
        git(author, "remote", "add", "origin", str(bare))
        git(author, "push", "-q", "-u", "origin", "main")
        user = emu.seed_user()
        with Client(base_url=emu.url, token=user.token) as client:
            hooked = measure(
                client,
                author,
                bare,
                root / "work-hook",
                webhook=True,
                interval=args.interval,
                pushes=args.pushes,
            )
            polled = measure(
                client,
                author,
                bare,
                root / "work-poll",
                webhook=False,
                interval=args.interval,
                pushes=args.pushes,
            )
    print(f"push -> live, {args.pushes} pushes each (seconds)")
    print(f"{'':24} {'p50':>8} {'p95':>8} {'mean':>8}")
    for label, values in (("webhook", hooked), (f"polling --interval {args.interval:g}", polled)):
        p50, p95, mean = statistics.median(values), percentile(values, 0.95), statistics.mean(values)
        print(f"{label:24} {p50:8.2f} {p95:8.2f} {mean:8.2f}")
    p50 = statistics.median(hooked)
    print(f"target: webhook p50 under 2 s -> {'met' if p50 < 2.0 else 'NOT met'} ({p50:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
