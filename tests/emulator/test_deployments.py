"""Deployment routes over real HTTP: deploy, versions, undeploy, status, list, pause, resume, execute."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import http_client
from kit.emulator import create_pattern, deploy, deployed, execute, messages, node_definitions
from kit.graphs import chain, graph, node, webhook_graph


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as http:
        yield http


@pytest.fixture
def stranger(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu, emu.seed_user()) as http:
        yield http


# --- deploy ---------------------------------------------------------------------------------------


def test_deploying_answers_201_with_the_deployment_id_status_version_and_triggers(
    client: httpx.Client,
) -> None:
    pattern = create_pattern(client, webhook_graph())
    response = deploy(client, pattern["id"], environmentId="env_prod")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "data"}  # no timestamp on deploy (docs/api-contract.md#envelopes)
    data = body["data"]
    assert data["deploymentId"].startswith("dep_")
    assert data["status"] == "active"
    assert data["versionNumber"] == 1
    assert data["triggers"] == [{"type": "OnWebhook", "nodeId": "node_1"}]


def test_a_deploy_increments_the_version_but_not_updated_at(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    assert pattern["versionNumber"] == 0
    deploy(client, pattern["id"])
    deploy(client, pattern["id"])
    after = client.get(f"/api/patterns/{pattern['id']}").json()
    assert after["versionNumber"] == 2
    assert after["updatedAt"] == pattern["updatedAt"]


def test_each_deploy_stores_a_snapshot_of_the_graph(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    deploy(client, pattern["id"])
    changed = webhook_graph("second")
    client.put(f"/api/patterns/{pattern['id']}", json={"graphData": changed})
    deploy(client, pattern["id"])
    versions = client.get(f"/api/patterns/{pattern['id']}/versions").json()["data"]
    by_number = {version["versionNumber"]: version for version in versions}
    assert set(by_number) == {1, 2}
    assert by_number[1]["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] == "got it"
    assert by_number[2]["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] == "second"
    assert all(version["createdAt"].endswith("Z") for version in versions)


def test_a_redeploy_keeps_the_deployment_id(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    again = deploy(client, pattern_id).json()["data"]
    assert again["deploymentId"] == deployment_id
    assert again["versionNumber"] == 2


def test_a_deploy_whose_body_arrives_late_still_gets_the_next_version_number(
    emu: Emulator, user: SeededUser, client: httpx.Client
) -> None:
    # The slow deploy loads the pattern, then waits for its body; a quick deploy completes meanwhile.
    # The version number must be read under the store's lock at write time, or both would make v1.
    pattern_id = create_pattern(client, webhook_graph())["id"]
    definitions = json.dumps({"nodeDefinitions": node_definitions(client)}).encode()
    first_chunk_sent, quick_deploy_done = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield definitions[:10]
        first_chunk_sent.set()
        quick_deploy_done.wait(timeout=30)
        yield definitions[10:]

    def slow_deploy() -> httpx.Response:
        with http_client(emu, user) as http:
            return http.post(
                f"/api/patterns/{pattern_id}/deploy",
                content=slow_body(),
                headers={"Content-Type": "application/json"},
            )

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(slow_deploy)
        assert first_chunk_sent.wait(timeout=30)
        time.sleep(0.3)  # let the slow request's handler load the pattern (ordering, not an assertion)
        quick = deploy(client, pattern_id)
        quick_deploy_done.set()
        late = slow.result(timeout=60)
    assert quick.status_code == 201 and late.status_code == 201, late.text
    numbers = sorted([quick.json()["data"]["versionNumber"], late.json()["data"]["versionNumber"]])
    assert numbers == [1, 2]
    assert client.get(f"/api/patterns/{pattern_id}").json()["versionNumber"] == 2


def test_runs_execute_the_deployed_version_not_later_edits(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    edited = webhook_graph("edited")
    client.put(f"/api/patterns/{pattern_id}", json={"graphData": edited})
    assert messages(execute(client, deployment_id)) == ["got it"]
    deploy(client, pattern_id)
    assert messages(execute(client, deployment_id)) == ["edited"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "nodeDefinitions is required"),
        ({"nodeDefinitions": None}, "nodeDefinitions is required"),
        ({"nodeDefinitions": ["OnWebhook", "Log"]}, "nodeDefinitions must be an object"),
        ({"nodeDefinitions": {}, "environmentId": 7}, "environmentId must be a string"),
    ],
)
def test_a_malformed_deploy_request_is_a_400_naming_the_field(
    client: httpx.Client, body: dict[str, object], message: str
) -> None:
    pattern = create_pattern(client, webhook_graph())
    response = client.post(f"/api/patterns/{pattern['id']}/deploy", json=body)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": {"code": "VALIDATION", "message": message}}
    assert client.get(f"/api/patterns/{pattern['id']}").json()["versionNumber"] == 0


def test_a_deploy_body_that_is_not_json_is_a_400(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    response = client.post(
        f"/api/patterns/{pattern['id']}/deploy",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION"


def test_a_graph_that_does_not_compile_is_a_422_with_details_and_changes_nothing(
    client: httpx.Client,
) -> None:
    bad = graph([node("n1", "Log"), node("n2", "Branch")], chain("n1", "n2"))
    pattern = create_pattern(client, bad)
    response = deploy(client, pattern["id"])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "TRANSPILATION_FAILED"
    assert error["message"] == "The pattern graph cannot be deployed: 2 problems"
    assert error["details"] == [
        {"message": "The pattern has no trigger node: add an event node such as On Webhook"},
        {
            "nodeId": "n2",
            "message": "Required input 'condition' of Branch is neither wired nor given a value",
        },
    ]
    assert client.get(f"/api/patterns/{pattern['id']}/deployment").status_code == 404
    assert client.get(f"/api/patterns/{pattern['id']}/versions").json()["data"] == []
    assert client.get(f"/api/patterns/{pattern['id']}").json()["versionNumber"] == 0


def test_a_node_type_left_out_of_node_definitions_is_a_422(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    definitions = {"OnWebhook": client.get("/api/nodes/OnWebhook").json()}
    response = deploy(client, pattern["id"], nodeDefinitions=definitions)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"nodeId": "node_2", "message": "Node type 'Log' is missing from nodeDefinitions"}
    ]


def test_an_invalid_cron_is_a_422_naming_the_node(client: httpx.Client) -> None:
    pattern = create_pattern(client, graph([node("tick", "OnSchedule", props={"cron": "0 25 * * *"})], []))
    details = deploy(client, pattern["id"]).json()["error"]["details"]
    assert details == [
        {"nodeId": "tick", "message": "Invalid cron expression: hour field: 25 is out of range 0-23"}
    ]


def test_deploying_an_unknown_or_foreign_pattern_is_not_found(
    client: httpx.Client, stranger: httpx.Client
) -> None:
    pattern = create_pattern(client, webhook_graph())
    for who, pattern_id in ((client, "pat_missing"), (stranger, pattern["id"])):
        response = deploy(who, pattern_id, nodeDefinitions={})
        assert response.status_code == 404
        assert response.json() == {"error": "Pattern not found", "code": "PATTERN_NOT_FOUND"}


def test_deploying_needs_a_token(emu: Emulator, client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    with httpx.Client(base_url=emu.url, trust_env=False) as anonymous:
        response = anonymous.post(f"/api/patterns/{pattern['id']}/deploy", json={"nodeDefinitions": {}})
    assert response.status_code == 401


# --- activation delay -----------------------------------------------------------------------------


def test_with_an_activation_delay_a_deploy_is_pending_until_the_clock_passes_it(
    emu: Emulator, client: httpx.Client
) -> None:
    emu.update_settings(activation_delay_seconds=30)
    pattern = create_pattern(client, webhook_graph())
    answer = deploy(client, pattern["id"]).json()["data"]
    assert answer["status"] == "pending"
    status = client.get(f"/api/patterns/{pattern['id']}/deployment").json()["data"]
    assert (status["status"], status["confirmedAt"]) == ("pending", None)
    emu.advance_clock(seconds=31)
    status = client.get(f"/api/patterns/{pattern['id']}/deployment").json()["data"]
    assert status["status"] == "active"
    assert status["confirmedAt"] is not None
    assert status["confirmedAt"] > status["createdAt"]


def test_a_pending_deployment_cannot_execute_yet(emu: Emulator, client: httpx.Client) -> None:
    emu.update_settings(activation_delay_seconds=30)
    _, deployment_id = deployed(client, webhook_graph())
    response = client.post(f"/api/deployments/{deployment_id}/execute", json={})
    assert response.status_code == 409
    assert response.json() == {
        "error": "Cannot execute a deployment that is pending",
        "code": "DEPLOYMENT_NOT_ACTIVE",
    }
    emu.advance_clock(seconds=30)
    assert client.post(f"/api/deployments/{deployment_id}/execute", json={}).status_code == 202


# --- status and undeploy --------------------------------------------------------------------------


def test_a_never_deployed_pattern_has_no_deployment(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    response = client.get(f"/api/patterns/{pattern['id']}/deployment")
    assert response.status_code == 404
    assert response.json()["code"] == "DEPLOYMENT_NOT_FOUND"


def test_the_deployment_status_of_a_pattern(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph(), name="Webhook Logger")
    body = client.get(f"/api/patterns/{pattern_id}/deployment").json()
    assert body["success"] is True
    data = body["data"]
    assert data["deploymentId"] == data["id"] == deployment_id
    assert (data["status"], data["versionNumber"], data["patternName"]) == ("active", 1, "Webhook Logger")
    assert data["confirmedAt"] == data["createdAt"]
    assert "activatesAt" not in data


def test_undeploy_answers_undeployed_and_the_status_stays_readable(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    response = client.delete(f"/api/patterns/{pattern_id}/deploy")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"status": "undeployed"}}
    status = client.get(f"/api/patterns/{pattern_id}/deployment").json()["data"]
    assert (status["status"], status["deploymentId"]) == ("undeployed", deployment_id)


def test_undeploy_is_idempotent_even_for_a_never_deployed_pattern(client: httpx.Client) -> None:
    pattern = create_pattern(client, webhook_graph())
    for _ in range(2):
        response = client.delete(f"/api/patterns/{pattern['id']}/deploy")
        assert response.json() == {"success": True, "data": {"status": "undeployed"}}
    assert client.get(f"/api/patterns/{pattern['id']}/deployment").status_code == 404


def test_undeploying_a_foreign_pattern_is_not_found_and_leaves_it_deployed(
    client: httpx.Client, stranger: httpx.Client
) -> None:
    pattern_id, _ = deployed(client, webhook_graph())
    response = stranger.delete(f"/api/patterns/{pattern_id}/deploy")
    assert response.status_code == 404
    assert response.json()["code"] == "PATTERN_NOT_FOUND"
    assert client.get(f"/api/patterns/{pattern_id}/deployment").json()["data"]["status"] == "active"


def test_deploying_again_after_undeploy_reactivates_the_same_deployment(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    client.delete(f"/api/patterns/{pattern_id}/deploy")
    again = deploy(client, pattern_id).json()["data"]
    assert (again["deploymentId"], again["status"], again["versionNumber"]) == (deployment_id, "active", 2)


def test_a_deployed_pattern_cannot_be_deleted_until_undeployed(client: httpx.Client) -> None:
    pattern_id, _ = deployed(client, webhook_graph())
    assert client.delete(f"/api/patterns/{pattern_id}").status_code == 409
    client.delete(f"/api/patterns/{pattern_id}/deploy")
    assert client.delete(f"/api/patterns/{pattern_id}").status_code == 204


# --- list and get ---------------------------------------------------------------------------------


def test_the_deployment_list_is_page_style_with_id_deployment_id_and_last_run(client: httpx.Client) -> None:
    _, first = deployed(client, webhook_graph(), name="First")
    _, second = deployed(client, webhook_graph(), name="Second")
    run = execute(client, first)
    body = client.get("/api/deployments").json()
    assert body["meta"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}
    items = {item["id"]: item for item in body["data"]}
    assert items[first]["deploymentId"] == first
    assert items[first]["patternName"] == "First"
    assert items[first]["lastRun"] == {"id": run["id"], "status": "completed", "startedAt": run["startedAt"]}
    assert items[second]["lastRun"] is None


def test_the_deployment_list_filters_by_status_and_pattern(client: httpx.Client) -> None:
    live_pattern, live = deployed(client, webhook_graph())
    gone_pattern, gone = deployed(client, webhook_graph())
    client.delete(f"/api/patterns/{gone_pattern}/deploy")
    assert [item["id"] for item in client.get("/api/deployments?status=active").json()["data"]] == [live]
    assert [item["id"] for item in client.get("/api/deployments?status=undeployed").json()["data"]] == [gone]
    by_pattern = client.get("/api/deployments", params={"patternId": live_pattern}).json()["data"]
    assert [item["id"] for item in by_pattern] == [live]


def test_the_deployment_list_pages(client: httpx.Client) -> None:
    ids = {deployed(client, webhook_graph(), name=f"P{index}")[1] for index in range(5)}
    first = client.get("/api/deployments?limit=2&page=1").json()
    third = client.get("/api/deployments?limit=2&page=3").json()
    assert first["meta"] == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    seen = [
        item["id"]
        for page in (1, 2, 3)
        for item in client.get(f"/api/deployments?limit=2&page={page}").json()["data"]
    ]
    assert len(third["data"]) == 1
    assert set(seen) == ids and len(seen) == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=running", "status must be one of pending, active, paused, undeployed"),
        ("limit=101", "limit must be between 1 and 100"),
    ],
)
def test_bad_deployment_list_parameters_are_a_400(client: httpx.Client, query: str, message: str) -> None:
    response = client.get(f"/api/deployments?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_a_user_lists_only_their_own_deployments(client: httpx.Client, stranger: httpx.Client) -> None:
    deployed(client, webhook_graph())
    assert stranger.get("/api/deployments").json()["meta"]["total"] == 0


def test_one_deployment_by_id(client: httpx.Client, stranger: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph(), name="Solo")
    data = client.get(f"/api/deployments/{deployment_id}").json()["data"]
    assert (data["id"], data["patternId"], data["patternName"], data["lastRun"]) == (
        deployment_id,
        pattern_id,
        "Solo",
        None,
    )
    for who, wanted in ((stranger, deployment_id), (client, "dep_missing")):
        response = who.get(f"/api/deployments/{wanted}")
        assert response.status_code == 404
        assert response.json() == {"error": "Deployment not found", "code": "DEPLOYMENT_NOT_FOUND"}


def test_a_renamed_pattern_shows_its_new_name_in_its_deployment(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph(), name="Old")
    client.put(f"/api/patterns/{pattern_id}", json={"name": "New"})
    assert client.get(f"/api/deployments/{deployment_id}").json()["data"]["patternName"] == "New"


# --- pause, resume, execute -----------------------------------------------------------------------


def test_pause_and_resume_switch_the_status(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    paused = client.post(f"/api/deployments/{deployment_id}/pause")
    assert paused.status_code == 200
    assert paused.json() == {"success": True, "data": {"status": "paused"}}
    assert client.get(f"/api/patterns/{pattern_id}/deployment").json()["data"]["status"] == "paused"
    assert client.post(f"/api/deployments/{deployment_id}/pause").json()["data"]["status"] == "paused"
    resumed = client.post(f"/api/deployments/{deployment_id}/resume")
    assert resumed.json() == {"success": True, "data": {"status": "active"}}
    assert client.post(f"/api/deployments/{deployment_id}/resume").json()["data"]["status"] == "active"


@pytest.mark.parametrize("action", ["pause", "resume", "execute"])
def test_an_undeployed_deployment_cannot_be_paused_resumed_or_executed(
    client: httpx.Client, action: str
) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    client.delete(f"/api/patterns/{pattern_id}/deploy")
    response = client.post(f"/api/deployments/{deployment_id}/{action}")
    assert response.status_code == 409
    assert response.json() == {
        "error": f"Cannot {action} a deployment that is undeployed",
        "code": "DEPLOYMENT_NOT_ACTIVE",
    }


def test_a_paused_deployment_does_not_execute(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    client.post(f"/api/deployments/{deployment_id}/pause")
    assert client.post(f"/api/deployments/{deployment_id}/execute").status_code == 409
    assert client.get(f"/api/deployments/{deployment_id}/runs").json()["meta"]["total"] == 0


@pytest.mark.parametrize("action", ["pause", "resume", "execute"])
def test_lifecycle_actions_on_a_foreign_deployment_are_not_found(
    client: httpx.Client, stranger: httpx.Client, action: str
) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = stranger.post(f"/api/deployments/{deployment_id}/{action}")
    assert response.status_code == 404
    assert response.json()["code"] == "DEPLOYMENT_NOT_FOUND"
    assert client.get(f"/api/deployments/{deployment_id}").json()["data"]["status"] == "active"


def test_execute_runs_the_graph_with_the_body_as_event_data(client: httpx.Client) -> None:
    logger = graph(
        [node("n1", "OnWebhook"), node("n2", "Log")],
        [
            *chain("n1", "n2"),
            {"id": "d", "source": "n1", "sourceHandle": "method", "target": "n2", "targetHandle": "message"},
        ],
    )
    _, deployment_id = deployed(client, logger)
    response = client.post(
        f"/api/deployments/{deployment_id}/execute", json={"method": "PATCH", "body": {"a": 1}}
    )
    assert response.status_code == 202
    data = response.json()["data"]
    assert data["runId"].startswith("run_")
    assert data["status"] == "completed"
    run = client.get(f"/api/deployments/{deployment_id}/runs/{data['runId']}").json()["data"]
    assert run["triggeredBy"] == "manual"
    assert run["eventData"] == {"method": "PATCH", "body": {"a": 1}}
    assert messages(run) == ["PATCH"]


def test_execute_without_a_body_uses_empty_event_data(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.post(f"/api/deployments/{deployment_id}/execute")
    assert response.status_code == 202
    run_id = response.json()["data"]["runId"]
    assert client.get(f"/api/deployments/{deployment_id}/runs/{run_id}").json()["data"]["eventData"] == {}


def test_execute_with_a_body_that_is_not_an_object_is_a_400(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.post(f"/api/deployments/{deployment_id}/execute", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Body must be a JSON object"


# --- health ---------------------------------------------------------------------------------------


def test_health_is_inferred_from_the_latest_runs(client: httpx.Client) -> None:
    failing = graph([node("t", "OnStart"), node("boom", "ThrowError", message="boom")], chain("t", "boom"))
    pattern_id, deployment_id = deployed(client, webhook_graph())
    health = client.get(f"/api/deployments/{deployment_id}/health").json()["data"]
    assert health == {
        "deploymentId": deployment_id,
        "status": "healthy",
        "deploymentStatus": "active",
        "lastRunAt": None,
        "recentRuns": 0,
        "recentFailures": 0,
    }
    execute(client, deployment_id)
    client.put(f"/api/patterns/{pattern_id}", json={"graphData": failing})
    deploy(client, pattern_id)
    last = execute(client, deployment_id)
    health = client.get(f"/api/deployments/{deployment_id}/health").json()["data"]
    assert (health["status"], health["recentFailures"], health["lastRunAt"]) == (
        "degraded",
        1,
        last["startedAt"],
    )
    execute(client, deployment_id)
    execute(client, deployment_id)
    assert client.get(f"/api/deployments/{deployment_id}/health").json()["data"]["status"] == "failing"
    client.post(f"/api/deployments/{deployment_id}/pause")
    assert client.get(f"/api/deployments/{deployment_id}/health").json()["data"]["status"] == "paused"


def test_health_of_a_foreign_deployment_is_not_found(client: httpx.Client, stranger: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    assert stranger.get(f"/api/deployments/{deployment_id}/health").status_code == 404


def test_execute_refuses_nan_which_json_does_not_allow(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.post(
        f"/api/deployments/{deployment_id}/execute",
        content=b'{"x": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Malformed JSON body: NaN is not allowed (JSON numbers must be finite)"
    )
    assert client.get(f"/api/deployments/{deployment_id}/runs").json()["meta"]["total"] == 0
