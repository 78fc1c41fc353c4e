"""graphData builders: nodes, wires, and the small graphs the suites deploy."""

from __future__ import annotations

import itertools
from typing import Any


def node(
    node_id: str,
    node_type: str,
    *,
    at: tuple[int, int] = (0, 0),
    props: dict[str, Any] | None = None,
    **pin_defaults: Any,
) -> dict[str, Any]:
    """A graph node at position `at`; keyword arguments become its pinDefaults."""
    data: dict[str, Any] = {}
    if props:
        data["properties"] = props
    if pin_defaults:
        data["pinDefaults"] = pin_defaults
    return {"id": node_id, "type": node_type, "position": {"x": at[0], "y": at[1]}, "data": data}


def wire(
    source: str,
    target: str,
    source_pin: str = "exec",
    target_pin: str = "exec",
    *,
    edge_id: str | None = None,
) -> dict[str, Any]:
    """An edge (exec by default); without `edge_id` its id is derived from its ends."""
    return {
        "id": edge_id if edge_id is not None else f"{source}.{source_pin}->{target}.{target_pin}",
        "source": source,
        "sourceHandle": source_pin,
        "target": target,
        "targetHandle": target_pin,
    }


def chain(*node_ids: str) -> list[dict[str, Any]]:
    """Exec wires joining the nodes in order."""
    return [wire(a, b) for a, b in itertools.pairwise(node_ids)]


def graph(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], variables: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A graphData document."""
    doc: dict[str, Any] = {"nodes": nodes, "edges": edges}
    if variables is not None:
        doc["variables"] = variables
    return doc


def webhook_node(
    node_id: str = "node_1",
    *,
    mode: str | None = None,
    alias: str | None = None,
    at: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """An On Webhook node with optional Response Mode and Webhook Alias properties."""
    properties: dict[str, Any] = {}
    if mode is not None:
        properties["responseMode"] = mode
    if alias is not None:
        properties["webhookAlias"] = alias
    return node(node_id, "OnWebhook", at=at, props=properties)


def respond_node(
    node_id: str, *, status: int, body: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Respond To Webhook node with its pins set by default values."""
    return node(node_id, "RespondToWebhook", at=(600, 0), statusCode=status, body=body, headers=headers or {})


def webhook_graph(
    message: str = "got it",
    *,
    mode: str | None = "immediate",
    alias: str | None = None,
    second_hook: bool = False,
    respond: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """On Webhook -> Log, the design's Webhook Logger: the smallest deployable graph with an endpoint.

    `second_hook` adds a second On Webhook -> Log pair (alias "second"); `respond` appends the given
    Respond To Webhook node after the Log node. `mode=None` leaves the Response Mode unset.
    """
    nodes = [
        webhook_node("node_1", mode=mode, alias=alias),
        node("node_2", "Log", at=(320, 0), message=message),
    ]
    edges = [wire("node_1", "node_2", edge_id="edge_1")]
    if second_hook:
        nodes.append(webhook_node("node_3", mode="immediate", alias="second", at=(0, 200)))
        nodes.append(node("node_4", "Log", at=(320, 200), message="2"))
        edges.append(wire("node_3", "node_4", edge_id=f"edge_{len(edges) + 1}"))
    if respond is not None:
        nodes.append(respond)
        edges.append(wire("node_2", respond["id"], edge_id=f"edge_{len(edges) + 1}"))
    return {"nodes": nodes, "edges": edges}


def unwired_webhooks(*node_ids: str) -> dict[str, Any]:
    """A graph with one On Webhook node per id, wired to nothing."""
    return graph([node(node_id, "OnWebhook") for node_id in node_ids], [])


def start_graph(message: str = "manual run") -> dict[str, Any]:
    """On Start -> Log: a pattern that runs when executed through the API."""
    return graph(
        [node("node_1", "OnStart"), node("node_2", "Log", at=(300, 0), message=message)],
        [wire("node_1", "node_2", edge_id="edge_1")],
    )


def scheduled_graph(cron: str = "0 2 * * *", message: str = "report") -> dict[str, Any]:
    """On Schedule -> Log: a pattern that runs on a cron schedule."""
    return graph(
        [node("n1", "OnSchedule", props={"cron": cron}), node("n2", "Log", at=(300, 0), message=message)],
        [wire("n1", "n2", edge_id="e1")],
    )
