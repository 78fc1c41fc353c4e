"""Bad input never gives a 500: random bodies, wrong types, huge numbers, deep nesting and odd query
strings thrown at every write endpoint (and the list endpoints' queries) answer < 500 in a documented
form: a success shape, or error form A `{error, code}` / form B `{success: false, error: {code,
message}}` as D1 assigns them.

The bodies are built from the field names the endpoints really read, so the random values reach the
validators (a body of random keys would only ever hit "name is required").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dragops_emulator import Emulator
from kit.clients import http_client
from kit.emulator import node_definitions
from kit.graphs import webhook_graph

# Every field name a write endpoint reads, so random values land on real validators.
FIELDS = [
    "name",
    "description",
    "tags",
    "isPublic",
    "isTemplate",
    "graphData",
    "formatVersion",
    "createdAt",
    "nodeDefinitions",
    "environmentId",
    "email",
    "password",
    "firstName",
    "lastName",
    "code",
    "provider",
    "apiKey",
    "displayName",
    "requireSignature",
    "body",
    "headers",
    "query",
    "method",
    "kind",
    "path",
    "count",
    "probability",
    "status",
    "latencyMs",
    "retryAfter",
    "advanceSeconds",
    "readPerMinute",
    "rate_limits_enabled",
    "maxBodyBytes",
    "tokenTtlSeconds",
]
GRAPH_KEYS = ["id", "type", "source", "target", "sourceHandle", "targetHandle", "data", "position"]
NODE_DATA_KEYS = ["properties", "pinDefaults", "label", "cron", "responseMode", "webhookAlias", "message"]
NODE_TYPES = ["OnWebhook", "OnStart", "OnSchedule", "Log", "Add", "Branch", "ForEach", "SetVariable", "Nope"]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([2**63, -(2**63) - 1, 10**400, 0, -1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from([*NODE_TYPES, "", " ", "\x00", "a" * 5000, "exec", "*", "../../etc"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = {"v": 1}
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


_nodes = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["n1", "n2", "n3"]) | json_values,
        "type": st.sampled_from(NODE_TYPES) | json_values,
    },
    optional={
        "data": st.dictionaries(st.sampled_from(NODE_DATA_KEYS), json_values, max_size=3) | json_values,
        "position": json_values,
    },
)
_edges = st.dictionaries(
    st.sampled_from(GRAPH_KEYS),
    st.sampled_from(["n1", "n2", "n3", "exec", "message", "a"]) | json_values,
    max_size=6,
)
graphs = st.fixed_dictionaries(
    {
        "nodes": st.lists(_nodes, max_size=4) | json_values,
        "edges": st.lists(_edges, max_size=4) | json_values,
    },
    optional={"variables": json_values},
)
field_bodies = st.dictionaries(st.sampled_from(FIELDS), json_values | graphs, max_size=6)
bodies = (
    field_bodies
    | json_values
    | st.builds(lambda graph, name: {"name": name, "graphData": graph}, graphs, st.text(max_size=10))
)
# Bodies that are not JSON at all, or JSON Python would accept and the standard refuses.
raw_bodies = st.sampled_from(
    [
        b"",
        b"{",
        b"NaN",
        b'{"name": NaN}',
        b'{"name": "x", "graphData": {"nodes": [{"id": "a", "type": "Log", "data": {"x": Infinity}}]}}',
        b'{"advanceSeconds": -Infinity}',
        b"\xff\xfe\x00",
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 50_000,
        b'"just a string"',
        b"1e999999",
        b'{"name": "\\ud800"}',
    ]
) | st.binary(max_size=64)

# (method, path) of every write endpoint; {...} is filled from the world.
WRITE_ENDPOINTS = [
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/github"),
    ("POST", "/api/patterns"),
    ("PUT", "/api/patterns/{pattern}"),
    ("PATCH", "/api/patterns/{pattern}"),
    ("DELETE", "/api/patterns/{pattern}"),
    ("POST", "/api/patterns/import"),
    ("POST", "/api/patterns/{pattern}/clone"),
    ("POST", "/api/patterns/{pattern}/deploy"),
    ("DELETE", "/api/patterns/{draft}/deploy"),
    ("POST", "/api/deployments/{deployment}/pause"),
    ("POST", "/api/deployments/{deployment}/resume"),
    ("POST", "/api/deployments/{deployment}/execute"),
    ("POST", "/webhooks/{webhook}"),
    ("PUT", "/api/webhooks/{pattern}"),
    ("PATCH", "/api/webhooks/{webhook}"),
    ("POST", "/api/webhooks/{webhook}/rotate-secret"),
    ("POST", "/api/connections/api-key"),
    ("PUT", "/api/connections/{connection}"),
    ("PATCH", "/api/connections/{connection}"),
    ("POST", "/__emulator/users"),
    ("POST", "/__emulator/faults"),
    ("POST", "/__emulator/clock"),
    ("PUT", "/__emulator/settings"),
]
LIST_ENDPOINTS = [
    "/api/patterns",
    "/api/deployments",
    "/api/deployments/{deployment}/runs",
    "/api/deployments/{deployment}/runs/stats",
    "/api/webhooks/{webhook}/requests",
    "/api/patterns/{pattern}/versions",
    "/api/connections",
    "/api/nodes",
]
QUERY_NAMES = ["limit", "offset", "page", "search", "tags", "isPublic", "isTemplate", "sortBy", "sortOrder"]
QUERY_NAMES += ["status", "triggeredBy", "period", "limit[]", "", "%00"]
query_values = st.text(max_size=12) | st.sampled_from(
    ["-1", "0", "101", "1e3", "99999999999999999999999", "NaN", "true", "TRUE", "1.5", " 2", "٣"]
)
queries = st.lists(st.tuples(st.sampled_from(QUERY_NAMES) | st.text(max_size=5), query_values), max_size=6)

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def world(emulator: Emulator) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A user with a deployed webhook pattern, a draft, a run and a connection (the session emulator is
    shared by the examples: state piling up between examples is part of the test)."""
    emulator.reset()
    emulator.update_settings(github_client_id="Iv1.fuzz")
    user = emulator.seed_user()
    with http_client(emulator, user) as client:
        pattern = client.post("/api/patterns", json={"name": "W", "graphData": webhook_graph()}).json()[
            "data"
        ]
        deployed = client.post(
            f"/api/patterns/{pattern['id']}/deploy", json={"nodeDefinitions": node_definitions(client)}
        ).json()["data"]
        draft = client.post("/api/patterns", json={"name": "D", "graphData": webhook_graph()}).json()["data"]
        webhook = client.get(f"/api/patterns/{pattern['id']}/webhooks").json()["data"][0]["id"]
        connection = client.post("/api/connections/api-key", json={"provider": "x", "apiKey": "k"}).json()[
            "id"
        ]
        ids = {
            "pattern": pattern["id"],
            "draft": draft["id"],
            "deployment": deployed["deploymentId"],
            "webhook": webhook,
            "connection": connection,
        }
        yield client, ids
    emulator.reset()


