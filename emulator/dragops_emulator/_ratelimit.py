"""Rate limits (D17): token buckets per category and key, answering 429 ``RATE_LIMITED`` + ``Retry-After``.

Categories: ``auth`` (``/api/auth/*``, per client address), ``webhook`` (ingestion, per client address),
``read`` (other GET/HEAD, per user) and ``write`` (the rest, per user). A user is the subject of a
correctly signed token (expired or not); requests without one are keyed by address. Buckets use the
real monotonic clock: shifting the emulator clock is for token expiry, not for refilling buckets.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dragops_emulator._faults import is_control_path
from dragops_emulator._tokens import token_subject

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = ["RateLimitMiddleware", "RateLimiter", "category_of"]


def category_of(method: str, path: str) -> str:
    """The rate-limit category of a request: ``auth``, ``webhook``, ``read`` or ``write``."""
    if path == "/api/auth" or path.startswith("/api/auth/"):
        return "auth"
    segments = [part for part in path.split("/") if part]
    if (len(segments) == 2 and segments[0] == "webhooks") or (
        len(segments) == 3 and segments[:2] == ["api", "webhooks"]
    ):
        return "webhook"
    return "read" if method in ("GET", "HEAD") else "write"


class RateLimiter:
    """Token buckets keyed by ``(category, key)``; a bucket holds at most one minute's allowance."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        # (category, key) -> [tokens, last refill time, capacity]
        self._buckets: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, category: str, key: str, per_minute: int) -> int | None:
        """Spend one token; None when allowed, else the whole seconds to wait before retrying."""
        now = self._monotonic()
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get((category, key))
            if bucket is None or bucket[2] != per_minute:
                # New key, or the limit changed at run time: start from a full bucket.
                bucket = [float(per_minute), now, float(per_minute)]
                self._buckets[(category, key)] = bucket
            tokens = min(bucket[2], bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return None
            bucket[0] = tokens
            return max(1, math.ceil((1.0 - tokens) / rate))

    def reset(self) -> None:
        """Forget every bucket."""
        with self._lock:
            self._buckets.clear()


class RateLimitMiddleware:
    """Pure ASGI middleware applying :class:`RateLimiter` with the instance's current settings."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.state.settings
        if scope["type"] != "http" or not settings.rate_limits_enabled or is_control_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        category = category_of(scope["method"], scope["path"])
        limit = {
            "auth": settings.auth_per_minute,
            "webhook": settings.webhook_per_minute,
            "read": settings.read_per_minute,
            "write": settings.write_per_minute,
        }[category]
        address = scope["client"][0] if scope.get("client") else "unknown"
        key = f"addr:{address}"
        if category in ("read", "write"):
            subject = self._subject(scope)
            if subject is not None:
                key = f"user:{subject}"
        retry_after = self.state.limiter.acquire(category, key, limit)
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"error": f"Rate limit exceeded ({category}: {limit} per minute)", "code": "RATE_LIMITED"},
            status_code=429,
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)

    def _subject(self, scope: Scope) -> str | None:
        token: str | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, rest = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer":
                    token = rest.strip()
                break
        if not token:
            return None
        return token_subject(self.state, token)
