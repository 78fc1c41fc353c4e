"""Tolerant reading of DRAGOPS response bodies: success envelopes and the two error forms.

The API is inconsistent (docs/api-contract.md#envelopes, #errors): some endpoints wrap results in
``{success, data}``, some answer the bare object, lists come under ``data`` or under a resource key
(``connections``, ``nodes``), and errors come flat (form A ``{error, code}``) or structured (form B
``{success:false, error:{...}}``). Everything here accepts all of those shapes, so the resource modules
never look at envelopes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from ._errors import cap_text

__all__ = ["ErrorInfo", "parse_error", "unwrap", "unwrap_list"]


def unwrap(body: Any) -> Any:
    """Return the payload of a success body: ``data`` when enveloped, else the body itself."""
    if isinstance(body, dict) and isinstance(body.get("success"), bool) and "data" in body:
        return body["data"]
    return body


def unwrap_list(body: Any, *keys: str) -> tuple[list[Any], dict[str, Any]]:
    """Return ``(items, meta)`` of a list answer in any of the documented shapes.

    Accepted: ``{success, data:[...], meta}``, ``{<key>:[...]}`` for each of `keys`, ``{data:[...]}``
    and a bare JSON array. ``meta`` is ``{}`` when the answer carries none.
    """
    meta: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("meta"), dict):
        meta = body["meta"]
    payload = unwrap(body)
    if isinstance(payload, list):
        return payload, meta
    if isinstance(payload, dict):
        for key in (*keys, "data", "items"):
            value = payload.get(key)
            if isinstance(value, list):
                if not meta and isinstance(payload.get("meta"), dict):
                    meta = payload["meta"]
                return value, meta
    raise ValueError(f"expected a list in the response, got {_describe(payload)}")


@dataclass(frozen=True)
class ErrorInfo:
    """What an error answer says: the API's code (if any), a message, and form-B details."""

    code: str | None
    message: str
    details: Any = None


def parse_error(status: int, content: bytes) -> ErrorInfo:
    """Read an error body of either form; fall back to the status text for anything else.

    Form A: ``{"error": "Pattern not found", "code": "PATTERN_NOT_FOUND"}``.
    Form B: ``{"success": false, "error": {"code": "VALIDATION", "message": "...", "details": [...]}}``.
    A proxy's HTML page or an empty body yields the reason phrase (``502 Bad Gateway``) and no code.
    """
    fallback = _reason(status)
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return ErrorInfo(code=None, message=fallback)
    error = body.get("error")
    if isinstance(error, dict):  # form B
        code = error.get("code")
        message = error.get("message")
        return ErrorInfo(
            code=str(code) if code is not None else None,
            message=cap_text(str(message)) if message else fallback,
            details=error.get("details"),
        )
    if isinstance(error, str):  # form A
        code = body.get("code")
        return ErrorInfo(
            code=str(code) if code is not None else None,
            message=cap_text(error) or fallback,
            details=body.get("details"),
        )
    # Neither form; some servers put a bare message/code at the top level.
    message = body.get("message")
    code = body.get("code")
    return ErrorInfo(
        code=str(code) if isinstance(code, str) else None,
        message=cap_text(message) if isinstance(message, str) and message else fallback,
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"an object with keys [{keys}]"
    return type(value).__name__
