"""HTTP helpers shared by every route module: errors, response envelopes, input parsing, auth.

Route modules raise :class:`ApiError` for every expected failure; the handlers registered by
:func:`exception_handlers` render it in the error form D1 prescribes for its status (form A
``{"error", "code"}`` or form B ``{"success": false, "error": {...}}`` for 400/413/422).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, overload

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dragops_emulator import _strict_json as strict_json
from dragops_emulator._clock import Clock, format_iso
from dragops_emulator._tokens import TokenError, decode_token

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = [
    "ApiError",
    "Fields",
    "bare",
    "base_url",
    "bearer_token",
    "current_clock",
    "current_user",
    "envelope",
    "error_response",
    "exception_handlers",
    "load_owned",
    "load_pattern",
    "new_id",
    "no_content",
    "offset_list",
    "offset_params",
    "page_list",
    "page_params",
    "query_bool",
    "query_choice",
    "read_json",
    "read_optional_json",
    "state",
]

# Statuses answered in form B (D1; 413 too, with code PAYLOAD_TOO_LARGE).
_FORM_B_STATUSES = frozenset({400, 413, 422})


class ApiError(Exception):
    """An expected failure, answered with ``status`` and an error body carrying ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The error body of D1 for ``status``: form B for 400/413/422, form A otherwise."""
    body: dict[str, Any]
    if status in _FORM_B_STATUSES:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        body = {"success": False, "error": error}
    else:
        body = {"error": message, "code": code}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details)


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    # Starlette raises these for unknown paths (404) and wrong methods (405).
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, "NOT_FOUND", f"No route for {request.method} {request.url.path}")
    if exc.status_code == 405:
        return error_response(
            405, "METHOD_NOT_ALLOWED", f"Method {request.method} not allowed on {request.url.path}"
        )
    return error_response(exc.status_code, "HTTP_ERROR", str(exc.detail))


async def _internal_error_handler(request: Request, exc: Exception) -> Response:
    # Only a bug gets here; bad input is answered earlier with 400/413/422.
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def exception_handlers() -> dict[Any, Any]:
    """The Starlette exception handlers that turn errors into D1 error bodies."""
    return {
        ApiError: _api_error_handler,
        HTTPException: _http_exception_handler,
        Exception: _internal_error_handler,
    }


# --- responses ---------------------------------------------------------------------------------------


# The clock of the emulator serving the current request, set by the app's outermost middleware, so
# response helpers stamp times from the shifted clock without every handler passing it along.
current_clock: ContextVar[Clock | None] = ContextVar("current_clock", default=None)


def envelope(data: Any, status: int = 200, *, timestamp: bool = True) -> Response:
    """``{success: true, data, timestamp?}``; the timestamp comes from the emulator's (shiftable) clock."""
    body: dict[str, Any] = {"success": True, "data": data}
    if timestamp:
        clock = current_clock.get()
        body["timestamp"] = clock.iso() if clock is not None else format_iso(datetime.now(UTC))
    return JSONResponse(body, status_code=status)


def bare(obj: Any, status: int = 200) -> Response:
    """The object itself as the JSON body, no envelope."""
    return JSONResponse(obj, status_code=status)


def page_list(items: list[Any], *, page: int, limit: int, total: int) -> Response:
    """A page-style list: ``{success, data, meta:{page, limit, total, totalPages}}``."""
    total_pages = (total + limit - 1) // limit
    return JSONResponse(
        {
            "success": True,
            "data": items,
            "meta": {"page": page, "limit": limit, "total": total, "totalPages": total_pages},
        }
    )


def offset_list(items: list[Any], *, offset: int, limit: int, total: int) -> Response:
    """An offset-style list: ``{success, data, meta:{total, limit, offset}}``."""
    return JSONResponse(
        {"success": True, "data": items, "meta": {"total": total, "limit": limit, "offset": offset}}
    )


def no_content() -> Response:
    """204 with no body."""
    return Response(status_code=204)


# --- input -------------------------------------------------------------------------------------------


async def _read_body(request: Request) -> bytes:
    limit = state(request).settings.max_body_bytes
    body = await request.body()
    if len(body) > limit:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")
    return body


