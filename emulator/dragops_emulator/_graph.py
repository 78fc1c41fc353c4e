"""Deploy-time validation of a pattern graph: what makes `POST /api/patterns/:id/deploy` answer 422.

Pure: a graph and the request's `nodeDefinitions` in, a list of problems out, each `{nodeId?, edgeId?,
message}` (the `details` of a `TRANSPILATION_FAILED` error, D2). An empty list means the graph compiles. The
checks (D9, D14, D15; docs/api-contract.md#deploy-time-validation): node ids unique; every node type in the
node library and in `nodeDefinitions`; at least one trigger node; every edge between existing nodes and
existing pins (output on the source, input on the target), exec joined to exec only, data pin types compatible
(D15), at most one wire into a data input; every required input pin wired or given a value; required node
properties set, and an On Schedule cron that parses. Unconnected impure nodes are fine: they compile and never
run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dragops_emulator._cron import CronError, parse_cron
from dragops_emulator._nodes import get_node, input_pins, is_trigger, output_pins
from dragops_emulator._pintypes import compatible

__all__ = ["find_triggers", "graph_nodes", "node_data", "validate_graph"]

Detail = dict[str, str]


def graph_nodes(graph: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The well-formed nodes of a graph (objects with a string `id` and `type`), in graph order."""
    nodes = graph.get("nodes")
    if not isinstance(nodes, list):
        return []
    return [
        node
        for node in nodes
        if isinstance(node, dict) and isinstance(node.get("id"), str) and isinstance(node.get("type"), str)
    ]


