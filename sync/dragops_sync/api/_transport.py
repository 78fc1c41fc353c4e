"""The request loop: rate limiting, bearer tokens, error mapping, retries and safe write recovery.

Every API call of every resource goes through `Transport.request`. Per attempt it asks the token source
for the bearer value (a login is a request of its own), waits for its turn at the shared rate limiter
(held until the answer is in), sends, and classifies the outcome:

* success -> the decoded JSON body;
* 401 with a token source that can recover (re-login or refresh) -> one transparent repeat;
* 429 -> waited out as its ``Retry-After`` asks, uncounted, while the run's `RateLimitWait` lasts (the
  server's budget is shared by every run of the account: a 429 is a reason to wait, not a failure);
  the limiter of that kind of request is paused too, so the other threads wait instead of piling on;
* 429 (once the wait budget is spent), 502/503/504 and transport failures -> retry per `RetryPolicy`,
  logging one sentence per retry; but a refused connection before the server ever answered, and a
  TLS failure, are raised at once with a hint (`_hints`): retrying them only delays the same answer;
* 401 to a request sent without any credentials -> raised with the variables that supply them;
* a non-idempotent request (a create) whose outcome is unknown (sent, then a timeout, a dropped
  connection or a 5xx) is never blindly repeated: the caller's `recover` looks the object up by its
  natural key first and, if found, that object is the answer;
* anything else -> the mapped `APIError`, raised from the underlying exception.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from ._budget import Pacer, RateLimitWait, kind_of
from ._envelope import parse_error
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    DragopsError,
    RateLimitError,
    cap_text,
    error_class_for_status,
)
from ._hints import NO_CREDENTIALS_HINT, URL_SETTING, permanent_connect_hint
from ._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

__all__ = ["ApiResponse", "Recover", "Redactor", "TokenSource", "Transport"]

logger = logging.getLogger("dragops_sync.api")

# Methods that may be repeated without changing the outcome. POST is excluded: creates, deploys,
# executions and ingestion are not (callers opt in per request when a POST is idempotent in effect).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

# Looks up, after a write of unknown outcome, the object that write would have made: its JSON, or None.
Recover = Callable[[], Any]


class TokenSource(Protocol):
    """Supplies bearer values and repairs them after a 401 (implemented by `TokenManager`)."""

    def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, or None (no credentials)."""

    def recover_from_401(self, rejected: str | None) -> bool:
        """Renew the token after `rejected` was refused; True when the request should be repeated."""


class Redactor:
    """Removes known secret strings from text that may end up in exception messages.

    The server should never echo a secret, but an error message quoting a request body or a header
    would leak it; every message quoted from a response passes through here. Thread-safe.
    """

    _MIN_LENGTH = 4  # masking "a" everywhere would garble messages and protect nothing

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def add(self, secret: str | None) -> None:
        """Remember `secret` (ignored when empty or too short to matter)."""
        if secret and len(secret) >= self._MIN_LENGTH:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text


@dataclass(frozen=True)
class ApiResponse:
    """A decoded successful answer; `recovered` marks an object found after a write of unknown outcome."""

    status_code: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    recovered: bool = False


@dataclass
class _Call:
    """One logical request, as the attempts of `Transport.request` send it."""

    method: str
    url: str
    params: list[tuple[str, str | int | float | bool | None]] | None
    json_body: Any
    content: bytes | None
    headers: Mapping[str, str]
    root: bool
    shown: str = ""  # the URL without the instance root, as log lines name it ("/api/patterns")


@dataclass
class _Failure:
    """A failed attempt, classified: may it be retried, and could it have taken effect?"""

    error: DragopsError
    retryable: bool
    outcome_unknown: bool
    what: str  # how log lines describe it: "answered 503", "failed (RemoteProtocolError)"
    cause: BaseException | None = None
    status: int | None = None
    retry_after: float | None = None


