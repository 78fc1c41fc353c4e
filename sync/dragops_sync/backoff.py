"""Per-object retry backoff for the watch daemon: a failing pattern waits, the others proceed.

When a write for one pattern fails (its deploy is rejected, the server answers 500 on its path, ...),
retrying it on every cycle would hammer the instance and flood the log with the same error, while
blocking nothing else would still be required. `Backoff` remembers, per key (the daemon uses the
pattern name), how many times in a row it failed and when it may be tried again: the n-th consecutive
failure waits ``initial * factor**(n-1)`` seconds, capped at `maximum`. A success forgets the key.
The daemon filters a waiting key's plan items out of each cycle until its time has come.

Pure: every method takes `now` (seconds on any monotonic scale) from the caller; no clock, no I/O.
Not thread-safe on its own; the daemon uses it from its loop thread only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Backoff", "BackoffEntry"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class BackoffEntry:
    """The retry state of one key: consecutive failures, the time of the next attempt, the last error."""

    failures: int
    next_attempt: float
    delay: float
    error: str = ""


class Backoff(Generic[K]):
    """Capped exponential backoff per key.

    `initial` (s) is the wait after the first failure, multiplied by `factor` after each further
    consecutive failure, never above `maximum`.
    """

    def __init__(self, *, initial: float = 10.0, factor: float = 2.0, maximum: float = 600.0) -> None:
        if not initial > 0:
            raise ValueError(f"initial must be a positive number of seconds, got {initial!r}")
        if not factor >= 1:
            raise ValueError(f"factor must be at least 1, got {factor!r}")
        if maximum < initial:
            raise ValueError(f"maximum ({maximum!r}) must be at least initial ({initial!r})")
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self._entries: dict[K, BackoffEntry] = {}

    def __repr__(self) -> str:
        return (
            f"Backoff(initial={self.initial:g}, factor={self.factor:g}, maximum={self.maximum:g}, "
            f"waiting={len(self._entries)})"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._entries))

    def failed(self, key: K, now: float, error: str = "") -> BackoffEntry:
        """Record a failure of `key` at `now`; return its new state (with the next attempt time)."""
        previous = self._entries.get(key)
        failures = 1 if previous is None else previous.failures + 1
        # Grown from the previous wait, not as initial * factor**n: a pattern failing for days would
        # otherwise overflow the float power long after the cap was reached.
        delay = self.initial if previous is None else min(previous.delay * self.factor, self.maximum)
        entry = BackoffEntry(failures=failures, next_attempt=now + delay, delay=delay, error=error)
        self._entries[key] = entry
        return entry

    def succeeded(self, key: K) -> bool:
        """Forget `key` after a success; True when it had been failing."""
        return self._entries.pop(key, None) is not None

    def forget(self, key: K) -> None:
        """Drop `key` (e.g. its file was deleted); a no-op when unknown."""
        self._entries.pop(key, None)

    def ready(self, key: K, now: float) -> bool:
        """Whether `key` may be tried at `now` (never failed, or its wait is over)."""
        entry = self._entries.get(key)
        return entry is None or now >= entry.next_attempt

    def entry(self, key: K) -> BackoffEntry | None:
        """The retry state of `key`, or None when it is not failing."""
        return self._entries.get(key)

    def waiting(self, now: float) -> frozenset[K]:
        """The keys that may not be tried yet at `now`."""
        return frozenset(key for key, entry in self._entries.items() if now < entry.next_attempt)
