"""Rate limits (D17): token buckets per category and key, 429 RATE_LIMITED with Retry-After."""

from __future__ import annotations

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._ratelimit import RateLimiter, category_of
from kit.clients import http_client
from kit.emulator import form_a


def test_reads_beyond_the_limit_get_429_with_retry_after(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=3)
    with http_client(emu, user) as client:
        statuses = [client.get("/api/patterns").status_code for _ in range(3)]
        limited = client.get("/api/patterns")
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert form_a(limited) == ("RATE_LIMITED", "Rate limit exceeded (read: 3 per minute)")
    assert int(limited.headers["Retry-After"]) >= 1


def test_categories_have_separate_buckets(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=1, write_per_minute=2)
    with http_client(emu, user) as client:
        assert client.get("/api/patterns").status_code == 200
        assert client.get("/api/patterns").status_code == 429
        assert client.post("/api/patterns", json={"name": "a"}).status_code == 201
        assert client.post("/api/patterns", json={"name": "b"}).status_code == 201
        assert client.post("/api/patterns", json={"name": "c"}).status_code == 429
        assert client.get("/api/auth/providers").status_code == 200


def test_each_user_has_their_own_bucket(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=1)
    other = emu.seed_user()
    with http_client(emu, user) as mine, http_client(emu, other) as theirs:
        assert mine.get("/api/patterns").status_code == 200
        assert mine.get("/api/patterns").status_code == 429
        assert theirs.get("/api/patterns").status_code == 200


def test_auth_requests_are_limited_per_client_address(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, auth_per_minute=2)
    with http_client(emu) as client:
        body = {"email": user.email, "password": user.password}
        statuses = [client.post("/api/auth/login", json=body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_limits_can_be_switched_off_at_run_time(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=1)
    with http_client(emu, user) as client:
        client.get("/api/patterns")
        assert client.get("/api/patterns").status_code == 429
        emu.update_settings(rate_limits_enabled=False)
        assert all(client.get("/api/patterns").status_code == 200 for _ in range(5))


def test_control_endpoints_are_never_limited(emu: Emulator) -> None:
    emu.update_settings(rate_limits_enabled=True, write_per_minute=1, read_per_minute=1)
    # Five control writes and five control reads in a minute that allows one API write and one read:
    # a limited control call would raise EmulatorError.
    users = [emu.seed_user() for _ in range(5)]
    for _ in range(5):
        emu.request_log()
    assert len({seeded.token for seeded in users}) == 5
    # ...while the limits are on for the API itself.
    with http_client(emu, users[0]) as client:
        assert client.get("/api/patterns").status_code == 200
        assert client.get("/api/patterns").status_code == 429


def test_rate_limited_requests_appear_in_the_request_log(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(rate_limits_enabled=True, read_per_minute=1)
    with http_client(emu, user) as client:
        client.get("/api/patterns")
        client.get("/api/patterns")
    assert [entry["status"] for entry in emu.request_log()] == [200, 429]


@pytest.mark.parametrize(
    ("method", "path", "category"),
    [
        ("POST", "/api/auth/login", "auth"),
        ("GET", "/api/auth/providers", "auth"),
        ("POST", "/webhooks/wh_1", "webhook"),
        ("GET", "/webhooks/wh_1", "webhook"),
        ("POST", "/api/webhooks/pat_1", "webhook"),
        ("GET", "/api/webhooks/wh_1/requests", "read"),
        ("POST", "/api/webhooks/wh_1/rotate-secret", "write"),
        ("GET", "/api/patterns", "read"),
        ("HEAD", "/api/patterns", "read"),
        ("DELETE", "/api/patterns/pat_1", "write"),
    ],
)
def test_requests_fall_into_the_documented_categories(method: str, path: str, category: str) -> None:
    assert category_of(method, path) == category


def test_a_bucket_refills_at_the_per_minute_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(monotonic=lambda: now[0])
    assert [limiter.acquire("read", "k", 60) for _ in range(60)] == [None] * 60
    assert limiter.acquire("read", "k", 60) == 1
    now[0] += 1.0
    assert limiter.acquire("read", "k", 60) is None
    assert limiter.acquire("read", "k", 60) == 1
    assert limiter.acquire("read", "other", 60) is None


def test_retry_after_is_the_whole_seconds_until_a_token_is_back() -> None:
    now = [0.0]
    limiter = RateLimiter(monotonic=lambda: now[0])
    assert limiter.acquire("write", "k", 2) is None
    assert limiter.acquire("write", "k", 2) is None
    assert limiter.acquire("write", "k", 2) == 30


def test_a_webhook_without_a_token_is_keyed_by_address(emu: Emulator) -> None:
    emu.update_settings(rate_limits_enabled=True, webhook_per_minute=1)
    with httpx.Client(base_url=emu.url, trust_env=False) as client:
        first = client.post("/webhooks/wh_unknown", json={})
        second = client.post("/webhooks/wh_unknown", json={})
    assert first.status_code != 429
    assert second.status_code == 429
