"""When and how long the client waits: the retry policy and the shared client-side rate limiter.

The policy (after openai-python's `_base_client`): retry 429 and 502/503/504 answers and transport
failures, at most `max_retries` times, sleeping an exponentially growing, capped and jittered delay, or
exactly what the server's ``Retry-After`` asks for. Whether a *given* request may be repeated (a POST
whose outcome is unknown may not) is decided by the transport, not here.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC

__all__ = ["RETRYABLE_STATUSES", "RateLimiter", "RetryPolicy", "parse_retry_after"]

logger = logging.getLogger("dragops_sync.api")

# 429: the request was refused before any work was done. 502/503/504: a gateway or an overloaded
# server; the work may or may not have happened (the transport treats writes with care).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    `max_retries` retries after the first attempt (so ``max_retries + 1`` attempts in all); the n-th retry
    waits ``initial_delay * 2**(n-1)`` capped at `max_delay`, minus up to `jitter` of it (so many clients
    that failed together do not retry together); a ``Retry-After`` is honoured up to `max_retry_after`.
    """

    max_retries: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter}")

    @property
    def attempts(self) -> int:
        """Total number of attempts a retryable request may make."""
        return self.max_retries + 1

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry_number` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        base = min(self.initial_delay * 2 ** (retry_number - 1), self.max_delay)
        return float(base * (1 - self.jitter * self.random()))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


# Seconds added to the one-second window the limiter keeps to. The server counts requests as they
# arrive, and the network and the server's own scheduling move arrivals by a few milliseconds either
# way; without headroom, two requests exactly one second apart on the client could land 0.999 s apart.
# 20 ms costs 2% of the throughput.
_HEADROOM = 0.02

# Once the limiter has held requests back this long in all, it says so (once): the run is waiting on
# its own budget, not on the server, and a bigger `rate` (if the server allows it) would be faster.
_NOTE_AFTER = 5.0


class _Slot:
    """One granted request: when it was let go, and when its answer came back (None while in flight)."""

    __slots__ = ("done", "granted", "waited")

    def __init__(self, granted: float, waited: float) -> None:
        self.granted = granted
        self.waited = waited
        self.done: float | None = None


class RateLimiter:
    """A thread-safe pacer: never more than `rate` requests in any one-second window, evenly spaced.

    "Never exceed the configured rate" must hold for *any* one-second window, so there is no burst:
    one waiter at a time takes its turn, sleeps until ``last_grant + interval``, and then records the
    clock reading taken AFTER the sleep as the new `last_grant`. A late wake-up (a busy machine, the
    GIL) therefore pushes the next grant back instead of letting it catch up, and grants never bunch.

    `per_second` is ``floor(rate)`` (at least 1): a fractional rate of 2.5/s allows 2 in any second.
    The limiter keeps them to a window of 1.02 s (see `_HEADROOM`), so the interval is
    ``max(1/rate, 1.02/per_second)``; it also remembers its last `per_second` requests and never grants
    one less than 1.02 s after the oldest of them *finished* (`slot`), or was granted (`acquire`, which
    does not know when the request ends). Counting from the end is what makes the bound hold where the
    server counts: a request reaches the server (and is logged by it) somewhere between its grant and
    its answer, so a slow request granted early can be counted in the same second as quick ones granted
    a second later; spacing grants alone let a busy second hold ``per_second + 1``.

    `pause(seconds)` holds every grant back until then (the server asked, with ``Retry-After``, to wait).

    `clock` (monotonic seconds) and `sleep` are injectable so tests need no wall-clock time; the sleep
    must let the clock advance by at least what it was asked for (``time.sleep`` does). Share one
    limiter between clients to bound their combined rate.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "",
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"rate must be a positive number of requests per second, got {rate!r}")
        if not math.isfinite(rate):
            raise ValueError(f"rate must be a finite number of requests per second, got {rate!r}")
        self.rate = float(rate)
        self.name = name
        self.per_second = max(1, math.floor(self.rate))
        self._window = 1.0 + _HEADROOM
        self.interval = max(1.0 / self.rate, self._window / self.per_second)
        self._clock = clock
        self._sleep = sleep
        # Held across the sleep on purpose: the waiters take their turns one at a time, in the
        # order they got the lock, and each one's grant time is known before the next one looks.
        self._turn = threading.Lock()
        self._finished = threading.Condition()
        self._granted: deque[_Slot] = deque(maxlen=self.per_second)
        self._paused_until: float | None = None
        self.waited_total = 0.0  # seconds requests spent held back by this limiter (not by the server)
        self._noted = False

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g})"

    def acquire(self) -> float:
        """Wait for this caller's turn; return the seconds slept (0.0 when it could go at once).

        The request is taken to be over at once; `slot` is the form that knows when it ends.
        """
        slot = self._take()
        self._finish(slot, slot.granted)
        return slot.waited

    @contextmanager
    def slot(self, kind: str | None = None) -> Iterator[float]:
        """Wait for a turn, hold it while the request is sent and answered; yields the seconds waited.

        `kind` (read, write, auth) is for limiters split by kind; one budget ignores it.
        """
        taken = self._take()
        try:
            yield taken.waited
        finally:
            self._finish(taken, self._clock())

    def pause(self, seconds: float, kind: str | None = None) -> None:
        """Let no request go for `seconds` from now (the server answered 429 with a ``Retry-After``)."""
        until = self._clock() + max(0.0, seconds)
        with self._finished:
            if self._paused_until is None or until > self._paused_until:
                self._paused_until = until

    def _take(self) -> _Slot:
        with self._turn:
            if len(self._granted) == self.per_second:
                oldest = self._granted[0]
                with self._finished:
                    # The oldest of the last `per_second` requests must have been answered: until
                    # then the server may yet count it in the coming second.
                    self._finished.wait_for(lambda: oldest.done is not None)
            now = self._clock()
            earliest = self._earliest()
            waited = 0.0
            if earliest is not None and now < earliest:
                waited = earliest - now
                self._sleep(waited)
                # Measured after the sleep: a late wake-up spaces the next grant from when this one
                # really went. Never before `earliest`, even if an injected sleep came back early.
                now = max(self._clock(), earliest)
            slot = _Slot(now, waited)
            self._granted.append(slot)
            self._note(waited)
            return slot

    def _finish(self, slot: _Slot, at: float) -> None:
        with self._finished:
            slot.done = max(at, slot.granted)
            self._finished.notify_all()

    def _earliest(self) -> float | None:
        with self._finished:
            paused = self._paused_until
        earliest = paused
        if self._granted:
            after_last = self._granted[-1].granted + self.interval
            earliest = after_last if earliest is None else max(earliest, after_last)
            if len(self._granted) == self.per_second:
                oldest = self._granted[0]
                assert oldest.done is not None  # waited for in `_take`
                earliest = max(earliest, oldest.done + self._window)
        return earliest

    def _note(self, waited: float) -> None:
        if not waited:
            return
        self.waited_total += waited
        if self.waited_total >= _NOTE_AFTER and not self._noted:
            self._noted = True
            which = f"{self.name} " if self.name else ""
            logger.info(
                "requests have waited %.0f s for the client's own %srate limit (%g/s), not for the server; "
                "if the server allows more, a higher `rate` in dragops-sync.yaml makes this run faster",
                self.waited_total,
                which,
                self.rate,
            )
