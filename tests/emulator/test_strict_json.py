"""Strict JSON bodies: what Python's parser accepts but JSON (or a later encoder) does not is a 400.

Pure tests of `_strict_json.loads`, and HTTP tests showing that a refused body leaves nothing stored
(so no later read can fail on it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._strict_json import MAX_DEPTH, JSONBodyError, loads
from kit.clients import http_client
from kit.emulator import ApiSession, deployed, execute, form_b
from kit.graphs import chain, graph, node, wire
from kit.webhooks import deliver, deploy_webhook, newest_log_entry


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": NaN}', "NaN is not allowed"),
        (b'{"a": [Infinity]}', "Infinity is not allowed"),
        (b'{"a": -Infinity}', "-Infinity is not allowed"),
        (b'{"a": "\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"\\udfff": 1}', "unpaired UTF-16 surrogate"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b"\xff", "not valid UTF-8"),
        (b'{"a": }', "Expecting value at line 1 column 7"),
    ],
)
def test_non_standard_or_unservable_json_is_refused_with_the_reason(raw: bytes, message: str) -> None:
    with pytest.raises(JSONBodyError, match=message.replace("[", r"\[")):
        loads(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"smile": "\\ud83d\\ude00"}', {"smile": "\U0001f600"}),
        ('{"snow": "\u2603"}'.encode(), {"snow": "\u2603"}),
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
        (b'{"big": 1e308, "huge": 100000000000000000000000000000}', {"big": 1e308, "huge": 10**29}),
        ('"text"', "text"),
    ],
)
def test_standard_json_is_parsed_as_usual(raw: bytes | str, value: object) -> None:
    assert loads(raw) == value


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "x", "graphData": {"nodes": [{"id": "a", "type": "Log", "data": {"v": NaN}}]}}',
        b'{"name": "\\ud800"}',
        b'{"name": "deep", "graphData": {"nodes": ' + b"[" * 200 + b"]" * 200 + b', "edges": []}}',
    ],
    ids=["NaN in a graph", "lone surrogate", "deep nesting"],
)
def test_a_refused_body_is_a_400_and_stores_nothing(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/api/patterns", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    code, message = form_b(response)
    assert code == "VALIDATION" and message.startswith("Malformed JSON body: ")
    assert client.get("/api/patterns").json()["meta"]["total"] == 0


def test_a_parse_json_node_refuses_nan_text_instead_of_storing_it(client: httpx.Client) -> None:
    nodes = [node("start", "OnStart"), node("parse", "ParseJson", text="NaN"), node("log", "Log")]
    edges = [*chain("start", "log"), wire("parse", "log", "value", "message")]
    _, deployment_id = deployed(client, graph(nodes, edges))
    run = execute(client, deployment_id)
    assert run["status"] == "failed"
    assert "Parse JSON: invalid JSON (NaN is not allowed" in run["errorMessage"]
    # The run record is served (it would be a 500 had NaN reached it).
    assert client.get(f"/api/deployments/{deployment_id}/runs/{run['id']}").status_code == 200


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"amount": NaN}', "NaN is not allowed"),
        (b'{"who": "\\udc00"}', "unpaired UTF-16 surrogate"),
        (b"[" * 300 + b"]" * 300, "nested deeper than 100 levels"),
    ],
    ids=["NaN", "lone surrogate", "deep nesting"],
)
def test_a_signed_webhook_body_that_is_not_strict_json_is_a_400_and_runs_nothing(
    emu: Emulator, user: SeededUser, raw: bytes, reason: str
) -> None:
    api = ApiSession(emu.url, user.token)
    try:
        hook = deploy_webhook(api)
        response = deliver(emu.url, hook["path"], raw=raw, secret=hook["secret"])
        assert response.status_code == 400
        code, message = form_b(response)
        assert code == "VALIDATION" and reason in message
        assert api.runs(hook["deploymentId"]) == []
        # The refused request is logged (as text), and the log can still be served.
        assert newest_log_entry(api, hook["endpoint"]["id"])["status"] == 400
    finally:
        api.close()
