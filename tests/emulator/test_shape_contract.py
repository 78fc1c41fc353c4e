"""The shape contract: every endpoint of docs/api-contract.md answers in its documented shape.

One table row per endpoint and outcome: the status, the envelope style of section 1.4 (with or
without `timestamp`, bare, offset or page lists, `{connections}`/`{nodes}`, 204) and the keys of the
payload, as section 2's examples and decisions D1-D18 print them. The table is the single place that
says "this is what a client sees"; a change of envelope anywhere in the emulator fails here first.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._app import ROUTE_MODULES
from kit.clients import http_client
from kit.emulator import node_definitions
from kit.graphs import webhook_graph

# Keys of section 2's objects (sets of keys that must be present; "exact" rows forbid any other).
PATTERN_SUMMARY = {"id", "name", "description", "isPublic", "isTemplate", "tags", "createdAt", "updatedAt"}
PATTERN = PATTERN_SUMMARY | {"graphData", "versionNumber"}
USER = {"id", "email", "firstName", "lastName", "role"}
DEPLOYMENT_STATUS = {"deploymentId", "status", "versionNumber", "confirmedAt", "createdAt"}
DEPLOYMENT_ITEM = {
    "id",
    "deploymentId",
    "patternId",
    "patternName",
    "status",
    "versionNumber",
    "environmentId",
    "createdAt",
    "confirmedAt",
    "lastRun",
}
RUN = {
    "id",
    "deploymentId",
    "triggeredBy",
    "status",
    "startedAt",
    "completedAt",
    "durationMs",
    "eventData",
    "logOutput",
    "errorMessage",
}
STATS = {"period", "total", "succeeded", "failed", "successRate", "duration", "byTrigger", "history"}
WEBHOOK_ENDPOINT = {"id", "patternId", "nodeId", "alias", "url", "createdAt"}
WEBHOOK_REQUEST = {
    "id",
    "receivedAt",
    "method",
    "headers",
    "query",
    "body",
    "status",
    "runId",
    "signatureValid",
}
CONNECTION = {"id", "provider", "displayName", "type", "status", "createdAt", "updatedAt"}
NODE = {"id", "label", "category", "description", "isPure", "inputs", "outputs"}
VERSION = {"versionNumber", "createdAt", "graphData"}  # D11
EXPORT = {"formatVersion", "name", "description", "tags", "createdAt", "graphData"}

# Keys that would leak a secret; no response of the API may carry one (D12, D16).
SECRET_KEYS = {"secret", "apiKey", "apiKeyCiphertext", "password", "passwordHash"}


@dataclass(frozen=True)
class Shape:
    """What one endpoint answers: status, envelope style and the keys of its payload."""

    status: int
    # "data+ts" {success, data, timestamp} | "data" {success, data} | "bare" | "offset" | "page"
    # | "connections" | "nodes" | "empty" (204)
    style: str
    keys: frozenset[str] = frozenset()
    exact: bool = False  # the payload has exactly `keys`, nothing more
    item_keys: frozenset[str] = frozenset()  # keys of each list item, for list styles
    items_exact: bool = False


@dataclass(frozen=True)
class Case:
    """One request of the walk: method, path template (filled from the world), JSON body."""

    id: str
    method: str
    path: str
    shape: Shape
    body: Any = None
    signed: bool = False  # a webhook delivery signed with the endpoint's secret
    anonymous: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # emulator settings for this row
    before: tuple[tuple[str, str, Any], ...] = ()  # (method, path, body) requests setting state up
    values: dict[str, Any] = field(default_factory=dict)  # payload values the row pins (e.g. status)


def _s(
    status: int,
    style: str,
    keys: set[str] | frozenset[str] = frozenset(),
    *,
    exact: bool = False,
    items: set[str] | frozenset[str] = frozenset(),
    items_exact: bool = False,
) -> Shape:
    return Shape(status, style, frozenset(keys), exact, frozenset(items), items_exact)


REGISTER = {"email": "jane@example.com", "firstName": "Jane", "lastName": "Smith", "password": "SecurePass1@"}

CASES: list[Case] = [
    # 2.1 auth
    Case("providers", "GET", "/api/auth/providers", _s(200, "data+ts", {"local", "github"}, exact=True)),
    Case(
        "register",
        "POST",
        "/api/auth/register",
        _s(201, "data+ts", {"token", "user"}, exact=True),
        body=REGISTER,
        anonymous=True,
    ),
    Case(
        "login",
        "POST",
        "/api/auth/login",
        _s(200, "data+ts", {"token", "user"}, exact=True),
        body={"email": "{email}", "password": "{password}"},
        anonymous=True,
    ),
    Case(
        "providers with GitHub",
        "GET",
        "/api/auth/providers",
        _s(200, "data+ts", {"local", "github", "githubClientId"}, exact=True),
        settings={"github_client_id": "Iv1.abc123def456"},
    ),
    Case(
        "GitHub sign-in",
        "POST",
        "/api/auth/github",
        _s(200, "data", {"token", "user"}, exact=True),
        body={"code": "test:{email}"},
        anonymous=True,
        settings={"github_client_id": "Iv1.abc123def456"},
    ),
    Case("refresh", "POST", "/api/auth/refresh", _s(200, "data", {"token"}, exact=True)),
    # 2.2 patterns
    Case("list patterns", "GET", "/api/patterns", _s(200, "offset", items=PATTERN_SUMMARY, items_exact=True)),
    Case(
        "list patterns filtered",
        "GET",
        "/api/patterns?search=Log&isPublic=false&isTemplate=false&tags=a&tags=b&sortBy=name&sortOrder=asc"
        "&limit=100&offset=0",
        _s(200, "offset", items=PATTERN_SUMMARY, items_exact=True),
    ),
    Case("get pattern", "GET", "/api/patterns/{pattern}", _s(200, "bare", PATTERN, exact=True)),
    Case(
        "create pattern",
        "POST",
        "/api/patterns",
        _s(201, "data+ts", PATTERN, exact=True),
        body={"name": "My Pattern"},
    ),
    Case(
        "update pattern",
        "PUT",
        "/api/patterns/{pattern}",
        _s(200, "data", PATTERN, exact=True),
        body={"description": "new"},
    ),
    Case(
        "patch pattern",
        "PATCH",
        "/api/patterns/{pattern}",
        _s(200, "data", PATTERN, exact=True),
        body={"tags": ["x"]},
    ),
    Case("delete pattern", "DELETE", "/api/patterns/{draft}", _s(204, "empty")),
    Case("export pattern", "GET", "/api/patterns/{pattern}/export", _s(200, "bare", EXPORT)),
    Case(
        "import pattern",
        "POST",
        "/api/patterns/import",
        _s(201, "data", PATTERN, exact=True),
        body={"formatVersion": 1, "name": "Imported", "graphData": {"nodes": [], "edges": []}},
    ),
    Case(
        "versions",
        "GET",
        "/api/patterns/{pattern}/versions",
        _s(200, "list", items=VERSION, items_exact=True),
    ),
    Case("one version", "GET", "/api/patterns/{pattern}/versions/1", _s(200, "data", VERSION, exact=True)),
    Case(
        "clone pattern",
        "POST",
        "/api/patterns/{pattern}/clone",
        _s(201, "data", PATTERN, exact=True),
        body={"name": "copy"},
    ),
    # 2.3 deployments
    Case(
        "deploy",
        "POST",
        "/api/patterns/{pattern}/deploy",
        _s(201, "data", {"deploymentId", "status", "versionNumber", "triggers"}, exact=True),
        body={"nodeDefinitions": "{nodeDefinitions}"},
    ),
    Case(
        "undeploy",
        "DELETE",
        "/api/patterns/{pattern}/deploy",
        _s(200, "data", {"status"}, exact=True),
    ),
    Case(
        "deployment status", "GET", "/api/patterns/{pattern}/deployment", _s(200, "data", DEPLOYMENT_STATUS)
    ),
    Case(
        "deployment status after undeploy",
        "GET",
        "/api/patterns/{pattern}/deployment",
        _s(200, "data", DEPLOYMENT_STATUS),
        before=(("DELETE", "/api/patterns/{pattern}/deploy", None),),
        values={"status": "undeployed"},
    ),
    Case(
        "pending deploy",
        "POST",
        "/api/patterns/{draft}/deploy",
        _s(201, "data", {"deploymentId", "status", "versionNumber", "triggers"}, exact=True),
        body={"nodeDefinitions": "{nodeDefinitions}"},
        settings={"activation_delay_seconds": 60},
        values={"status": "pending", "versionNumber": 1},
    ),
    Case(
        "pending deployment status",
        "GET",
        "/api/patterns/{draft}/deployment",
        _s(200, "data", DEPLOYMENT_STATUS),
        settings={"activation_delay_seconds": 60},
        before=(("POST", "/api/patterns/{draft}/deploy", {"nodeDefinitions": "{nodeDefinitions}"}),),
        values={"status": "pending", "confirmedAt": None},
    ),
    Case("get deployment", "GET", "/api/deployments/{deployment}", _s(200, "data", DEPLOYMENT_ITEM)),
    Case("list deployments", "GET", "/api/deployments", _s(200, "page", items=DEPLOYMENT_ITEM)),
    Case("pause", "POST", "/api/deployments/{deployment}/pause", _s(200, "data", {"status"}, exact=True)),
    Case("resume", "POST", "/api/deployments/{deployment}/resume", _s(200, "data", {"status"}, exact=True)),
    Case(
        "execute",
        "POST",
        "/api/deployments/{deployment}/execute",
        _s(202, "data", {"runId"}),
        body={"body": {"x": 1}},
    ),
    Case("health", "GET", "/api/deployments/{deployment}/health", _s(200, "data", {"status"})),
    # 2.4 runs
    Case("list runs", "GET", "/api/deployments/{deployment}/runs", _s(200, "page", items=RUN)),
    Case(
        "list runs filtered",
        "GET",
        "/api/deployments/{deployment}/runs?status=success&triggeredBy=manual&page=1&limit=5",
        _s(200, "page", items=RUN),
    ),
    Case("get run", "GET", "/api/deployments/{deployment}/runs/{run}", _s(200, "data", RUN)),
    Case("run stats", "GET", "/api/deployments/{deployment}/runs/stats?period=24h", _s(200, "data", STATS)),
    # 2.5 webhooks
    Case(
        "ingest by webhook id",
        "POST",
        "/webhooks/{webhook}",
        _s(202, "bare", {"status", "runId"}, exact=True),
        body={"action": "opened"},
        signed=True,
        anonymous=True,
    ),
    Case(
        "ingest by pattern id",
        "POST",
        "/api/webhooks/{pattern}",
        _s(202, "bare", {"status", "runId"}, exact=True),
        body={"action": "opened"},
        signed=True,
        anonymous=True,
    ),
    Case(
        "ingest undeployed (captured)",
        "POST",
        "/webhooks/{draft_webhook}",
        _s(202, "bare", {"status", "message"}, exact=True),
        body={"action": "opened"},
        signed=True,
        anonymous=True,
    ),
    Case(
        "ingest duplicate",
        "POST",
        "/webhooks/{webhook}",
        _s(202, "bare", {"status", "runId", "duplicate"}, exact=True),
        body={"action": "opened"},
        signed=True,
        anonymous=True,
        headers={"X-Idempotency-Key": "seen-before"},
    ),
    Case(
        "ingest paused",
        "POST",
        "/webhooks/{webhook}",
        _s(202, "bare", {"status", "message"}, exact=True),
        body={"action": "opened"},
        signed=True,
        anonymous=True,
        before=(("POST", "/api/deployments/{deployment}/pause", None),),
        values={"status": "paused"},
    ),
    *[
        Case(
            f"ingest {method} on {path.split('/')[1]}",
            method,
            path,
            _s(202, "bare", {"status", "runId"}, exact=True),
            signed=True,
            anonymous=True,
        )
        for method in ("GET", "PUT", "PATCH", "DELETE")
        for path in ("/webhooks/{webhook}", "/api/webhooks/{pattern}")
    ],
    Case(
        "webhook endpoint settings",
        "PATCH",
        "/api/webhooks/{webhook}",
        _s(200, "data", WEBHOOK_ENDPOINT),
        body={"requireSignature": False},
    ),
    Case(
        "webhook endpoints",
        "GET",
        "/api/patterns/{pattern}/webhooks",
        _s(200, "list", items=WEBHOOK_ENDPOINT),
    ),
    Case("webhook secret", "GET", "/api/webhooks/{webhook}/secret", _s(200, "data", {"secret"}, exact=True)),
    Case(
        "rotate secret",
        "POST",
        "/api/webhooks/{webhook}/rotate-secret",
        _s(200, "data", {"secret"}, exact=True),
    ),
    Case(
        "webhook requests",
        "GET",
        "/api/webhooks/{webhook}/requests?page=1&limit=10",
        _s(200, "page", items=WEBHOOK_REQUEST),
    ),
    # 2.6 connections
    Case(
        "list connections",
        "GET",
        "/api/connections",
        _s(200, "connections", items=CONNECTION, items_exact=True),
    ),
    Case("get connection", "GET", "/api/connections/{connection}", _s(200, "bare", CONNECTION, exact=True)),
    Case(
        "create connection",
        "POST",
        "/api/connections/api-key",
        _s(201, "bare", CONNECTION),
        body={"provider": "openai", "apiKey": "sk-SENTINEL-create", "displayName": "OpenAI"},
    ),
    Case(
        "update connection",
        "PUT",
        "/api/connections/{connection}",
        _s(200, "bare", CONNECTION),
        body={"displayName": "renamed", "apiKey": "SENTINEL-rotated"},
    ),
    Case(
        "patch connection",
        "PATCH",
        "/api/connections/{connection}",
        _s(200, "bare", CONNECTION),
        body={"displayName": "patched"},
    ),
    Case("delete connection", "DELETE", "/api/connections/{connection}", _s(204, "empty")),
    # 2.7 nodes
    Case("list nodes", "GET", "/api/nodes", _s(200, "nodes", items=NODE)),
    Case("get node", "GET", "/api/nodes/OnWebhook", _s(200, "bare", NODE)),
]

# Error rows: each status answers the D1 form (A: {error, code}; B: {success:false, error:{...}}).
ERROR_CASES: list[tuple[str, str, str, Any, int, str, str]] = [
    ("no token", "GET", "/api/patterns", None, 401, "A", "UNAUTHORIZED"),
    (
        "bad login",
        "POST",
        "/api/auth/login",
        {"email": "{email}", "password": "nope"},
        401,
        "A",
        "INVALID_CREDENTIALS",
    ),
    ("taken email", "POST", "/api/auth/register", "{taken}", 409, "A", "EMAIL_ALREADY_EXISTS"),
    ("unknown pattern", "GET", "/api/patterns/pat_nope", None, 404, "A", "PATTERN_NOT_FOUND"),
    ("missing name", "POST", "/api/patterns", {}, 400, "B", "VALIDATION"),
    ("limit too big", "GET", "/api/patterns?limit=101", None, 400, "B", "VALIDATION"),
    ("deployed delete", "DELETE", "/api/patterns/{pattern}", None, 409, "A", "PATTERN_DEPLOYED"),
    ("bad import", "POST", "/api/patterns/import", {"formatVersion": 1}, 422, "B", "INVALID_DOCUMENT"),
    (
        "untranspilable",
        "POST",
        "/api/patterns/{draft}/deploy",
        {"nodeDefinitions": {}},
        422,
        "B",
        "TRANSPILATION_FAILED",
    ),
    ("never deployed", "GET", "/api/patterns/{draft}/deployment", None, 404, "A", "DEPLOYMENT_NOT_FOUND"),
    ("unknown deployment", "POST", "/api/deployments/dep_nope/pause", None, 404, "A", "DEPLOYMENT_NOT_FOUND"),
    ("unknown run", "GET", "/api/deployments/{deployment}/runs/run_nope", None, 404, "A", "RUN_NOT_FOUND"),
    ("unknown webhook", "GET", "/api/webhooks/wh_nope/secret", None, 404, "A", "WEBHOOK_NOT_FOUND"),
    ("unknown connection", "GET", "/api/connections/conn_nope", None, 404, "A", "CONNECTION_NOT_FOUND"),
    ("unknown node", "GET", "/api/nodes/Nope", None, 404, "A", "NODE_NOT_FOUND"),
    ("unsigned webhook", "POST", "/webhooks/{webhook}", {"a": 1}, 401, "A", "INVALID_SIGNATURE"),
    ("NaN body", "POST", "/api/patterns", b'{"name": NaN}', 400, "B", "VALIDATION"),
]


@dataclass
class World:
    """One user's objects, so every path template of the table can be filled."""

    user: SeededUser
    values: dict[str, str]
    node_definitions: dict[str, Any]
    secrets: dict[str, str]


