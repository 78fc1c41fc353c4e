"""Injected faults: latency, error statuses, 429 bursts, dropped connections, "commit then fail".

Tests register faults through ``POST /__emulator/faults``; :class:`FaultMiddleware` applies the first
matching fault to each API request. This is how client retry logic is tested against real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import random
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "FAULT_KINDS",
    "DroppedConnectionFilter",
    "Fault",
    "FaultError",
    "FaultMiddleware",
    "FaultRegistry",
    "InjectedDrop",
    "is_control_path",
]

FAULT_KINDS = frozenset({"latency", "status", "rate_limit", "drop", "commit_then_fail"})
_METHODS = frozenset({"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_FAULT_KEYS = frozenset(
    {"method", "path", "kind", "count", "probability", "status", "latencyMs", "retryAfter"}
)


def is_control_path(path: str) -> bool:
    """True for the emulator's own ``/__emulator/`` endpoints (never faulted, limited or logged)."""
    return path.startswith("/__emulator")


class FaultError(ValueError):
    """A fault definition that cannot be used; the message names the field."""


class InjectedDrop(Exception):
    """Raised after a response has started, so the server closes the connection mid-response."""


class DroppedConnectionFilter(logging.Filter):
    """Keeps the server's error log free of the tracebacks of deliberately dropped connections."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


@dataclass
class Fault:
    """One registered fault; ``count`` is how many more requests it applies to (None with probability)."""

    id: str
    method: str
    path: str
    kind: str
    count: int | None
    probability: float | None
    status: int | None
    latency_ms: int | None
    retry_after: int

    def matches(self, method: str, path: str) -> bool:
        """True when the request's method and path select this fault."""
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "count": self.count,
            "probability": self.probability,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "retryAfter": self.retry_after,
        }


def _int(body: Mapping[str, Any], name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultError(f"{name} must be an integer")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise FaultError(f"{name} must be {bound}")
    return value


def parse_fault(body: Mapping[str, Any]) -> Fault:
    """Validate a fault definition of the control API; raises :class:`FaultError` naming the field."""
    unknown = sorted(set(body) - _FAULT_KEYS)
    if unknown:
        raise FaultError(f"unknown field(s): {', '.join(unknown)}")
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {', '.join(sorted(FAULT_KINDS))}")
    path = body.get("path")
    if not isinstance(path, str) or not path:
        raise FaultError("path is required (a glob on the request path, e.g. /api/patterns*)")
    method = body.get("method", "*")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise FaultError(f"method must be one of {', '.join(sorted(_METHODS))}")
    count = _int(body, "count", minimum=1)
    probability = body.get("probability")
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise FaultError("probability must be a number")
        if not 0.0 <= float(probability) <= 1.0:
            raise FaultError("probability must be between 0 and 1")
        if count is not None:
            raise FaultError("give either count or probability, not both")
        probability = float(probability)
    elif count is None:
        count = 1
    status = _int(body, "status", minimum=0 if kind == "commit_then_fail" else 100, maximum=599)
    latency_ms = _int(body, "latencyMs", minimum=0, maximum=600_000)
    retry_after = _int(body, "retryAfter", minimum=0) or 1
    if kind == "status" and status is None:
        raise FaultError("status is required for kind status")
    if kind == "latency" and latency_ms is None:
        raise FaultError("latencyMs is required for kind latency")
    if kind == "commit_then_fail" and status is None:
        status = 503
    if status is not None and 0 < status < 100:
        raise FaultError("status must be between 100 and 599")
    return Fault(
        id=f"flt_{secrets.token_hex(6)}",
        method=method.upper(),
        path=path,
        kind=kind,
        count=count,
        probability=probability,
        status=status,
        latency_ms=latency_ms,
        retry_after=retry_after,
    )


class FaultRegistry:
    """The registered faults, in registration order; the first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, body: Mapping[str, Any]) -> Fault:
        """Register a fault from its control-API definition."""
        fault = parse_fault(body)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request (spending one of its count), or None."""
        if not self._faults:  # the common case, without taking the lock
            return None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.probability is not None:
                    if random.random() < fault.probability:
                        return fault
                    continue
                assert fault.count is not None
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        """The active faults as JSON."""
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()


def _fault_response(status: int, retry_after: int | None = None) -> JSONResponse:
    # A deliberate exception to INJECTED_FAULT: every 429 the emulator gives (kind rate_limit, or a
    # status/commit_then_fail fault of 429) looks like its rate limiter's, Retry-After included, so a
    # client's 429 handling is exercised the same way whichever fault made it (D34).
    if status == 429:
        return JSONResponse(
            {"error": "Rate limit exceeded (injected)", "code": "RATE_LIMITED"},
            status_code=429,
            headers={"Retry-After": str(retry_after or 1)},
        )
    return JSONResponse({"error": "Injected fault", "code": "INJECTED_FAULT"}, status_code=status)


async def _drop(send: Send) -> None:
    # Promise a body, then fail: the server closes the connection without completing the response,
    # so the client sees a protocol error rather than a status.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
    raise InjectedDrop("connection dropped by an injected fault")


class FaultMiddleware:
    """Pure ASGI middleware that applies the registered faults to API requests."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind == "latency":
            await asyncio.sleep((fault.latency_ms or 0) / 1000)
            await self.app(scope, receive, send)
        elif fault.kind == "status":
            await _fault_response(fault.status or 503, fault.retry_after)(scope, receive, send)
        elif fault.kind == "rate_limit":
            await _fault_response(429, fault.retry_after)(scope, receive, send)
        elif fault.kind == "drop":
            await _drop(send)
        else:  # commit_then_fail: the write happens, the answer is lost
            await self._run_discarding(scope, receive)
            if not fault.status:
                await _drop(send)
            else:
                await _fault_response(fault.status, fault.retry_after)(scope, receive, send)

    async def _run_discarding(self, scope: Scope, receive: Receive) -> None:
        async def discard(message: Message) -> None:
            return None

        # The real answer is replaced by the fault whatever it was, even an error.
        with contextlib.suppress(Exception):
            await self.app(scope, receive, discard)
