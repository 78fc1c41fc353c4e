"""Injected faults: statuses, latency, 429 bursts, dropped connections and "commit then fail"."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from dragops_emulator import Emulator, EmulatorError, SeededUser
from kit.clients import http_client
from kit.emulator import create_pattern, form_a


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


def test_a_status_fault_answers_the_status_for_the_next_count_requests(
    emu: Emulator, client: httpx.Client
) -> None:
    emu.inject_fault(method="GET", path="/api/patterns", kind="status", status=503, count=2)
    statuses = [client.get("/api/patterns").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert emu.faults() == []


def test_a_status_fault_has_a_form_a_body(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns*", kind="status", status=502)
    response = client.get("/api/patterns")
    assert response.status_code == 502
    assert form_a(response) == ("INJECTED_FAULT", "Injected fault")


def test_a_fault_with_probability_one_applies_until_cleared(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns", kind="status", status=500, probability=1.0)
    assert [client.get("/api/patterns").status_code for _ in range(5)] == [500] * 5
    assert len(emu.faults()) == 1
    emu.clear_faults()
    assert client.get("/api/patterns").status_code == 200


def test_a_fault_with_probability_zero_never_applies(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns", kind="status", status=500, probability=0.0)
    assert [client.get("/api/patterns").status_code for _ in range(5)] == [200] * 5


def test_a_fault_only_matches_its_method_and_path_glob(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="status", status=503)
    assert client.get("/api/patterns").status_code == 200
    assert client.get("/api/connections").status_code == 200
    assert client.post("/api/patterns", json={"name": "x"}).status_code == 503


def test_a_latency_fault_delays_then_handles_normally(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns", kind="latency", latency_ms=300)
    started = time.monotonic()
    response = client.get("/api/patterns")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_a_rate_limit_fault_answers_429_with_retry_after(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns", kind="rate_limit", retry_after=7, count=2)
    responses = [client.get("/api/patterns") for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert responses[0].headers["Retry-After"] == "7"
    assert form_a(responses[0])[0] == "RATE_LIMITED"


def test_a_status_fault_of_429_answers_as_the_rate_limiter_would(emu: Emulator, client: httpx.Client) -> None:
    # Documented choice (emulator/README.md): any 429 the emulator gives is RATE_LIMITED with a
    # Retry-After, so a client's 429 handling is exercised the same way whichever fault made it.
    emu.inject_fault(path="/api/patterns", kind="status", status=429, retry_after=3)
    response = client.get("/api/patterns")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert form_a(response) == ("RATE_LIMITED", "Rate limit exceeded (injected)")


def test_a_drop_fault_closes_the_connection_without_a_status(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(path="/api/patterns", kind="drop")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get("/api/patterns")
    assert client.get("/api/patterns").status_code == 200
    assert [entry["status"] for entry in emu.request_log()] == [0, 200]


def test_commit_then_fail_stores_the_write_but_answers_503(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail")
    response = client.post("/api/patterns", json={"name": "Committed"})
    assert response.status_code == 503
    assert form_a(response)[0] == "INJECTED_FAULT"
    names = [item["name"] for item in client.get("/api/patterns").json()["data"]]
    assert names == ["Committed"]


def test_commit_then_fail_with_status_zero_drops_the_connection(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, name="Before")
    emu.inject_fault(method="PUT", path="/api/patterns/*", kind="commit_then_fail", status=0)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.put(f"/api/patterns/{pattern['id']}", json={"name": "After"})
    assert client.get(f"/api/patterns/{pattern['id']}").json()["name"] == "After"


def test_control_endpoints_are_never_faulted(emu: Emulator) -> None:
    emu.inject_fault(path="*", kind="status", status=500, probability=1.0)
    user = emu.seed_user()
    assert user.id.startswith("usr_")
    assert emu.request_log() == []


def test_faults_are_listed_and_cleared(emu: Emulator) -> None:
    fault_id = emu.inject_fault(path="/api/x", kind="status", status=418, count=3)
    [fault] = emu.faults()
    assert fault["id"] == fault_id
    assert fault == {
        "id": fault_id,
        "method": "*",
        "path": "/api/x",
        "kind": "status",
        "count": 3,
        "probability": None,
        "status": 418,
        "latencyMs": None,
        "retryAfter": 1,
    }
    emu.clear_faults()
    assert emu.faults() == []


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"path": "/api/x", "kind": "explode"}, "kind must be one of"),
        ({"kind": "status", "status": 500}, "path is required"),
        ({"path": "/api/x", "kind": "status"}, "status is required for kind status"),
        ({"path": "/api/x", "kind": "latency"}, "latencyMs is required for kind latency"),
        (
            {"path": "/api/x", "kind": "drop", "count": 1, "probability": 0.5},
            "give either count or probability",
        ),
        ({"path": "/api/x", "kind": "drop", "probability": 2}, "probability must be between 0 and 1"),
        ({"path": "/api/x", "kind": "drop", "count": 0}, "count must be >= 1"),
        ({"path": "/api/x", "kind": "status", "status": 42}, "status must be between 100 and 599"),
        ({"path": "/api/x", "kind": "drop", "method": "FETCH"}, "method must be one of"),
        ({"path": "/api/x", "kind": "drop", "when": "now"}, "unknown field(s): when"),
    ],
)
def test_a_bad_fault_definition_is_refused_naming_the_problem(
    emu: Emulator, fault: dict[str, object], message: str
) -> None:
    with httpx.Client(trust_env=False) as raw:
        response = raw.post(emu.url + "/__emulator/faults", json=fault)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    with pytest.raises(EmulatorError):
        emu.inject_fault(path="/api/x", kind="explode")
