"""Run routes over real HTTP: list (order, pages, filters), one run, stats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._runs import run_stats
from kit.clients import http_client
from kit.emulator import deploy, deployed, execute
from kit.graphs import chain, graph, node, webhook_graph


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as http:
        yield http


@pytest.fixture
def stranger(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu, emu.seed_user()) as http:
        yield http


def fails_when_told() -> dict[str, Any]:
    """On Start -> Branch(event.fail) -> Throw Error | Log: the event decides the run's outcome."""
    nodes = [
        node("t", "OnWebhook"),
        node("get", "GetProperty", path="fail"),
        node("b", "Branch"),
        node("boom", "ThrowError", message="told to fail"),
        node("ok", "Log", message="fine"),
    ]
    edges = [
        *chain("t", "b"),
        {"id": "w1", "source": "t", "sourceHandle": "body", "target": "get", "targetHandle": "object"},
        {"id": "w2", "source": "get", "sourceHandle": "value", "target": "b", "targetHandle": "condition"},
        {"id": "w3", "source": "b", "sourceHandle": "true", "target": "boom", "targetHandle": "exec"},
        {"id": "w4", "source": "b", "sourceHandle": "false", "target": "ok", "targetHandle": "exec"},
    ]
    return graph(nodes, edges)


def run_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [run["id"] for run in response.json()["data"]]


# --- list ----------------------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_in_page_style(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    made = [execute(client, deployment_id)["id"] for _ in range(3)]
    body = client.get(f"/api/deployments/{deployment_id}/runs").json()
    assert body["success"] is True
    assert body["meta"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1}
    assert [run["id"] for run in body["data"]] == made[::-1]
    run = body["data"][0]
    assert set(run) >= {
        "id", "deploymentId", "triggeredBy", "status", "startedAt", "completedAt", "durationMs", "eventData",
        "logOutput", "errorMessage",
    }  # fmt: skip
    assert (run["deploymentId"], run["status"], run["errorMessage"]) == (deployment_id, "completed", None)


def test_more_than_a_hundred_runs_are_paged_without_gaps_or_repeats(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    made = [execute(client, deployment_id)["id"] for _ in range(105)]
    first = client.get(f"/api/deployments/{deployment_id}/runs", params={"limit": 100, "page": 1}).json()
    assert first["meta"] == {"page": 1, "limit": 100, "total": 105, "totalPages": 2}
    second = client.get(f"/api/deployments/{deployment_id}/runs", params={"limit": 100, "page": 2})
    seen = [run["id"] for run in first["data"]] + run_ids(second)
    assert seen == made[::-1]
    beyond = client.get(f"/api/deployments/{deployment_id}/runs", params={"limit": 100, "page": 3})
    assert run_ids(beyond) == []


def test_the_status_filter_maps_success_and_failure_onto_record_statuses(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, fails_when_told())
    good = execute(client, deployment_id, {"body": {"fail": False}})["id"]
    bad = execute(client, deployment_id, {"body": {"fail": True}})["id"]
    runs = f"/api/deployments/{deployment_id}/runs"
    assert run_ids(client.get(runs, params={"status": "success"})) == [good]
    assert run_ids(client.get(runs, params={"status": "failure"})) == [bad]
    assert run_ids(client.get(runs, params={"status": "running"})) == []
    assert run_ids(client.get(runs, params={"status": "dead_letter"})) == []


def test_a_run_that_times_out_counts_as_a_failure(client: httpx.Client) -> None:
    slow = graph([node("t", "OnStart"), node("wait", "Delay", seconds=400)], chain("t", "wait"))
    _, deployment_id = deployed(client, slow)
    run = execute(client, deployment_id)
    assert run["status"] == "timeout"
    failures = client.get(f"/api/deployments/{deployment_id}/runs", params={"status": "failure"})
    assert run_ids(failures) == [run["id"]]


def test_the_triggered_by_filter(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    manual = execute(client, deployment_id)["id"]
    runs = f"/api/deployments/{deployment_id}/runs"
    assert run_ids(client.get(runs, params={"triggeredBy": "manual"})) == [manual]
    assert run_ids(client.get(runs, params={"triggeredBy": "webhook"})) == []
    assert run_ids(client.get(runs, params={"triggeredBy": "schedule"})) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "completed"}, "status must be one of success, failure, running, dead_letter"),
        ({"triggeredBy": "cron"}, "triggeredBy must be one of manual, webhook, schedule, pattern_call"),
        ({"page": "0"}, "page must be >= 1"),
        ({"limit": "abc"}, "limit must be an integer"),
    ],
)
def test_bad_run_list_parameters_are_a_400(client: httpx.Client, query: dict[str, str], message: str) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.get(f"/api/deployments/{deployment_id}/runs", params=query)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": {"code": "VALIDATION", "message": message}}


def test_runs_survive_undeploy_and_redeploy(client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, webhook_graph())
    run = execute(client, deployment_id)
    client.delete(f"/api/patterns/{pattern_id}/deploy")
    assert run_ids(client.get(f"/api/deployments/{deployment_id}/runs")) == [run["id"]]
    deploy(client, pattern_id)
    assert run_ids(client.get(f"/api/deployments/{deployment_id}/runs")) == [run["id"]]


