"""What `dragops-sync apply` shows while it writes: the plan first, a confirmation on a terminal, then
progress, each result once, and a summary.

* On a terminal: a `rich` progress bar on stderr (done/total, failures, time left) with each finished
  write's line printed above it.
* Without one (CI): each finished write's line on stdout as it happens, and every `interval` seconds a
  progress line on stderr (`apply: 120/300 done, 2 failed, ~40 s left`), so a long apply is never
  silent and never a wall of text at the end.

`DRAGOPS_SYNC_PROGRESS_INTERVAL` sets the interval (seconds, default 5). Thread-safe: the apply's
workers report results concurrently.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from dragops_sync.apply import ItemResult, ResultStatus

__all__ = ["INTERVAL_ENV", "RESULT_SIGNS", "ApplyProgress", "result_line"]

INTERVAL_ENV = "DRAGOPS_SYNC_PROGRESS_INTERVAL"
_DEFAULT_INTERVAL = 5.0

RESULT_SIGNS = {
    ResultStatus.OK: "✓",
    ResultStatus.FAILED: "✗",
    ResultStatus.SKIPPED: "-",
    ResultStatus.REFUSED: "!",
    ResultStatus.UNCHANGED: "=",
    ResultStatus.ROLLED_BACK: "<",
}
_STYLES = {
    ResultStatus.OK: "green",
    ResultStatus.FAILED: "bold red",
    ResultStatus.SKIPPED: "yellow",
    ResultStatus.REFUSED: "red",
    ResultStatus.ROLLED_BACK: "bold red",
}


def result_line(result: ItemResult) -> str:
    """`✓ ok       update pattern 'Alpha': updated` — one finished item."""
    item = result.item
    sign, status = RESULT_SIGNS[result.status], result.status.value
    line = f"{sign} {status:<8} {item.kind.value} {item.resource.value} {item.name!r}"
    return f"{line}: {result.message}" if result.message else line


def _interval(env: Mapping[str, str]) -> float:
    try:
        value = float(env.get(INTERVAL_ENV) or _DEFAULT_INTERVAL)
    except ValueError:
        return _DEFAULT_INTERVAL
    return value if value > 0 else _DEFAULT_INTERVAL


class ApplyProgress:
    """Progress of one apply. `start(total)` when the writes begin, `result` per finished item (from
    any thread), `finish()` at the end. `terminal`: draw a bar (else periodic lines); `color`: styles."""

    def __init__(
        self,
        *,
        terminal: bool,
        color: bool,
        env: Mapping[str, str] | None = None,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.terminal = terminal
        self.interval = _interval(os.environ if env is None else env)
        self._out = Console(file=out or sys.stdout, force_terminal=color, no_color=not color, highlight=False)
        self._err_stream = err or sys.stderr
        self._clock = clock
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0
        self._failed = 0
        self._started = 0.0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, total: int) -> None:
        """The writes begin: `total` items will report."""
        self._total, self._started = total, self._clock()
        if total == 0:
            return
        if self.terminal:
            console = Console(file=self._err_stream, force_terminal=True, highlight=False)
            self._progress = Progress(
                TextColumn("apply"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task("apply", total=total, failed=0)
            self._progress.start()
            return
        self._ticker = threading.Thread(target=self._tick, name="apply-progress", daemon=True)
        self._ticker.start()

    def result(self, result: ItemResult) -> None:
        """One finished item: its line, once (unchanged items are not news)."""
        with self._lock:
            if result.item.writes:
                self._done += 1
                if result.status in (ResultStatus.FAILED, ResultStatus.ROLLED_BACK):
                    self._failed += 1
            if result.status == ResultStatus.UNCHANGED:
                return
            line = Text(result_line(result), style=_STYLES.get(result.status, ""))
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self._done, failed=self._failed)
                self._progress.console.print(line)
            else:
                self._out.print(line)

    def line(self) -> str:
        """`apply: 120/300 done, 2 failed, ~40 s left`."""
        with self._lock:
            done, total, failed = self._done, self._total, self._failed
        elapsed = self._clock() - self._started
        left = f", ~{elapsed / done * (total - done):.0f} s left" if 0 < done < total else ""
        return f"apply: {done}/{total} done, {failed} failed{left}"

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            print(self.line(), file=self._err_stream, flush=True)

    def finish(self) -> None:
        """Stop the bar or the periodic lines."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        if self._progress is not None:
            self._progress.stop()