def assert_documented(response: httpx.Response, where: str) -> None:
    """< 500, and an error answers form A or form B (D1) with a non-empty message."""
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    if response.status_code < 400 or not response.content:
        return
    body = response.json()
    if isinstance(body.get("error"), str):
        assert set(body) == {"error", "code"}, f"{where}: {body}"
        assert body["error"] and isinstance(body["code"], str)
    else:
        assert body.get("success") is False and isinstance(body.get("error"), dict), f"{where}: {body}"
        assert isinstance(body["error"]["code"], str) and body["error"]["message"], f"{where}: {body}"
        assert response.status_code in (400, 413, 422), f"{where}: form B on {response.status_code}"


def _encode(body: Any) -> bytes:
    # Python's encoder writes huge ints as digits, which JSON allows (and the emulator must survive).
    return json.dumps(body).encode()


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS, ids=[f"{m} {p}" for m, p in WRITE_ENDPOINTS])
@FUZZ
@given(body=bodies)
def test_random_json_bodies_never_get_a_500(
    world: tuple[httpx.Client, dict[str, str]], method: str, path: str, body: Any
) -> None:
    client, ids = world
    url = path.format(**ids)
    response = client.request(
        method, url, content=_encode(body), headers={"Content-Type": "application/json"}
    )
    assert_documented(response, f"{method} {path} {json.dumps(body)[:300]}")


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS, ids=[f"{m} {p}" for m, p in WRITE_ENDPOINTS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_bodies)
def test_bodies_that_are_not_strict_json_never_get_a_500(
    world: tuple[httpx.Client, dict[str, str]], method: str, path: str, raw: bytes
) -> None:
    client, ids = world
    response = client.request(
        method, path.format(**ids), content=raw, headers={"Content-Type": "application/json"}
    )
    assert_documented(response, f"{method} {path} {raw[:80]!r}")


