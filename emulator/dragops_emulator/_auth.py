"""Auth routes (docs/api-contract.md#authentication, D4): providers, register, login, refresh, GitHub.

GitHub sign-in cannot reach GitHub from an emulator: when ``github_client_id`` is configured, a code of
the form ``test:<email>`` signs that user in (creating the account on first use); any other code is
refused as GitHub would refuse a bad code.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._http import ApiError, Fields, bearer_token, envelope, new_id, read_json, state
from dragops_emulator._tokens import REFRESH_GRACE_SECONDS, TokenError, decode_token, issue_token
from dragops_emulator._users import create_user, find_user_by_email, public_user, verify_password

__all__ = ["routes"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPECIAL = re.compile(r"[^A-Za-z0-9]")
_MIN_PASSWORD_LENGTH = 8
_GITHUB_TEST_PREFIX = "test:"


def _require_local_auth(request: Request) -> None:
    if not state(request).settings.local_auth:
        raise ApiError(403, "LOCAL_AUTH_DISABLED", "Email and password sign-in is disabled on this instance")


def _valid_email(fields: Fields) -> str:
    email = fields.required_str("email", max_length=254).strip()
    if not _EMAIL.match(email):
        raise ApiError(400, "VALIDATION", "email must be a valid email address")
    return email


async def providers(request: Request) -> Response:
    """Which sign-in methods this instance offers (public)."""
    settings = state(request).settings
    data: dict[str, object] = {"local": settings.local_auth, "github": settings.github_client_id is not None}
    if settings.github_client_id is not None:
        data["githubClientId"] = settings.github_client_id
    return envelope(data)


async def register(request: Request) -> Response:
    """Create an account with email and password; answers 201 with a token and the user."""
    _require_local_auth(request)
    fields = Fields(await read_json(request))
    email = _valid_email(fields)
    first_name = fields.required_str("firstName", max_length=100)
    last_name = fields.required_str("lastName", max_length=100)
    password = fields.required_str("password", max_length=1024)
    if len(password) < _MIN_PASSWORD_LENGTH or not _SPECIAL.search(password):
        raise ApiError(
            400,
            "VALIDATION",
            f"password must be at least {_MIN_PASSWORD_LENGTH} characters and contain a special character",
        )
    emulator = state(request)
    with emulator.store.transaction():
        if find_user_by_email(emulator.store, email) is not None:
            raise ApiError(409, "EMAIL_ALREADY_EXISTS", "An account with this email already exists")
        user = create_user(
            emulator.store,
            user_id=new_id("usr"),
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            now_iso=emulator.clock.iso(),
        )
    return envelope({"token": issue_token(emulator, user), "user": public_user(user)}, 201)


async def login(request: Request) -> Response:
    """Exchange email and password for a token."""
    _require_local_auth(request)
    fields = Fields(await read_json(request))
    email = fields.required_str("email")
    password = fields.required_str("password")
    emulator = state(request)
    user = find_user_by_email(emulator.store, email)
    if user is None or not verify_password(password, user.get("passwordHash")):
        # One answer for unknown email and wrong password: existence is not revealed.
        raise ApiError(401, "INVALID_CREDENTIALS", "Invalid credentials")
    return envelope({"token": issue_token(emulator, user), "user": public_user(user)})


async def refresh(request: Request) -> Response:
    """A fresh token for the bearer token, accepted up to 24 h after it expired."""
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "UNAUTHORIZED", "Missing bearer token")
    emulator = state(request)
    try:
        claims = decode_token(emulator, token, grace_seconds=REFRESH_GRACE_SECONDS)
    except TokenError as exc:
        message = (
            "Token expired more than 24 hours ago; sign in again"
            if exc.code == "TOKEN_EXPIRED"
            else exc.message
        )
        raise ApiError(401, exc.code, message) from None
    user = emulator.store.get("users", str(claims["sub"]))
    if user is None:
        raise ApiError(401, "UNAUTHORIZED", "Invalid token")
    return envelope({"token": issue_token(emulator, user)}, timestamp=False)


async def github(request: Request) -> Response:
    """Sign in with a GitHub OAuth code (emulated: ``test:<email>``)."""
    emulator = state(request)
    if emulator.settings.github_client_id is None:
        raise ApiError(403, "GITHUB_AUTH_DISABLED", "GitHub sign-in is not configured on this instance")
    fields = Fields(await read_json(request))
    code = fields.required_str("code", max_length=1024)
    email = code[len(_GITHUB_TEST_PREFIX) :].strip() if code.startswith(_GITHUB_TEST_PREFIX) else ""
    if not _EMAIL.match(email):
        raise ApiError(401, "INVALID_OAUTH_CODE", "The GitHub authorization code is invalid or expired")
    with emulator.store.transaction():
        user = find_user_by_email(emulator.store, email)
        if user is None:
            user = create_user(
                emulator.store,
                user_id=new_id("usr"),
                email=email,
                password=None,
                first_name=email.split("@", 1)[0],
                last_name="",
                now_iso=emulator.clock.iso(),
            )
    # {success, data:{token, user}}, without the timestamp login carries (docs/api-contract.md#envelopes).
    return envelope({"token": issue_token(emulator, user), "user": public_user(user)}, timestamp=False)


routes = [
    Route("/api/auth/providers", providers, methods=["GET"]),
    Route("/api/auth/register", register, methods=["POST"]),
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/refresh", refresh, methods=["POST"]),
    Route("/api/auth/github", github, methods=["POST"]),
]
