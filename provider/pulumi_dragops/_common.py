"""The shared base of the four dynamic providers, and the small helpers their methods have in common.

A provider instance is pickled (dill) into every resource's `__provider` property and unpickled by the
Pulumi dynamic-provider host, which caches one instance per distinct blob and runs its methods on several
threads. So the base keeps no HTTP client and no per-resource state on `self`: credentials arrive in
`configure()` (host only) and are dropped from the pickle, and each method opens its own client.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from dragops_sync.api import Client, DragopsError

from ._config import (
    NAMESPACE,
    ConfigurationError,
    Credentials,
    credentials_from_env,
    credentials_from_stack_config,
)


class DragopsProviderError(DragopsError):
    """A DRAGOPS operation of the Pulumi provider failed; the message says what and why (no secrets)."""


_F = TypeVar("_F", bound=Callable[..., Any])
# The provider methods the engine calls through the host; their errors are what a `pulumi up` user reads.
_ENGINE_METHODS = ("check", "diff", "create", "read", "update", "delete")


def one_line(exc: BaseException) -> str:
    """An error as one line: its message, then the notes on it and on its causes (e.g. what a failed
    roll-back left behind), whitespace collapsed."""
    parts = [str(exc) or type(exc).__name__]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(note) for note in getattr(seen, "__notes__", ())]
        seen = seen.__cause__
    return "; ".join(" ".join(part.split()) for part in parts if part.strip())


def one_line_errors(method: _F) -> _F:
    """Raise a provider method's DRAGOPS errors as one line under one short traceback.

    The host sends the formatted traceback as the error the engine shows; a chained error would print
    every cause's traceback before the line that matters. Other exceptions (bugs) keep theirs.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (DragopsProviderError, ConfigurationError) as exc:
            error: DragopsError = type(exc)(one_line(exc))
        except DragopsError as exc:
            error = DragopsProviderError(one_line(exc))
        raise error.with_traceback(None) from None

    return wrapper  # type: ignore[return-value]


