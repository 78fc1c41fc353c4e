"""Clients bound to an emulator, the sleep and clock doubles the project's client accepts, and the
status -> exception table the client promises."""

from __future__ import annotations

import threading

import httpx

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import (
    APIError,
    AuthenticationError,
    Client,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)


def client_for(emu: Emulator, user: SeededUser) -> Client:
    """The project's client as `user` (a context manager; close it after use).

    `env={}`: no DRAGOPS_* variable of the machine running the tests reaches it.
    """
    return Client(base_url=emu.url, token=user.token, env={})


def http_client(emu: Emulator, user: SeededUser | None = None, *, token: str | None = None) -> httpx.Client:
    """A plain httpx client for `emu.url` sending the user's (or the given) bearer token; close it after
    use. For tests of the emulator itself, which must not depend on the project's client."""
    headers = {}
    bearer = token if token is not None else (user.token if user is not None else None)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    # trust_env=False: never route test traffic through a proxy from the environment.
    return httpx.Client(base_url=emu.url, headers=headers, trust_env=False, timeout=30)


class SleepRecorder:
    """An injectable `sleep` that records each requested delay instead of waiting (thread-safe)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.delays.append(seconds)


class FakeClock:
    """A manual clock; `sleep` advances it, so rate-limiter waits cost no wall-clock time."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


# Every status the client maps, with the exception class it raises; both error forms use this one table.
STATUS_CLASSES: list[tuple[int, type[APIError]]] = [
    (400, ValidationError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (413, ValidationError),
    (422, ValidationError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
]
