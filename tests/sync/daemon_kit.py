"""Helpers for the watch daemon tests: a sync directory in a real git repository, a daemon in a thread,
and waiting by polling (never by asserting a duration)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sync_kit import OWNER, webhook_logger

from dragops_sync.api import Client
from dragops_sync.daemon import CycleOutcome, Daemon, DaemonSettings

T = TypeVar("T")

SETTINGS = f"owner: {OWNER}\ndefaults: {{deploy: false}}\n"


def wait_for(predicate: Callable[[], T], *, timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init_repo(root: Path) -> Path:
    """A git repository with an identity, ready for commits."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.com")
    git(root, "config", "user.name", "CI")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def pattern_file(root: Path, slug: str, name: str, message: str = "got it", **sync: Any) -> Path:
    """Write patterns/<slug>.json: a webhook logger named `name` whose Log node says `message`."""
    document = webhook_logger(name, message)
    if sync:
        document["sync"] = sync
    path = root / "patterns" / f"{slug}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def sync_repo(root: Path, names: dict[str, str], settings: str = SETTINGS) -> Path:
    """A committed sync directory: `dragops-sync.yaml` and one pattern file per slug -> name."""
    init_repo(root)
    (root / "dragops-sync.yaml").write_text(settings, encoding="utf-8")
    for slug, name in names.items():
        pattern_file(root, slug, name)
    commit_all(root, "initial patterns")
    return root


def live_message(client: Client, name: str) -> str | None:
    """The Log message of the live pattern `name`, or None when there is no such pattern."""
    for summary in client.patterns.list(search=name):
        if summary.name == name:
            graph = client.patterns.get(summary.id).graph_data
            for node in graph.get("nodes", []):
                if node.get("type") == "Log":
                    return str(node["data"]["pinDefaults"]["message"])
    return None


def live_names(client: Client) -> set[str]:
    return {p.name for p in client.patterns.list()}


class DaemonThread:
    """A `Daemon` running in a thread, with every cycle's outcome collected."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.outcomes: list[CycleOutcome] = []
        self.returned: int | None = None
        self._lock = threading.Lock()
        daemon.on_cycle = self._record
        self._thread = threading.Thread(target=self._run, name="test-daemon", daemon=True)

    def _record(self, outcome: CycleOutcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def _run(self) -> None:
        self.returned = self.daemon.run()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Set the stop event and wait for `run()` to return 0."""
        self.daemon.stop_event.set()
        self._thread.join(60)
        assert not self._thread.is_alive(), "the daemon did not stop within 60 s"
        assert self.returned == 0

    @property
    def cycles(self) -> int:
        with self._lock:
            return len(self.outcomes)

    def wait_cycles(self, count: int, timeout: float = 60.0) -> CycleOutcome:
        """Wait until `count` cycles finished; return cycle number `count`."""
        wait_for(lambda: self.cycles >= count, timeout=timeout, what=f"{count} daemon cycle(s)")
        with self._lock:
            return self.outcomes[count - 1]

    def wait_settled(self) -> int:
        """Wait for the start cycle and, when it wrote anything, its follow-up; return the cycle count."""
        first = self.wait_cycles(1)
        wrote = first.report is not None and any(r.item.writes and r.ok for r in first.report.results)
        if wrote:
            self.wait_cycles(2)
        return self.cycles

    def wait_cycle_after(
        self, seen: int, predicate: Callable[[CycleOutcome], bool], what: str
    ) -> CycleOutcome:
        """Wait for a cycle numbered above `seen` for which `predicate` holds."""

        def found() -> CycleOutcome | None:
            with self._lock:
                return next((o for o in self.outcomes[seen:] if predicate(o)), None)

        return wait_for(found, timeout=60.0, what=what)


@contextmanager
def running_daemon(directory: Path, client: Client, **options: Any) -> Iterator[DaemonThread]:
    """Run a daemon on `directory` in a thread (status server on a free port); stop it on exit."""
    options.setdefault("status_addr", "127.0.0.1:0")
    options.setdefault("debounce", 0.2)
    settings = DaemonSettings.of(directory, **options)
    daemon = Daemon(settings, client=client)
    runner = DaemonThread(daemon)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()
