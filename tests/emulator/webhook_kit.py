"""Helpers for the webhook tests: patterns with On Webhook nodes, deploys, signed deliveries.

Everything goes over real HTTP to the emulator (the `emu` / `user` fixtures of tests/conftest.py),
with plain httpx so these tests check the emulator itself and not the project's client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

__all__ = [
    "ApiSession",
    "deliver",
    "deploy_webhook",
    "newest_log_entry",
    "respond_node",
    "sign",
    "webhook_graph",
    "webhook_node",
]


def sign(secret: str, body: bytes) -> str:
    """The X-Webhook-Signature of `body`, computed independently of the emulator's code."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_node(
    node_id: str = "node_1", *, mode: str | None = None, alias: str | None = None
) -> dict[str, Any]:
    """An On Webhook node with optional Response Mode and Webhook Alias properties."""
    properties: dict[str, Any] = {}
    if mode is not None:
        properties["responseMode"] = mode
    if alias is not None:
        properties["webhookAlias"] = alias
    return {
        "id": node_id,
        "type": "OnWebhook",
        "position": {"x": 0, "y": 0},
        "data": {"properties": properties},
    }


def log_node(node_id: str, message: str) -> dict[str, Any]:
    """A Log node writing a fixed message."""
    return {
        "id": node_id,
        "type": "Log",
        "position": {"x": 300, "y": 0},
        "data": {"pinDefaults": {"message": message}},
    }


def respond_node(
    node_id: str, *, status: int, body: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Respond To Webhook node with its pins set by default values."""
    defaults: dict[str, Any] = {"statusCode": status, "body": body, "headers": headers or {}}
    return {
        "id": node_id,
        "type": "RespondToWebhook",
        "position": {"x": 600, "y": 0},
        "data": {"pinDefaults": defaults},
    }


def exec_edge(edge_id: str, source: str, target: str) -> dict[str, Any]:
    """An execution wire from `source` to `target`."""
    return {"id": edge_id, "source": source, "sourceHandle": "exec", "target": target, "targetHandle": "exec"}


def webhook_graph(*, mode: str | None = None, respond: dict[str, Any] | None = None) -> dict[str, Any]:
    """On Webhook -> Log (-> the given Respond To Webhook node)."""
    nodes = [webhook_node("node_1", mode=mode), log_node("node_2", "got it")]
    edges = [exec_edge("edge_1", "node_1", "node_2")]
    if respond is not None:
        nodes.append(respond)
        edges.append(exec_edge("edge_2", "node_2", respond["id"]))
    return {"nodes": nodes, "edges": edges}


class ApiSession:
    """One user's authenticated view of the emulator's REST API, over real HTTP."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def close(self) -> None:
        self.http.close()

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def create_pattern(self, graph: dict[str, Any], name: str = "Webhook Logger") -> dict[str, Any]:
        body = self.ok(self.http.post("/api/patterns", json={"name": name, "graphData": graph}), 201)
        return dict(body["data"])

    def update_graph(self, pattern_id: str, graph: dict[str, Any]) -> None:
        self.ok(self.http.put(f"/api/patterns/{pattern_id}", json={"graphData": graph}))

    def deploy(self, pattern_id: str) -> dict[str, Any]:
        nodes = self.ok(self.http.get("/api/nodes"))["nodes"]
        definitions = {node["id"]: node for node in nodes}
        body = self.ok(
            self.http.post(f"/api/patterns/{pattern_id}/deploy", json={"nodeDefinitions": definitions}), 201
        )
        return dict(body["data"])

    def undeploy(self, pattern_id: str) -> None:
        self.ok(self.http.delete(f"/api/patterns/{pattern_id}/deploy"))

    def pause(self, deployment_id: str) -> None:
        self.ok(self.http.post(f"/api/deployments/{deployment_id}/pause"))

    def resume(self, deployment_id: str) -> None:
        self.ok(self.http.post(f"/api/deployments/{deployment_id}/resume"))

    def runs(self, deployment_id: str) -> list[dict[str, Any]]:
        return list(
            self.ok(self.http.get(f"/api/deployments/{deployment_id}/runs", params={"limit": 100}))["data"]
        )

    def endpoints(self, pattern_id: str) -> list[dict[str, Any]]:
        return list(self.ok(self.http.get(f"/api/patterns/{pattern_id}/webhooks"))["data"])

    def only_endpoint(self, pattern_id: str) -> dict[str, Any]:
        (endpoint,) = self.endpoints(pattern_id)
        return endpoint

    def secret(self, webhook_id: str) -> str:
        return str(self.ok(self.http.get(f"/api/webhooks/{webhook_id}/secret"))["data"]["secret"])

    def rotate(self, webhook_id: str) -> str:
        return str(self.ok(self.http.post(f"/api/webhooks/{webhook_id}/rotate-secret"))["data"]["secret"])

    def set_require_signature(self, webhook_id: str, require: bool) -> dict[str, Any]:
        body = self.ok(self.http.patch(f"/api/webhooks/{webhook_id}", json={"requireSignature": require}))
        return dict(body["data"])

    def request_log(self, webhook_id: str, **params: Any) -> dict[str, Any]:
        return dict(self.ok(self.http.get(f"/api/webhooks/{webhook_id}/requests", params=params)))


def deliver(
    base_url: str,
    path: str,
    payload: Any = None,
    *,
    secret: str | None = None,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one webhook request without a bearer token, signed with `secret` when given.

    `payload` is JSON-encoded (none: empty body); `raw` sends exact bytes instead.
    """
    body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
    all_headers = {"Content-Type": "application/json"} if body else {}
    if secret is not None:
        all_headers["X-Webhook-Signature"] = sign(secret, body)
    all_headers.update(headers or {})
    with httpx.Client(base_url=base_url, timeout=30) as http:
        return http.request(method, path, content=body, headers=all_headers, params=params)


def deploy_webhook(
    api: ApiSession, graph: dict[str, Any] | None = None, *, name: str = "Webhook Logger"
) -> dict[str, Any]:
    """Create and deploy a pattern with one On Webhook node; its pattern, deployment id, endpoint,
    ingestion path and secret."""
    pattern = api.create_pattern(graph if graph is not None else webhook_graph(), name=name)
    deployment = api.deploy(pattern["id"])
    endpoint = api.only_endpoint(pattern["id"])
    return {
        "pattern": pattern,
        "deploymentId": deployment["deploymentId"],
        "endpoint": endpoint,
        "path": f"/webhooks/{endpoint['id']}",
        "secret": api.secret(endpoint["id"]),
    }


def newest_log_entry(api: ApiSession, webhook_id: str) -> dict[str, Any]:
    """The most recent record of an endpoint's request log."""
    return dict(api.request_log(webhook_id)["data"][0])
