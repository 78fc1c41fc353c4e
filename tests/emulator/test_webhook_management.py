"""Webhook endpoint management over real HTTP: listing, secrets, rotation, settings, request logs,
endpoint lifetime, ownership, rate limits, and secrets kept out of every other response."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kit.emulator import ApiSession
from kit.graphs import webhook_graph, webhook_node
from kit.webhooks import deliver


@pytest.fixture
def api(emu: Any, user: Any) -> Iterator[ApiSession]:
    session = ApiSession(emu.url, user.token)
    yield session
    session.close()


@pytest.fixture
def stranger(emu: Any) -> Iterator[ApiSession]:
    session = ApiSession(emu.url, emu.seed_user().token)
    yield session
    session.close()


# --- listing ---------------------------------------------------------------------------------------


def test_a_patterns_webhooks_are_listed_with_their_urls_and_without_secrets(
    emu: Any, api: ApiSession
) -> None:
    graph = webhook_graph()
    graph["nodes"][0] = webhook_node("node_1", alias="github")
    pattern = api.create_pattern(graph)

    response = api.http.get(f"/api/patterns/{pattern['id']}/webhooks")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    (endpoint,) = body["data"]
    assert set(endpoint) == {"id", "patternId", "nodeId", "alias", "url", "requireSignature", "createdAt"}
    assert endpoint["id"].startswith("wh_")
    assert endpoint["patternId"] == pattern["id"]
    assert endpoint["nodeId"] == "node_1"
    assert endpoint["alias"] == "github"
    assert endpoint["url"] == f"{emu.url}/webhooks/{endpoint['id']}"
    assert endpoint["requireSignature"] is True
    assert api.secret(endpoint["id"]) not in response.text


def test_a_pattern_without_on_webhook_nodes_lists_no_webhooks(api: ApiSession) -> None:
    pattern = api.create_pattern({"nodes": [], "edges": []})

    assert api.endpoints(pattern["id"]) == []


def test_the_webhook_url_exists_before_the_first_deploy(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = deliver(
        emu.url, f"/webhooks/{endpoint['id']}", {"hello": 1}, secret=api.secret(endpoint["id"])
    )

    assert response.status_code == 202
    assert response.json()["status"] == "captured"


# --- endpoint lifetime -----------------------------------------------------------------------------


def test_endpoint_ids_and_secrets_survive_pattern_edits_and_redeploys(api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    before = api.only_endpoint(pattern["id"])
    secret = api.secret(before["id"])

    api.deploy(pattern["id"])
    edited = webhook_graph(mode="lastNode")
    edited["nodes"][1]["data"]["pinDefaults"]["message"] = "edited"
    api.update_graph(pattern["id"], edited)
    api.deploy(pattern["id"])
    api.undeploy(pattern["id"])
    api.deploy(pattern["id"])

    after = api.only_endpoint(pattern["id"])
    assert after == before
    assert api.secret(after["id"]) == secret


def test_a_second_on_webhook_node_gets_its_own_endpoint_and_secret(api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    (first,) = api.endpoints(pattern["id"])
    graph = webhook_graph()
    graph["nodes"].append(webhook_node("node_9", alias="second"))

    api.update_graph(pattern["id"], graph)

    one, two = api.endpoints(pattern["id"])
    assert one == first
    assert two["nodeId"] == "node_9"
    assert two["alias"] == "second"
    assert two["id"] != first["id"]
    assert api.secret(two["id"]) != api.secret(first["id"])


def test_removing_an_on_webhook_node_removes_its_endpoint(emu: Any, api: ApiSession) -> None:
    graph = webhook_graph()
    graph["nodes"].append(webhook_node("node_9"))
    pattern = api.create_pattern(graph)
    kept, removed = api.endpoints(pattern["id"])

    api.update_graph(pattern["id"], webhook_graph())

    assert api.endpoints(pattern["id"]) == [kept]
    assert deliver(emu.url, f"/webhooks/{removed['id']}", {}).status_code == 404
    assert api.http.get(f"/api/webhooks/{removed['id']}/secret").status_code == 404


# --- secrets ---------------------------------------------------------------------------------------


def test_the_owner_can_reveal_the_signing_secret(api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = api.http.get(f"/api/webhooks/{endpoint['id']}/secret")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert set(body["data"]) == {"secret"}
    assert len(body["data"]["secret"]) == 64


def test_after_rotation_the_old_secret_is_refused_and_the_new_one_accepted(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    api.deploy(pattern["id"])
    endpoint = api.only_endpoint(pattern["id"])
    path = f"/webhooks/{endpoint['id']}"
    old = api.secret(endpoint["id"])

    new = api.rotate(endpoint["id"])

    assert new != old
    assert api.secret(endpoint["id"]) == new
    assert deliver(emu.url, path, {"a": 1}, secret=old).status_code == 401
    assert deliver(emu.url, path, {"a": 1}, secret=new).status_code == 202
    assert api.only_endpoint(pattern["id"]) == endpoint


# --- settings --------------------------------------------------------------------------------------


def test_patching_an_endpoint_answers_the_endpoint_without_its_secret(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = api.http.patch(f"/api/webhooks/{endpoint['id']}", json={"requireSignature": False})

    assert response.status_code == 200
    assert response.json()["data"] == {**endpoint, "requireSignature": False}
    assert api.secret(endpoint["id"]) not in response.text
    assert api.only_endpoint(pattern["id"])["requireSignature"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"requireSignature": "no"}, "requireSignature must be a boolean"),
        ({"secret": "mine"}, "Unknown field(s): secret"),
        ([True], "Body must be a JSON object"),
    ],
)
def test_a_bad_endpoint_update_is_refused_with_the_field_named(
    api: ApiSession, body: Any, message: str
) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = api.http.patch(f"/api/webhooks/{endpoint['id']}", json=body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": {"code": "VALIDATION", "message": message}}
    assert api.only_endpoint(pattern["id"]) == endpoint


# --- request logs ----------------------------------------------------------------------------------


def test_the_request_log_pages_newest_first(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])
    secret = api.secret(endpoint["id"])
    for n in range(5):
        deliver(emu.url, f"/webhooks/{endpoint['id']}", {"n": n}, secret=secret, params={"n": str(n)})

    first = api.request_log(endpoint["id"], page=1, limit=2)
    third = api.request_log(endpoint["id"], page=3, limit=2)
    beyond = api.request_log(endpoint["id"], page=4, limit=2)

    assert first["meta"] == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    assert [r["body"] for r in first["data"]] == [{"n": 4}, {"n": 3}]
    assert [r["body"] for r in third["data"]] == [{"n": 0}]
    assert beyond["data"] == []
    record = first["data"][0]
    assert set(record) == {
        "id",
        "webhookId",
        "receivedAt",
        "method",
        "headers",
        "query",
        "body",
        "status",
        "runId",
        "signatureValid",
    }
    assert record["webhookId"] == endpoint["id"]
    assert record["method"] == "POST"
    assert record["query"] == {"n": "4"}
    assert record["status"] == 202
    assert record["signatureValid"] is True
    assert "x-webhook-signature" not in record["headers"]


def test_request_log_paging_parameters_are_checked(api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = api.http.get(f"/api/webhooks/{endpoint['id']}/requests", params={"limit": 500})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "limit must be between 1 and 100"


# --- ownership and auth -------------------------------------------------------------------------------


def test_another_users_webhook_does_not_exist_for_them(api: ApiSession, stranger: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    webhook_id = api.only_endpoint(pattern["id"])["id"]
    secret = api.secret(webhook_id)

    answers = [
        stranger.http.get(f"/api/webhooks/{webhook_id}/secret"),
        stranger.http.post(f"/api/webhooks/{webhook_id}/rotate-secret"),
        stranger.http.get(f"/api/webhooks/{webhook_id}/requests"),
        stranger.http.patch(f"/api/webhooks/{webhook_id}", json={"requireSignature": False}),
    ]

    for response in answers:
        assert response.status_code == 404, response.request.url
        assert response.json() == {"error": "Webhook not found", "code": "WEBHOOK_NOT_FOUND"}
    listing = stranger.http.get(f"/api/patterns/{pattern['id']}/webhooks")
    assert listing.status_code == 404
    assert listing.json()["code"] == "PATTERN_NOT_FOUND"
    assert api.secret(webhook_id) == secret
    assert api.only_endpoint(pattern["id"])["requireSignature"] is True


def test_management_needs_a_bearer_token(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    webhook_id = api.only_endpoint(pattern["id"])["id"]

    with httpx.Client(base_url=emu.url) as anonymous:
        answers = [
            anonymous.get(f"/api/patterns/{pattern['id']}/webhooks"),
            anonymous.get(f"/api/webhooks/{webhook_id}/secret"),
            anonymous.post(f"/api/webhooks/{webhook_id}/rotate-secret"),
            anonymous.get(f"/api/webhooks/{webhook_id}/requests"),
            anonymous.patch(f"/api/webhooks/{webhook_id}", json={"requireSignature": False}),
        ]

    for response in answers:
        assert response.status_code == 401, response.request.url
        assert response.json() == {"error": "Missing bearer token", "code": "UNAUTHORIZED"}


# --- rate limit ------------------------------------------------------------------------------------


def test_webhook_ingestion_is_rate_limited_with_retry_after(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])
    secret = api.secret(endpoint["id"])
    emu.update_settings(rate_limits_enabled=True, webhook_per_minute=2)

    answers = [deliver(emu.url, f"/webhooks/{endpoint['id']}", {"n": n}, secret=secret) for n in range(3)]

    assert [r.status_code for r in answers] == [202, 202, 429]
    limited = answers[2]
    assert limited.json()["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1
    # The management API is another category: still available while ingestion is limited.
    emu.update_settings(rate_limits_enabled=False)
    assert api.request_log(endpoint["id"])["meta"]["total"] == 2


# --- secrets stay out of every other response ---------------------------------------------------------


def test_the_secret_appears_only_in_the_secret_responses(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    deployment = api.deploy(pattern["id"])
    endpoint = api.only_endpoint(pattern["id"])
    secret = api.secret(endpoint["id"])
    path = f"/webhooks/{endpoint['id']}"
    deliver(emu.url, path, {"a": 1}, secret=secret)
    deliver(emu.url, path, {"a": 1}, secret="wrong")
    deliver(emu.url, path, {"a": 1})

    responses = [
        api.http.get(f"/api/patterns/{pattern['id']}/webhooks"),
        api.http.get(f"/api/webhooks/{endpoint['id']}/requests"),
        api.http.patch(f"/api/webhooks/{endpoint['id']}", json={"requireSignature": True}),
        api.http.get(f"/api/patterns/{pattern['id']}"),
        api.http.get(f"/api/deployments/{deployment['deploymentId']}/runs"),
        deliver(emu.url, path, {"a": 1}, secret=secret),
        deliver(emu.url, path, {"a": 1}, secret="wrong"),
    ]

    for response in responses:
        assert response.status_code < 500
        assert secret not in response.text, response.request.url
