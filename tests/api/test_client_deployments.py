"""`client.deployments` against the emulator: deploy, status, undeploy, list, pause, resume, execute,
health, and a deploy whose answer is lost (one version bump, not two)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import (
    APIConnectionError,
    Client,
    ConflictError,
    DragopsError,
    NotFoundError,
    ValidationError,
)
from dragops_sync.models import Deployment, DeployResult
from kit.graphs import start_graph, webhook_graph


def test_deploy_builds_node_definitions_from_the_library_and_bumps_the_version(client: Client) -> None:
    pattern = client.patterns.create(name="Deployable", graph_data=webhook_graph())
    first = client.deployments.deploy(pattern.id)
    assert isinstance(first, DeployResult)
    assert (first.status, first.version_number) == ("active", 1)
    assert [(t.type, t.node_id) for t in first.triggers] == [("OnWebhook", "node_1")]
    again = client.deployments.deploy(pattern.id, environment_id="env_prod")
    assert again.deployment_id == first.deployment_id  # a redeploy keeps the deployment
    assert again.version_number == 2
    status = client.deployments.get(pattern.id)
    assert isinstance(status, Deployment)
    assert (status.deployment_id, status.status, status.version_number) == (first.deployment_id, "active", 2)
    versions = client.patterns.versions(pattern.id)
    assert [v.version_number for v in versions] == [2, 1]
    assert client.patterns.version(pattern.id, 1).graph_data is not None


def test_explicit_node_definitions_are_sent_as_given(client: Client) -> None:
    pattern = client.patterns.create(name="Explicit", graph_data=webhook_graph())
    library = client.nodes.library()
    result = client.deployments.deploy(
        pattern.id, node_definitions={"OnWebhook": library["OnWebhook"], "Log": library["Log"]}
    )
    assert result.status == "active"
    with pytest.raises(ValidationError) as caught:
        client.deployments.deploy(pattern.id, node_definitions={"OnWebhook": library["OnWebhook"]})
    assert caught.value.status == 422
    assert caught.value.code == "TRANSPILATION_FAILED"
    assert any("Log" in str(detail) for detail in caught.value.details)


def test_a_graph_without_a_trigger_is_refused_with_details(client: Client) -> None:
    graph = {"nodes": [{"id": "n1", "type": "Log", "position": {"x": 0, "y": 0}, "data": {}}], "edges": []}
    pattern = client.patterns.create(name="No trigger", graph_data=graph)
    with pytest.raises(ValidationError) as caught:
        client.deployments.deploy(pattern.id)
    assert caught.value.code == "TRANSPILATION_FAILED"
    assert isinstance(caught.value.details, list) and caught.value.details


def test_a_never_deployed_pattern_has_no_deployment_and_undeploy_is_idempotent(client: Client) -> None:
    pattern = client.patterns.create(name="Never", graph_data=webhook_graph())
    with pytest.raises(NotFoundError) as caught:
        client.deployments.get(pattern.id)
    assert caught.value.code == "DEPLOYMENT_NOT_FOUND"
    client.deployments.deploy(pattern.id)
    assert client.deployments.undeploy(pattern.id).status == "undeployed"
    assert client.deployments.undeploy(pattern.id).status == "undeployed"
    assert client.deployments.get(pattern.id).status == "undeployed"


def test_a_deployed_pattern_cannot_be_deleted_until_undeployed(client: Client) -> None:
    pattern = client.patterns.create(name="Busy", graph_data=webhook_graph())
    client.deployments.deploy(pattern.id)
    with pytest.raises(ConflictError) as caught:
        client.patterns.delete(pattern.id)
    assert caught.value.code == "PATTERN_DEPLOYED"
    client.deployments.undeploy(pattern.id)
    client.patterns.delete(pattern.id)


def test_deployments_are_listed_by_page_and_filtered(client: Client) -> None:
    ids = []
    for i in range(3):
        pattern = client.patterns.create(name=f"Listed {i}", graph_data=webhook_graph())
        ids.append(client.deployments.deploy(pattern.id).deployment_id)
    client.deployments.pause(ids[0])
    listed = client.deployments.list(page_size=2).to_list()
    assert sorted(d.deployment_id for d in listed) == sorted(ids)
    assert [d.deployment_id for d in client.deployments.list(status="paused")] == [ids[0]]
    one = client.deployments.get_by_id(ids[1])
    assert (one.deployment_id, one.status) == (ids[1], "active")
    with pytest.raises(ValueError, match="status must be one of"):
        client.deployments.list(status="sleeping")


def test_pause_resume_execute_and_health(client: Client) -> None:
    pattern = client.patterns.create(name="Runner", graph_data=start_graph())
    deployment_id = client.deployments.deploy(pattern.id).deployment_id
    assert client.deployments.pause(deployment_id).status == "paused"
    assert client.deployments.pause(deployment_id).status == "paused"  # idempotent by nature
    with pytest.raises(ConflictError):
        client.deployments.execute(deployment_id)
    assert client.deployments.resume(deployment_id).status == "active"
    started = client.deployments.execute(deployment_id, event={"source": "test"})
    run = client.runs.get(deployment_id, started.run_id)
    assert run.triggered_by == "manual"
    assert run.status == "completed"
    health = client.deployments.health(deployment_id)
    assert health.status  # the emulator says "healthy"; the shape is inferred, the value not fixed
    assert health.last_run_at is not None
    assert health.recent_failures == 0


def test_a_deploy_whose_answer_is_lost_is_not_sent_twice(client: Client, emu: Emulator) -> None:
    pattern = client.patterns.create(name="Lost answer", graph_data=webhook_graph())
    emu.inject_fault(method="POST", path="/api/patterns/*/deploy", kind="commit_then_fail", status=503)
    result = client.deployments.deploy(pattern.id)
    assert (result.status, result.version_number) == ("active", 1)
    assert client.patterns.get(pattern.id).version_number == 1
    deploys = [r for r in emu.request_log() if r["path"] == f"/api/patterns/{pattern.id}/deploy"]
    assert len(deploys) == 1


def test_a_deploy_refused_before_handling_is_sent_again(client: Client, emu: Emulator) -> None:
    pattern = client.patterns.create(name="Refused", graph_data=webhook_graph())
    emu.inject_fault(method="POST", path="/api/patterns/*/deploy", kind="drop")
    result = client.deployments.deploy(pattern.id)
    assert result.version_number == 1


def test_an_execute_whose_outcome_is_unknown_is_not_repeated(client: Client, emu: Emulator) -> None:
    pattern = client.patterns.create(name="Once only", graph_data=start_graph())
    deployment_id = client.deployments.deploy(pattern.id).deployment_id
    emu.inject_fault(method="POST", path="/api/deployments/*/execute", kind="commit_then_fail", status=0)
    with pytest.raises(APIConnectionError):
        client.deployments.execute(deployment_id)
    assert len(client.runs.list(deployment_id).to_list()) == 1


def test_a_pending_deployment_is_waited_for_until_active(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    emu.update_settings(activation_delay_seconds=5)
    # The client's sleep moves the emulator's clock: waiting costs no wall-clock time.
    client = make_client(token=user.token, sleep=emu.advance_clock)
    pattern = client.patterns.create(name="Slow start", graph_data=webhook_graph())
    result = client.deployments.deploy(pattern.id)
    assert result.status == "pending"
    assert client.deployments.get(pattern.id).confirmed_at is None
    live = client.deployments.wait_until_active(pattern.id, version_number=result.version_number, interval=1)
    assert (live.status, live.version_number) == ("active", 1)
    assert live.confirmed_at is not None


def test_waiting_for_a_deployment_that_stays_pending_gives_up_with_its_status(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    emu.update_settings(activation_delay_seconds=600)
    client = make_client(token=user.token)  # recorded sleeps: the emulator's clock stands still
    pattern = client.patterns.create(name="Never starts", graph_data=webhook_graph())
    client.deployments.deploy(pattern.id)
    with pytest.raises(DragopsError, match="is still pending at version 1 after 3 s"):
        client.deployments.wait_until_active(pattern.id, timeout=3, interval=1)


def test_waiting_for_a_paused_deployment_fails_at_once(client: Client) -> None:
    pattern = client.patterns.create(name="Paused wait", graph_data=webhook_graph())
    deployment_id = client.deployments.deploy(pattern.id).deployment_id
    client.deployments.pause(deployment_id)
    with pytest.raises(DragopsError, match="is paused; it will not become active"):
        client.deployments.wait_until_active(pattern.id)