def _parse_json(body: bytes) -> Any:
    try:
        return strict_json.loads(body)
    except strict_json.JSONBodyError as exc:
        raise ApiError(400, "VALIDATION", f"Malformed JSON body: {exc}") from exc


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 VALIDATION when malformed or not an object, 413 when too big."""
    body = await _read_body(request)
    if not body.strip():
        raise ApiError(400, "VALIDATION", "Body must be a JSON object (the body is empty)")
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise ApiError(400, "VALIDATION", "Body must be a JSON object")
    return data


async def read_optional_json(request: Request) -> dict[str, Any]:
    """Like :func:`read_json`, but an empty body means ``{}``."""
    body = await _read_body(request)
    if not body.strip():
        return {}
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise ApiError(400, "VALIDATION", "Body must be a JSON object")
    return data


def _invalid(message: str) -> NoReturn:
    raise ApiError(400, "VALIDATION", message)


class Fields:
    """Typed access to the fields of a JSON body; each getter raises 400 VALIDATION naming the field."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body

    def reject_unknown(
        self, allowed: set[str] | frozenset[str], *, ignored: frozenset[str] = frozenset()
    ) -> None:
        """400 when the body has a key outside ``allowed`` (keys in ``ignored`` are tolerated)."""
        unknown = sorted(set(self.body) - set(allowed) - set(ignored))
        if unknown:
            _invalid(f"Unknown field(s): {', '.join(unknown)}")

    def required_str(self, name: str, *, max_length: int | None = None) -> str:
        """A non-empty string field that must be present."""
        if name not in self.body or self.body[name] is None:
            _invalid(f"{name} is required")
        value = self.optional_str(name, max_length=max_length)
        if value is None or not value.strip():
            _invalid(f"{name} must not be empty")
        return value

    def optional_str(self, name: str, *, max_length: int | None = None) -> str | None:
        """A string field, or None when absent or null."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            _invalid(f"{name} must be a string")
        if max_length is not None and len(value) > max_length:
            _invalid(f"{name} must be at most {max_length} characters")
        return value

    def optional_bool(self, name: str) -> bool | None:
        """A boolean field, or None when absent or null."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            _invalid(f"{name} must be a boolean")
        return value

    def optional_int(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer field (not a boolean), or None when absent or null."""
        value = self.body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            _invalid(f"{name} must be an integer")
        if minimum is not None and value < minimum:
            _invalid(f"{name} must be >= {minimum}")
        if maximum is not None and value > maximum:
            _invalid(f"{name} must be <= {maximum}")
        return value

    def optional_str_list(self, name: str) -> list[str] | None:
        """An array of strings, or None when absent or null."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            _invalid(f"{name} must be an array of strings")
        return list(value)

    def optional_object(self, name: str) -> dict[str, Any] | None:
        """A JSON object field, or None when absent or null."""
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            _invalid(f"{name} must be an object")
        return value


def _query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        _invalid(f"{name} must be an integer")


def _limit(request: Request) -> int:
    limit = _query_int(request, "limit", 20)
    if not 1 <= limit <= 100:
        _invalid("limit must be between 1 and 100")
    return limit


def query_bool(request: Request, name: str) -> bool | None:
    """A ``true``/``false`` query parameter; None when absent or empty, else 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        _invalid(f"{name} must be true or false")
    return raw == "true"


@overload
def query_choice(request: Request, name: str, allowed: Collection[str], default: str) -> str: ...
@overload
def query_choice(
    request: Request, name: str, allowed: Collection[str], default: None = None
) -> str | None: ...
def query_choice(
    request: Request, name: str, allowed: Collection[str], default: str | None = None
) -> str | None:
    """A query parameter that must be one of ``allowed``; ``default`` when absent or empty, else 400."""
    raw = request.query_params.get(name) or default
    if raw is not None and raw not in allowed:
        _invalid(f"{name} must be one of {', '.join(allowed)}")
    return raw


def page_params(request: Request) -> tuple[int, int]:
    """``(page, limit)`` from the query: page >= 1 (default 1), 1 <= limit <= 100 (default 20)."""
    page = _query_int(request, "page", 1)
    if page < 1:
        _invalid("page must be >= 1")
    return page, _limit(request)


def offset_params(request: Request) -> tuple[int, int]:
    """``(offset, limit)`` from the query: offset >= 0 (default 0), 1 <= limit <= 100 (default 20)."""
    offset = _query_int(request, "offset", 0)
    if offset < 0:
        _invalid("offset must be >= 0")
    return offset, _limit(request)


# --- context -----------------------------------------------------------------------------------------


def state(request: Request) -> EmulatorState:
    """The emulator state of the app serving ``request``."""
    emulator_state: EmulatorState = request.app.state.emulator
    return emulator_state


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None when there is none."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHORIZED", "Authorization header must be 'Bearer <token>'")
    return token.strip()


def current_user(request: Request) -> dict[str, Any]:
    """The user the bearer token belongs to; 401 when the token is missing, invalid, expired or orphaned."""
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "UNAUTHORIZED", "Missing bearer token")
    emulator_state = state(request)
    try:
        claims = decode_token(emulator_state, token)
    except TokenError as exc:
        raise ApiError(401, exc.code, exc.message) from None
    user = emulator_state.store.get("users", str(claims["sub"]))
    if user is None:
        # A token of a user wiped by a reset, or signed by an earlier instance.
        raise ApiError(401, "UNAUTHORIZED", "Invalid token")
    return user


def load_owned(
    request: Request, collection: str, id: str, user: Mapping[str, Any], *, code: str, label: str
) -> dict[str, Any]:
    """The document ``id`` of ``collection`` owned by ``user``; else 404 ``code`` "<label> not found" (D3)."""
    doc = state(request).store.get(collection, id, owner_id=str(user["id"]))
    if doc is None:
        raise ApiError(404, code, f"{label} not found")
    return doc


def load_pattern(request: Request, user: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's pattern named by the ``id`` path parameter; else 404 ``PATTERN_NOT_FOUND`` (D3)."""
    return load_owned(
        request, "patterns", request.path_params["id"], user, code="PATTERN_NOT_FOUND", label="Pattern"
    )


def new_id(prefix: str) -> str:
    """A fresh opaque id such as ``pat_3f9a1c2b7d4e``."""
    return f"{prefix}_{secrets.token_hex(6)}"


def base_url(request: Request) -> str:
    """The instance base URL as the client reached it, e.g. ``http://127.0.0.1:8080``."""
    return f"{request.url.scheme}://{request.url.netloc}"
