"""Authentication: the token manager behind every request, and the `client.auth` namespace.

DRAGOPS has no API keys (docs/api-contract.md#authentication): a machine client holds either a JWT or an
email and a password it logs in with. `TokenManager` logs in lazily on the first request, refreshes the
token shortly before its ``exp`` (read from the JWT payload, not verified: the server verifies), and
after a 401 logs in again once (or, holding only a token, tries a refresh). One lock makes sure
concurrent threads cause one login, not sixteen.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from ..models import AuthProviders, AuthSession
from ._envelope import unwrap
from ._errors import AuthenticationError, DragopsError
from ._transport import Redactor, Transport

__all__ = ["AuthAPI", "TokenManager", "jwt_claims"]

logger = logging.getLogger("dragops_sync.api")


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's payload WITHOUT verifying it (only to read ``exp``/``iat``); {} if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class _Token:
    """A bearer token and the local clock time at which it should be considered expired."""

    __slots__ = ("expires_at", "header", "lifetime", "value")

    def __init__(self, value: str, *, received_at: float | None) -> None:
        self.value = value
        self.header = f"Bearer {value}"
        claims = jwt_claims(value)
        exp, iat = claims.get("exp"), claims.get("iat")
        self.expires_at: float | None = None
        self.lifetime: float | None = None
        if isinstance(exp, int | float) and isinstance(iat, int | float) and exp > iat:
            self.lifetime = float(exp - iat)
        if isinstance(exp, int | float):
            if received_at is not None and isinstance(iat, int | float) and exp > iat:
                # Measure the lifetime on our own clock: immune to skew between us and the server.
                self.expires_at = received_at + (exp - iat)
            else:
                self.expires_at = float(exp)

    def __repr__(self) -> str:
        return "_Token(<redacted>)"


class TokenManager:
    """Holds the client's credentials and current token; hands out bearer values. Thread-safe."""

    def __init__(
        self,
        transport: Transport,
        *,
        token: SecretStr | None,
        email: str | None,
        password: SecretStr | None,
        redactor: Redactor,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 60.0,
    ) -> None:
        self._transport = transport
        self._email = email
        self._password = password
        self._redactor = redactor
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._lock = threading.RLock()
        self._token: _Token | None = None
        self._refresh_refused: str | None = None  # a token the server would not refresh; do not nag
        self._token_was_given = token is not None
        if token is not None:
            self._install(token.get_secret_value(), received_at=None)

    def __repr__(self) -> str:
        return f"TokenManager(mode={self.mode!r})"

    @property
    def mode(self) -> str:
        """How the client authenticates: ``token``, ``password``, ``token+password`` or ``none``."""
        has_token = self._token is not None
        if self.has_credentials:
            return "token+password" if has_token and self._token_was_given else "password"
        return "token" if has_token else "none"

    @property
    def has_credentials(self) -> bool:
        return self._email is not None and self._password is not None

    def set_credentials(self, email: str, password: SecretStr) -> None:
        """Replace the login credentials (used by ``client.auth.login(email=..., password=...)``)."""
        with self._lock:
            self._email = email
            self._password = password
            self._redactor.add(password.get_secret_value())

    # -- TokenSource --------------------------------------------------------------------------------

    def authorization(self) -> str | None:
        token = self._token
        if token is not None and not self._expiring(token):
            return token.header
        with self._lock:
            token = self._token  # another thread may have renewed it while we waited
            if token is None:
                if not self.has_credentials:
                    return None
                return self._login_locked().header
            if self._expiring(token):
                token = self._refresh_locked(token)
            return token.header

    def recover_from_401(self, rejected: str | None) -> bool:
        with self._lock:
            current = self._token
            if current is not None and current.header != rejected:
                return True  # renewed by another thread since this request was sent
            if self.has_credentials:
                self._login_locked()
                return True
            if current is None:
                return False
            try:
                self._refresh_now_locked(current)
            except AuthenticationError:
                return False
            return True

    # -- operations -----------------------------------------------------------------------------------

    def login(self) -> AuthSession:
        """Log in with the configured credentials now, install the token and return the session."""
        with self._lock:
            return self._login_session_locked()

    def current(self) -> SecretStr | None:
        """The token the client holds now (no request is made); None before the first login."""
        token = self._token
        return SecretStr(token.value) if token is not None else None

    def refresh(self) -> SecretStr:
        """Exchange the current token for a fresh one now (``POST /api/auth/refresh``)."""
        with self._lock:
            if self._token is None:
                if not self.has_credentials:
                    raise DragopsError("cannot refresh: the client has no token and no credentials")
                self._login_locked()
                assert self._token is not None
            return SecretStr(self._refresh_now_locked(self._token).value)

    def _expiring(self, token: _Token) -> bool:
        if token.expires_at is None or token.value == self._refresh_refused:
            return False
        margin = self._refresh_margin
        if token.lifetime is not None:
            # A short-lived token (say 60 s) must not look "close to expiry" from the moment it is issued.
            margin = min(margin, token.lifetime / 4)
        return token.expires_at - self._clock() < margin

    def _login_locked(self) -> _Token:
        self._login_session_locked()
        assert self._token is not None
        return self._token

    def _login_session_locked(self) -> AuthSession:
        if self._email is None or self._password is None:
            raise DragopsError("cannot log in: no email and password configured")
        email = self._email
        started = self._clock()
        try:
            response = self._transport.request(
                "POST",
                "/auth/login",
                json_body={"email": email, "password": self._password.get_secret_value()},
                authenticate=False,
                idempotent=True,  # a login has no effect besides issuing a token: safe to repeat
            )
        except AuthenticationError as exc:
            raise AuthenticationError(
                exc.message,
                status=exc.status,
                code=exc.code,
                method=exc.method,
                url=exc.url,
                details=exc.details,
                summary=f"login failed for {email}: {exc.message}",
            ) from exc
        session = AuthSession.model_validate(unwrap(response.body))
        self._install(session.token.get_secret_value(), received_at=started)
        logger.info("logged in to DRAGOPS as %s", email)
        return session

    def _refresh_locked(self, token: _Token) -> _Token:
        """Proactive refresh before expiry; falls back to a login, or keeps the token if neither works."""
        try:
            return self._refresh_now_locked(token)
        except AuthenticationError:
            if self.has_credentials:
                return self._login_locked()
            logger.warning("the server refused to refresh the token; using it until it expires")
            self._refresh_refused = token.value
            return token

    def _refresh_now_locked(self, token: _Token) -> _Token:
        started = self._clock()
        response = self._transport.request(
            "POST",
            "/auth/refresh",
            headers={"Authorization": token.header},
            authenticate=False,
            idempotent=True,  # issuing a new token twice is harmless
        )
        data = unwrap(response.body)
        value = data.get("token") if isinstance(data, dict) else None
        if not isinstance(value, str) or not value:
            raise DragopsError("the refresh endpoint answered without a token")
        self._install(value, received_at=started)
        logger.info("refreshed the DRAGOPS token")
        assert self._token is not None
        return self._token

    def _install(self, value: str, *, received_at: float | None) -> None:
        self._redactor.add(value)
        self._token = _Token(value, received_at=received_at)


