"""The emulator refuses what the real service would (docs/limits.md): names, tags and descriptions too
long or holding control characters, too many nodes or edges, too deep a document (400 VALIDATION)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import http_client
from kit.emulator import create_pattern, form_b
from kit.graphs import webhook_graph


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


def _deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


def _graph_with_depth(document_levels: int) -> dict[str, Any]:
    """A graph whose deepest list sits at `document_levels` of the body (graphData is level 2, its
    nodes list 3, a node 4, its data 5)."""
    graph = webhook_graph("n1")
    graph["nodes"][0]["data"] = {"deep": _deep(document_levels - 5)}
    return graph


REFUSED = [
    ({"name": "x" * 201}, "name must be at most 200 characters"),
    ({"name": "   "}, "name must not be empty"),
    ({"name": "Logger\x1b[2J"}, "name must not contain control characters"),
    ({"name": "two\nlines"}, "name must not contain control characters"),
    ({"description": "d" * 10_001}, "description must be at most 10000 characters"),
    ({"description": "bell\x07"}, "description must not contain control characters"),
    ({"tags": ["t" * 101]}, "tags must hold non-empty strings of at most 100 characters"),
    ({"tags": ["a\x00b"]}, "tags must not contain control characters"),
    (
        {"graphData": {"nodes": [{"id": f"n{i}", "type": "Log"} for i in range(501)], "edges": []}},
        "graphData.nodes must hold at most 500 items",
    ),
    (
        {
            "graphData": {
                "nodes": [],
                "edges": [{"id": f"e{i}", "source": "a", "target": "b"} for i in range(2001)],
            }
        },
        "graphData.edges must hold at most 2000 items",
    ),
    ({"graphData": _graph_with_depth(65)}, "graphData must not nest deeper than 64 levels"),
]


@pytest.mark.parametrize(("fields", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_create_update_and_import_refuse_what_the_service_refuses(
    client: httpx.Client, fields: dict[str, Any], message: str
) -> None:
    existing = create_pattern(client, name="Existing")
    body = {"name": "P", **fields}
    created = client.post("/api/patterns", json=body)
    updated = client.put(f"/api/patterns/{existing['id']}", json=fields)
    imported = client.post("/api/patterns/import", json={"formatVersion": 1, **body})

    assert (created.status_code, form_b(created)) == (400, ("VALIDATION", message))
    assert (updated.status_code, form_b(updated)) == (400, ("VALIDATION", message))
    assert imported.status_code == 422 and message in imported.json()["error"]["message"]
    listed = client.get("/api/patterns").json()["data"]
    assert [p["name"] for p in listed] == ["Existing"]  # nothing stored


def test_what_is_at_each_limit_is_accepted(client: httpx.Client) -> None:
    pattern = create_pattern(
        client,
        name="  " + "x" * 196 + "  ",  # 200 characters as written; stored stripped
        description="one\n\ttwo\r\n" + "d" * 9_990,
        tags=["t" * 100],
        graphData=_graph_with_depth(64),
    )
    assert pattern["name"] == "x" * 196
    nodes = [{"id": f"n{i}", "type": "Log"} for i in range(500)]
    edges = [{"id": f"e{i}", "source": "n0", "target": "n1"} for i in range(2000)]
    create_pattern(client, name="Big", graphData={"nodes": nodes, "edges": edges})


def test_clone_refuses_a_name_with_control_characters(client: httpx.Client) -> None:
    source = create_pattern(client, name="Source")
    response = client.post(f"/api/patterns/{source['id']}/clone", json={"name": "bad\x07"})
    assert (response.status_code, form_b(response)) == (
        400,
        ("VALIDATION", "name must not contain control characters"),
    )
