"""Property tests of pagination and the retry policy, over any list size, page size and attempt."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dragops_sync.api import Paginator, RetryPolicy, parse_retry_after


class _FakeServer:
    """Serves `total` items in either pagination style, counting the pages it was asked for."""

    def __init__(self, total: int, style: str) -> None:
        self.total = total
        self.style = style
        self.calls = 0

    def fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        limit = params["limit"]
        if self.style == "page":
            start = (params["page"] - 1) * limit
            meta = {"page": params["page"], "limit": limit, "total": self.total}
            meta["totalPages"] = math.ceil(self.total / limit)
        else:
            start = params["offset"]
            meta = {"offset": start, "limit": limit, "total": self.total}
        items = [{"id": f"obj_{i}"} for i in range(start, min(start + limit, self.total))]
        return {"success": True, "data": items, "meta": meta}


@given(total=st.integers(0, 450), page_size=st.integers(1, 100), style=st.sampled_from(["page", "offset"]))
def test_every_item_is_yielded_once_with_the_fewest_requests(total: int, page_size: int, style: str) -> None:
    server = _FakeServer(total, style)
    paginator: Paginator[str] = Paginator(
        server.fetch,
        lambda raw: raw["id"],
        style=style,
        page_size=page_size,
    )
    assert paginator.to_list() == [f"obj_{i}" for i in range(total)]
    assert server.calls == max(1, math.ceil(total / page_size))


@given(retry_number=st.integers(1, 30), draw=st.floats(0, 1))
def test_backoff_is_capped_and_jitter_only_shortens_it(retry_number: int, draw: float) -> None:
    policy = RetryPolicy(random=lambda: draw)
    delay = policy.delay(retry_number)
    base = min(policy.initial_delay * 2 ** (retry_number - 1), policy.max_delay)
    assert base * (1 - policy.jitter) <= delay <= base <= policy.max_delay


@given(seconds=st.integers(0, 10_000))
def test_a_retry_after_in_seconds_is_honoured_up_to_the_cap(seconds: int) -> None:
    policy = RetryPolicy()
    parsed = parse_retry_after(str(seconds))
    assert parsed == seconds
    assert policy.delay(1, parsed) == min(seconds, policy.max_retry_after)


def test_unreadable_retry_after_values_are_ignored() -> None:
    for value in (None, "", "soon", "Thu, 99 Foo 2026"):
        assert parse_retry_after(value) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now
