"""The file-event trigger of the watch daemon: "something in the directory changed, reconcile soon".

`DirectoryWatcher` watches a sync directory in its own thread (watchfiles, i.e. inotify and friends)
and, once the changes have settled for `debounce` seconds, sets the `requested` event it was given.
That is all it does: events are hints, not data. The daemon then re-reads the whole tree and
reconciles (level-triggered, as kopf and gitops-engine do), so a missed, duplicated or reordered
event costs at most one extra cycle and never a wrong result; the interval resync covers anything lost.

Changes that cannot matter are filtered out before they count: anything under `.git/` (a `git fetch`
must not trigger a cycle; the merge that follows changes the working tree, and that does),
`.dragops-local/` (the embedded emulator's database), and editor droppings (swap, backup and lock
files). `is_relevant` is that filter as a pure function.

This is the only module of the project that imports watchfiles.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePath

import watchfiles

__all__ = ["DEFAULT_DEBOUNCE", "IGNORED_DIRS", "DirectoryWatcher", "is_relevant"]

log = logging.getLogger(__name__)

# Seconds of quiet after the last change before a reconcile is requested.
DEFAULT_DEBOUNCE = 0.5

# Folders whose content never changes what the sync reads.
IGNORED_DIRS = frozenset(
    {".git", ".dragops-local", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".idea"}
)

# Editor and tool droppings: vim swap files (.swp, .swo, ...) and its write test file 4913, backups
# ending in ~, emacs lock (.#x) and autosave (#x#) files, JetBrains safe-write temporaries, macOS
# folder metadata.
_IGNORED_NAMES = re.compile(r"(\.sw[a-px]|~|\.___jb_\w+___)$|^(\.#.*|#.*#|4913|\.DS_Store)$")


def is_relevant(path: str | PurePath, root: str | PurePath) -> bool:
    """Whether a change of `path` (inside the watched `root`) can change what the sync reads."""
    try:
        parts = PurePath(path).relative_to(PurePath(root)).parts
    except ValueError:
        return False  # outside the directory (watchfiles reports only inside; be safe)
    if not parts:
        return True  # the directory itself (e.g. replaced by a checkout)
    if any(part in IGNORED_DIRS for part in parts[:-1]) or parts[0] in IGNORED_DIRS:
        return False
    return not _IGNORED_NAMES.search(parts[-1])


class DirectoryWatcher:
    """Watches `directory` in a thread and sets `requested` when relevant files changed and settled.

    `debounce` is the quiet time (seconds) after the last change before `requested` is set, so an
    editor's save or a checkout touching many files gives one reconcile; `max_delay` bounds the wait
    when changes never settle. `on_request` (optional) is called after each request with the relative
    paths seen, for logging. Use as a context manager, or `start()` and `stop()`.
    """

    def __init__(
        self,
        directory: str | Path,
        requested: threading.Event,
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        max_delay: float = 10.0,
        on_request: Callable[[list[str]], None] | None = None,
        force_polling: bool | None = None,
    ) -> None:
        if not debounce > 0:
            raise ValueError(f"debounce must be a positive number of seconds, got {debounce!r}")
        if max_delay < debounce:
            raise ValueError(f"max_delay ({max_delay}) must be at least the debounce ({debounce})")
        root = Path(directory)
        if not root.is_dir():
            raise ValueError(f"cannot watch {str(root)!r}: not a directory")
        self.directory = root.resolve()
        self.requested = requested
        self.debounce = debounce
        self.max_delay = max_delay
        self._on_request = on_request
        self._force_polling = force_polling
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def __repr__(self) -> str:
        return f"DirectoryWatcher({str(self.directory)!r}, debounce={self.debounce:g})"

    def start(self) -> None:
        """Start the watching thread (a daemon thread, so it never keeps the process alive)."""
        if self._thread is not None:
            raise RuntimeError("this watcher was already started")
        self._thread = threading.Thread(target=self._run, name="dragops-sync-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait (up to `timeout` s) for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> DirectoryWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _filter(self, change: watchfiles.Change, path: str) -> bool:
        return is_relevant(path, self.directory)

    def _run(self) -> None:
        pending: list[str] = []
        first = last = 0.0
        # rust_timeout makes the generator come back (empty) while quiet, which is when a pending
        # request becomes due; `step` is how often watchfiles checks for more changes and the stop event.
        quiet_ms = max(50, int(self.debounce * 1000))
        try:
            for changes in watchfiles.watch(
                self.directory,
                watch_filter=self._filter,
                debounce=quiet_ms,
                step=50,
                rust_timeout=quiet_ms,
                yield_on_timeout=True,
                stop_event=self._stop,
                raise_interrupt=False,
                force_polling=self._force_polling,
            ):
                now = time.monotonic()
                if changes:
                    if not pending:
                        first = now
                    last = now
                    pending.extend(self._relative(path) for _, path in changes)
                if pending and (now - last >= self.debounce or now - first >= self.max_delay):
                    paths = sorted(set(pending))
                    pending.clear()
                    log.debug("files changed (%s); a reconcile is requested", ", ".join(paths[:10]))
                    self.requested.set()
                    if self._on_request is not None:
                        self._on_request(paths)
        except Exception as exc:  # the daemon keeps its interval resync; it reports the watcher's death
            self.error = exc
            log.error("the file watcher of %s stopped: %s", self.directory, exc)

    def _relative(self, path: str) -> str:
        try:
            return PurePath(path).relative_to(self.directory).as_posix()
        except ValueError:
            return path