def test_a_foreign_deployments_runs_are_not_found(client: httpx.Client, stranger: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    run = execute(client, deployment_id)
    for path in ("runs", f"runs/{run['id']}", "runs/stats"):
        response = stranger.get(f"/api/deployments/{deployment_id}/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "DEPLOYMENT_NOT_FOUND"


# --- one run ---------------------------------------------------------------------------------------------


def test_one_run_by_id(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    run = execute(client, deployment_id, {"body": {"n": 1}})
    response = client.get(f"/api/deployments/{deployment_id}/runs/{run['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == run
    assert body["data"]["eventData"] == {"body": {"n": 1}}
    assert body["data"]["completedAt"] >= body["data"]["startedAt"]


def test_an_unknown_run_is_not_found(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.get(f"/api/deployments/{deployment_id}/runs/run_missing")
    assert response.status_code == 404
    assert response.json() == {"error": "Run not found", "code": "RUN_NOT_FOUND"}


def test_a_run_is_only_found_under_its_own_deployment(client: httpx.Client) -> None:
    _, first = deployed(client, webhook_graph())
    _, second = deployed(client, webhook_graph())
    run = execute(client, first)
    response = client.get(f"/api/deployments/{second}/runs/{run['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "RUN_NOT_FOUND"


# --- stats -------------------------------------------------------------------------------------------------


def test_stats_count_outcomes_durations_and_triggers(client: httpx.Client) -> None:
    nodes = [*fails_when_told()["nodes"], node("wait", "Delay", seconds=2)]
    edges = [edge for edge in fails_when_told()["edges"] if edge["id"] != "w4"]
    edges += [
        {"id": "w5", "source": "b", "sourceHandle": "false", "target": "wait", "targetHandle": "exec"},
        *chain("wait", "ok"),
    ]
    _, deployment_id = deployed(client, graph(nodes, edges))
    for fail in (False, False, False, True):
        execute(client, deployment_id, {"body": {"fail": fail}})
    response = client.get(f"/api/deployments/{deployment_id}/runs/stats", params={"period": "1h"})
    assert response.status_code == 200
    stats = response.json()["data"]
    assert stats["deploymentId"] == deployment_id
    assert (stats["period"], stats["total"], stats["succeeded"], stats["failed"]) == ("1h", 4, 3, 1)
    assert stats["successRate"] == 0.75
    assert stats["byTrigger"] == {"manual": 4, "webhook": 0, "schedule": 0, "pattern_call": 0}
    # Three runs waited a simulated 2 s; the failed one did not.
    assert stats["duration"]["maxMs"] >= 2000
    assert stats["duration"]["p50Ms"] >= 2000
    assert stats["duration"]["avgMs"] >= 1500
    assert len(stats["history"]) in (12, 13)  # 5-minute buckets over the hour
    assert sum(bucket["total"] for bucket in stats["history"]) == 4
    assert sum(bucket["failed"] for bucket in stats["history"]) == 1


def test_stats_default_to_24_hours_and_runs_leave_the_window_as_time_passes(
    emu: Emulator, user: SeededUser, client: httpx.Client
) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    execute(client, deployment_id)
    stats = client.get(f"/api/deployments/{deployment_id}/runs/stats").json()["data"]
    assert (stats["period"], stats["total"]) == ("24h", 1)
    emu.advance_clock(seconds=2 * 3600)
    # Two hours on, the token has expired too: log in again.
    login = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    client.headers["Authorization"] = f"Bearer {login.json()['data']['token']}"
    assert client.get(f"/api/deployments/{deployment_id}/runs/stats?period=1h").json()["data"]["total"] == 0
    assert client.get(f"/api/deployments/{deployment_id}/runs/stats?period=24h").json()["data"]["total"] == 1
    assert client.get(f"/api/deployments/{deployment_id}/runs/stats?period=30d").json()["data"]["total"] == 1


def test_stats_of_a_deployment_without_runs_report_no_rate(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    stats = client.get(f"/api/deployments/{deployment_id}/runs/stats?period=7d").json()["data"]
    assert (stats["total"], stats["successRate"]) == (0, None)
    assert stats["duration"] == {"avgMs": None, "p50Ms": None, "p95Ms": None, "maxMs": None}
    assert len(stats["history"]) in (28, 29)  # 6-hour buckets over the week


def test_a_bad_stats_period_is_a_400(client: httpx.Client) -> None:
    _, deployment_id = deployed(client, webhook_graph())
    response = client.get(f"/api/deployments/{deployment_id}/runs/stats?period=1y")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "period must be one of 1h, 24h, 7d, 30d"


def test_stats_percentiles_use_the_nearest_rank() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    runs = [
        {
            "startedAt": "2026-03-05T11:30:00.000Z",
            "status": "completed",
            "durationMs": ms,
            "triggeredBy": "webhook",
        }
        for ms in range(10, 210, 10)  # 20 runs: 10 ... 200 ms
    ]
    stats = run_stats(runs, period="1h", now=now)
    assert stats["duration"] == {"avgMs": 105, "p50Ms": 100, "p95Ms": 190, "maxMs": 200}
    assert stats["history"][0]["bucketStart"] == "2026-03-05T11:00:00.000Z"
    assert [bucket["total"] for bucket in stats["history"] if bucket["total"]] == [20]
