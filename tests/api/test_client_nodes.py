"""`client.nodes` against the emulator: the library, one definition, and the per-client cache."""

from __future__ import annotations

import pytest

from dragops_emulator import Emulator
from dragops_sync.api import Client, NotFoundError
from dragops_sync.api._nodes import node_types
from dragops_sync.models import NodeDefinition
from kit.graphs import webhook_graph


def test_the_node_library_lists_the_documented_definitions(client: Client) -> None:
    nodes = client.nodes.list()
    assert len(nodes) >= 40
    by_id = {n.id: n for n in nodes}
    on_webhook = by_id["OnWebhook"]
    assert isinstance(on_webhook, NodeDefinition)
    assert on_webhook.category == "Events"
    assert [p.name for p in on_webhook.outputs][:2] == ["exec", "body"]
    assert by_id["Add"].is_pure is True
    events = client.nodes.list(category="Events")
    assert events and all(n.category == "Events" for n in events)


def test_one_definition_is_read_by_type_and_an_unknown_type_is_not_found(client: Client) -> None:
    assert client.nodes.get("Log").label == "Log"
    with pytest.raises(NotFoundError) as caught:
        client.nodes.get("NoSuchNode")
    assert caught.value.code == "NODE_NOT_FOUND"


def test_definitions_for_a_graph_hold_only_its_types_from_a_library_fetched_once(
    client: Client, emu: Emulator
) -> None:
    graph = webhook_graph()
    definitions = client.nodes.definitions_for(graph)
    assert sorted(definitions) == ["Log", "OnWebhook"]
    assert definitions["OnWebhook"]["id"] == "OnWebhook"
    client.nodes.definitions_for(graph)
    client.nodes.library()
    assert len([r for r in emu.request_log() if r["path"] == "/api/nodes"]) == 1


def test_node_types_reads_the_types_used_in_a_graph() -> None:
    assert node_types(webhook_graph()) == {"OnWebhook", "Log"}
    assert node_types({"nodes": "broken"}) == set()
    assert node_types({"nodes": [{"id": "n"}, {"type": 3}, {"type": "Add"}]}) == {"Add"}
