"""What the emulator cannot produce, through `httpx.MockTransport`: a proxy's HTML 502, an HTTP-date
``Retry-After``, form-B bodies on statuses the emulator answers in form A, non-JSON success bodies and
servers whose pagination totals lie."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dragops_sync.api import (
    APIError,
    Client,
    ServerError,
)
from kit.clients import STATUS_CLASSES, SleepRecorder

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, sleeps: SleepRecorder, **kwargs: Any) -> Client:
    return Client(
        base_url="https://dragops.test",
        token="tok-not-a-jwt",
        env={},
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
        **kwargs,
    )


def test_a_proxy_html_502_is_retried_then_raised_as_a_server_error(sleeps: SleepRecorder) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, html="<html><h1>502 Bad Gateway</h1><p>nginx</p></html>")

    with mock_client(handler, sleeps, max_retries=2) as client, pytest.raises(ServerError) as caught:
        client.patterns.get("pat_1")
    assert len(calls) == 3
    assert len(sleeps.delays) == 2
    error = caught.value
    assert (error.status, error.code, error.message) == (502, None, "Bad Gateway")
    assert "<html>" not in str(error)


def test_an_http_date_retry_after_is_honoured(sleeps: SleepRecorder) -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                json={"error": "Too many requests", "code": "RATE_LIMITED"},
                headers={"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)},
            ),
            httpx.Response(200, json={"id": "pat_1", "name": "A"}),
        ]
    )
    with mock_client(lambda request: next(answers), sleeps) as client:
        assert client.patterns.get("pat_1").name == "A"
    assert len(sleeps.delays) == 1
    assert 28.0 <= sleeps.delays[0] <= 30.0


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_form_b_errors_map_to_the_same_classes_as_form_a(
    status: int, cls: type[APIError], sleeps: SleepRecorder
) -> None:
    body = {"success": False, "error": {"code": "SOME_CODE", "message": "form b says no", "details": [1]}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with mock_client(handler, sleeps, max_retries=0) as client, pytest.raises(cls) as caught:
        client.patterns.get("pat_1")
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.code) == (status, "SOME_CODE")
    assert (error.message, error.details) == ("form b says no", [1])
    assert error.method == "GET"
    assert error.url == "https://dragops.test/api/patterns/pat_1"


def test_a_success_answer_that_is_not_json_is_a_clear_error(sleeps: SleepRecorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>login page</html>", headers={"Content-Type": "text/html"})

    expected = "expected a JSON body, got text/html"
    with mock_client(handler, sleeps) as client, pytest.raises(APIError, match=expected):
        client.connections.list()


def test_pagination_stops_on_an_empty_page_when_the_total_lies(sleeps: SleepRecorder) -> None:
    pages: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        pages.append(dict(request.url.params))
        data = [{"id": f"pat_{offset + i}", "name": "p"} for i in range(10)] if offset < 30 else []
        return httpx.Response(200, json={"success": True, "data": data, "meta": {"total": 10_000}})

    with mock_client(handler, sleeps) as client:
        items = client.patterns.list(page_size=10).to_list()
    assert len(items) == 30
    assert len(pages) == 4  # three full pages and the empty one that ends it


def test_page_style_pagination_without_meta_stops_on_a_short_page(sleeps: SleepRecorder) -> None:
    requested: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        requested.append(page)
        size = 5 if page < 3 else 2
        data = [{"id": f"run_{page}_{i}", "status": "completed"} for i in range(size)]
        return httpx.Response(200, json={"success": True, "data": data})

    with mock_client(handler, sleeps) as client:
        runs = client.runs.list("dep_1", page_size=5).to_list()
    assert len(runs) == 12
    assert requested == [1, 2, 3]


def test_a_form_a_error_with_an_unlisted_status_is_a_plain_api_error(sleeps: SleepRecorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(415, content=json.dumps({"error": "Unsupported", "code": "UNSUPPORTED"}))

    with mock_client(handler, sleeps) as client, pytest.raises(APIError) as caught:
        client.nodes.list()
    assert type(caught.value) is APIError
    assert caught.value.code == "UNSUPPORTED"


def test_an_object_shifted_onto_the_next_page_is_not_yielded_twice(sleeps: SleepRecorder) -> None:
    # Page 1 is read, then a create shifts everything down by one: page 2 starts with page 1's last.
    pages = {
        0: [{"id": "pat_a", "name": "a"}, {"id": "pat_b", "name": "b"}],
        2: [{"id": "pat_b", "name": "b"}, {"id": "pat_c", "name": "c"}],
        4: [{"id": "pat_d", "name": "d"}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        meta = {"total": 5, "limit": 2, "offset": offset}
        return httpx.Response(200, json={"success": True, "data": pages.get(offset, []), "meta": meta})

    with mock_client(handler, sleeps) as client:
        ids = [p.id for p in client.patterns.list(page_size=2)]
    assert ids == ["pat_a", "pat_b", "pat_c", "pat_d"]


def test_a_redirect_is_not_followed_and_says_where_it_pointed(sleeps: SleepRecorder) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(301, headers={"Location": "https://elsewhere.test/api/patterns/pat_1"})

    with mock_client(handler, sleeps) as client, pytest.raises(APIError) as caught:
        client.patterns.get("pat_1")
    assert seen == ["https://dragops.test/api/patterns/pat_1"]
    assert caught.value.status == 301
    assert "redirected to https://elsewhere.test/api/patterns/pat_1" in str(caught.value)