def is_unknown(value: Any) -> bool:
    """True for a preview-time unknown (Check and Diff see `Unknown` objects during `pulumi preview`)."""
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    """True when an unknown hides anywhere inside a nested input (e.g. a node property from an output)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def text(value: Any) -> str | None:
    """A server timestamp or id as the plain string the outputs carry."""
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat()).replace("+00:00", "Z")
    return str(value)


class InputChecker:
    """Collects `CheckFailure`s for one `check()` call; each failure names the offending property.

    Unknown values (preview) are let through untouched: they are checked again when they are known.
    """

    def __init__(self, news: Mapping[str, Any]) -> None:
        self.news = news
        self.failures: list[CheckFailure] = []

    def fail(self, prop: str, reason: str) -> None:
        self.failures.append(CheckFailure(prop, reason))

    def string(self, prop: str, *, required: bool = False, default: str | None = None) -> Any:
        value = self.news.get(prop)
        if is_unknown(value):
            return value
        if value is None or value == "":
            if required:
                self.fail(prop, f"{prop} is required and must be a non-empty string")
            return default
        if not isinstance(value, str):
            self.fail(prop, f"{prop} must be a string, got {type(value).__name__}")
            return default
        if required and not value.strip():
            self.fail(prop, f"{prop} must not be blank")
        return value

    def boolean(self, prop: str, *, default: bool = False) -> Any:
        value = self.news.get(prop)
        if is_unknown(value):
            return value
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(prop, f"{prop} must be true or false, got {type(value).__name__}")
            return default
        return value

    def positive_number(self, prop: str, *, unit: str) -> Any:
        """An optional number above zero (None when unset)."""
        value = self.news.get(prop)
        if value is None or is_unknown(value):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
            self.fail(prop, f"{prop} must be a positive number of {unit}, got {value!r}")
            return None
        return value

    def string_list(self, prop: str) -> Any:
        value = self.news.get(prop)
        if is_unknown(value):
            return value
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(prop, f"{prop} must be a list of strings, got {type(value).__name__}")
            return []
        for index, item in enumerate(value):
            if not is_unknown(item) and not isinstance(item, str):
                self.fail(prop, f"{prop}[{index}] must be a string, got {type(item).__name__}")
        return list(value)


@contextlib.contextmanager
def api_errors(action: str) -> Iterator[None]:
    """Turn a client error inside the block into a `DragopsProviderError` saying what failed.

    The client's messages carry the HTTP method, URL, status and the server's message, never a
    credential; the provider prefixes what it was doing, which is what a `pulumi up` user needs.
    """
    try:
        yield
    except (DragopsProviderError, ConfigurationError):
        raise  # already says what failed
    except DragopsError as exc:
        raise DragopsProviderError(f"{action} failed: {exc}") from exc


class DragopsProvider(ResourceProvider):
    """Base of the DRAGOPS dynamic providers: credentials from `configure()`, a client per method."""

    # Set only inside the provider host by configure(); removed from the pickle by __getstate__.
    _credentials: Credentials | None = None
    # Attributes configure() sets: host-only, never pickled (the blob must not depend on the stack).
    _host_only: tuple[str, ...] = ("_credentials",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _ENGINE_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, one_line_errors(cls.__dict__[name]))

    def __init__(self, config_namespace: str = NAMESPACE) -> None:
        super().__init__()
        # Only a non-default namespace is kept: a default provider pickles with an empty __dict__, the
        # blob every stack written so far holds.
        if config_namespace != NAMESPACE:
            self.config_namespace = config_namespace

    @property
    def namespace(self) -> str:
        """The stack-config namespace the credentials are read from (`dragops`, or a `Provider`'s)."""
        return str(self.__dict__.get("config_namespace", NAMESPACE))

    def configure(self, req: ConfigureRequest) -> None:
        self._credentials = credentials_from_stack_config(req.config, self.namespace)

    def __getstate__(self) -> dict[str, Any]:
        # Belt and braces: configure() only runs in the host, but a credential must never be pickled
        # into `__provider`, whatever code path set it.
        state = dict(self.__dict__)
        for name in self._host_only:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @contextlib.contextmanager
    def client(self) -> Iterator[Client]:
        """An API client opened for one provider method and closed when it returns."""
        credentials = self._credentials or (
            credentials_from_env() if self.namespace == NAMESPACE else Credentials()
        )
        if not credentials.can_log_in:
            # A token alone: nothing to renew it with, so nothing to share.
            with credentials.open_client() as client:
                yield client
            return
        # Email + password (and maybe a token to start from): one session token per provider host,
        # shared by every method and resource (one host runs them all, and logins are rate limited).
        # Each short-lived client starts from the shared token; when the client had to renew it (expiry,
        # a 401), the renewed one is stored back, so the next call starts fresh instead of renewing the
        # same stale token again.
        key = _session_key(credentials)
        with credentials.open_client(session_token=_shared_session(key, credentials)) as client:
            try:
                yield client
            finally:
                renewed = client.auth.current_token()
                if renewed is not None:
                    _SESSIONS[key] = renewed.get_secret_value()


# Session tokens of the provider host process, shared by the four provider classes (each is its own
# cached instance in the host). Module state is never pickled: the classes are pickled by reference.
_SESSIONS: dict[str, str] = {}
# Serialises first logins, so the host's worker threads starting together log in once, not four times.
_LOGIN_LOCK = threading.Lock()


def _shared_session(key: str, credentials: Credentials) -> str:
    """The host's session token for these credentials, logging in once when there is none yet."""
    token = _SESSIONS.get(key) or credentials.token
    if token is not None:
        return token  # a configured token is used until it expires; no login needed up front
    with _LOGIN_LOCK:
        token = _SESSIONS.get(key)
        if token is None:
            with credentials.open_client() as client, api_errors(f"logging in as {credentials.email}"):
                token = client.auth.login().token.get_secret_value()
            _SESSIONS[key] = token
        return token


def _session_key(credentials: Credentials) -> str:
    # A digest, so a changed password never reuses the old session and no password sits in a dict key.
    material = "\0".join(
        (credentials.url or "", credentials.email or "", credentials.password or "", credentials.token or "")
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
