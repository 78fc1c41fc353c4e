"""The client-side token bucket holds its rate, measured on an injected clock (no wall-clock time)."""

from __future__ import annotations

import itertools
import threading

import pytest
from apikit import FakeClock

from dragops_sync.api import RateLimiter


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
