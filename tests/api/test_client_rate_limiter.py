"""Rate limits: the client-side token bucket holds its rate, measured on an injected clock (no
wall-clock time), and the server's own 429s are answered with their ``Retry-After``."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import httpx
import pytest
from apikit import FakeClock, SleepRecorder

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client, RateLimiter, RateLimitError


def test_a_burst_passes_at_once_and_the_rest_is_spaced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, burst=5, clock=clock, sleep=clock.sleep)
    start = clock()
    granted = []
    for _ in range(25):
        limiter.acquire()
        granted.append(clock() - start)
    assert granted[:5] == [0.0] * 5
    # After the burst, one request every 1/5 s: 20 more requests take 4 s of (fake) time.
    assert granted[-1] == pytest.approx(4.0)
    for earlier, later in itertools.pairwise(granted[5:]):
        assert later - earlier == pytest.approx(0.2)


def test_no_one_second_window_holds_more_than_rate_plus_burst_requests_across_threads() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=2, clock=clock, sleep=clock.sleep)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            limiter.acquire()
            with lock:
                stamps.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 160
    stamps.sort()
    for i, t0 in enumerate(stamps):
        in_window = sum(1 for t in stamps[i:] if t < t0 + 1.0)
        assert in_window <= 10 + 2


def test_an_idle_limiter_does_not_bank_more_than_its_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, burst=2, clock=clock, sleep=clock.sleep)
    clock.advance(3600)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(0.5)


@pytest.mark.parametrize("rate", [0, -1])
def test_a_non_positive_rate_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be a positive number"):
        RateLimiter(rate)


class _StampingTransport(httpx.HTTPTransport):
    """A real HTTP transport that notes the (fake) time at which each request leaves the client."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.stamps: list[float] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.stamps.append(self.clock())
        return super().handle_request(request)


def test_a_client_shared_by_threads_keeps_to_its_configured_rate(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    clock = FakeClock()
    transport = _StampingTransport(clock)
    limiter = RateLimiter(4, burst=1, clock=clock, sleep=clock.sleep)
    client = make_client(token=user.token, rate_limiter=limiter, transport=transport)
    threads = [
        threading.Thread(target=lambda: [client.connections.list() for _ in range(5)]) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(transport.stamps) == 40
    assert len(emu.request_log()) == 40
    stamps = sorted(transport.stamps)
    for i, t0 in enumerate(stamps):
        assert sum(1 for t in stamps[i:] if t < t0 + 1.0) <= 4
    assert stamps[-1] - stamps[0] >= 39 / 4 - 1e-6


def test_the_servers_own_rate_limit_is_answered_with_its_retry_after(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator, sleeps: SleepRecorder
) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=2)
    client = make_client(token=user.token, max_retries=2)
    client.connections.list()
    client.connections.list()
    with pytest.raises(RateLimitError) as caught:
        client.connections.list()
    assert caught.value.code == "RATE_LIMITED"
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    assert len(sleeps.delays) == 2
    # Each wait is the server's whole-second Retry-After, not the (sub-second, jittered) backoff.
    assert all(delay >= 1 and delay.is_integer() for delay in sleeps.delays)
