"""Helpers for the deployment, run and engine tests: graph building, deploy, execute."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from dragops_emulator import Emulator, SeededUser


def client_for(emu: Emulator, user: SeededUser) -> httpx.Client:
    """An httpx client for the emulator carrying the user's token (close it after use)."""
    return httpx.Client(
        base_url=emu.url, headers={"Authorization": f"Bearer {user.token}"}, trust_env=False, timeout=30
    )


def node(
    node_id: str, node_type: str, *, props: dict[str, Any] | None = None, **pin_defaults: Any
) -> dict[str, Any]:
    """A graph node; keyword arguments become its pinDefaults."""
    data: dict[str, Any] = {}
    if props:
        data["properties"] = props
    if pin_defaults:
        data["pinDefaults"] = pin_defaults
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data}


def wire(source: str, target: str, source_pin: str = "exec", target_pin: str = "exec") -> dict[str, Any]:
    """An edge (exec by default); its id is derived from its ends so graphs stay readable."""
    return {
        "id": f"{source}.{source_pin}->{target}.{target_pin}",
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


def webhook_logger() -> dict[str, Any]:
    """The smallest deployable graph: On Webhook -> Log."""
    return graph([node("n1", "OnWebhook"), node("n2", "Log", message="got it")], chain("n1", "n2"))


def node_definitions(client: httpx.Client) -> dict[str, Any]:
    """The node library as a deploy request's nodeDefinitions (keyed by type id)."""
    response = client.get("/api/nodes")
    assert response.status_code == 200, response.text
    return {definition["id"]: definition for definition in response.json()["nodes"]}


def create_pattern(client: httpx.Client, graph_data: dict[str, Any], name: str = "Pattern") -> dict[str, Any]:
    """Create a pattern with this graph; returns the pattern object."""
    response = client.post("/api/patterns", json={"name": name, "graphData": graph_data})
    assert response.status_code == 201, response.text
    pattern: dict[str, Any] = response.json()["data"]
    return pattern


def deploy(client: httpx.Client, pattern_id: str, **body: Any) -> httpx.Response:
    """POST the deploy request (nodeDefinitions from the library unless given)."""
    body.setdefault("nodeDefinitions", node_definitions(client))
    return client.post(f"/api/patterns/{pattern_id}/deploy", json=body)


def deployed(client: httpx.Client, graph_data: dict[str, Any], name: str = "Pattern") -> tuple[str, str]:
    """Create and deploy a pattern; returns (pattern id, deployment id)."""
    pattern = create_pattern(client, graph_data, name)
    response = deploy(client, pattern["id"])
    assert response.status_code == 201, response.text
    return pattern["id"], response.json()["data"]["deploymentId"]


def execute(client: httpx.Client, deployment_id: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the deployment manually and return the stored run record."""
    response = client.post(f"/api/deployments/{deployment_id}/execute", json=event or {})
    assert response.status_code == 202, response.text
    run_id = response.json()["data"]["runId"]
    run = client.get(f"/api/deployments/{deployment_id}/runs/{run_id}")
    assert run.status_code == 200, run.text
    record: dict[str, Any] = run.json()["data"]
    return record


def messages(run: dict[str, Any]) -> list[str]:
    """The messages of a run's logOutput, in order."""
    return [entry["message"] for entry in run["logOutput"]]
