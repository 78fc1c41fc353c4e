"""`Backoff`: capped exponential waits per key, on a clock the caller passes in (no sleeping here)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dragops_sync.backoff import Backoff


def test_a_key_that_never_failed_is_ready() -> None:
    backoff: Backoff[str] = Backoff()
    assert backoff.ready("Alpha", now=0.0)
    assert backoff.entry("Alpha") is None
    assert backoff.waiting(0.0) == frozenset()


def test_each_consecutive_failure_doubles_the_wait_up_to_the_cap() -> None:
    backoff: Backoff[str] = Backoff(initial=10, factor=2, maximum=60)
    delays = [backoff.failed("Alpha", now=100.0 * n).delay for n in range(6)]
    assert delays == [10, 20, 40, 60, 60, 60]
    entry = backoff.entry("Alpha")
    assert entry is not None and entry.failures == 6 and entry.next_attempt == 560.0


def test_a_failed_key_waits_until_its_next_attempt_and_not_sooner() -> None:
    backoff: Backoff[str] = Backoff(initial=10)
    backoff.failed("Alpha", now=100.0, error="500 Internal Server Error")
    assert not backoff.ready("Alpha", now=109.999)
    assert backoff.waiting(109.999) == {"Alpha"}
    assert backoff.ready("Alpha", now=110.0)
    assert backoff.waiting(110.0) == frozenset()
    entry = backoff.entry("Alpha")
    assert entry is not None and entry.error == "500 Internal Server Error"


def test_a_key_failing_for_days_stays_at_the_cap() -> None:
    backoff: Backoff[str] = Backoff(initial=10, factor=2, maximum=600)
    for n in range(5000):  # 2.0**5000 would overflow a float: the wait grows from the previous one
        entry = backoff.failed("Alpha", now=float(n))
    assert entry.delay == 600 and entry.failures == 5000


def test_a_success_forgets_the_failures() -> None:
    backoff: Backoff[str] = Backoff(initial=10)
    backoff.failed("Alpha", now=0.0)
    backoff.failed("Alpha", now=20.0)
    assert backoff.succeeded("Alpha") is True
    assert backoff.succeeded("Alpha") is False
    assert "Alpha" not in backoff
    assert backoff.failed("Alpha", now=100.0).delay == 10  # counted afresh


def test_keys_back_off_independently() -> None:
    backoff: Backoff[tuple[str, str]] = Backoff(initial=5)
    backoff.failed(("pattern", "Alpha"), now=0.0)
    backoff.failed(("pattern", "Alpha"), now=5.0)
    backoff.failed(("connection", "slack"), now=5.0)
    assert backoff.waiting(9.0) == {("pattern", "Alpha"), ("connection", "slack")}
    assert backoff.waiting(12.0) == {("pattern", "Alpha")}
    assert backoff.ready(("pattern", "Beta"), now=0.0)
    backoff.forget(("connection", "slack"))
    assert sorted(backoff) == [("pattern", "Alpha")]
    assert len(backoff) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"initial": 0}, "initial must be a positive number of seconds"),
        ({"factor": 0.5}, "factor must be at least 1"),
        ({"initial": 10, "maximum": 5}, "maximum .* must be at least initial"),
    ],
)
def test_bad_backoff_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Backoff(**kwargs)


@given(
    initial=st.floats(min_value=0.01, max_value=100),
    factor=st.floats(min_value=1, max_value=10),
    extra=st.floats(min_value=0, max_value=1000),
    failures=st.integers(min_value=1, max_value=60),
)
def test_the_wait_never_shrinks_and_never_exceeds_the_cap(
    initial: float, factor: float, extra: float, failures: int
) -> None:
    backoff: Backoff[str] = Backoff(initial=initial, factor=factor, maximum=initial + extra)
    delays = [backoff.failed("k", now=0.0).delay for _ in range(failures)]
    assert delays[0] == initial
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert all(d <= initial + extra for d in delays)
