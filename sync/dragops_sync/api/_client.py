"""The `Client`: settings (keyword arguments, then ``DRAGOPS_*`` environment variables), the HTTP
connection pool, the token manager, and one namespace per API resource.

One client is meant to be shared: its connection pool, token, node-library cache and rate limiter are
thread-safe, and sharing them is what keeps many workers at one login and under one rate.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from ._auth import AuthAPI, TokenManager
from ._budget import DEFAULT_RATE_LIMIT_WAIT, Pacer, RateLimitWait, Rates, SplitRateLimiter
from ._connections import ConnectionsAPI
from ._deployments import DeploymentsAPI
from ._errors import ConfigurationError
from ._hints import URL_SETTING
from ._nodes import NodesAPI
from ._patterns import PatternsAPI
from ._retry import RateLimiter, RetryPolicy
from ._runs import RunsAPI
from ._transport import Redactor, Transport
from ._webhooks import WebhooksAPI

__all__ = ["Client", "ClientSettings"]

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 4
USER_AGENT = "dragops-sync"


@dataclass(frozen=True)
class ClientSettings:
    """Everything a `Client` needs to reach and authenticate to a DRAGOPS instance.

    `base_url` is the instance URL (``https://dragops.example.com``); the client appends ``/api``.
    Authenticate with a `token`, or an `email` and `password` (logged in lazily, and again when the
    token expires), or both. Secrets are `SecretStr` and kept out of the repr.
    """

    base_url: str
    token: SecretStr | None = field(default=None, repr=False)
    email: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    rate: float | Rates | None = None
    ca_bundle: str | None = None
    rate_limit_wait: float | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"the DRAGOPS URL ({URL_SETTING}) must be an http(s) URL such as "
                f"https://dragops.example.com, got {self.base_url!r}"
            )
        if (self.email is None) != (self.password is None):
            missing = "DRAGOPS_PASSWORD (password)" if self.password is None else "DRAGOPS_EMAIL (email)"
            raise ConfigurationError(f"email and password go together; {missing} is missing")
        if not self.timeout > 0:
            raise ConfigurationError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.rate is not None and not isinstance(self.rate, Rates) and not self.rate > 0:
            raise ConfigurationError(f"rate must be a positive number of requests/s, got {self.rate!r}")
        if self.rate_limit_wait is not None and not self.rate_limit_wait >= 0:
            raise ConfigurationError(
                f"DRAGOPS_RATE_LIMIT_WAIT must be a number of seconds >= 0, got {self.rate_limit_wait!r}"
            )
        if self.ca_bundle is not None and not Path(self.ca_bundle).is_file():
            raise ConfigurationError(
                f"the CA bundle (--ca-bundle / DRAGOPS_CA_BUNDLE) {self.ca_bundle!r} is not a readable file"
            )

    @property
    def instance_url(self) -> str:
        """The instance root (webhook ingestion lives here), without a trailing ``/api``."""
        url = self.base_url.rstrip("/")
        return url.removesuffix("/api")

    @property
    def api_url(self) -> str:
        """The REST API root: the instance URL plus ``/api``."""
        return self.instance_url + "/api"

    @property
    def auth_mode(self) -> str:
        """``token``, ``password``, ``token+password`` or ``none``."""
        if self.email is not None:
            return "token+password" if self.token is not None else "password"
        return "token" if self.token is not None else "none"

    @classmethod
    def resolve(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        base_url: str | None = None,
        token: str | SecretStr | None = None,
        email: str | None = None,
        password: str | SecretStr | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        rate: float | Rates | None = None,
        ca_bundle: str | None = None,
        rate_limit_wait: float | None = None,
    ) -> ClientSettings:
        """Settings from keyword arguments, falling back to ``DRAGOPS_URL``, ``DRAGOPS_TOKEN``,
        ``DRAGOPS_EMAIL``, ``DRAGOPS_PASSWORD``, ``DRAGOPS_CA_BUNDLE`` and ``DRAGOPS_RATE_LIMIT_WAIT``
        (from `env`, default ``os.environ``)."""
        source = os.environ if env is None else env
        url = base_url or source.get("DRAGOPS_URL")
        if not url:
            raise ConfigurationError("no DRAGOPS URL: set DRAGOPS_URL or pass --url")
        token = token if token is not None else source.get("DRAGOPS_TOKEN") or None
        email = email if email is not None else source.get("DRAGOPS_EMAIL") or None
        password = password if password is not None else source.get("DRAGOPS_PASSWORD") or None
        return cls(
            base_url=url,
            token=_secret(token),
            email=email,
            password=_secret(password),
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
            rate=rate,
            ca_bundle=ca_bundle if ca_bundle is not None else source.get("DRAGOPS_CA_BUNDLE") or None,
            rate_limit_wait=rate_limit_wait if rate_limit_wait is not None else _seconds(source),
        )


def _seconds(source: Mapping[str, str]) -> float | None:
    """``DRAGOPS_RATE_LIMIT_WAIT`` as seconds; None when unset."""
    text = source.get("DRAGOPS_RATE_LIMIT_WAIT") or None
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(
            f"DRAGOPS_RATE_LIMIT_WAIT must be a number of seconds, got {text[:40]!r}"
        ) from None


class Client:
    """A DRAGOPS API client; use it as a context manager (or call `close()`).

    Keyword-only settings, each falling back to its environment variable: `base_url` (DRAGOPS_URL),
    `token` (DRAGOPS_TOKEN), `email` (DRAGOPS_EMAIL), `password` (DRAGOPS_PASSWORD), `ca_bundle`
    (DRAGOPS_CA_BUNDLE), `rate_limit_wait` (DRAGOPS_RATE_LIMIT_WAIT: seconds this client waits out the
    server's 429s in all before they count as failed attempts, default 600); `timeout` (s, default 30),
    `max_retries` (default 4), `rate` (requests/s through a limiter owned by this client: one number for
    every request, or `Rates` for separate read and write budgets) or `rate_limiter` (one shared by
    several clients), or a ready `settings`. For tests: `transport` (an httpx transport), `sleep` (retry
    and limiter waits; an injected sleep makes the default `rate_limit_wait` 0, since its waits take no
    time to measure), `clock` (wall-clock time used for token expiry), `retry_policy`.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | SecretStr | None = None,
        email: str | None = None,
        password: str | SecretStr | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        rate: float | Rates | None = None,
        ca_bundle: str | None = None,
        rate_limit_wait: float | None = None,
        settings: ClientSettings | None = None,
        env: Mapping[str, str] | None = None,
        rate_limiter: Pacer | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        given = (
            base_url,
            token,
            email,
            password,
            timeout,
            max_retries,
            rate,
            ca_bundle,
            rate_limit_wait,
            env,
        )
        if settings is not None and any(value is not None for value in given):
            raise ValueError("pass either settings= or individual settings, not both")
        if settings is None:
            settings = ClientSettings.resolve(
                env=env,
                base_url=base_url,
                token=token,
                email=email,
                password=password,
                timeout=timeout,
                max_retries=max_retries,
                rate=rate,
                ca_bundle=ca_bundle,
                rate_limit_wait=rate_limit_wait,
            )
        self.settings = settings
        wait = settings.rate_limit_wait
        if wait is None:
            # A recorded sleep takes no time, so a budget of time could never run out.
            wait = DEFAULT_RATE_LIMIT_WAIT if sleep in (None, time.sleep) else 0.0
        sleep = sleep or time.sleep
        if rate_limiter is not None and settings.rate is not None:
            raise ValueError("pass either rate= (a limiter of this client's own) or rate_limiter=, not both")
        if isinstance(settings.rate, Rates):
            rate_limiter = SplitRateLimiter(settings.rate, sleep=sleep)
        elif rate_limiter is None and settings.rate is not None:
            rate_limiter = RateLimiter(settings.rate, sleep=sleep)
        self._redactor = Redactor()
        for secret in (settings.token, settings.password):
            if secret is not None:
                self._redactor.add(secret.get_secret_value())
        self._http = _http_client(settings, transport)
        self._transport = Transport(
            http=self._http,
            api_url=settings.api_url,
            instance_url=settings.instance_url,
            policy=retry_policy or RetryPolicy(max_retries=settings.max_retries),
            limiter=rate_limiter,
            sleep=sleep,
            redactor=self._redactor,
            rate_limit_wait=RateLimitWait(wait),
        )
        self._tokens = TokenManager(
            self._transport,
            token=settings.token,
            email=settings.email,
            password=settings.password,
            redactor=self._redactor,
            clock=clock or time.time,
        )
        self._transport.tokens = self._tokens
        self._open_namespaces()

    def _open_namespaces(self) -> None:
        """One namespace per API resource, all sharing this client's transport and token."""
        self.auth = AuthAPI(self._transport, self._tokens)
        self.nodes = NodesAPI(self._transport)
        self.patterns = PatternsAPI(self._transport)
        self.deployments = DeploymentsAPI(self._transport, patterns=self.patterns, nodes=self.nodes)
        self.runs = RunsAPI(self._transport)
        self.webhooks = WebhooksAPI(self._transport)
        self.connections = ConnectionsAPI(self._transport)

    def __repr__(self) -> str:
        return f"Client(url={self.settings.instance_url!r}, auth={self._tokens.mode!r})"

    @property
    def base_url(self) -> str:
        """The instance URL this client talks to."""
        return self.settings.instance_url

    @property
    def rate_limiter(self) -> Pacer | None:
        """The limiter this client's requests wait for (None: unlimited)."""
        return self._transport.limiter

    @property
    def rate_limit_wait(self) -> RateLimitWait | None:
        """This client's budget for waiting out the server's 429s; `reset()` it to start a new run."""
        return self._transport.rate_limit_wait

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


def _http_client(settings: ClientSettings, transport: httpx.BaseTransport | None) -> httpx.Client:
    """The connection pool: the settings' timeout, TLS always verified, redirects never followed."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout),
        verify=_tls_context(settings.ca_bundle),
        transport=transport,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,  # a redirect would carry the bearer token somewhere unexpected
    )


def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verification always on; a private CA bundle replaces the system store when given."""
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"cannot load the CA bundle {ca_bundle!r}: {exc}") from exc
