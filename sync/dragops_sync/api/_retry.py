"""When and how long the client waits: the retry policy and the shared client-side rate limiter.

The policy (after openai-python's `_base_client`): retry 429 and 502/503/504 answers and transport
failures, at most `max_retries` times, sleeping an exponentially growing, capped and jittered delay, or
exactly what the server's ``Retry-After`` asks for. Whether a *given* request may be repeated (a POST
whose outcome is unknown may not) is decided by the transport, not here.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
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


class RateLimiter:
    """A thread-safe token bucket: on average at most `rate` requests per second, bursts of `burst`.

    Implemented as a virtual schedule (GCRA): each `acquire()` reserves the next free slot under a lock
    and then sleeps outside the lock until that slot, so waiting threads are served in order and never
    spin. `clock` (monotonic seconds) and `sleep` are injectable so tests need no wall-clock time.
    Share one limiter between clients to bound their combined rate.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of requests per second, got {rate!r}")
        burst = max(1, round(rate)) if burst is None else burst
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        self.rate = float(rate)
        self.burst = burst
        self._interval = 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free: float | None = None  # theoretical arrival time of the next request

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}, burst={self.burst})"

    def acquire(self) -> float:
        """Wait for a slot; return the seconds waited (0.0 when a token was available)."""
        with self._lock:
            now = self._clock()
            next_free = now if self._next_free is None else max(self._next_free, now)
            allowed_at = next_free - (self.burst - 1) * self._interval
            self._next_free = next_free + self._interval
        wait = allowed_at - now
        if wait > 1e-9:  # float rounding of the schedule is not a reason to sleep
            self._sleep(wait)
            return wait
        return 0.0
