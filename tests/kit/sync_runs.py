"""Running the sync against an emulator: one cycle, the CLI in-process, the watch daemon in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions
from dragops_sync.cli import cli
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.daemon import CycleOutcome, Daemon, DaemonSettings
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import PlanOptions
from kit.waiting import wait_for

# Environment variables that must not leak from the machine running the tests into the CLI.
_CLEAN_ENV = {
    "DRAGOPS_URL": None,
    "DRAGOPS_TOKEN": None,
    "DRAGOPS_EMAIL": None,
    "DRAGOPS_PASSWORD": None,
    "DRAGOPS_CA_BUNDLE": None,
}


def cycle(
    client: Client,
    repo: Path,
    observer: LiveObserver | None = None,
    *,
    owner: str | None = None,
    prune: bool | None = None,
    force: bool = False,
    adopt: bool = False,
    concurrency: int | None = None,
    **rest: Any,
) -> CycleResult:
    """`run_cycle` with the plan and apply options as the CLI's flags (gathered into their objects)."""
    return run_cycle(
        client,
        repo,
        observer=observer or LiveObserver(client),
        planning=PlanOptions(owner=owner, prune=prune, force=force, adopt=adopt),
        applying=ApplyOptions(concurrency=concurrency),
        **rest,
    )


def run_cli(
    args: Sequence[str],
    *,
    emu: Emulator | None = None,
    user: SeededUser | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Result:
    """Run `dragops-sync ARGS` in-process; DRAGOPS_URL/TOKEN point at the emulator when given."""
    environment: dict[str, str | None] = dict(_CLEAN_ENV)
    if emu is not None:
        environment["DRAGOPS_URL"] = emu.url
    if user is not None:
        environment["DRAGOPS_TOKEN"] = user.token
    environment.update(env or {})
    runner = CliRunner()
    return runner.invoke(cli, list(args), env=environment, catch_exceptions=False)


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

        outcome = wait_for(found, timeout=60.0, what=what)
        assert outcome is not None  # wait_for returns only a truthy value
        return outcome


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