class AuthAPI:
    """``client.auth``: sign-in methods, login, register and token refresh."""

    def __init__(self, transport: Transport, tokens: TokenManager) -> None:
        self._transport = transport
        self._tokens = tokens

    def __repr__(self) -> str:
        return "AuthAPI()"

    def providers(self) -> AuthProviders:
        """Which sign-in methods the instance offers (public endpoint)."""
        response = self._transport.request("GET", "/auth/providers", authenticate=False)
        return AuthProviders.model_validate(unwrap(response.body))

    def login(self, *, email: str | None = None, password: str | SecretStr | None = None) -> AuthSession:
        """Log in (with the given credentials, which then replace the client's, or the configured ones).

        The token becomes the client's token; a wrong password raises `AuthenticationError`
        ("login failed for <email>: Invalid credentials").
        """
        if (email is None) != (password is None):
            raise ValueError("pass both email and password, or neither to use the client's credentials")
        if email is not None and password is not None:
            self._tokens.set_credentials(email, _secret(password))
        return self._tokens.login()

    def register(
        self, *, email: str, password: str | SecretStr, first_name: str, last_name: str
    ) -> AuthSession:
        """Create an account; returns its session. The client's own credentials are left unchanged."""
        secret = _secret(password)
        self._transport.redactor.add(secret.get_secret_value())

        def recover() -> Any:
            # The account may exist although the answer was lost: its credentials log in.
            try:
                response = self._transport.request(
                    "POST",
                    "/auth/login",
                    json_body={"email": email, "password": secret.get_secret_value()},
                    authenticate=False,
                    idempotent=True,
                )
            except AuthenticationError:
                return None
            return unwrap(response.body)

        response = self._transport.request(
            "POST",
            "/auth/register",
            json_body={
                "email": email,
                "password": secret.get_secret_value(),
                "firstName": first_name,
                "lastName": last_name,
            },
            authenticate=False,
            recover=recover,
        )
        session = AuthSession.model_validate(unwrap(response.body))
        self._transport.redactor.add(session.token.get_secret_value())
        return session

    def current_token(self) -> SecretStr | None:
        """The token the client holds now, renewed or not (no request); None before the first login.

        For callers that open short-lived clients (the Pulumi provider): hand it to the next client as
        `token=` together with the credentials, and that client needs no login until it expires.
        """
        return self._tokens.current()

    def refresh(self) -> SecretStr:
        """Exchange the client's token for a fresh one now; returns it (as a secret)."""
        return self._tokens.refresh()


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)