def _secret(client: httpx.Client, webhook_id: str) -> str:
    secret: str = client.get(f"/api/webhooks/{webhook_id}/secret").json()["data"]["secret"]
    return secret


def _sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@pytest.fixture
def world(emu: Emulator, user: SeededUser) -> Iterator[World]:
    with http_client(emu, user) as client:
        definitions = node_definitions(client)
        pattern = client.post(
            "/api/patterns",
            json={"name": "Webhook Logger", "tags": ["a", "b"], "graphData": webhook_graph()},
        ).json()["data"]
        deployed = client.post(f"/api/patterns/{pattern['id']}/deploy", json={"nodeDefinitions": definitions})
        deployment_id = deployed.json()["data"]["deploymentId"]
        run_id = client.post(f"/api/deployments/{deployment_id}/execute").json()["data"]["runId"]
        draft = client.post("/api/patterns", json={"name": "Draft", "graphData": webhook_graph()}).json()[
            "data"
        ]
        webhook_id = client.get(f"/api/patterns/{pattern['id']}/webhooks").json()["data"][0]["id"]
        draft_webhook = client.get(f"/api/patterns/{draft['id']}/webhooks").json()["data"][0]["id"]
        connection = client.post(
            "/api/connections/api-key",
            json={"provider": "slack", "apiKey": "xoxb-SENTINEL", "displayName": "S"},
        ).json()
        secrets = {webhook_id: _secret(client, webhook_id), draft_webhook: _secret(client, draft_webhook)}
        # A delivery with a key, so the "duplicate" row replays it.
        raw = json.dumps({"action": "opened"}).encode()
        first = client.post(
            f"/webhooks/{webhook_id}",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Webhook-Signature": _sign(secrets[webhook_id], raw),
                "X-Idempotency-Key": "seen-before",
            },
        )
        assert first.status_code == 202, first.text
        taken = {"email": user.email, "firstName": "A", "lastName": "B", "password": "Another1@"}
        yield World(
            user=user,
            values={
                "pattern": pattern["id"],
                "draft": draft["id"],
                "deployment": deployment_id,
                "run": run_id,
                "webhook": webhook_id,
                "draft_webhook": draft_webhook,
                "connection": connection["id"],
                "email": user.email,
                "password": user.password,
                "taken": json.dumps(taken),
            },
            node_definitions=definitions,
            secrets=secrets,
        )


