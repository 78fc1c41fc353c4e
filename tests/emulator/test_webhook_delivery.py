"""What a valid webhook delivery leads to, over real HTTP: idempotency, the deployment's state, the
run it starts and the answer each Response Mode gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kit.emulator import ApiSession
from kit.graphs import respond_node, webhook_graph, webhook_node
from kit.webhooks import deliver, deploy_webhook, newest_log_entry

DAY = 24 * 3600


@pytest.fixture
def api(emu: Any, user: Any) -> Iterator[ApiSession]:
    session = ApiSession(emu.url, user.token)
    yield session
    session.close()


@pytest.fixture
def deployed(api: ApiSession) -> dict[str, Any]:
    """A deployed On Webhook -> Log pattern with its endpoint, secret and deployment id."""
    return deploy_webhook(api)


# --- idempotency -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-Idempotency-Key", "X-Request-Id"])
def test_a_repeated_delivery_key_returns_the_original_run_without_a_new_one(
    emu: Any, api: ApiSession, deployed: dict[str, Any], header: str
) -> None:
    first = deliver(
        emu.url, deployed["path"], {"n": 1}, secret=deployed["secret"], headers={header: "delivery-42"}
    )
    second = deliver(
        emu.url, deployed["path"], {"n": 1}, secret=deployed["secret"], headers={header: "delivery-42"}
    )

    assert first.status_code == 202
    assert "duplicate" not in first.json()
    assert second.status_code == 202
    assert second.json() == {"status": "accepted", "runId": first.json()["runId"], "duplicate": True}
    assert [r["id"] for r in api.runs(deployed["deploymentId"])] == [first.json()["runId"]]
    entry = newest_log_entry(api, deployed["endpoint"]["id"])
    assert entry["status"] == 202
    assert entry["runId"] == first.json()["runId"]


def test_the_idempotency_key_wins_over_the_request_id(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    first = deliver(
        emu.url,
        deployed["path"],
        {},
        secret=deployed["secret"],
        headers={"X-Idempotency-Key": "k1", "X-Request-Id": "r1"},
    )
    same_key = deliver(
        emu.url,
        deployed["path"],
        {},
        secret=deployed["secret"],
        headers={"X-Idempotency-Key": "k1", "X-Request-Id": "r2"},
    )
    other_key = deliver(
        emu.url,
        deployed["path"],
        {},
        secret=deployed["secret"],
        headers={"X-Idempotency-Key": "k2", "X-Request-Id": "r1"},
    )

    assert same_key.json()["runId"] == first.json()["runId"]
    assert same_key.json()["duplicate"] is True
    assert "duplicate" not in other_key.json()
    assert len(api.runs(deployed["deploymentId"])) == 2


def test_a_delivery_key_starts_a_new_run_after_24_hours(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    headers = {"X-Idempotency-Key": "nightly"}
    first = deliver(emu.url, deployed["path"], {}, secret=deployed["secret"], headers=headers)
    emu.advance_clock(seconds=DAY - 60)
    within = deliver(emu.url, deployed["path"], {}, secret=deployed["secret"], headers=headers)
    emu.advance_clock(seconds=120)
    after = deliver(emu.url, deployed["path"], {}, secret=deployed["secret"], headers=headers)

    assert within.json() == {"status": "accepted", "runId": first.json()["runId"], "duplicate": True}
    assert after.status_code == 202
    assert "duplicate" not in after.json()
    assert after.json()["runId"] != first.json()["runId"]


def test_the_same_key_on_two_endpoints_is_two_deliveries(emu: Any, api: ApiSession) -> None:
    graph = webhook_graph()
    graph["nodes"].append(webhook_node("node_9"))
    pattern = api.create_pattern(graph)
    deployment = api.deploy(pattern["id"])
    one, two = api.endpoints(pattern["id"])

    for endpoint in (one, two):
        response = deliver(
            emu.url,
            f"/webhooks/{endpoint['id']}",
            {},
            secret=api.secret(endpoint["id"]),
            headers={"X-Request-Id": "same"},
        )
        assert "duplicate" not in response.json()
    assert len(api.runs(deployment["deploymentId"])) == 2


# --- deployment states -----------------------------------------------------------------------------


def test_an_event_to_an_undeployed_pattern_is_captured_without_a_run(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern(webhook_graph())
    endpoint = api.only_endpoint(pattern["id"])

    response = deliver(emu.url, f"/webhooks/{endpoint['id']}", {"a": 1}, secret=api.secret(endpoint["id"]))

    assert response.status_code == 202
    assert response.json() == {"status": "captured", "message": "Event captured for testing"}
    entry = newest_log_entry(api, endpoint["id"])
    assert entry["status"] == 202
    assert entry["runId"] is None
    assert entry["body"] == {"a": 1}


def test_an_event_after_undeploy_is_captured_again(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    api.undeploy(deployed["pattern"]["id"])

    response = deliver(emu.url, deployed["path"], {"a": 1}, secret=deployed["secret"])

    assert response.status_code == 202
    assert response.json()["status"] == "captured"
    assert api.runs(deployed["deploymentId"]) == []


def test_a_paused_deployment_accepts_events_without_running_them(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    api.pause(deployed["deploymentId"])

    paused = deliver(
        emu.url, deployed["path"], {"a": 1}, secret=deployed["secret"], headers={"X-Request-Id": "r"}
    )
    assert paused.status_code == 202
    assert paused.json()["status"] == "paused"
    assert "runId" not in paused.json()
    assert api.runs(deployed["deploymentId"]) == []

    api.resume(deployed["deploymentId"])
    # The paused delivery started nothing, so its retry with the same id is not a duplicate.
    resumed = deliver(
        emu.url, deployed["path"], {"a": 1}, secret=deployed["secret"], headers={"X-Request-Id": "r"}
    )
    assert resumed.json()["status"] == "accepted"
    assert [r["id"] for r in api.runs(deployed["deploymentId"])] == [resumed.json()["runId"]]


def test_a_pending_deployment_accepts_events_without_running_them(emu: Any, api: ApiSession) -> None:
    emu.update_settings(activation_delay_seconds=3600)
    pattern = api.create_pattern(webhook_graph())
    deployment = api.deploy(pattern["id"])
    assert deployment["status"] == "pending"
    endpoint = api.only_endpoint(pattern["id"])

    response = deliver(emu.url, f"/webhooks/{endpoint['id']}", {"a": 1}, secret=api.secret(endpoint["id"]))

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert api.runs(deployment["deploymentId"]) == []


def test_a_webhook_added_after_the_deploy_captures_until_the_next_deploy(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    graph = webhook_graph()
    graph["nodes"].append(webhook_node("node_new"))
    api.update_graph(deployed["pattern"]["id"], graph)
    new = next(ep for ep in api.endpoints(deployed["pattern"]["id"]) if ep["nodeId"] == "node_new")
    secret = api.secret(new["id"])

    before = deliver(emu.url, f"/webhooks/{new['id']}", {"a": 1}, secret=secret)
    api.deploy(deployed["pattern"]["id"])
    after = deliver(emu.url, f"/webhooks/{new['id']}", {"a": 1}, secret=secret)

    assert before.json()["status"] == "captured"
    assert after.json()["status"] == "accepted"


# --- synchronous response modes -----------------------------------------------------------------------


def _deploy_with(api: ApiSession, graph: dict[str, Any]) -> tuple[str, str, str]:
    hook = deploy_webhook(api, graph, name="Synchronous")
    return hook["path"], hook["secret"], hook["deploymentId"]


def test_last_node_mode_without_a_respond_node_answers_the_finished_run(emu: Any, api: ApiSession) -> None:
    path, secret, deployment_id = _deploy_with(api, webhook_graph(mode="lastNode"))

    response = deliver(emu.url, path, {"a": 1}, secret=secret)

    assert response.status_code == 200, response.text
    (run,) = api.runs(deployment_id)
    assert response.json() == {"status": "completed", "runId": run["id"]}


@pytest.mark.parametrize("mode", ["lastNode", "responseNode"])
def test_a_respond_node_sets_the_status_headers_and_body(emu: Any, api: ApiSession, mode: str) -> None:
    respond = respond_node("node_3", status=201, body='{"created":true}', headers={"X-Reply": "yes"})
    path, secret, deployment_id = _deploy_with(api, webhook_graph(mode=mode, respond=respond))

    response = deliver(emu.url, path, {"a": 1}, secret=secret)

    assert response.status_code == 201, response.text
    assert response.headers["x-reply"] == "yes"
    assert response.text == '{"created":true}'
    assert len(api.runs(deployment_id)) == 1


def test_response_node_mode_without_a_respond_node_times_out(emu: Any, api: ApiSession) -> None:
    path, secret, deployment_id = _deploy_with(api, webhook_graph(mode="responseNode"))

    response = deliver(emu.url, path, {"a": 1}, secret=secret)

    assert response.status_code == 504
    assert response.json()["code"] == "WEBHOOK_TIMEOUT"
    # The run itself happened; only the response never came.
    (run,) = api.runs(deployment_id)
    log = api.request_log(path.rsplit("/", 1)[1])["data"][0]
    assert log["status"] == 504
    assert log["runId"] == run["id"]


def test_immediate_mode_ignores_a_respond_node(emu: Any, api: ApiSession) -> None:
    respond = respond_node("node_3", status=201, body="ignored")
    path, secret, _ = _deploy_with(api, webhook_graph(mode="immediate", respond=respond))

    response = deliver(emu.url, path, {"a": 1}, secret=secret)

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"


def test_last_node_mode_reports_a_failed_run(emu: Any, api: ApiSession) -> None:
    graph = webhook_graph(mode="lastNode")
    graph["nodes"][1] = {
        "id": "node_2",
        "type": "ThrowError",
        "position": {"x": 300, "y": 0},
        "data": {"pinDefaults": {"message": "payload rejected"}},
    }
    path, secret, deployment_id = _deploy_with(api, graph)

    response = deliver(emu.url, path, {"a": 1}, secret=secret)

    assert response.status_code == 200, response.text
    (run,) = api.runs(deployment_id)
    assert response.json() == {"status": "failed", "runId": run["id"]}
    assert "payload rejected" in run["errorMessage"]


def test_the_pattern_reads_the_request_through_the_on_webhook_pins(emu: Any, api: ApiSession) -> None:
    respond = respond_node("node_3", status=200, body="unused")
    graph = webhook_graph(mode="responseNode", respond=respond)
    # Data wires: the request method into the Log message and into the response body.
    graph["edges"] += [
        {
            "id": "edge_m1",
            "source": "node_1",
            "sourceHandle": "method",
            "target": "node_2",
            "targetHandle": "message",
        },
        {
            "id": "edge_m2",
            "source": "node_1",
            "sourceHandle": "method",
            "target": "node_3",
            "targetHandle": "body",
        },
    ]
    path, secret, deployment_id = _deploy_with(api, graph)

    response = deliver(emu.url, path, {"a": 1}, secret=secret, method="PUT")

    assert response.status_code == 200, response.text
    assert response.text == "PUT"
    assert response.headers["content-type"].startswith("text/plain")
    (run,) = api.runs(deployment_id)
    assert any(entry["message"] == "PUT" for entry in run["logOutput"])


def test_a_delivery_retried_after_a_lost_answer_does_not_run_twice(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    # The run is committed but the sender sees a 503; its retry carries the same idempotency key.
    emu.inject_fault(method="POST", path="/webhooks/*", kind="commit_then_fail", status=503, count=1)
    headers = {"X-Idempotency-Key": "order-1001"}

    lost = deliver(emu.url, deployed["path"], {"order": 1001}, secret=deployed["secret"], headers=headers)
    retried = deliver(emu.url, deployed["path"], {"order": 1001}, secret=deployed["secret"], headers=headers)

    assert lost.status_code == 503
    (run,) = api.runs(deployed["deploymentId"])
    assert retried.status_code == 202
    assert retried.json() == {"status": "accepted", "runId": run["id"], "duplicate": True}
