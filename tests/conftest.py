"""Shared fixtures: one emulator per test session, reset before each test that uses it.

* ``emulator`` (session): one running :class:`Emulator` with rate limits off.
* ``emu`` (function): the same emulator after ``reset()`` (data, faults, clock shift, request log and
  settings back to the start).
* ``user`` (function): a freshly seeded user with a token.
* ``api_url``: the REST API base URL (``emu.url + "/api"``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from dragops_emulator import Emulator, EmulatorSettings, SeededUser


@pytest.fixture(scope="session", autouse=True)
def _git_identity() -> Iterator[None]:
    """Tests commit to throwaway git repositories; a fresh CI machine may have no git identity."""
    names = ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL")
    values = ("dragops-iac tests", "dragops-iac tests", "tests@example.invalid", "tests@example.invalid")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in zip(names, values, strict=True):
            if name not in os.environ:
                patch.setenv(name, value)
        yield


@pytest.fixture(autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI keeps a cache of live patterns under $XDG_CACHE_HOME: each test gets its own, never
    the home directory of whoever runs the suite."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture(autouse=True)
def _fresh_sync_logging() -> Iterator[None]:
    """A CLI run in this process sets the `dragops_sync` logger's level and handler (--log-level);
    each test starts and ends without them, so what one test logs never depends on an earlier one."""
    logger = logging.getLogger("dragops_sync")
    kept = (logger.level, list(logger.handlers))
    yield
    logger.setLevel(kept[0])
    logger.handlers[:] = kept[1]


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as emu:
        yield emu


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    return emulator


@pytest.fixture
def user(emu: Emulator) -> SeededUser:
    return emu.seed_user()


@pytest.fixture
def api_url(emu: Emulator) -> str:
    return emu.url + "/api"
