"""The node library: `GET /api/nodes` and `GET /api/nodes/:id`, and the library's own consistency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._actions import ACTIONS
from dragops_emulator._nodes import CATEGORIES, PIN_TYPES, TRIGGER_TYPES, list_nodes
from dragops_emulator._pure_nodes import PURE_NODES
from kit.clients import http_client

# The three definitions the public docs print (docs/api-contract.md#node-library), key for key.
DOCUMENTED_PINS = {
    "OnWebhook": (
        [],
        [
            {"name": "exec", "type": "exec", "label": ""},
            {"name": "body", "type": "object", "label": "Body"},
            {"name": "headers", "type": "object", "label": "Headers"},
            {"name": "query", "type": "object", "label": "Query"},
            {"name": "method", "type": "string", "label": "Method"},
        ],
    ),
    "Log": (
        [
            {"name": "exec", "type": "exec", "label": ""},
            {"name": "message", "type": "string", "label": "Message"},
        ],
        [{"name": "exec", "type": "exec", "label": ""}],
    ),
    "Add": (
        [{"name": "a", "type": "number", "label": "A"}, {"name": "b", "type": "number", "label": "B"}],
        [{"name": "result", "type": "number", "label": "Result"}],
    ),
}
DOCUMENTED_HEADS = {
    "OnWebhook": ("On Webhook", "Events", "Triggers when an HTTP request arrives at the webhook URL", False),
    "Log": ("Log", "Utility", "Writes a message to the execution log", False),
    "Add": ("Add", "Math", "Returns the sum of two numbers", True),
}


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as http:
        yield http


def test_the_node_list_is_a_bare_object_with_every_definition(client: httpx.Client) -> None:
    response = client.get("/api/nodes")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"nodes"}
    assert len(body["nodes"]) >= 48
    assert [node["id"] for node in body["nodes"]] == [node["id"] for node in list_nodes()]


@pytest.mark.parametrize("node_id", sorted(DOCUMENTED_PINS))
def test_the_documented_definitions_are_served_exactly(client: httpx.Client, node_id: str) -> None:
    definition = client.get(f"/api/nodes/{node_id}").json()
    label, category, description, is_pure = DOCUMENTED_HEADS[node_id]
    inputs, outputs = DOCUMENTED_PINS[node_id]
    assert (definition["label"], definition["category"], definition["description"]) == (
        label,
        category,
        description,
    )
    assert definition["isPure"] is is_pure
    assert definition["inputs"] == inputs
    assert definition["outputs"] == outputs


def test_one_definition_is_served_bare(client: httpx.Client) -> None:
    response = client.get("/api/nodes/OnSchedule")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "OnSchedule"
    assert body["isTrigger"] is True
    assert {"name": "cron", "type": "string", "label": "Cron Expression", "required": True} in body[
        "properties"
    ]


def test_an_unknown_node_is_not_found(client: httpx.Client) -> None:
    response = client.get("/api/nodes/TeleportPayload")
    assert response.status_code == 404
    assert response.json() == {"error": "Node type 'TeleportPayload' not found", "code": "NODE_NOT_FOUND"}


def test_the_category_filter_returns_only_that_category_case_insensitively(client: httpx.Client) -> None:
    events = client.get("/api/nodes", params={"category": "events"}).json()["nodes"]
    assert {node["id"] for node in events} >= {
        "OnWebhook",
        "OnSchedule",
        "OnPatternCall",
        "OnStart",
        "OnError",
    }
    assert {node["category"] for node in events} == {"Events"}
    flow = client.get("/api/nodes", params={"category": "Flow Control"}).json()["nodes"]
    assert {"Branch", "Sequence", "ForEach", "Delay", "TryCatch"} <= {node["id"] for node in flow}


def test_an_unknown_category_gives_an_empty_list(client: httpx.Client) -> None:
    assert client.get("/api/nodes", params={"category": "Quantum"}).json() == {"nodes": []}


@pytest.mark.parametrize("path", ["/api/nodes", "/api/nodes/Log"])
def test_the_node_library_needs_a_token(emu: Emulator, path: str) -> None:
    with httpx.Client(base_url=emu.url, trust_env=False) as anonymous:
        response = anonymous.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_served_definitions_cannot_be_altered_by_a_caller() -> None:
    first = list_nodes()
    first[0]["outputs"].clear()
    assert list_nodes()[0]["outputs"]


# --- the library's consistency --------------------------------------------------------------------


def test_the_library_covers_the_documented_categories() -> None:
    expected = {
        "Events",
        "Flow Control",
        "Literals",
        "Variables",
        "Math",
        "Comparison",
        "String",
        "HTTP",
        "Utility",
    }
    assert expected <= set(CATEGORIES)
    assert {"Data Formats", "Object", "Array"} <= set(CATEGORIES)


def test_integration_nodes_take_a_connection_property() -> None:
    by_id = {node["id"]: node for node in list_nodes()}
    for node_id in ("SlackSendMessage", "GitHubCreateIssueComment"):
        names = [prop["name"] for prop in by_id[node_id]["properties"]]
        assert "connectionId" in names


def _pin_problems(definition: dict[str, Any]) -> list[str]:
    problems = []
    for side in ("inputs", "outputs"):
        names = [pin["name"] for pin in definition[side]]
        if len(names) != len(set(names)):
            problems.append(f"{side} repeat a pin name")
        for pin in definition[side]:
            if pin["type"] not in PIN_TYPES:
                problems.append(f"pin {pin['name']} has type {pin['type']}")
            if not {"name", "type", "label"} <= set(pin) or set(pin) - {
                "name",
                "type",
                "label",
                "defaultValue",
                "required",
            }:
                problems.append(f"pin {pin['name']} has keys {sorted(pin)}")
    exec_pins = [pin for pin in definition["inputs"] + definition["outputs"] if pin["type"] == "exec"]
    if definition["isPure"] and exec_pins:
        problems.append("a pure node has exec pins")
    return problems


@pytest.mark.parametrize("definition", list_nodes(), ids=lambda definition: definition["id"])
def test_every_definition_is_well_formed_and_implemented(definition: dict[str, Any]) -> None:
    assert set(definition) >= {"id", "label", "category", "description", "isPure", "inputs", "outputs"}
    assert _pin_problems(definition) == []
    if definition["id"] in TRIGGER_TYPES:
        assert definition["inputs"] == []
        assert definition["outputs"][0]["type"] == "exec"
    elif definition["isPure"]:
        assert definition["id"] in PURE_NODES
    else:
        assert definition["id"] in ACTIONS
        assert definition["inputs"][0] == {"name": "exec", "type": "exec", "label": ""}