@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS, ids=[f"{m} {p}" for m, p in WRITE_ENDPOINTS])
@pytest.mark.parametrize("depth", [50, 900, 5000])
def test_deeply_nested_bodies_never_get_a_500(
    world: tuple[httpx.Client, dict[str, str]], method: str, path: str, depth: int
) -> None:
    # Kept out of the hypothesis strategies: their failure reports cannot print such values.
    client, ids = world
    for body in (_deep(depth), {"name": "deep", "graphData": {"nodes": [_deep(depth)], "edges": []}}):
        raw = json.dumps(body).encode() if depth < 900 else _deep_text(depth)
        response = client.request(
            method, path.format(**ids), content=raw, headers={"Content-Type": "application/json"}
        )
        assert_documented(response, f"{method} {path} depth {depth}")


def _deep_text(depth: int) -> bytes:
    # json.dumps itself recurses; build the text directly.
    return (
        b'{"name": "deep", "graphData": {"nodes": ' + b"[" * depth + b"1" + b"]" * depth + b', "edges": []}}'
    )


@FUZZ
@given(pairs=queries, index=st.integers(min_value=0, max_value=len(LIST_ENDPOINTS) - 1))
def test_odd_query_strings_on_list_endpoints_never_get_a_500(
    world: tuple[httpx.Client, dict[str, str]], pairs: list[tuple[str, str]], index: int
) -> None:
    client, ids = world
    path = LIST_ENDPOINTS[index].format(**ids)
    response = client.get(path, params=pairs)
    assert_documented(response, f"GET {path} {pairs}")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=graphs)
def test_random_graphs_are_stored_deployed_and_run_without_a_500(
    world: tuple[httpx.Client, dict[str, str]], graph: dict[str, Any]
) -> None:
    # The deepest path: a random graph through create, deploy (validation), a manual run (engine).
    client, _ = world
    created = client.post("/api/patterns", content=_encode({"name": "G", "graphData": graph}))
    assert_documented(created, f"create {graph}")
    if created.status_code != 201:
        return
    pattern_id = created.json()["data"]["id"]
    definitions = {node_type: {} for node_type in NODE_TYPES}
    deployed = client.post(f"/api/patterns/{pattern_id}/deploy", json={"nodeDefinitions": definitions})
    assert_documented(deployed, f"deploy {graph}")
    if deployed.status_code == 201:
        deployment_id = deployed.json()["data"]["deploymentId"]
        executed = client.post(f"/api/deployments/{deployment_id}/execute", json={"fuzz": True})
        assert_documented(executed, f"execute {graph}")
        client.delete(f"/api/patterns/{pattern_id}/deploy")
    assert_documented(client.get(f"/api/patterns/{pattern_id}/export"), f"export {graph}")
