"""Fixtures for the API client tests: clients wired to the emulator with recorded (not real) sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.clients import SleepRecorder


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(emu: Emulator, sleeps: SleepRecorder) -> Iterator[Callable[..., Client]]:
    """Build clients against the emulator; every retry/limiter wait goes to the `sleeps` recorder."""
    made: list[Client] = []

    def make(**kwargs: Any) -> Client:
        kwargs.setdefault("base_url", emu.url)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("env", {})
        client = Client(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client], user: SeededUser) -> Client:
    """A client that logs in as the test's user with email and password."""
    return make_client(email=user.email, password=user.password)