def _fill(template: Any, world: World) -> Any:
    """The template with `{name}` placeholders replaced by the world's ids (recursively in bodies)."""
    if template == "{nodeDefinitions}":
        return world.node_definitions
    if template == "{taken}":
        return json.loads(world.values["taken"])
    if isinstance(template, str):
        return template.format(**world.values)
    if isinstance(template, dict):
        return {key: _fill(value, world) for key, value in template.items()}
    return template


def _send(emu: Emulator, world: World, case: Case) -> httpx.Response:
    if case.settings:
        emu.update_settings(**case.settings)  # the `emu` fixture's reset restores them
    path = _fill(case.path, world)
    headers = dict(case.headers)
    raw = b""
    if case.body is not None:
        raw = json.dumps(_fill(case.body, world)).encode()
        headers["Content-Type"] = "application/json"
    if case.signed:
        # /api/webhooks/{pattern} routes to the pattern's (only) endpoint: the world's "webhook".
        secret = world.secrets.get(path.rsplit("/", 1)[1], world.secrets[world.values["webhook"]])
        headers["X-Webhook-Signature"] = _sign(secret, raw)
    with http_client(emu, world.user) as client:
        for method, step, step_body in case.before:
            json_body = None if step_body is None else _fill(step_body, world)
            assert client.request(method, _fill(step, world), json=json_body).status_code < 300
    with http_client(emu, None if case.anonymous else world.user) as client:
        return client.request(case.method, path, content=raw or None, headers=headers)


