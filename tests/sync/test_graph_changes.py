"""The graph-aware change description: a table of graph edits -> exact lines; secrets never shown."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dragops_sync.essence import essence
from dragops_sync.graph_changes import describe_changes
from kit.graphs import graph, node, wire

SENTINEL = "sk-SENTINEL-never-shown-4711"


def change_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [c.line() for c in describe_changes(old, new)]


def _pattern() -> dict[str, Any]:
    nodes = [
        node("node_1", "OnWebhook", at=(0, 0)),
        node("node_2", "Log", at=(300, 0), message="hello"),
        node("node_3", "HttpRequest", at=(600, 0), props={"connectionId": "conn_a"}, url="https://x"),
    ]
    return {
        "name": "Alert",
        "description": "d",
        "tags": ["a", "b"],
        "graphData": graph(nodes, [wire("node_1", "node_2"), wire("node_2", "node_3")]),
    }


def _nodes(p: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = p["graphData"]["nodes"]
    return result


def _add(p: dict[str, Any]) -> None:
    _nodes(p).append(node("node_99", "Log", message="extra"))
    p["graphData"]["edges"].append(wire("node_1", "node_99"))


def _remove(p: dict[str, Any]) -> None:
    p["graphData"]["nodes"] = [n for n in _nodes(p) if n["id"] != "node_3"]
    p["graphData"]["edges"] = [e for e in p["graphData"]["edges"] if e["target"] != "node_3"]


def _pin(p: dict[str, Any]) -> None:
    _nodes(p)[1]["data"]["pinDefaults"]["message"] = "bye"


def _rewire(p: dict[str, Any]) -> None:
    p["graphData"]["edges"] = [wire("node_1", "node_3"), wire("node_3", "node_2")]


def _conn(p: dict[str, Any]) -> None:
    _nodes(p)[2]["data"]["properties"]["connectionId"] = "conn_b"


def _move(p: dict[str, Any]) -> None:
    _nodes(p)[0]["position"] = {"x": 10, "y": 20}
    _nodes(p)[1]["position"] = {"x": 5, "y": 5}


def _tags_reordered(p: dict[str, Any]) -> None:
    p["tags"] = ["b", "a"]


def _tags_changed(p: dict[str, Any]) -> None:
    p["tags"] = ["a", "c"]


def _long(p: dict[str, Any]) -> None:
    _nodes(p)[1]["data"]["pinDefaults"]["message"] = "x" * 100


def _rename(p: dict[str, Any]) -> None:
    p["name"] = "Alert 2"


CASES = [
    (_add, ['+ node Log "extra" (node_99)', "+ wire OnWebhook.exec -> Log(node_99).exec"]),
    (_remove, ['- node HttpRequest "https://x" (node_3)', "- wire Log.exec -> HttpRequest.exec"]),
    (_pin, ['~ node Log "bye" (node_2)', '~   pin message: "hello" -> "bye"']),
    (
        _rewire,
        [
            "+ wire OnWebhook.exec -> HttpRequest.exec",
            "+ wire HttpRequest.exec -> Log.exec",
            "- wire OnWebhook.exec -> Log.exec",
            "- wire Log.exec -> HttpRequest.exec",
        ],
    ),
    (_conn, ['~ node HttpRequest "https://x" (node_3)', '~   property connectionId: "conn_a" -> "conn_b"']),
    (_move, ["~ 2 nodes moved (positions only)"]),
    (_tags_reordered, []),
    (_tags_changed, ['~ tags: ["a","b"] -> ["a","c"]']),
    (_long, ['~ node Log "' + "x" * 40 + '" (node_2)', '~   pin message: "hello" -> "' + "x" * 38 + "…"]),
    (_rename, ['~ name: "Alert" -> "Alert 2"']),
]


@pytest.mark.parametrize(("edit", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_graph_edit_gives_exact_lines(edit: Any, expected: list[str]) -> None:
    old = _pattern()
    new = copy.deepcopy(old)
    edit(new)
    assert change_lines(old, new) == expected


def test_position_moves_are_left_out_when_ignored() -> None:
    old = _pattern()
    new = copy.deepcopy(old)
    _move(new)
    ignored = ["/graphData/nodes/*/position"]  # compared as the plan compares them
    assert change_lines(essence(old, ignore=ignored), essence(new, ignore=ignored)) == []


def test_secret_values_are_masked_never_shown() -> None:
    old = _pattern()
    new = copy.deepcopy(old)
    _nodes(new)[2]["data"]["pinDefaults"]["apiKey"] = SENTINEL
    _nodes(new)[2]["data"]["properties"]["clientSecret"] = SENTINEL
    _nodes(new).append(node("node_7", "Http", token=SENTINEL))
    lines = change_lines(old, new)
    assert "~   pin apiKey: (unset) -> ***" in lines
    assert "~   property clientSecret: (unset) -> ***" in lines
    assert "+ node Http (node_7)" in lines
    assert all(SENTINEL not in line for line in lines)
