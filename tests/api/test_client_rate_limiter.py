"""Rate limits: the client-side limiter never lets more than `rate` requests go in any one-second
window (on an injected clock, and through a real client against the emulator's request log), and the
server's own 429s are answered with their ``Retry-After``."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client, RateLimiter, RateLimitError
from kit.clients import FakeClock, SleepRecorder


def most_in_one_second(stamps: list[float]) -> int:
    """The most stamps inside any half-open one-second window ``[t, t + 1)``."""
    ordered = sorted(stamps)
    # The busiest window can be taken to start at a stamp; compare as the limiter does (t0 + 1.0).
    return max(sum(1 for t in ordered[i:] if t < t0 + 1.0) for i, t0 in enumerate(ordered))


def acquire_from_threads(
    limiter: RateLimiter, clock: Callable[[], float], threads: int, each: int
) -> list[float]:
    """`threads` threads each acquire `each` times; returns the clock reading after every grant."""
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(each):
            limiter.acquire()
            with lock:
                stamps.append(clock())

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return stamps


def test_requests_are_spaced_evenly_with_no_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    # 5 requests per 1.02 s: the rate, less 20 ms of headroom for network jitter.
    assert limiter.interval == pytest.approx(1.02 / 5)
    start = clock()
    granted = []
    for _ in range(11):
        limiter.acquire()
        granted.append(clock() - start)
    assert granted[0] == 0.0
    for earlier, later in itertools.pairwise(granted):
        assert later - earlier == pytest.approx(0.204)
    assert granted[-1] == pytest.approx(2.04)


@pytest.mark.parametrize(("rate", "allowed"), [(10, 10), (7, 7), (250, 250), (2.5, 2), (0.5, 1)])
def test_no_one_second_window_holds_more_than_the_rate_across_threads(rate: float, allowed: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    per_thread = max(3, math.ceil(3 * rate / 8))  # about three seconds of requests in all
    stamps = acquire_from_threads(limiter, clock, threads=8, each=per_thread)
    assert len(stamps) == 8 * per_thread
    busiest = most_in_one_second(stamps)
    assert busiest <= allowed  # never exceeded...
    assert busiest >= math.floor(allowed / 1.02)  # ...and reached, less the 20 ms of headroom


def test_a_late_wake_up_pushes_the_next_request_back_instead_of_bunching_up() -> None:
    clock = FakeClock()

    def oversleep(seconds: float) -> None:
        clock.sleep(seconds + 0.05)  # a busy machine wakes the waiter 50 ms late

    limiter = RateLimiter(10, clock=clock, sleep=oversleep)
    granted = []
    for _ in range(6):
        limiter.acquire()
        granted.append(clock())
    gaps = [later - earlier for earlier, later in itertools.pairwise(granted)]
    # Each gap is the interval plus the late wake-up: the lost time is never made up with a
    # shorter gap, as a schedule computed before the sleep would do.
    assert gaps == pytest.approx([limiter.interval + 0.05] * 5)


def test_a_sleep_that_returns_early_never_lets_a_request_go_before_its_turn() -> None:
    clock = FakeClock()
    waits: list[float] = []
    limiter = RateLimiter(4, clock=clock, sleep=waits.append)  # the clock never moves
    for _ in range(4):
        limiter.acquire()
    # The limiter books each grant at its turn at the earliest, so the queue still advances in steps.
    step = limiter.interval
    assert waits == pytest.approx([step, 2 * step, 3 * step])


def test_an_idle_limiter_lets_one_request_go_at_once_then_paces_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.advance(3600)
    waits = [limiter.acquire() for _ in range(3)]
    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([0.51, 0.51])  # an idle hour banks no burst


@pytest.mark.parametrize("rate", [0, -1, float("nan"), float("inf"), True, "10"])
def test_a_rate_that_is_not_a_positive_finite_number_is_refused(rate: object) -> None:
    with pytest.raises(ValueError, match=r"rate must be a (positive|finite) number"):
        RateLimiter(rate)  # type: ignore[arg-type]


def test_the_limiter_repr_shows_its_rate() -> None:
    assert repr(RateLimiter(12.5)) == "RateLimiter(rate=12.5)"


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


def test_a_client_shared_by_threads_keeps_to_its_configured_rate_on_a_fake_clock(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    clock = FakeClock()
    transport = _StampingTransport(clock)
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
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
    assert most_in_one_second(transport.stamps) == 4
    # At least the even spacing; more, since a request's turn is held until its answer is in, and on
    # this clock the other threads' sleeps move time on while a request is in flight.
    assert max(transport.stamps) - min(transport.stamps) >= 39 * 1.02 / 4 - 1e-9


def test_the_emulator_never_sees_more_than_the_configured_rate_from_a_client_shared_by_threads(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    # Real clock, real sleeps, real HTTP: the emulator stamps every request it answers. This counts
    # requests per window rather than timing anything, so a slow machine can only lower the count.
    rate, threads, each = 50, 8, 19
    client = make_client(token=user.token, rate=rate, sleep=time.sleep)
    assert client.rate_limiter is not None and client.rate_limiter.rate == rate
    workers = [
        threading.Thread(target=lambda: [client.connections.list() for _ in range(each)])
        for _ in range(threads)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    log = emu.request_log()
    assert len(log) == threads * each
    assert {(r["method"], r["path"], r["status"]) for r in log} == {("GET", "/api/connections", 200)}
    seen = [datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in log]
    assert most_in_one_second(seen) <= rate


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


def test_slow_answers_never_let_the_emulator_count_more_than_the_rate_in_a_second(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    # The emulator logs a request when it answers it. A request granted early but answered late (300 ms
    # here) used to be counted in the same second as the quick ones granted a second after it: at
    # rate 10 a busy second held 11. A turn is now held until the answer is in.
    emu.inject_fault(method="GET", path="/api/patterns", kind="latency", latency_ms=300)
    rate = 10
    client = make_client(token=user.token, rate=rate, sleep=time.sleep)

    def slow() -> None:
        for _ in range(8):
            list(client.patterns.list())  # an empty list: one request

    def quick() -> None:
        for _ in range(10):
            client.connections.list()

    workers = [threading.Thread(target=slow)] + [threading.Thread(target=quick) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    log = emu.request_log()
    assert len(log) == 38
    seen = [datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in log]
    assert most_in_one_second(seen) <= rate
