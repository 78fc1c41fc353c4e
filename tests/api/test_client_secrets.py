"""Sentinel secrets (password, token, API key, webhook secret) never reach logs, reprs or errors."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from dragops_emulator import Emulator
from dragops_sync.api import APIError, AuthenticationError, Client, ClientSettings
from kit.clients import SleepRecorder

SENTINEL_PASSWORD = "Sentinel-Password-7c1e!"
SENTINEL_API_KEY = "sk-SENTINEL-API-KEY-4b2d"
SENTINEL_API_KEY_2 = "sk-SENTINEL-API-KEY-ROTATED-9e0f"


def test_no_secret_appears_in_debug_logs_reprs_or_error_messages(
    make_client: Callable[..., Client], emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    seeded = emu.seed_user(password=SENTINEL_PASSWORD)
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        client = make_client(email=seeded.email, password=SENTINEL_PASSWORD, token=seeded.token)
        texts += [repr(client), repr(client.settings), repr(client.auth), str(client.settings)]
        connection = client.connections.create_api_key(provider="slack", api_key=SENTINEL_API_KEY)
        client.connections.update(connection.id, api_key=SENTINEL_API_KEY_2)
        texts += [repr(connection), str(connection), connection.model_dump_json()]
        emu.advance_clock(3700)  # force a re-login, so the password travels again
        client.connections.list()
        session = client.auth.login()
        texts += [repr(session), str(session), session.model_dump_json()]
        refreshed = client.auth.refresh()
        texts += [repr(refreshed), str(refreshed)]
        emu.inject_fault(method="GET", path="/api/connections", kind="status", status=401, count=2)
        with pytest.raises(AuthenticationError) as rejected:
            client.connections.list()
        texts.append(str(rejected.value))
        wrong = make_client(email=seeded.email, password=SENTINEL_PASSWORD + "x")
        with pytest.raises(AuthenticationError) as failed_login:
            wrong.connections.list()
        texts += [str(failed_login.value), repr(failed_login.value), repr(wrong)]
    tokens = [seeded.token, session.token.get_secret_value(), refreshed.get_secret_value()]
    haystack = caplog.text + "\n".join(texts)
    assert caplog.records  # the client and httpx did log; none of it may hold a secret
    for secret in [SENTINEL_PASSWORD, SENTINEL_API_KEY, SENTINEL_API_KEY_2, *tokens]:
        assert secret not in haystack


def test_a_secret_echoed_by_a_server_is_redacted_from_the_exception(sleeps: SleepRecorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers.get("Authorization", "")
        return httpx.Response(400, json={"error": f"cannot parse header {echoed}", "code": "BAD_HEADER"})

    with (
        Client(
            base_url="https://dragops.test",
            token="TOKEN-SENTINEL-0a9b8c",
            env={},
            transport=httpx.MockTransport(handler),
            sleep=sleeps,
        ) as client,
        pytest.raises(APIError) as caught,
    ):
        client.patterns.get("pat_1")
    assert "TOKEN-SENTINEL-0a9b8c" not in str(caught.value)
    assert "[redacted]" in caught.value.message


def test_settings_keep_secrets_out_of_their_repr() -> None:
    settings = ClientSettings.resolve(
        env={
            "DRAGOPS_URL": "https://dragops.example.com",
            "DRAGOPS_TOKEN": "TOKEN-SENTINEL-1f2e",
            "DRAGOPS_EMAIL": "ops@example.com",
            "DRAGOPS_PASSWORD": SENTINEL_PASSWORD,
        }
    )
    assert "TOKEN-SENTINEL-1f2e" not in repr(settings)
    assert SENTINEL_PASSWORD not in repr(settings)
    assert settings.auth_mode == "token+password"
