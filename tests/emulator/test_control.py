"""The control API under /__emulator/: reset, users, clock, request log, settings; routing errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dragops_emulator import Emulator, EmulatorError, SeededUser
from kit.clients import http_client
from kit.emulator import create_pattern, form_a


@pytest.fixture
def raw(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, trust_env=False) as client:
        yield client


def test_reset_wipes_data_faults_log_and_clock(emu: Emulator, user: SeededUser, raw: httpx.Client) -> None:
    with http_client(emu, user) as client:
        create_pattern(client)
    emu.inject_fault(path="/api/x", kind="drop")
    emu.advance_clock(100)
    emu.update_settings(read_per_minute=5)
    response = raw.post("/__emulator/reset")
    assert response.status_code == 200 and response.json() == {"status": "reset"}
    assert emu.faults() == [] and emu.request_log() == []
    assert raw.get("/__emulator/clock").json()["offsetSeconds"] == 0
    assert emu.current_settings()["readPerMinute"] == 1200
    assert emu.state is not None
    assert emu.state.store.list("patterns") == [] and emu.state.store.list("users") == []


def test_a_seeded_user_with_given_credentials_can_log_in(emu: Emulator) -> None:
    seeded = emu.seed_user(email="ops@example.com", password="Given-pass1!")
    assert seeded.email == "ops@example.com" and seeded.password == "Given-pass1!"
    assert "Given-pass1!" not in repr(seeded) and seeded.token not in repr(seeded)
    with http_client(emu) as client:
        response = client.post(
            "/api/auth/login", json={"email": "ops@example.com", "password": "Given-pass1!"}
        )
    assert response.json()["data"]["user"]["id"] == seeded.id


def test_seeding_a_taken_email_is_refused(emu: Emulator) -> None:
    emu.seed_user(email="twice@example.com")
    with pytest.raises(EmulatorError, match="409"):
        emu.seed_user(email="twice@example.com")


def test_seeded_users_get_random_distinct_credentials(emu: Emulator, raw: httpx.Client) -> None:
    response = raw.post("/__emulator/users")
    assert response.status_code == 201
    first = response.json()
    second = raw.post("/__emulator/users", json={}).json()
    assert set(first) == {"id", "email", "password", "token"}
    assert first["email"] != second["email"] and first["password"] != second["password"]


def test_the_clock_moves_forward_only(emu: Emulator, raw: httpx.Client) -> None:
    before = raw.get("/__emulator/clock").json()
    moved = raw.post("/__emulator/clock", json={"advanceSeconds": 86_400}).json()
    assert moved["offsetSeconds"] == 86_400
    assert moved["now"] > before["now"]
    assert moved["now"][:10] != before["now"][:10]
    backwards = raw.post("/__emulator/clock", json={"advanceSeconds": -1})
    assert backwards.status_code == 400
    assert raw.post("/__emulator/clock", json={"advanceSeconds": "1h"}).status_code == 400


@pytest.mark.parametrize("seconds", [1e308, 10**400, 3_153_600_001])
def test_the_clock_refuses_a_shift_beyond_a_century(emu: Emulator, raw: httpx.Client, seconds: float) -> None:
    response = raw.post(
        "/__emulator/clock",
        content=f'{{"advanceSeconds": {seconds}}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "100 years" in response.json()["error"]["message"]
    assert raw.get("/__emulator/clock").json()["offsetSeconds"] == 0


def test_the_century_limit_counts_earlier_shifts(emu: Emulator, raw: httpx.Client) -> None:
    assert raw.post("/__emulator/clock", json={"advanceSeconds": 3_000_000_000}).status_code == 200
    assert raw.post("/__emulator/clock", json={"advanceSeconds": 200_000_000}).status_code == 400
    assert raw.post("/__emulator/clock", json={"advanceSeconds": 100_000_000}).status_code == 200
    # Times this far ahead still render and tokens still work.
    with http_client(emu, emu.seed_user()) as client:
        assert client.get("/api/patterns").status_code == 200


def test_timestamps_in_responses_follow_the_shifted_clock(emu: Emulator) -> None:
    emu.advance_clock(10 * 86_400)
    shifted_now = emu.advance_clock(0)
    # Seeded after the jump: a token issued before it would have expired.
    with http_client(emu, emu.seed_user()) as client:
        created = client.post("/api/patterns", json={"name": "Future"}).json()
    assert created["data"]["createdAt"][:10] == shifted_now[:10]
    assert created["timestamp"][:10] == shifted_now[:10]


def test_the_request_log_counts_api_requests_but_not_control_ones(emu: Emulator, user: SeededUser) -> None:
    with http_client(emu, user) as client:
        client.get("/api/patterns")
        client.post("/api/patterns", json={})
        client.get("/api/patterns/pat_missing")
    emu.seed_user()
    log = emu.request_log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/api/patterns", 200),
        ("POST", "/api/patterns", 400),
        ("GET", "/api/patterns/pat_missing", 404),
    ]
    assert all(entry["at"].endswith("Z") for entry in log)
    emu.clear_request_log()
    assert emu.request_log() == []


def test_settings_are_read_and_changed_with_camel_or_snake_case(emu: Emulator, raw: httpx.Client) -> None:
    settings = raw.get("/__emulator/settings").json()
    assert settings["rateLimitsEnabled"] is False and settings["tokenTtlSeconds"] == 3600
    changed = raw.put("/__emulator/settings", json={"tokenTtlSeconds": 60, "write_per_minute": 7}).json()
    assert changed["tokenTtlSeconds"] == 60 and changed["writePerMinute"] == 7
    assert emu.update_settings(activation_delay_seconds=0.5)["activationDelaySeconds"] == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown setting: colour"),
        ({"tokenTtlSeconds": "60"}, "token_ttl_seconds must be an integer"),
        ({"rateLimitsEnabled": 1}, "rate_limits_enabled must be a boolean"),
        ({"readPerMinute": True}, "read_per_minute must be an integer"),
        ({"readPerMinute": 0}, "read_per_minute must be positive"),
        ({"dbPath": "/tmp/x.sqlite"}, "dbPath cannot be changed while the emulator runs"),
    ],
)
def test_bad_settings_are_refused_naming_them(
    emu: Emulator, raw: httpx.Client, change: dict[str, object], message: str
) -> None:
    response = raw.put("/__emulator/settings", json=change)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert raw.get("/__emulator/settings").json()["tokenTtlSeconds"] == 3600


def test_an_unknown_route_is_a_form_a_404_and_a_wrong_method_a_405(emu: Emulator, raw: httpx.Client) -> None:
    missing = raw.get("/api/nothing-here")
    assert missing.status_code == 404
    assert form_a(missing) == ("NOT_FOUND", "No route for GET /api/nothing-here")
    wrong = raw.delete("/api/patterns")
    assert wrong.status_code == 405
    assert form_a(wrong)[0] == "METHOD_NOT_ALLOWED"


def test_an_unexpected_error_is_a_form_a_500_and_is_logged(emu: Emulator, user: SeededUser) -> None:
    # A stored pattern missing its fields can only come from a bug (or a hand-edited database).
    assert emu.state is not None
    emu.state.store.insert("patterns", {"id": "pat_broken"}, owner_id=user.id)
    with http_client(emu, user) as client:
        response = client.get("/api/patterns/pat_broken")
    assert response.status_code == 500
    assert form_a(response) == ("INTERNAL_ERROR", "Internal server error")
    assert emu.request_log()[-1]["status"] == 500
