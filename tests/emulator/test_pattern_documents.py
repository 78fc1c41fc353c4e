"""Pattern documents: export, import, clone, versions, and the webhook endpoints kept in step with graphs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import http_client
from kit.emulator import create_pattern, form_a, form_b
from kit.graphs import unwired_webhooks


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


def _endpoints(emu: Emulator, pattern_id: str) -> dict[str, dict[str, Any]]:
    assert emu.state is not None
    return {ep["nodeId"]: ep for ep in emu.state.store.list("webhooks", parent_id=pattern_id)}


def test_export_is_the_content_only_document(client: httpx.Client) -> None:
    pattern = create_pattern(
        client, name="Logger", description="d", tags=["x"], isTemplate=True, graphData=unwired_webhooks("n1")
    )
    response = client.get(f"/api/patterns/{pattern['id']}/export")
    assert response.status_code == 200
    assert response.json() == {
        "formatVersion": 1,
        "name": "Logger",
        "description": "d",
        "tags": ["x"],
        "isPublic": False,
        "isTemplate": True,
        "createdAt": pattern["createdAt"],
        "graphData": pattern["graphData"],
    }


def test_export_then_import_makes_an_undeployed_copy_with_a_new_id(
    emu: Emulator, client: httpx.Client
) -> None:
    original = create_pattern(client, name="Round", tags=["a"], graphData=unwired_webhooks("n1"))
    document = client.get(f"/api/patterns/{original['id']}/export").json()
    response = client.post("/api/patterns/import", json=document)
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    imported = body["data"]
    assert imported["id"] != original["id"]
    assert imported["versionNumber"] == 0
    for field in ("name", "description", "tags", "isPublic", "isTemplate", "graphData"):
        assert imported[field] == original[field], field
    assert client.get("/api/patterns").json()["meta"]["total"] == 2
    # The copy gets its own webhook endpoint: URLs are not part of the document.
    assert _endpoints(emu, imported["id"])["n1"]["id"] != _endpoints(emu, original["id"])["n1"]["id"]


def test_import_accepts_a_document_without_format_version_or_graph(client: httpx.Client) -> None:
    response = client.post("/api/patterns/import", json={"name": "Bare", "futureField": {"x": 1}})
    assert response.status_code == 201
    assert response.json()["data"]["graphData"] == {"nodes": [], "edges": []}


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        ({"formatVersion": 1}, ["name"]),
        ({"formatVersion": 2, "name": "P"}, ["formatVersion"]),
        ({"formatVersion": True, "name": "P"}, ["formatVersion"]),
        ({"name": "P", "graphData": "nodes"}, ["graphData"]),
        ({"name": "P", "graphData": None}, ["graphData"]),
        ({"name": "P", "graphData": {"nodes": [{"id": "n1"}]}}, ["graphData.nodes[0].type"]),
        ({"name": "", "tags": "a", "isPublic": "no"}, ["name", "tags", "isPublic"]),
        ({"name": "P", "createdAt": 5}, ["createdAt"]),
    ],
)
def test_an_invalid_import_document_is_a_422_naming_every_bad_field(
    client: httpx.Client, document: dict[str, Any], fields: list[str]
) -> None:
    response = client.post("/api/patterns/import", json=document)
    assert response.status_code == 422
    code, message = form_b(response)
    assert code == "INVALID_DOCUMENT"
    assert message.startswith("Not a valid pattern document: ")
    details = response.json()["error"]["details"]
    assert [detail["field"] for detail in details] == fields
    assert client.get("/api/patterns").json()["meta"]["total"] == 0


def test_import_of_malformed_json_is_a_400(client: httpx.Client) -> None:
    response = client.post("/api/patterns/import", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert form_b(response)[0] == "VALIDATION"


def test_clone_makes_an_undeployed_copy_named_after_the_source(client: httpx.Client) -> None:
    source = create_pattern(client, name="Source", tags=["t"], graphData=unwired_webhooks("n1"))
    response = client.post(f"/api/patterns/{source['id']}/clone")
    assert response.status_code == 201
    clone = response.json()["data"]
    assert clone["name"] == "Source (copy)"
    assert clone["id"] != source["id"]
    assert clone["graphData"] == source["graphData"] and clone["tags"] == ["t"]
    assert clone["versionNumber"] == 0


def test_clone_takes_an_optional_name(client: httpx.Client) -> None:
    source = create_pattern(client, name="Source")
    response = client.post(f"/api/patterns/{source['id']}/clone", json={"name": "Named"})
    assert response.json()["data"]["name"] == "Named"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "name must not be empty"),
        ({"name": 3}, "name must be a string"),
        ({"title": "x"}, "Unknown field(s): title"),
    ],
)
def test_clone_refuses_a_bad_body(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    source = create_pattern(client)
    response = client.post(f"/api/patterns/{source['id']}/clone", json=body)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)


def test_a_never_deployed_pattern_has_no_versions(client: httpx.Client) -> None:
    pattern = create_pattern(client)
    response = client.get(f"/api/patterns/{pattern['id']}/versions")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": []}
    missing = client.get(f"/api/patterns/{pattern['id']}/versions/1")
    assert missing.status_code == 404
    assert form_a(missing) == ("VERSION_NOT_FOUND", "Pattern has no version 1")
    assert client.get(f"/api/patterns/{pattern['id']}/versions/one").status_code == 400


def test_versions_are_listed_newest_first_and_fetched_one_by_one(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client)
    assert emu.state is not None
    store = emu.state.store
    owner = store.owner_of("patterns", pattern["id"])
    # Snapshots as the deploy route (another module) writes them.
    for number in (1, 2, 3):
        store.insert(
            "versions",
            {
                "id": f"ver_{number}",
                "patternId": pattern["id"],
                "versionNumber": number,
                "createdAt": f"2026-03-0{number}T00:00:00.000Z",
                "graphData": unwired_webhooks(f"n{number}"),
            },
            owner_id=owner,
            parent_id=pattern["id"],
        )
    listed = client.get(f"/api/patterns/{pattern['id']}/versions").json()["data"]
    assert [version["versionNumber"] for version in listed] == [3, 2, 1]
    assert set(listed[0]) == {"versionNumber", "createdAt", "graphData"}
    one = client.get(f"/api/patterns/{pattern['id']}/versions/2").json()
    assert one["success"] is True
    assert one["data"]["graphData"] == unwired_webhooks("n2")


def test_each_on_webhook_node_gets_one_stable_endpoint(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, graphData=unwired_webhooks("a"))
    first = _endpoints(emu, pattern["id"])
    assert set(first) == {"a"}
    assert first["a"]["id"].startswith("wh_") and len(first["a"]["secret"]) == 64
    assert first["a"]["requireSignature"] is True
    client.put(f"/api/patterns/{pattern['id']}", json={"graphData": unwired_webhooks("a", "b")})
    second = _endpoints(emu, pattern["id"])
    assert set(second) == {"a", "b"}
    assert second["a"]["id"] == first["a"]["id"] and second["a"]["secret"] == first["a"]["secret"]
    client.put(f"/api/patterns/{pattern['id']}", json={"name": "renamed"})
    client.put(f"/api/patterns/{pattern['id']}", json={"graphData": unwired_webhooks("b")})
    third = _endpoints(emu, pattern["id"])
    assert set(third) == {"b"} and third["b"]["id"] == second["b"]["id"]


def test_the_webhook_alias_property_is_kept_on_the_endpoint(emu: Emulator, client: httpx.Client) -> None:
    graph = unwired_webhooks("a")
    graph["nodes"][0]["data"] = {"properties": {"webhookAlias": "github-push"}}
    pattern = create_pattern(client, graphData=graph)
    assert _endpoints(emu, pattern["id"])["a"]["alias"] == "github-push"
    graph["nodes"][0]["data"] = {"properties": {"webhookAlias": "renamed"}}
    client.put(f"/api/patterns/{pattern['id']}", json={"graphData": graph})
    assert _endpoints(emu, pattern["id"])["a"]["alias"] == "renamed"


def test_new_endpoints_follow_the_signature_setting(emu: Emulator, client: httpx.Client) -> None:
    emu.update_settings(require_webhook_signature=False)
    pattern = create_pattern(client, graphData=unwired_webhooks("a"))
    assert _endpoints(emu, pattern["id"])["a"]["requireSignature"] is False


def test_webhook_secrets_appear_in_no_pattern_response(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, graphData=unwired_webhooks("a"))
    secret = _endpoints(emu, pattern["id"])["a"]["secret"]
    responses = [
        client.get(f"/api/patterns/{pattern['id']}"),
        client.get(f"/api/patterns/{pattern['id']}/export"),
        client.get("/api/patterns"),
        client.post(f"/api/patterns/{pattern['id']}/clone"),
    ]
    for response in responses:
        assert secret not in response.text
