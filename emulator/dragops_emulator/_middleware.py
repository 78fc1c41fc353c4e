"""The outer and inner ends of the middleware chain: the request log and the body-size limit.

Both are pure ASGI (no BaseHTTPMiddleware): they wrap ``send`` instead of buffering responses, which
keeps the per-request overhead small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dragops_emulator._faults import InjectedDrop, is_control_path
from dragops_emulator._http import current_clock, error_response

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = ["BodyLimitMiddleware", "RequestLogMiddleware"]

# Bodies above the limit are read and thrown away up to this size, so the client gets the 413 rather
# than a broken pipe; beyond it the connection is simply answered and closed.
_MAX_DRAIN_BYTES = 64 * 1024 * 1024


class RequestLogMiddleware:
    """Records method, path and final status of every API request; sets the clock for response helpers.

    A dropped connection (injected fault) is logged with status 0: the client got no status.
    """

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_clock.set(self.state.clock)
        try:
            if is_control_path(scope["path"]):
                await self.app(scope, receive, send)
                return
            status = 0

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            try:
                await self.app(scope, receive, capture)
            except InjectedDrop:
                status = 0
                raise
            finally:
                self.state.request_log.record(scope["method"], scope["path"], status, self.state.clock.iso())
        finally:
            current_clock.reset(token)


class BodyLimitMiddleware:
    """Answers 413 ``PAYLOAD_TOO_LARGE`` (form B) before routing when Content-Length exceeds the limit.

    Bodies without a Content-Length (chunked) are checked by ``_http.read_json`` once read.
    """

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.state.settings.max_body_bytes
        length = _content_length(scope)
        if length is None or length <= limit:
            await self.app(scope, receive, send)
            return
        if length <= _MAX_DRAIN_BYTES:
            more = True
            while more:
                message = await receive()
                more = message.get("more_body", False) and message["type"] == "http.request"
        response = error_response(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
