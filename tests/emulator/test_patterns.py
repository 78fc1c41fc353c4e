"""Pattern routes: create, get, update, delete and the list with its filters, sorting and paging."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture
def other(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu, emu.seed_user()) as client:
        yield client


def test_creating_a_pattern_with_only_a_name_fills_the_defaults(client: httpx.Client) -> None:
    response = client.post("/api/patterns", json={"name": "My Pattern"})
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True and body["timestamp"].endswith("Z")
    pattern = body["data"]
    assert pattern["id"].startswith("pat_")
    assert pattern["name"] == "My Pattern"
    assert pattern["description"] == ""
    assert pattern["tags"] == []
    assert pattern["isPublic"] is False and pattern["isTemplate"] is False
    assert pattern["graphData"] == {"nodes": [], "edges": []}
    assert pattern["versionNumber"] == 0
    assert pattern["createdAt"] == pattern["updatedAt"]


def test_a_created_pattern_is_returned_bare_by_get(client: httpx.Client) -> None:
    graph = unwired_webhooks("node_1")
    graph["variables"] = [{"name": "count", "type": "integer", "defaultValue": 0}]
    created = create_pattern(
        client, name="Webhook Logger", description="Logs", tags=["a", "b"], isPublic=True, graphData=graph
    )
    response = client.get(f"/api/patterns/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert created["graphData"]["variables"] == graph["variables"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name is required"),
        ({"name": None}, "name is required"),
        ({"name": "   "}, "name must not be empty"),
        ({"name": 7}, "name must be a string"),
        ({"name": "x" * 201}, "name must be at most 200 characters"),
        ({"name": "P", "description": 1}, "description must be a string"),
        ({"name": "P", "tags": "a,b"}, "tags must be an array of strings"),
        ({"name": "P", "tags": ["a", 1]}, "tags must be an array of strings"),
        ({"name": "P", "isPublic": "yes"}, "isPublic must be a boolean"),
        ({"name": "P", "isTemplate": 1}, "isTemplate must be a boolean"),
        ({"name": "P", "graphData": []}, "graphData must be an object with nodes and edges arrays"),
        ({"name": "P", "graphData": {"nodes": {}}}, "graphData.nodes must be an array"),
        (
            {"name": "P", "graphData": {"nodes": [{"id": "n1"}]}},
            "graphData.nodes[0].type must be a non-empty string",
        ),
        ({"name": "P", "graphData": {"nodes": [1]}}, "graphData.nodes[0] must be an object"),
        (
            {"name": "P", "graphData": {"edges": [{"id": "e1", "source": "n1"}]}},
            "graphData.edges[0].target must be a non-empty string",
        ),
        (
            {"name": "P", "graphData": {"nodes": [{"id": "n", "type": "Log"}, {"id": "n", "type": "Log"}]}},
            "graphData.nodes[1].id duplicates the id 'n'",
        ),
        ({"name": "P", "colour": "red"}, "Unknown field(s): colour"),
    ],
)
def test_creating_a_pattern_refuses_bad_fields_naming_them(
    client: httpx.Client, body: dict[str, object], message: str
) -> None:
    response = client.post("/api/patterns", json=body)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)
    assert client.get("/api/patterns").json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Malformed JSON body: Expecting property name enclosed in double quotes"),
        (b"[1, 2]", "Body must be a JSON object"),
        (b"", "Body must be a JSON object (the body is empty)"),
        (b"\xff\xfe", "Malformed JSON body"),
        (b"[" * 100_000 + b"]" * 100_000, "Malformed JSON body"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_never_a_500(
    client: httpx.Client, content: bytes, message: str
) -> None:
    response = client.post("/api/patterns", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    code, text = form_b(response)
    assert code == "VALIDATION"
    assert text.startswith(message)


def test_a_body_above_the_size_limit_is_refused_with_413(client: httpx.Client) -> None:
    big = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = client.post("/api/patterns", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert form_b(response)[0] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_body_above_the_size_limit_is_refused_with_413(emu: Emulator, client: httpx.Client) -> None:
    emu.update_settings(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = client.post("/api/patterns", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert form_b(response) == ("PAYLOAD_TOO_LARGE", "Request body exceeds 1000 bytes")


def test_an_unknown_pattern_is_not_found(client: httpx.Client) -> None:
    response = client.get("/api/patterns/pat_doesnotexist")
    assert response.status_code == 404
    assert form_a(response) == ("PATTERN_NOT_FOUND", "Pattern not found")


def test_another_users_pattern_is_not_found_for_every_operation(
    client: httpx.Client, other: httpx.Client
) -> None:
    pattern = create_pattern(client, name="Mine")
    pid = pattern["id"]
    attempts = [
        other.get(f"/api/patterns/{pid}"),
        other.put(f"/api/patterns/{pid}", json={"name": "Theirs"}),
        other.patch(f"/api/patterns/{pid}", json={"name": "Theirs"}),
        other.delete(f"/api/patterns/{pid}"),
        other.get(f"/api/patterns/{pid}/export"),
        other.post(f"/api/patterns/{pid}/clone"),
        other.get(f"/api/patterns/{pid}/versions"),
        other.get(f"/api/patterns/{pid}/versions/1"),
    ]
    for response in attempts:
        assert response.status_code == 404, response.request.url
        assert form_a(response)[0] == "PATTERN_NOT_FOUND"
    assert client.get(f"/api/patterns/{pid}").json() == pattern
    assert other.get("/api/patterns").json()["data"] == []


def test_updating_changes_only_the_given_fields_and_updated_at(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, name="Old", description="keep", tags=["t"])
    emu.advance_clock(5)
    response = client.put(f"/api/patterns/{pattern['id']}", json={"name": "New"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    updated = body["data"]
    assert updated["name"] == "New"
    assert updated["description"] == "keep" and updated["tags"] == ["t"]
    assert updated["updatedAt"] > pattern["updatedAt"]
    assert updated["createdAt"] == pattern["createdAt"]
    assert client.get(f"/api/patterns/{pattern['id']}").json() == updated


def test_patch_is_an_alias_of_put(client: httpx.Client) -> None:
    pattern = create_pattern(client)
    response = client.patch(f"/api/patterns/{pattern['id']}", json={"isTemplate": True})
    assert response.status_code == 200
    assert response.json()["data"]["isTemplate"] is True


def test_an_update_that_changes_nothing_keeps_updated_at(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, name="Same", tags=["a"])
    emu.advance_clock(5)
    response = client.put(f"/api/patterns/{pattern['id']}", json={"name": "Same", "tags": ["a"]})
    assert response.json()["data"]["updatedAt"] == pattern["updatedAt"]


def test_an_update_ignores_server_set_fields_sent_back(client: httpx.Client) -> None:
    pattern = create_pattern(client, name="Round trip")
    echoed = {**pattern, "id": "pat_other", "versionNumber": 99, "description": "edited"}
    response = client.put(f"/api/patterns/{pattern['id']}", json=echoed)
    assert response.status_code == 200
    updated = response.json()["data"]
    assert updated["id"] == pattern["id"] and updated["versionNumber"] == 0
    assert updated["description"] == "edited"


def test_a_bad_update_changes_nothing(client: httpx.Client) -> None:
    pattern = create_pattern(client, name="Stable")
    response = client.put(f"/api/patterns/{pattern['id']}", json={"name": "New", "tags": [1]})
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", "tags must be an array of strings")
    assert client.get(f"/api/patterns/{pattern['id']}").json() == pattern


def test_deleting_a_pattern_answers_204_and_it_is_gone(client: httpx.Client) -> None:
    pattern = create_pattern(client)
    response = client.delete(f"/api/patterns/{pattern['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/patterns/{pattern['id']}").status_code == 404
    assert client.delete(f"/api/patterns/{pattern['id']}").status_code == 404


@pytest.mark.parametrize("status", ["active", "paused", "pending"])
def test_deleting_a_deployed_pattern_is_refused(emu: Emulator, client: httpx.Client, status: str) -> None:
    pattern = create_pattern(client)
    # The deployment record as the deploy route (another module) stores it.
    assert emu.state is not None
    emu.state.store.insert(
        "deployments",
        {"id": "dep_test", "patternId": pattern["id"], "status": status, "versionNumber": 1},
        owner_id=emu.state.store.owner_of("patterns", pattern["id"]),
        parent_id=pattern["id"],
    )
    response = client.delete(f"/api/patterns/{pattern['id']}")
    assert response.status_code == 409
    assert form_a(response) == ("PATTERN_DEPLOYED", "Pattern is deployed; undeploy it before deleting it")
    assert client.get(f"/api/patterns/{pattern['id']}").status_code == 200


def test_deleting_an_undeployed_pattern_removes_its_versions_webhooks_runs_and_events(
    emu: Emulator, client: httpx.Client
) -> None:
    pattern = create_pattern(client, graphData=unwired_webhooks("hook"))
    pid = pattern["id"]
    assert emu.state is not None
    store = emu.state.store
    owner = store.owner_of("patterns", pid)
    [endpoint] = store.list("webhooks", parent_id=pid)
    store.insert("webhook_requests", {"id": "wr_1"}, owner_id=owner, parent_id=endpoint["id"])
    store.insert("versions", {"id": "ver_1", "versionNumber": 1}, owner_id=owner, parent_id=pid)
    store.insert("captured_events", {"id": "evt_1"}, owner_id=owner, parent_id=pid)
    store.insert("deployments", {"id": "dep_1", "status": "undeployed"}, owner_id=owner, parent_id=pid)
    store.insert("runs", {"id": "run_1"}, owner_id=owner, parent_id="dep_1")
    assert client.delete(f"/api/patterns/{pid}").status_code == 204
    for collection in ("webhooks", "webhook_requests", "versions", "captured_events", "deployments", "runs"):
        assert store.list(collection) == [], collection


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["data"]]


def test_list_items_have_no_graph_or_version(client: httpx.Client) -> None:
    create_pattern(client, name="A", graphData=unwired_webhooks("n1"))
    body = client.get("/api/patterns").json()
    assert body["success"] is True
    assert body["meta"] == {"total": 1, "limit": 20, "offset": 0}
    [item] = body["data"]
    assert set(item) == {
        "id",
        "name",
        "description",
        "isPublic",
        "isTemplate",
        "tags",
        "createdAt",
        "updatedAt",
    }


def test_the_list_pages_with_offset_and_limit_over_more_than_100_patterns(client: httpx.Client) -> None:
    for index in range(105):
        create_pattern(client, name=f"p{index:03d}")
    first = client.get("/api/patterns", params={"limit": 100, "sortBy": "name", "sortOrder": "asc"}).json()
    rest = client.get(
        "/api/patterns", params={"limit": 100, "offset": 100, "sortBy": "name", "sortOrder": "asc"}
    ).json()
    assert first["meta"] == {"total": 105, "limit": 100, "offset": 0}
    assert rest["meta"] == {"total": 105, "limit": 100, "offset": 100}
    names = [item["name"] for item in first["data"] + rest["data"]]
    assert names == [f"p{index:03d}" for index in range(105)]
    assert client.get("/api/patterns", params={"offset": 500}).json()["data"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"offset": -1}, "offset must be >= 0"),
        ({"isPublic": "yes"}, "isPublic must be true or false"),
        ({"isTemplate": "1"}, "isTemplate must be true or false"),
        ({"sortBy": "size"}, "sortBy must be one of name, createdAt, updatedAt"),
        ({"sortOrder": "up"}, "sortOrder must be one of asc, desc"),
    ],
)
def test_bad_list_parameters_are_refused_naming_them(
    client: httpx.Client, params: dict[str, object], message: str
) -> None:
    response = client.get("/api/patterns", params=params)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)


def test_the_tags_filter_requires_every_given_tag(client: httpx.Client) -> None:
    create_pattern(client, name="ab", tags=["a", "b"])
    create_pattern(client, name="a", tags=["a"])
    create_pattern(client, name="b", tags=["b", "c"])
    assert sorted(_names(client.get("/api/patterns", params=[("tags", "a")]))) == ["a", "ab"]
    assert _names(client.get("/api/patterns", params=[("tags", "a"), ("tags", "b")])) == ["ab"]
    assert _names(client.get("/api/patterns", params=[("tags", "a"), ("tags", "c")])) == []


def test_search_is_a_case_insensitive_substring_of_the_name(client: httpx.Client) -> None:
    create_pattern(client, name="Webhook Logger")
    create_pattern(client, name="Nightly report")
    assert _names(client.get("/api/patterns", params={"search": "LOG"})) == ["Webhook Logger"]
    assert _names(client.get("/api/patterns", params={"search": "zzz"})) == []


def test_the_flags_filter_on_public_and_template(client: httpx.Client) -> None:
    create_pattern(client, name="public", isPublic=True)
    create_pattern(client, name="template", isTemplate=True)
    create_pattern(client, name="plain")
    assert _names(client.get("/api/patterns", params={"isPublic": "true"})) == ["public"]
    assert _names(client.get("/api/patterns", params={"isTemplate": "true"})) == ["template"]
    assert sorted(
        _names(client.get("/api/patterns", params={"isPublic": "false", "isTemplate": "false"}))
    ) == ["plain"]


def test_the_list_sorts_by_the_requested_field_and_defaults_to_newest_update_first(
    emu: Emulator, client: httpx.Client
) -> None:
    for name in ("banana", "Apple", "cherry"):
        create_pattern(client, name=name)
        emu.advance_clock(1)
    assert _names(client.get("/api/patterns")) == ["cherry", "Apple", "banana"]
    assert _names(client.get("/api/patterns", params={"sortBy": "name"})) == ["cherry", "banana", "Apple"]
    assert _names(client.get("/api/patterns", params={"sortBy": "name", "sortOrder": "asc"})) == [
        "Apple",
        "banana",
        "cherry",
    ]
    assert _names(client.get("/api/patterns", params={"sortBy": "createdAt", "sortOrder": "asc"})) == [
        "banana",
        "Apple",
        "cherry",
    ]
    first = client.get("/api/patterns", params={"sortBy": "createdAt", "sortOrder": "asc"}).json()["data"][0]
    client.put(f"/api/patterns/{first['id']}", json={"description": "touched"})
    assert _names(client.get("/api/patterns"))[0] == "banana"
