"""SIGTERM while an apply is in flight: the daemon runs as its own process (signal handlers on its main
thread, as under `dragops-sync watch`), the emulator holds one update in flight with injected latency,
and the test checks the clean exit and that nothing is left half-written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.cycle import run_cycle
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import ActionKind, PlanOptions
from kit.documents import OWNER
from kit.git import git
from kit.live import live_message
from kit.sync_dirs import SETTINGS, pattern_file, sync_repo
from kit.waiting import wait_for

_DAEMON = """
import sys
from dragops_sync.api import Client
from dragops_sync.daemon import run_daemon

code = run_daemon(sys.argv[1], client_factory=Client, interval=3600, status_addr="127.0.0.1:0", debounce=0.2)
sys.exit(code)
"""


class _Lines:
    """The daemon's stderr, read line by line in a thread."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def has(self, text: str) -> bool:
        with self._lock:
            return any(text in line for line in self.lines)

    def join(self) -> None:
        self._thread.join(10)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)


def test_sigterm_mid_apply_finishes_the_write_in_flight_skips_the_rest_and_exits_zero(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    names = {"a": "Alpha", "b": "Beta", "c": "Gamma"}
    repo = sync_repo(tmp_path / "repo", names, settings=SETTINGS + "concurrency: 1\n")
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    proc = subprocess.Popen(
        [sys.executable, "-c", _DAEMON, str(repo)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = _Lines(proc.stderr)
    try:
        # The start cycle creates the patterns; its follow-up (cycle 2) finds them in sync.
        wait_for(lambda: log.has("cycle 2 done"), timeout=60, what="the daemon's first cycles")

        # Every update now takes 1.5 s inside the emulator; with concurrency 1, one is in flight at a
        # time. The signal goes out milliseconds after the request arrives, well inside that window.
        emu.inject_fault(method="PUT", path="/api/patterns/*", kind="latency", latency_ms=1500, count=50)
        for slug, name in names.items():
            pattern_file(repo, slug, name, message="v2")
        # The fault's count drops when a request arrives, so 49 means: one update is in flight now.
        wait_for(lambda: emu.faults()[0]["count"] == 49, timeout=60, what="an update in flight")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.join()  # the pipe ends with the process
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0, log.text()
    assert log.has("received SIGTERM: finishing the writes in flight, then stopping")
    assert log.has("stopped after ")
    emu.clear_faults()

    with Client(base_url=emu.url, token=user.token) as client:
        messages = {name: live_message(client, name) for name in names.values()}
        # The update in flight completed; the ones not started were skipped, not half-done.
        assert sorted(messages.values()) == ["got it", "got it", "v2"]
        # Nothing half-written: the completed pattern carries the mark of what it holds (in sync), the
        # others are plain pending updates of their changed files, and nothing reads as a conflict.
        check = run_cycle(
            client, repo, observer=LiveObserver(client), planning=PlanOptions(owner=OWNER), dry_run=True
        )
    kinds = {item.name: item.kind for item in check.plan.items}
    done = next(name for name, message in messages.items() if message == "v2")
    assert kinds[done] == ActionKind.NOOP
    assert all(kind == ActionKind.UPDATE for name, kind in kinds.items() if name != done)


_CLI = "import sys; from dragops_sync.cli import main; main(sys.argv[1:])"


def test_the_watch_command_serves_health_and_stops_cleanly_on_sigint(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    command = ["watch", str(repo), "--interval", "3600", "--status-addr", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = _Lines(proc.stderr)
    try:
        wait_for(lambda: log.has("cycle 2 done"), timeout=60, what="the start cycle and its follow-up")
        match = re.search(r"status endpoints on (http://\S+)", log.text())
        assert match is not None, log.text()
        with urllib.request.urlopen(match.group(1) + "/healthz", timeout=10) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.join()
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0, log.text()
    assert log.has("received SIGINT: finishing the writes in flight, then stopping")
    assert log.has(f"reconciling commit {git(repo, 'rev-parse', 'HEAD')[:12]}")
    assert user.token not in log.text()
    with Client(base_url=emu.url, token=user.token) as client:
        assert live_message(client, "Alpha") == "got it"
