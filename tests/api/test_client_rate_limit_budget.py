"""The server's rate limit is a shared budget: its 429s are waited out (as ``Retry-After`` asks), not
counted as failures, for up to the run's time budget; logins are waited out the same way; the client's
own limits are split by kind; and the client says when its own limiter, not the server, is the wait."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import (
    Client,
    ConfigurationError,
    RateLimiter,
    RateLimitError,
    RateLimitWait,
    Rates,
    SplitRateLimiter,
)
from kit.clients import FakeClock


def run_in_threads(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(i)` in `threads` threads at once; returns what they raised."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # collected for the assertion, whatever it is
            with lock:
                errors.append(exc)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return errors


def test_429s_are_waited_out_and_not_counted_as_failed_attempts(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    # 120 reads a minute: a burst of 130 spends the bucket, then each 429 asks for a second.
    emu.update_settings(rate_limits_enabled=True, read_per_minute=120)
    client = make_client(token=user.token, max_retries=0, sleep=time.sleep)
    assert client.rate_limit_wait is not None and client.rate_limit_wait.total == 600

    errors = run_in_threads(5, lambda _: [client.connections.list() for _ in range(26)])

    assert errors == []
    statuses = [r["status"] for r in emu.request_log()]
    assert statuses.count(200) == 130
    assert statuses.count(429) >= 1  # the server did refuse some: they were waited out
    assert 0 < client.rate_limit_wait.spent() < 30


def test_a_wait_beyond_the_runs_budget_is_a_failure_at_once(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=1)  # the next read in 60 s
    client = make_client(token=user.token, max_retries=0, sleep=time.sleep, rate_limit_wait=5)
    client.connections.list()
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        client.connections.list()
    assert time.monotonic() - started < 2  # not a minute of sleeping past the budget


def test_the_wait_budget_comes_from_the_environment_and_is_checked() -> None:
    with Client(env={"DRAGOPS_RATE_LIMIT_WAIT": "90"}, base_url="https://x") as client:
        assert client.rate_limit_wait is not None and client.rate_limit_wait.total == 90
    with pytest.raises(ConfigurationError, match="DRAGOPS_RATE_LIMIT_WAIT"):
        Client(env={"DRAGOPS_RATE_LIMIT_WAIT": "ten minutes"}, base_url="https://x")


def test_waits_overlapping_in_time_spend_the_budget_once() -> None:
    clock = FakeClock()
    budget = RateLimitWait(10, clock=clock)
    with budget.waiting():
        with budget.waiting():  # a second thread waiting at the same time
            clock.advance(3)
        clock.advance(1)
    assert budget.spent() == pytest.approx(4)
    assert budget.remaining() == pytest.approx(6)
    budget.reset()
    assert budget.remaining() == 10


def test_a_burst_of_short_runs_logging_in_from_one_address_all_succeed(
    emu: Emulator, user: SeededUser
) -> None:
    # The case: 30 short runs at 20 logins a minute, one failed at login. Here scaled to keep
    # the test short: 70 runs at once at 60 logins a minute, so ten wait for the bucket to refill (one
    # a second) for up to ten seconds, where four counted retries of one second each gave up.
    emu.update_settings(rate_limits_enabled=True, auth_per_minute=60)
    clients = [Client(env={}, base_url=emu.url, email=user.email, password=user.password) for _ in range(70)]
    try:
        errors = run_in_threads(len(clients), lambda i: clients[i].connections.list())
    finally:
        for client in clients:
            client.close()
    assert errors == []
    log = emu.request_log()
    logins = [r["status"] for r in log if r["path"] == "/api/auth/login"]
    assert logins.count(200) == 70 and 429 in logins
    assert [r["status"] for r in log if r["path"] == "/api/connections"] == [200] * 70


def test_reads_and_writes_are_paced_by_their_own_budgets() -> None:
    clock = FakeClock()
    split = SplitRateLimiter(Rates(read=20, write=5), clock=clock, sleep=clock.sleep)
    start = clock()
    for _ in range(5):
        with split.slot("write"):
            pass
    writes_took = clock() - start
    for _ in range(20):
        with split.slot("read"):
            pass
    reads_took = clock() - start - writes_took
    assert writes_took == pytest.approx(4 * 1.02 / 5)
    assert reads_took == pytest.approx(19 * 1.02 / 20)  # never behind the writes' slower pace


def test_the_client_says_once_when_its_own_limiter_is_what_the_run_waits_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep, name="write")
    with caplog.at_level(logging.INFO, logger="dragops_sync.api"):
        for _ in range(30):
            limiter.acquire()
    notes = [r.getMessage() for r in caplog.records if "own write rate limit" in r.getMessage()]
    assert len(notes) == 1
    assert "not for the server" in notes[0] and "rate" in notes[0]
