"""Connection routes: API-key connections whose key is write-only and never shown again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import http_client
from kit.emulator import form_a, form_b

SENTINEL_KEY = "xoxb-SENTINEL-api-key-0123456789"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


def _create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    fields.setdefault("provider", "slack")
    fields.setdefault("apiKey", SENTINEL_KEY)
    response = client.post("/api/connections/api-key", json=fields)
    assert response.status_code == 201, response.text
    connection: dict[str, Any] = response.json()
    return connection


def test_creating_an_api_key_connection_answers_the_bare_connection(client: httpx.Client) -> None:
    response = client.post("/api/connections/api-key", json={"provider": "slack", "apiKey": SENTINEL_KEY})
    assert response.status_code == 201
    connection = response.json()
    assert set(connection) == {"id", "provider", "displayName", "type", "status", "createdAt", "updatedAt"}
    assert connection["id"].startswith("conn_")
    assert connection["provider"] == "slack"
    assert connection["displayName"] == "Slack API key"
    assert connection["type"] == "api_key" and connection["status"] == "active"
    assert SENTINEL_KEY not in response.text


def test_a_display_name_can_be_given(client: httpx.Client) -> None:
    assert _create(client, displayName="Slack - Engineering")["displayName"] == "Slack - Engineering"


def test_connections_are_listed_bare_and_fetched_one_by_one(client: httpx.Client) -> None:
    first = _create(client, provider="slack")
    second = _create(client, provider="openai")
    listing = client.get("/api/connections")
    assert listing.status_code == 200
    assert listing.json() == {"connections": [first, second]}
    one = client.get(f"/api/connections/{second['id']}")
    assert one.status_code == 200 and one.json() == second


def test_the_api_key_is_never_returned_stored_or_shown(emu: Emulator, client: httpx.Client) -> None:
    connection = _create(client)
    responses = [
        client.get("/api/connections"),
        client.get(f"/api/connections/{connection['id']}"),
        client.put(f"/api/connections/{connection['id']}", json={"apiKey": SENTINEL_KEY + "-2"}),
    ]
    for response in responses:
        assert SENTINEL_KEY not in response.text
    assert emu.state is not None
    stored = json.dumps(emu.state.store.list("connections"))
    assert SENTINEL_KEY not in stored
    assert SENTINEL_KEY not in str(emu.request_log())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"apiKey": SENTINEL_KEY}, "provider is required"),
        ({"provider": "", "apiKey": SENTINEL_KEY}, "provider must not be empty"),
        ({"provider": 3, "apiKey": SENTINEL_KEY}, "provider must be a string"),
        ({"provider": "slack"}, "apiKey is required"),
        ({"provider": "slack", "apiKey": "  "}, "apiKey must not be empty"),
        ({"provider": "slack", "apiKey": ["x"]}, "apiKey must be a string"),
        ({"provider": "slack", "apiKey": SENTINEL_KEY, "displayName": ""}, "displayName must not be empty"),
        ({"provider": "slack", "apiKey": SENTINEL_KEY, "scopes": []}, "Unknown field(s): scopes"),
    ],
)
def test_creating_a_connection_refuses_bad_fields_without_echoing_the_key(
    client: httpx.Client, body: dict[str, Any], message: str
) -> None:
    response = client.post("/api/connections/api-key", json=body)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)
    assert SENTINEL_KEY not in response.text
    assert client.get("/api/connections").json() == {"connections": []}


def test_renaming_a_connection_moves_updated_at(emu: Emulator, client: httpx.Client) -> None:
    connection = _create(client)
    emu.advance_clock(5)
    response = client.put(f"/api/connections/{connection['id']}", json={"displayName": "Renamed"})
    assert response.status_code == 200
    updated = response.json()
    assert updated["displayName"] == "Renamed"
    assert updated["updatedAt"] > connection["updatedAt"]
    assert client.get(f"/api/connections/{connection['id']}").json() == updated


def test_replacing_the_key_moves_updated_at_but_the_same_key_does_not(
    emu: Emulator, client: httpx.Client
) -> None:
    connection = _create(client)
    emu.advance_clock(5)
    same = client.put(f"/api/connections/{connection['id']}", json={"apiKey": SENTINEL_KEY}).json()
    assert same["updatedAt"] == connection["updatedAt"]
    emu.advance_clock(5)
    rotated = client.put(f"/api/connections/{connection['id']}", json={"apiKey": "new-key-value"}).json()
    assert rotated["updatedAt"] > connection["updatedAt"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"provider": "github"}, "Unknown field(s): provider"),
        ({"apiKey": ""}, "apiKey must not be empty"),
        ({"displayName": 5}, "displayName must be a string"),
    ],
)
def test_a_bad_update_is_refused_and_changes_nothing(
    client: httpx.Client, body: dict[str, Any], message: str
) -> None:
    connection = _create(client)
    response = client.put(f"/api/connections/{connection['id']}", json=body)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)
    assert client.get(f"/api/connections/{connection['id']}").json() == connection


def test_deleting_a_connection_answers_204_and_it_is_gone(client: httpx.Client) -> None:
    connection = _create(client)
    response = client.delete(f"/api/connections/{connection['id']}")
    assert response.status_code == 204 and response.content == b""
    missing = client.get(f"/api/connections/{connection['id']}")
    assert missing.status_code == 404
    assert form_a(missing) == ("CONNECTION_NOT_FOUND", "Connection not found")


def test_another_users_connection_is_not_found(emu: Emulator, client: httpx.Client) -> None:
    connection = _create(client)
    with http_client(emu, emu.seed_user()) as other:
        attempts = [
            other.get(f"/api/connections/{connection['id']}"),
            other.put(f"/api/connections/{connection['id']}", json={"displayName": "Mine now"}),
            other.delete(f"/api/connections/{connection['id']}"),
        ]
        assert other.get("/api/connections").json() == {"connections": []}
    for response in attempts:
        assert response.status_code == 404
        assert form_a(response)[0] == "CONNECTION_NOT_FOUND"
    assert client.get(f"/api/connections/{connection['id']}").json() == connection


def test_connections_need_a_token(emu: Emulator) -> None:
    with http_client(emu) as client:
        assert client.get("/api/connections").status_code == 401
        assert (
            client.post("/api/connections/api-key", json={"provider": "x", "apiKey": "y"}).status_code == 401
        )
