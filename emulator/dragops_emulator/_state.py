"""EmulatorState: everything one emulator instance holds (store, clock, settings, faults, limits, log).

Handlers reach it through ``_http.state(request)``; the control endpoints change it at run time.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict, deque
from typing import Any

from dragops_emulator._clock import Clock
from dragops_emulator._faults import FaultRegistry
from dragops_emulator._ratelimit import RateLimiter
from dragops_emulator._settings import EmulatorSettings
from dragops_emulator._store import Store

__all__ = ["EmulatorState", "RequestLog", "TokenCache"]

_JWT_SECRET_KEY = "jwt_secret"


class RequestLog:
    """The method, path and status of recent API requests (control endpoints excluded), oldest first."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int, at: str) -> None:
        """Append one finished request."""
        with self._lock:
            self._entries.append({"method": method, "path": path, "status": status, "at": at})

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the log."""
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


class TokenCache:
    """Claims of recently verified tokens (bounded, least recently used dropped first)."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._claims: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified before, or None."""
        with self._lock:
            claims = self._claims.get(token)
            if claims is not None:
                self._claims.move_to_end(token)
            return claims

    def put(self, token: str, claims: dict[str, Any]) -> None:
        """Remember a verified token's claims."""
        with self._lock:
            self._claims[token] = claims
            if len(self._claims) > self._maxsize:
                self._claims.popitem(last=False)


class EmulatorState:
    """The state of one emulator instance, shared by the middleware, the routes and the control API."""

    def __init__(self, settings: EmulatorSettings | None = None) -> None:
        self.initial_settings = settings or EmulatorSettings()
        self.settings = self.initial_settings
        self.store = Store(self.initial_settings.db_path)
        self.clock = Clock()
        self.faults = FaultRegistry()
        self.limiter = RateLimiter()
        self.request_log = RequestLog()
        self.verified_tokens = TokenCache()
        # Kept in the store, so tokens issued before a restart stay valid with a database file.
        secret = self.store.get_meta(_JWT_SECRET_KEY)
        if secret is None:
            secret = secrets.token_hex(32)
            self.store.set_meta(_JWT_SECRET_KEY, secret)
        self.jwt_secret = secret

    def __repr__(self) -> str:
        # Never show the signing secret.
        return f"EmulatorState(db_path={self.initial_settings.db_path!r})"

    def reset(self) -> None:
        """Wipe all data, faults, the request log, rate-limit buckets and the clock shift; restore the
        settings the instance started with."""
        self.store.clear()
        self.faults.clear()
        self.request_log.clear()
        self.limiter.reset()
        self.clock.reset()
        self.settings = self.initial_settings