def _payload(response: httpx.Response, shape: Shape) -> Any:
    body = response.json()
    return body["data"] if shape.style in ("data+ts", "data") else body


def _assert_keys(payload: Any, keys: frozenset[str], exact: bool, where: str) -> None:
    assert isinstance(payload, dict), f"{where}: expected an object, got {payload!r}"
    missing = keys - set(payload)
    assert not missing, f"{where}: missing {sorted(missing)} in {sorted(payload)}"
    if exact:
        extra = set(payload) - keys
        assert not extra, f"{where}: undocumented keys {sorted(extra)}"
    leaked = SECRET_KEYS & set(payload) - keys
    assert not leaked, f"{where}: secret-bearing keys {sorted(leaked)}"


def _assert_items(items: Any, shape: Shape, where: str) -> None:
    assert isinstance(items, list), f"{where}: expected a list, got {items!r}"
    assert items, f"{where}: the world should make this list non-empty"
    for item in items:
        _assert_keys(item, shape.item_keys, shape.items_exact, f"{where} item")


def _assert_shape(response: httpx.Response, shape: Shape, where: str) -> None:
    assert response.status_code == shape.status, f"{where}: {response.status_code} {response.text}"
    if shape.style == "empty":
        assert response.content == b""
        return
    body = response.json()
    top = set(body)
    if shape.style in ("data+ts", "data", "list"):
        expected_top = {"success", "data", "timestamp"} if shape.style == "data+ts" else {"success", "data"}
        assert top == expected_top, f"{where}: top-level keys {sorted(top)}"
        assert body["success"] is True
        if shape.style == "data+ts":
            assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 24
        if shape.style == "list":
            _assert_items(body["data"], shape, where)
        else:
            _assert_keys(body["data"], shape.keys, shape.exact, where)
    elif shape.style in ("offset", "page"):
        assert top == {"success", "data", "meta"}, f"{where}: top-level keys {sorted(top)}"
        meta = (
            {"total", "limit", "offset"}
            if shape.style == "offset"
            else {"page", "limit", "total", "totalPages"}
        )
        assert set(body["meta"]) == meta, f"{where}: meta {body['meta']}"
        assert all(isinstance(value, int) for value in body["meta"].values())
        _assert_items(body["data"], shape, where)
    elif shape.style in ("connections", "nodes"):
        assert top == {shape.style}, f"{where}: top-level keys {sorted(top)}"
        _assert_items(body[shape.style], shape, where)
    else:
        assert shape.style == "bare"
        assert "success" not in body and "data" not in body, f"{where}: enveloped {sorted(top)}"
        _assert_keys(body, shape.keys, shape.exact, where)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_endpoint_answers_in_its_documented_shape(emu: Emulator, world: World, case: Case) -> None:
    response = _send(emu, world, case)
    _assert_shape(response, case.shape, f"{case.method} {case.path}")
    if case.values:
        payload = _payload(response, case.shape)
        assert {key: payload.get(key) for key in case.values} == case.values


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "form", "code"),
    [row[1:] for row in ERROR_CASES],
    ids=[row[0] for row in ERROR_CASES],
)
def test_every_error_answers_in_the_form_d1_gives_its_status(
    emu: Emulator, world: World, method: str, path: str, body: Any, status: int, form: str, code: str
) -> None:
    raw = body if isinstance(body, bytes) else (json.dumps(_fill(body, world)).encode() if body else None)
    anonymous = path.startswith(("/api/auth", "/webhooks")) or code == "UNAUTHORIZED"
    with http_client(emu, None if anonymous else world.user) as client:
        response = client.request(
            method, _fill(path, world), content=raw, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == status, response.text
    error = response.json()
    if form == "A":
        assert set(error) == {"error", "code"}, error
        assert error["code"] == code and isinstance(error["error"], str) and error["error"]
    else:
        assert set(error) == {"success", "error"} and error["success"] is False, error
        assert set(error["error"]) <= {"code", "message", "details"} and error["error"]["code"] == code
        assert isinstance(error["error"]["message"], str) and error["error"]["message"]


def test_the_table_covers_every_route_the_emulator_serves() -> None:
    # A new route without a row here would escape the contract; control routes are not the API.
    served: set[tuple[str, str]] = set()
    for name in ROUTE_MODULES:
        if name == "_control":
            continue
        for route in importlib.import_module(f"dragops_emulator.{name}").routes:
            for method in sorted(route.methods - {"HEAD"}):
                served.add((method, route.path))
    covered = {(case.method, _template_of(case.path)) for case in CASES}
    missing = {entry for entry in served if entry not in covered}
    assert not missing, f"routes without a shape row: {sorted(missing)}"


def _template_of(path: str) -> str:
    """The route template a table path exercises ("/api/patterns/{pattern}" -> "/api/patterns/{id}")."""
    path = (
        path.split("?", 1)[0]
        .replace("/runs/{run}", "/runs/{runId}")
        .replace("/versions/1", "/versions/{number}")
    )
    replacements = {
        "/api/patterns/{pattern}": "/api/patterns/{id}",
        "/api/patterns/{draft}": "/api/patterns/{id}",
        "/api/webhooks/{pattern}": "/api/webhooks/{id}",
        "/api/webhooks/{webhook}": "/api/webhooks/{id}",
        "/webhooks/{webhook}": "/webhooks/{webhookId}",
        "/webhooks/{draft_webhook}": "/webhooks/{webhookId}",
        "/api/deployments/{deployment}": "/api/deployments/{id}",
        "/api/connections/{connection}": "/api/connections/{id}",
        "/api/nodes/OnWebhook": "/api/nodes/{id}",
    }
    for concrete, template in replacements.items():
        if path.startswith(concrete):
            path = template + path[len(concrete) :]
    return path