class Transport:
    """Sends API requests with the policy described in the module docstring. Safe to share by threads."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        api_url: str,
        instance_url: str,
        policy: RetryPolicy,
        limiter: Pacer | None,
        sleep: Callable[[float], None],
        redactor: Redactor,
        rate_limit_wait: RateLimitWait | None = None,
    ) -> None:
        self._http = http
        self.api_url = api_url.rstrip("/")
        self.instance_url = instance_url.rstrip("/")
        self.policy = policy
        self.limiter = limiter
        self.sleep = sleep
        self.redactor = redactor
        self.rate_limit_wait = rate_limit_wait
        self.tokens: TokenSource | None = None
        # Set by the first HTTP answer: from then on a refused connection is likely a restart.
        self._answered = False
        self._wait_noticed = False
        self._wait_spent_noticed = False

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        idempotent: bool | None = None,
        recover: Recover | None = None,
        root: bool = False,
    ) -> ApiResponse:
        """Send one logical request (possibly several attempts) and return its decoded answer.

        `path` is relative to the API root (``/patterns``), or to the instance root with ``root=True``
        (``/webhooks/<id>``), whose answers need not be JSON (text is returned as a string).
        `idempotent` defaults to the method's nature. `recover` is consulted before repeating a
        non-idempotent request whose outcome is unknown.
        """
        call = _Call(
            method=method.upper(),
            url=(self.instance_url if root else self.api_url) + path,
            params=_query(params),
            json_body=json_body,
            content=content,
            headers=headers or {},
            root=root,
        )
        call.shown = call.url.removeprefix(self.instance_url) or "/"
        may_repeat = call.method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        retries = 0
        reauthenticated = False
        earlier_outcome_unknown = False
        # Requests to the instance root (webhook ingestion) are limited by the server per address, not
        # per user: one budget paces them, a split one leaves them alone.
        kind = None if root else kind_of(call.method, path)
        while True:
            # The bearer first: a login it may need is a request of its own, with its own turn.
            bearer = self.tokens.authorization() if authenticate and self.tokens is not None else None
            if self.limiter is not None:
                with self.limiter.slot(kind):
                    result = self._attempt(call, bearer)
            else:
                result = self._attempt(call, bearer)
            if isinstance(result, ApiResponse):
                return result
            if result.status == 429 and self._wait_out(call, result, kind):
                continue
            if result.status == 401 and authenticate and not reauthenticated and self._renew(bearer):
                # The token expired or was revoked and the source renewed it: repeat once, uncounted.
                logger.info("%s %s answered 401; repeating it with a renewed token", call.method, call.shown)
                reauthenticated = True
                continue
            if result.status == 404 and call.method == "DELETE" and earlier_outcome_unknown:
                # An earlier attempt whose answer was lost did the deleting: gone is what was asked.
                logger.info("%s %s answered 404 after a lost answer; it is deleted", call.method, call.shown)
                return ApiResponse(204, None)
            if result.status == 401 and authenticate and bearer is None:
                raise _without_credentials(result.error) from result.cause
            if not result.retryable:
                raise result.error from result.cause
            if not may_repeat and result.outcome_unknown:
                found = self._recover(call, result, recover)
                if found is not None:
                    return ApiResponse(200, found, recovered=True)
            if retries >= self.policy.max_retries:
                raise result.error from result.cause
            earlier_outcome_unknown = earlier_outcome_unknown or result.outcome_unknown
            retries += 1
            delay = self.policy.delay(retries, result.retry_after)
            logger.warning(
                "%s %s %s; retrying in %.1f s (attempt %d of %d)",
                call.method,
                call.shown,
                result.what,
                delay,
                retries + 1,
                self.policy.attempts,
            )
            self.sleep(delay)

    def _attempt(self, call: _Call, bearer: str | None) -> ApiResponse | _Failure:
        """Send once; a success is decoded, anything else is classified (never raised here)."""
        send_headers = {"Accept": "application/json", **call.headers}
        if bearer is not None:
            send_headers["Authorization"] = bearer
        try:
            response = self._http.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json_body if call.content is None else None,
                content=call.content,
                headers=send_headers,
            )
        except httpx.TransportError as exc:
            # Refused connections and pool timeouts never reached the server; anything later may have.
            never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            # A refused connection to a server never reached, or a TLS failure, fails at once.
            hint = permanent_connect_hint(exc, server_answered_before=self._answered)
            return _Failure(
                error=self._transport_failure(exc, call.method, call.url, hint),
                cause=exc,
                retryable=hint is None,
                outcome_unknown=not never_sent,
                what=f"failed ({type(exc).__name__})",
            )
        self._answered = True
        status = response.status_code
        if 300 <= status < 400:
            # Redirects are not followed (they would carry the bearer token to another place).
            where = cap_text(response.headers.get("Location", "an unnamed location"), 200)
            error = APIError(
                f"redirected to {where}; point {URL_SETTING} at the instance itself",
                status=status,
                code=None,
                method=call.method,
                url=call.url,
            )
            return _Failure(error=error, retryable=False, outcome_unknown=False, what=f"answered {status}")
        if status < 400:
            logger.debug("%s %s answered %d", call.method, call.shown, status)
            decode = _json_or_text if call.root else self._decode
            return ApiResponse(status, decode(response), response.headers)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return _Failure(
            error=self._status_failure(response, call.method, call.url, retry_after),
            retryable=status in RETRYABLE_STATUSES,
            outcome_unknown=status != 429,  # a 429 is refused before any work is done
            what=f"answered {status}",
            status=status,
            retry_after=retry_after,
        )

    def _wait_out(self, call: _Call, failure: _Failure, kind: str | None) -> bool:
        """Wait a 429 out as the server asks, uncounted, if the run's wait budget allows; True if waited."""
        budget = self.rate_limit_wait
        if budget is None:
            return False
        delay = failure.retry_after if failure.retry_after is not None else self.policy.delay(1)
        delay = min(delay, self.policy.max_retry_after)
        if budget.remaining() < delay:
            if not self._wait_spent_noticed:
                self._wait_spent_noticed = True
                logger.warning(
                    "the server has kept this run waiting for %.0f s, its budget for rate limits "
                    "(DRAGOPS_RATE_LIMIT_WAIT); further 429 answers count as failed attempts",
                    budget.spent(),
                )
            return False
        if self.limiter is not None:
            self.limiter.pause(delay, kind)
        level = logging.INFO if self._wait_noticed else logging.WARNING
        self._wait_noticed = True
        logger.log(
            level,
            "%s %s answered 429: the server's rate limit for this account is spent; waiting %.1f s "
            "as it asks (%.0f s of this run's %.0f s for rate limits used)",
            call.method,
            call.shown,
            delay,
            budget.spent(),
            budget.total,
        )
        with budget.waiting():
            self.sleep(delay)
        return True

    def _renew(self, rejected: str | None) -> bool:
        return self.tokens is not None and self.tokens.recover_from_401(rejected)

    def _recover(self, call: _Call, failure: _Failure, recover: Recover | None) -> Any:
        """After a write of unknown outcome: the object it made, or None (then it may be repeated).

        Without a `recover` the write is not repeated at all: the failure is raised.
        """
        if recover is None:
            logger.warning(
                "%s %s %s; not repeating it because it may already have taken effect",
                call.method,
                call.shown,
                failure.what,
            )
            raise failure.error from failure.cause
        found = recover()
        if found is not None:
            logger.warning(
                "%s %s %s, but the object it creates exists; using it instead of repeating",
                call.method,
                call.shown,
                failure.what,
            )
        return found

    def _transport_failure(
        self, exc: httpx.TransportError, method: str, url: str, hint: str | None = None
    ) -> APIConnectionError:
        detail = self.redactor(cap_text(str(exc) or type(exc).__name__))
        if hint:
            detail = f"{detail}; {hint}"

        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"{method} {url} timed out: {detail}", method=method, url=url)
        return APIConnectionError(
            f"{method} {url} failed: {type(exc).__name__}: {detail}", method=method, url=url
        )

    def _status_failure(
        self, response: httpx.Response, method: str, url: str, retry_after: float | None
    ) -> APIError:
        status = response.status_code
        info = parse_error(status, response.content)
        message = self.redactor(info.message)
        cls = error_class_for_status(status)
        if cls is RateLimitError:
            return RateLimitError(
                message,
                status=status,
                code=info.code,
                method=method,
                url=url,
                details=info.details,
                retry_after=retry_after,
            )
        return cls(message, status=status, code=info.code, method=method, url=url, details=info.details)

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        method, url = response.request.method, str(response.request.url)
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("Content-Type", "unknown content type")
            raise APIError(
                f"expected a JSON body, got {cap_text(kind, 80)}",
                status=response.status_code,
                code=None,
                method=method,
                url=url,
            ) from exc


def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str | int | float | bool | None]] | None:
    """Encode query parameters the way the API expects: lists repeat the key, booleans are lowercase."""
    if not params:
        return None
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            pairs.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return pairs


def _without_credentials(error: DragopsError) -> DragopsError:
    """A 401 to a request sent without credentials, saying which settings supply them."""
    if not isinstance(error, AuthenticationError):
        return error
    return AuthenticationError(
        error.message,
        status=error.status,
        code=error.code,
        method=error.method,
        url=error.url,
        details=error.details,
        summary=f"{error}; {NO_CREDENTIALS_HINT}",
    )


def _json_or_text(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return cap_text(response.text)


def dumps_compact(payload: Any) -> bytes:
    """Serialise `payload` the way webhook bodies are signed: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
