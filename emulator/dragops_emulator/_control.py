"""The emulator's own control API under ``/__emulator/``: reset, seed users, faults, clock, request log,
settings. It needs no token, is never faulted or rate limited and never appears in the request log.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._clock import MAX_CLOCK_OFFSET_SECONDS
from dragops_emulator._faults import FaultError
from dragops_emulator._http import (
    ApiError,
    Fields,
    bare,
    new_id,
    no_content,
    read_json,
    read_optional_json,
    state,
)
from dragops_emulator._settings import SettingsError, settings_from_mapping
from dragops_emulator._tokens import issue_token
from dragops_emulator._users import create_user, find_user_by_email

__all__ = ["routes"]


async def reset(request: Request) -> Response:
    """Wipe all data, faults, the request log and the clock shift; restore the start settings."""
    state(request).reset()
    return bare({"status": "reset"})


def _random_password() -> str:
    # Meets the register rules (>= 8 characters, one special character).
    return f"Pw-{secrets.token_urlsafe(12)}!"


async def seed_user(request: Request) -> Response:
    """Create a user directly (no validation of the password rules) and return it with a token."""
    fields = Fields(await read_optional_json(request))
    fields.reject_unknown({"email", "password", "firstName", "lastName"})
    emulator = state(request)
    email = fields.optional_str("email") or f"user-{secrets.token_hex(6)}@example.test"
    password = fields.optional_str("password") or _random_password()
    if find_user_by_email(emulator.store, email) is not None:
        raise ApiError(409, "EMAIL_ALREADY_EXISTS", f"A user with email {email} already exists")
    user = create_user(
        emulator.store,
        user_id=new_id("usr"),
        email=email,
        password=password,
        first_name=fields.optional_str("firstName") or "Test",
        last_name=fields.optional_str("lastName") or "User",
        now_iso=emulator.clock.iso(),
    )
    token = issue_token(emulator, user)
    return bare({"id": user["id"], "email": user["email"], "password": password, "token": token}, 201)


async def add_fault(request: Request) -> Response:
    """Register a fault (see ``_faults.parse_fault`` for the fields)."""
    body = await read_json(request)
    try:
        fault = state(request).faults.add(body)
    except FaultError as exc:
        raise ApiError(400, "VALIDATION", str(exc)) from None
    return bare({"id": fault.id}, 201)


async def list_faults(request: Request) -> Response:
    """The active faults."""
    return bare({"faults": state(request).faults.list()})


async def clear_faults(request: Request) -> Response:
    """Remove every fault."""
    state(request).faults.clear()
    return no_content()


def _clock_json(request: Request) -> dict[str, Any]:
    clock = state(request).clock
    return {"now": clock.iso(), "offsetSeconds": clock.offset_seconds}


async def get_clock(request: Request) -> Response:
    """The shifted time and the shift."""
    return bare(_clock_json(request))


async def advance_clock(request: Request) -> Response:
    """Move the clock forward by ``advanceSeconds``."""
    body = await read_json(request)
    seconds = body.get("advanceSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ApiError(400, "VALIDATION", "advanceSeconds must be a number")
    if seconds < 0:
        raise ApiError(400, "VALIDATION", "advanceSeconds must not be negative (time only moves forward)")
    clock = state(request).clock
    # Past a century of shift, datetimes near year 9999 overflow; no test needs that much time.
    if seconds > MAX_CLOCK_OFFSET_SECONDS - clock.offset_seconds:
        raise ApiError(
            400,
            "VALIDATION",
            f"advanceSeconds would shift the clock beyond {MAX_CLOCK_OFFSET_SECONDS} seconds (100 years)",
        )
    clock.advance(float(seconds))
    return bare(_clock_json(request))


async def list_requests(request: Request) -> Response:
    """The request log (API requests only)."""
    return bare({"requests": state(request).request_log.entries()})


async def clear_requests(request: Request) -> Response:
    """Forget the request log."""
    state(request).request_log.clear()
    return no_content()


async def get_settings(request: Request) -> Response:
    """The current settings (camelCase)."""
    return bare(state(request).settings.to_json())


async def put_settings(request: Request) -> Response:
    """Change some settings (camelCase or snake_case keys); answers the new settings."""
    body = await read_json(request)
    emulator = state(request)
    try:
        emulator.settings = settings_from_mapping(emulator.settings, body)
    except SettingsError as exc:
        raise ApiError(400, "VALIDATION", str(exc)) from None
    return bare(emulator.settings.to_json())


routes = [
    Route("/__emulator/reset", reset, methods=["POST"]),
    Route("/__emulator/users", seed_user, methods=["POST"]),
    Route("/__emulator/faults", add_fault, methods=["POST"]),
    Route("/__emulator/faults", list_faults, methods=["GET"]),
    Route("/__emulator/faults", clear_faults, methods=["DELETE"]),
    Route("/__emulator/clock", get_clock, methods=["GET"]),
    Route("/__emulator/clock", advance_clock, methods=["POST"]),
    Route("/__emulator/requests", list_requests, methods=["GET"]),
    Route("/__emulator/requests", clear_requests, methods=["DELETE"]),
    Route("/__emulator/settings", get_settings, methods=["GET"]),
    Route("/__emulator/settings", put_settings, methods=["PUT"]),
]
