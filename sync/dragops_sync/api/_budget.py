"""Request budgets: the client's own pace per kind of request, and how long a run waits out the server.

DRAGOPS limits requests per kind (contract D17): reads 1,200 a minute and writes 300 a minute per user,
logins 20 a minute per address. `Rates` splits the client's limiter the same way (by default 20 reads
and 5 writes a second, the documented limits, and logins at 20 a minute); a single number is one budget
for every request, as before. Several runs under one account share the server's budget: each should get
a share (three directories: ``{read: 6, write: 1.5}`` each).

A 429 says the server's budget is spent, not that the request is wrong: `RateLimitWait` lets a run wait
such answers out (as ``Retry-After`` asks) for up to a total time, measured as wall-clock time during
which at least one request was waiting, so eight threads waiting together spend it once, not eight times.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ._retry import RateLimiter

__all__ = [
    "DEFAULT_RATE_LIMIT_WAIT",
    "Pacer",
    "RateLimitWait",
    "Rates",
    "RequestKind",
    "SplitRateLimiter",
    "kind_of",
]

# How long a run may wait out the server's 429s in all before they count as failures (seconds).
DEFAULT_RATE_LIMIT_WAIT = 600.0


class RequestKind(StrEnum):
    """The server's rate-limit categories, as the client classifies its own requests."""

    READ = "read"
    WRITE = "write"
    AUTH = "auth"


def kind_of(method: str, path: str) -> RequestKind:
    """The kind of an API request: ``/auth/*`` is auth, GET/HEAD a read, anything else a write."""
    if path == "/auth" or path.startswith("/auth/"):
        return RequestKind.AUTH
    return RequestKind.READ if method in ("GET", "HEAD") else RequestKind.WRITE


class Pacer(Protocol):
    """What the transport waits for before each attempt (a `RateLimiter` or a `SplitRateLimiter`)."""

    def slot(self, kind: str | None = None) -> AbstractContextManager[float]:
        """Wait for a turn for a request of `kind`; held while the request is in flight."""

    def pause(self, seconds: float, kind: str | None = None) -> None:
        """Hold requests (of `kind`, where the pacer tells kinds apart) back for `seconds`."""


@dataclass(frozen=True)
class Rates:
    """Requests per second for reads and writes (and logins, per minute as the server counts them).

    The defaults are the server's documented limits per user (1,200 reads and 300 writes a minute).
    """

    read: float = 20.0
    write: float = 5.0
    auth_per_minute: float = 20.0

    def __post_init__(self) -> None:
        for name, value in (("read", self.read), ("write", self.write), ("logins", self.auth_per_minute)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"rate.{name} must be a positive number, got {value!r}")

    def __str__(self) -> str:
        return f"read {self.read:g}/s, write {self.write:g}/s"


class SplitRateLimiter:
    """One `RateLimiter` per request kind, so reads do not wait behind writes (or the other way round)."""

    def __init__(
        self,
        rates: Rates,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = rates
        self.limiters = {
            RequestKind.READ: RateLimiter(rates.read, clock=clock, sleep=sleep, name="read"),
            RequestKind.WRITE: RateLimiter(rates.write, clock=clock, sleep=sleep, name="write"),
            RequestKind.AUTH: RateLimiter(rates.auth_per_minute / 60, clock=clock, sleep=sleep, name="login"),
        }

    def __repr__(self) -> str:
        return f"SplitRateLimiter({self.rates})"

    @property
    def read(self) -> RateLimiter:
        return self.limiters[RequestKind.READ]

    @property
    def write(self) -> RateLimiter:
        return self.limiters[RequestKind.WRITE]

    def slot(self, kind: str | None = None) -> AbstractContextManager[float]:
        limiter = self.limiters.get(RequestKind(kind)) if kind is not None else None
        return limiter.slot() if limiter is not None else nullcontext(0.0)

    def pause(self, seconds: float, kind: str | None = None) -> None:
        # The server's budgets are per kind: a refused write says nothing about reads.
        chosen = self.limiters.values() if kind is None else [self.limiters[RequestKind(kind)]]
        for limiter in chosen:
            limiter.pause(seconds)


class RateLimitWait:
    """The run's budget for waiting out 429s: wall-clock seconds during which any request waited.

    `remaining()` says what is left; `waiting()` wraps one wait. `reset()` starts a new run (the daemon
    does at each cycle). Thread-safe.
    """

    def __init__(
        self, total: float = DEFAULT_RATE_LIMIT_WAIT, *, clock: Callable[[], float] = time.monotonic
    ):
        if not total >= 0:
            raise ValueError(f"the rate-limit wait must be >= 0 seconds, got {total!r}")
        self.total = float(total)
        self._clock = clock
        self._lock = threading.Lock()
        self._spent = 0.0
        self._waiting = 0
        self._since = 0.0

    def __repr__(self) -> str:
        return f"RateLimitWait(total={self.total:g}, spent={self.spent():.1f})"

    def spent(self) -> float:
        """Seconds of the budget used so far."""
        with self._lock:
            return self._spent + (self._clock() - self._since if self._waiting else 0.0)

    def remaining(self) -> float:
        return max(0.0, self.total - self.spent())

    def reset(self) -> None:
        with self._lock:
            self._spent = 0.0
            if self._waiting:
                self._since = self._clock()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Count the time inside as waiting (overlapping waits of other threads are counted once)."""
        with self._lock:
            if not self._waiting:
                self._since = self._clock()
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1
                if not self._waiting:
                    self._spent += self._clock() - self._since