def node_data(node: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`node.data[key]` (`properties` or `pinDefaults`) as a dict; `{}` when absent or malformed."""
    data = node.get("data")
    value = data.get(key) if isinstance(data, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def find_triggers(graph: Mapping[str, Any]) -> list[dict[str, str]]:
    """The trigger nodes of a graph as the deploy response lists them: `[{type, nodeId}]`."""
    return [
        {"type": node["type"], "nodeId": node["id"]}
        for node in graph_nodes(graph)
        if is_trigger(node["type"])
    ]


def validate_graph(graph: Any, node_definitions: Mapping[str, Any]) -> list[Detail]:
    """Every reason the graph cannot be deployed (empty when it can)."""
    if not isinstance(graph, Mapping):
        return [{"message": "graphData must be an object with nodes and edges"}]
    details: list[Detail] = []
    nodes = _check_nodes(graph, node_definitions, details)
    wired = _check_edges(graph, nodes, details)
    for node_id, node in nodes.items():
        _check_inputs(node_id, node, wired, details)
        _check_properties(node_id, node, details)
    if not any(is_trigger(node["type"]) for node in nodes.values()):
        details.insert(
            0, {"message": "The pattern has no trigger node: add an event node such as On Webhook"}
        )
    return details


def _check_nodes(
    graph: Mapping[str, Any], node_definitions: Mapping[str, Any], details: list[Detail]
) -> dict[str, dict[str, Any]]:
    """Check node shapes and types; returns the nodes of known types by id (first of a duplicate)."""
    raw = graph.get("nodes", [])
    if not isinstance(raw, list):
        details.append({"message": "graphData.nodes must be an array"})
        return {}
    known: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for index, node in enumerate(raw):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not node["id"]:
            details.append({"message": f"graphData.nodes[{index}] must be an object with a string id"})
            continue
        node_id = node["id"]
        if node_id in seen:
            details.append({"nodeId": node_id, "message": f"Duplicate node id {node_id!r}"})
            continue
        seen.add(node_id)
        node_type = node.get("type")
        if not isinstance(node_type, str) or not node_type:
            details.append({"nodeId": node_id, "message": "Node has no type"})
            continue
        if get_node(node_type) is None:
            details.append(
                {"nodeId": node_id, "message": f"Unknown node type {node_type!r}: not in the node library"}
            )
            continue
        if node_type not in node_definitions:
            details.append(
                {"nodeId": node_id, "message": f"Node type {node_type!r} is missing from nodeDefinitions"}
            )
            continue
        known[node_id] = node
    return known


def _check_edges(
    graph: Mapping[str, Any], nodes: Mapping[str, dict[str, Any]], details: list[Detail]
) -> dict[str, set[str]]:
    """Check every edge; returns the input pins that receive a wire, per target node id."""
    raw = graph.get("edges", [])
    wired: dict[str, set[str]] = {}
    if not isinstance(raw, list):
        details.append({"message": "graphData.edges must be an array"})
        return wired
    all_ids = {node.get("id") for node in graph.get("nodes", []) if isinstance(node, dict)}
    for index, edge in enumerate(raw):
        if not isinstance(edge, dict):
            details.append({"message": f"graphData.edges[{index}] must be an object"})
            continue
        edge_id = str(edge.get("id") or f"edges[{index}]")
        if edge.get("source") in all_ids - nodes.keys() or edge.get("target") in all_ids - nodes.keys():
            continue  # the node itself was already reported (unknown type, duplicate id...)
        problem = _edge_problem(edge, nodes, all_ids)
        target, handle = edge.get("target"), edge.get("targetHandle")
        if problem is not None:
            details.append({"edgeId": edge_id, "message": problem})
        elif handle in wired.get(str(target), set()) and _is_data_input(nodes[str(target)], str(handle)):
            details.append(
                {
                    "edgeId": edge_id,
                    "nodeId": str(target),
                    "message": f"Input pin {handle!r} has more than one wire",
                }
            )
        if target in nodes and isinstance(handle, str):
            # A wire that is wrong in itself still counts as wiring its pin: the author did connect
            # it, and "not wired" on top of "incompatible" would only confuse.
            wired.setdefault(str(target), set()).add(handle)
    return wired


def _edge_problem(
    edge: Mapping[str, Any], nodes: Mapping[str, dict[str, Any]], all_ids: set[Any]
) -> str | None:
    """What is wrong with one edge between nodes that passed their own checks, or None."""
    source, target = edge.get("source"), edge.get("target")
    for role, node_id in (("source", source), ("target", target)):
        if node_id not in all_ids:
            return f"Edge {role} node {node_id!r} does not exist"
    source_handle, target_handle = edge.get("sourceHandle"), edge.get("targetHandle")
    if not isinstance(source_handle, str) or not isinstance(target_handle, str):
        return "Edge must name both pins (sourceHandle and targetHandle)"
    source_node, target_node = nodes[str(source)], nodes[str(target)]
    out_pin = _pin(output_pins(source_node["type"], source_node), source_handle)
    if out_pin is None:
        return f"{source_node['type']} node {source!r} has no output pin {source_handle!r}"
    in_pin = _pin(input_pins(target_node["type"], target_node), target_handle)
    if in_pin is None:
        return f"{target_node['type']} node {target!r} has no input pin {target_handle!r}"
    if (out_pin["type"] == "exec") != (in_pin["type"] == "exec"):
        kind = (
            "an execution pin to a data pin"
            if out_pin["type"] == "exec"
            else "a data pin to an execution pin"
        )
        return f"Edge wires {kind} ({source_handle!r} -> {target_handle!r})"
    if not compatible(out_pin["type"], in_pin["type"]):
        return (
            f"Incompatible pin types: {source_handle!r} ({out_pin['type']}) cannot connect to "
            f"{target_handle!r} ({in_pin['type']})"
        )
    return None


def _is_data_input(node: Mapping[str, Any], name: str) -> bool:
    pin = _pin(input_pins(node["type"], node), name)
    return pin is not None and pin["type"] != "exec"


def _pin(pins: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((pin for pin in pins if pin["name"] == name), None)


def _check_inputs(
    node_id: str, node: Mapping[str, Any], wired: Mapping[str, set[str]], details: list[Detail]
) -> None:
    defaults = node_data(node, "pinDefaults")
    for pin in input_pins(node["type"], node):
        if not pin.get("required") or pin["name"] in wired.get(node_id, set()):
            continue
        if defaults.get(pin["name"]) is not None or "defaultValue" in pin:
            continue
        details.append(
            {
                "nodeId": node_id,
                "message": (
                    f"Required input {pin['name']!r} of {node['type']} is neither wired nor given a value"
                ),
            }
        )


def _check_properties(node_id: str, node: Mapping[str, Any], details: list[Detail]) -> None:
    definition = get_node(node["type"]) or {}
    properties = node_data(node, "properties")
    for prop in definition.get("properties", []):
        value = properties.get(prop["name"])
        if prop.get("required") and (value is None or value == ""):
            details.append(
                {
                    "nodeId": node_id,
                    "message": f"Required property {prop['name']!r} of {node['type']} is not set",
                }
            )
        elif prop.get("options") and value is not None and _fold(value) not in map(_fold, prop["options"]):
            details.append(
                {
                    "nodeId": node_id,
                    "message": (
                        f"Property {prop['name']!r} must be one of {', '.join(prop['options'])} "
                        f"(got {value!r})"
                    ),
                }
            )
    if node["type"] == "OnSchedule" and properties.get("cron") not in (None, ""):
        try:
            parse_cron(properties["cron"])
        except CronError as exc:
            details.append({"nodeId": node_id, "message": f"Invalid cron expression: {exc}"})


def _fold(value: Any) -> str:
    """An enum value compared loosely ("Last Node", "last_node" and "lastNode" are one option)."""
    return "".join(ch for ch in str(value).lower() if ch.isalnum())
