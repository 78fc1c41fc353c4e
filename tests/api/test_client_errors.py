"""Every HTTP status the emulator can be made to answer maps to its exception, with `raise ... from`."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    Client,
    ValidationError,
)
from kit.clients import STATUS_CLASSES


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_an_injected_form_a_status_maps_to_its_exception(
    status: int, cls: type[APIError], make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(token=user.token, max_retries=0)
    # count=2: a 401 makes the client renew its token and repeat once; the repeat fails the same way.
    emu.inject_fault(method="GET", path="/api/connections", kind="status", status=status, count=2)
    with pytest.raises(cls) as caught:
        client.connections.list()
    error = caught.value
    assert type(error) is cls
    # The emulator answers an injected 429 as its rate limiter would (code RATE_LIMITED).
    code = "RATE_LIMITED" if status == 429 else "INJECTED_FAULT"
    assert (error.status, error.code) == (status, code)
    assert (error.method, error.url) == ("GET", f"{emu.url}/api/connections")
    assert str(error) == f"GET {emu.url}/api/connections answered {status} {code}: {error.message}"


def test_a_form_b_validation_error_carries_its_details(client: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        client.patterns.import_({"name": "Doc", "formatVersion": 1, "graphData": "nope"})
    assert caught.value.status == 422
    assert caught.value.details


def test_a_dropped_connection_is_an_api_connection_error_raised_from_httpx(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(token=user.token, max_retries=0)
    emu.inject_fault(method="GET", path="/api/connections", kind="drop")
    with pytest.raises(APIConnectionError) as caught:
        client.connections.list()
    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert caught.value.method == "GET"


def test_a_slow_answer_is_an_api_timeout_error(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(token=user.token, max_retries=0, timeout=0.2)
    emu.inject_fault(method="GET", path="/api/connections", kind="latency", latency_ms=1500)
    with pytest.raises(APITimeoutError) as caught:
        client.connections.list()
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert "timed out" in str(caught.value)


def test_nothing_listening_is_a_connection_error(make_client: Callable[..., Client]) -> None:
    client = make_client(base_url="http://127.0.0.1:9", token="t", max_retries=1)
    with pytest.raises(APIConnectionError) as caught:
        client.connections.list()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
