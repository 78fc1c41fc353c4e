"""`client.connections` against the emulator: every method; the key is write-only."""

from __future__ import annotations

import pytest

from dragops_sync.api import Client, NotFoundError
from dragops_sync.models import Connection


def test_an_api_key_connection_is_created_listed_read_updated_and_deleted(client: Client) -> None:
    made = client.connections.create_api_key(provider="slack", api_key="xoxb-secret-1", display_name="Alerts")
    assert isinstance(made, Connection)
    assert (made.provider, made.display_name) == ("slack", "Alerts")
    assert (made.type, made.status) == ("api_key", "active")
    assert "xoxb-secret-1" not in made.model_dump_json()
    assert [c.id for c in client.connections.list()] == [made.id]  # bare {connections:[...]}
    assert client.connections.get(made.id).display_name == "Alerts"  # bare object
    renamed = client.connections.update(made.id, display_name="Slack alerts", api_key="xoxb-secret-2")
    assert renamed.display_name == "Slack alerts"
    assert client.connections.delete(made.id) is None
    with pytest.raises(NotFoundError) as caught:
        client.connections.get(made.id)
    assert caught.value.code == "CONNECTION_NOT_FOUND"


def test_a_connection_without_a_display_name_gets_the_servers_default(client: Client) -> None:
    made = client.connections.create_api_key(provider="openai", api_key="sk-abcdef")
    assert made.display_name


def test_bad_connection_input_is_refused_with_a_message_naming_it(client: Client) -> None:
    with pytest.raises(ValueError, match="api_key must be a non-empty string"):
        client.connections.create_api_key(provider="slack", api_key="")
    with pytest.raises(ValueError, match="provider must be a non-empty string"):
        client.connections.create_api_key(provider="", api_key="k")
    made = client.connections.create_api_key(provider="slack", api_key="xoxb-1")
    with pytest.raises(ValueError, match="display_name and/or api_key"):
        client.connections.update(made.id)
