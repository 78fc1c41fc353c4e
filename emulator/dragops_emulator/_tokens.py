"""JWT access tokens (HS256, D4): issued at login/register, checked against the emulator's shifted clock.

PyJWT would check ``exp`` against the real clock, so decoding switches that check off and compares
``exp`` with :meth:`Clock.timestamp` here; that is what lets a test expire a token by advancing the clock.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = ["REFRESH_GRACE_SECONDS", "TokenError", "decode_token", "issue_token", "token_subject"]

REFRESH_GRACE_SECONDS = 24 * 3600
"""How long after expiry a token may still be exchanged at ``POST /api/auth/refresh`` (D4)."""

_ALGORITHM = "HS256"


class TokenError(Exception):
    """A token that cannot be accepted; ``code`` is ``UNAUTHORIZED`` or ``TOKEN_EXPIRED``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def issue_token(state: EmulatorState, user: dict[str, Any]) -> str:
    """A fresh signed token for ``user`` that lives ``settings.token_ttl_seconds`` on the emulator clock."""
    now = int(state.clock.timestamp())
    claims = {
        "sub": user["id"],
        "email": user["email"],
        "iat": now,
        "exp": now + state.settings.token_ttl_seconds,
        # Unique per token, so a refresh within the same second still yields a new token.
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, state.jwt_secret, algorithm=_ALGORITHM)


def _claims(state: EmulatorState, token: str) -> dict[str, Any]:
    # Verifying the signature is most of the cost of an authenticated request; a token's claims never
    # change, so a verified token is remembered (expiry is still checked on every use).
    cached = state.verified_tokens.get(token)
    if cached is not None:
        return cached
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            state.jwt_secret,
            algorithms=[_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "exp"]},
        )
    except jwt.PyJWTError:
        # The message must not echo the token.
        raise TokenError("UNAUTHORIZED", "Invalid token") from None
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("exp"), int | float):
        raise TokenError("UNAUTHORIZED", "Invalid token")
    state.verified_tokens.put(token, claims)
    return claims


def decode_token(state: EmulatorState, token: str, *, grace_seconds: float = 0) -> dict[str, Any]:
    """The claims of a valid token; expired tokens are accepted up to ``grace_seconds`` after ``exp``."""
    claims = _claims(state, token)
    if state.clock.timestamp() >= float(claims["exp"]) + grace_seconds:
        raise TokenError("TOKEN_EXPIRED", "Token expired")
    return claims


def token_subject(state: EmulatorState, token: str) -> str | None:
    """The user id of a correctly signed token, expired or not (rate limiting keys on it); else None."""
    try:
        return str(_claims(state, token)["sub"])
    except TokenError:
        return None
