"""Fixtures of the provider tests: the real dynamic-provider host per module, against the session emulator.

Hosts are expensive-ish (a Python process importing pulumi, pydantic and httpx), so one host per test
module serves every test in it. The host configures a provider once per distinct pickle blob, with the
stack config it was booted with, so a module's tests share one seeded user (`host_user`) instead of the
per-test `user` fixture (whose `emu.reset()` would wipe that user); tests stay apart by unique names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_harness import MiniEngine, ProviderHost

from dragops_emulator import Emulator, SeededUser
from kit.provider import PROVIDER_TESTS, stack_config


@pytest.fixture(scope="module")
def host_user(emulator: Emulator) -> SeededUser:
    # A clean emulator (clock, faults, settings) for the module, then one user for all its tests.
    emulator.reset()
    return emulator.seed_user()


@pytest.fixture(scope="module")
def host(emulator: Emulator, host_user: SeededUser) -> Iterator[ProviderHost]:
    h = ProviderHost(
        project="proj",
        stack_config=stack_config(emulator, host_user),
        env={"PYTHONPATH": str(PROVIDER_TESTS)},
    )
    yield h
    h.close()


@pytest.fixture
def live(emulator: Emulator, host_user: SeededUser) -> Emulator:
    """The module's emulator with no faults and an empty request log (data of earlier tests stays)."""
    emulator.clear_faults()
    emulator.clear_request_log()
    return emulator


@pytest.fixture
def engine(host: ProviderHost, live: Emulator) -> MiniEngine:
    return MiniEngine(host)
