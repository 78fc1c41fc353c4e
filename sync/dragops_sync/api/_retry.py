"""When and how long the client waits: the retry policy and the shared client-side rate limiter.

The policy (after openai-python's `_base_client`): retry 429 and 502/503/504 answers and transport
failures, at most `max_retries` times, sleeping an exponentially growing, capped and jittered delay, or
exactly what the server's ``Retry-After`` asks for. Whether a *given* request may be repeated (a POST
whose outcome is unknown may not) is decided by the transport, not here.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

__all__ = ["RETRYABLE_STATUSES", "RateLimiter", "RetryPolicy", "parse_retry_after"]

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


class RateLimiter:
    """A thread-safe pacer: never more than `rate` requests in any one-second window, evenly spaced.

    "Never exceed the configured rate" must hold for *any* one-second window, so there is no burst:
    one waiter at a time takes its turn, sleeps until ``last_grant + interval``, and then records the
    clock reading taken AFTER the sleep as the new `last_grant`. A late wake-up (a busy machine, the
    GIL) therefore pushes the next grant back instead of letting it catch up, and grants never bunch.

    `per_second` is ``floor(rate)`` (at least 1): a fractional rate of 2.5/s allows 2 in any second.
    The limiter keeps them to a window of 1.02 s (see `_HEADROOM`), so the interval is
    ``max(1/rate, 1.02/per_second)``; it also remembers its last `per_second` grants and never grants
    one less than 1.02 s after the oldest, because the spacing alone could fit ``per_second + 1``
    grants in a second through float rounding (ten steps of 0.1 s add up to less than 1.0).

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
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"rate must be a positive number of requests per second, got {rate!r}")
        if not math.isfinite(rate):
            raise ValueError(f"rate must be a finite number of requests per second, got {rate!r}")
        self.rate = float(rate)
        self.per_second = max(1, math.floor(self.rate))
        self._window = 1.0 + _HEADROOM
        self.interval = max(1.0 / self.rate, self._window / self.per_second)
        self._clock = clock
        self._sleep = sleep
        # Held across the sleep on purpose: the waiters take their turns one at a time, in the
        # order they got the lock, and each one's grant time is known before the next one looks.
        self._turn = threading.Lock()
        self._granted: deque[float] = deque(maxlen=self.per_second)

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g})"

    def acquire(self) -> float:
        """Wait for this caller's turn; return the seconds slept (0.0 when it could go at once)."""
        with self._turn:
            now = self._clock()
            earliest = self._earliest()
            waited = 0.0
            if earliest is not None and now < earliest:
                waited = earliest - now
                self._sleep(waited)
                # Measured after the sleep: a late wake-up spaces the next grant from when this one
                # really went. Never before `earliest`, even if an injected sleep came back early.
                now = max(self._clock(), earliest)
            self._granted.append(now)
            return waited

    def _earliest(self) -> float | None:
        if not self._granted:
            return None
        earliest = self._granted[-1] + self.interval
        if len(self._granted) == self.per_second:
            earliest = max(earliest, self._granted[0] + self._window)
        return earliest
