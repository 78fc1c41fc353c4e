"""The emulator's REST API over plain httpx (so emulator tests check the emulator, not the project's
client): create, deploy and run patterns, read error bodies and the request log."""

from __future__ import annotations

from typing import Any

import httpx

from dragops_emulator import Emulator

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def form_a(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of a form-A error body."""
    body = response.json()
    assert isinstance(body["error"], str), body
    return body["code"], body["error"]


def form_b(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of a form-B error body."""
    body = response.json()
    assert body["success"] is False, body
    return body["error"]["code"], body["error"]["message"]


def create_pattern(
    client: httpx.Client, graph_data: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """Create a pattern (name defaults to "P") with these fields and graph; return the pattern object."""
    fields.setdefault("name", "P")
    if graph_data is not None:
        fields["graphData"] = graph_data
    response = client.post("/api/patterns", json=fields)
    assert response.status_code == 201, response.text
    pattern: dict[str, Any] = response.json()["data"]
    return pattern


def node_definitions(client: httpx.Client) -> dict[str, Any]:
    """The node library as a deploy request's nodeDefinitions (keyed by type id)."""
    response = client.get("/api/nodes")
    assert response.status_code == 200, response.text
    return {definition["id"]: definition for definition in response.json()["nodes"]}


def deploy(client: httpx.Client, pattern_id: str, **body: Any) -> httpx.Response:
    """POST the deploy request (nodeDefinitions from the library unless given)."""
    body.setdefault("nodeDefinitions", node_definitions(client))
    return client.post(f"/api/patterns/{pattern_id}/deploy", json=body)


def deployed(client: httpx.Client, graph_data: dict[str, Any], name: str = "Pattern") -> tuple[str, str]:
    """Create and deploy a pattern; returns (pattern id, deployment id)."""
    pattern = create_pattern(client, graph_data, name=name)
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


def requests_to_api(emu: Emulator) -> list[tuple[str, str]]:
    """``(method, path)`` of every request in the emulator's request log, in order."""
    return [(r["method"], r["path"]) for r in emu.request_log()]


def writes(emu: Emulator) -> list[dict[str, Any]]:
    """The write requests in the emulator's request log."""
    return [r for r in emu.request_log() if r["method"] in WRITE_METHODS]


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
        body = self.ok(
            self.http.post(
                f"/api/patterns/{pattern_id}/deploy", json={"nodeDefinitions": node_definitions(self.http)}
            ),
            201,
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
