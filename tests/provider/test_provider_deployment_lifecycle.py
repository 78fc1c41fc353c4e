"""`Deployment` through the real host and the emulator: deploy means deployed, create is all-or-nothing.

Every deploy is read back until it is active at the version the deploy answered; a failure inside
create undeploys again, so a failed `pulumi up` leaves no half-made deployment.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from engine_harness import MiniEngine, State
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.emulator import requests_to_api
from kit.graphs import webhook_graph
from kit.provider import unique
from pulumi_dragops import DeploymentProvider

TYPE = "pulumi-python:dynamic/dragops:Deployment"


def up(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    state = engine.up(name, DeploymentProvider(), props, typ=TYPE, **kwargs)
    assert state is not None
    return state


def make_pattern(emulator: Emulator, user: SeededUser, graph: dict | None = None) -> str:
    with client_for(emulator, user) as client:
        return client.patterns.create(name=unique("deployable"), graph_data=graph or webhook_graph()).id


def live_status(emulator: Emulator, user: SeededUser, pattern_id: str) -> tuple[str, int | None]:
    with client_for(emulator, user) as client:
        try:
            deployment = client.deployments.get(pattern_id)
        except NotFoundError:
            return ("never", None)
        return (deployment.status, deployment.version_number)


@pytest.fixture
def slow_activation(live: Emulator) -> Iterator[Emulator]:
    live.update_settings(activation_delay_seconds=0.4)
    yield live
    live.update_settings(activation_delay_seconds=0.0)


def test_a_deployment_is_created_redeployed_paused_resumed_refreshed_and_undeployed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    state = up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h1"})
    outs = state.plain_outputs()
    assert outs["status"] == "active" and outs["version_number"] == 1
    assert outs["triggers"] == [{"type": "OnWebhook", "node_id": "node_1"}]
    assert live_status(live, host_user, pattern_id) == ("active", 1)

    live.clear_request_log()
    up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h1"})
    assert engine.ops[-1] == ("same", "d") and requests_to_api(live) == []

    with client_for(live, host_user) as client:
        client.patterns.update(pattern_id, graph_data=webhook_graph("v2"))
    state = up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h2"})  # the pattern's hash moved
    assert engine.ops[-1] == ("update", "d")
    assert state.plain_outputs()["version_number"] == 2 and live_status(live, host_user, pattern_id) == (
        "active",
        2,
    )

    state = up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h2", "paused": True})
    assert (
        state.plain_outputs()["status"] == "paused"
        and live_status(live, host_user, pattern_id)[0] == "paused"
    )
    assert live_status(live, host_user, pattern_id)[1] == 2  # pausing is no redeploy
    state = up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h2", "paused": False})
    assert live_status(live, host_user, pattern_id) == ("active", 2)

    with client_for(live, host_user) as client:  # drift: paused from the dashboard
        client.deployments.pause(state.plain_outputs()["deployment_id"])
    refreshed = engine.refresh("d")
    assert refreshed is not None and refreshed.plain_outputs()["paused"] is True
    up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h2", "paused": False})
    assert engine.ops[-1] == ("update", "d") and live_status(live, host_user, pattern_id) == ("active", 2)

    engine.destroy("d")
    assert live_status(live, host_user, pattern_id)[0] == "undeployed"


@pytest.mark.parametrize("delete_first", [False, True], ids=["create-before-delete", "delete-before-replace"])
def test_deploying_another_pattern_replaces_the_deployment_in_either_order(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, delete_first: bool
) -> None:
    first, second = make_pattern(live, host_user), make_pattern(live, host_user)
    up(engine, "r", {"pattern_id": first})
    up(engine, "r", {"pattern_id": second}, delete_before_replace=delete_first)
    expected = [("delete", "r"), ("create", "r")] if delete_first else [("create", "r"), ("delete", "r")]
    assert engine.ops[-2:] == expected
    assert live_status(live, host_user, first)[0] == "undeployed"
    assert live_status(live, host_user, second)[0] == "active"
    engine.destroy("r")


def test_refresh_drops_a_deployment_undeployed_out_of_band_and_destroy_tolerates_a_deleted_pattern(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    up(engine, "u", {"pattern_id": pattern_id})
    kept = engine.state["u"]
    with client_for(live, host_user) as client:
        client.deployments.undeploy(pattern_id)
    assert engine.refresh("u") is None
    with client_for(live, host_user) as client:
        client.patterns.delete(pattern_id)
    engine.state["u"] = kept
    engine.destroy("u")  # 404: already gone, which is what destroy wanted


def test_a_graph_the_server_cannot_compile_fails_create_with_its_reasons_and_deploys_nothing(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    no_trigger = {
        "nodes": [{"id": "node_9", "type": "Log", "data": {"pinDefaults": {"message": "x"}}}],
        "edges": [],
    }
    pattern_id = make_pattern(live, host_user, no_trigger)
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "bad", {"pattern_id": pattern_id})
    assert f"deploying pattern {pattern_id} failed" in failed.value.details()
    assert "bad" not in engine.state and live_status(live, host_user, pattern_id) == ("never", None)


def test_a_failure_after_the_deploy_undeploys_again_so_create_leaves_nothing(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    live.inject_fault(method="POST", path="/api/deployments/*/pause", kind="status", status=500)
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "half", {"pattern_id": pattern_id, "paused": True})
    assert "500" in failed.value.details()
    assert "half" not in engine.state and live_status(live, host_user, pattern_id)[0] == "undeployed"


def test_a_pending_deployment_is_waited_for_until_it_is_active(
    engine: MiniEngine, slow_activation: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(slow_activation, host_user)
    state = up(engine, "slow", {"pattern_id": pattern_id})
    assert state.plain_outputs()["status"] == "active"
    polls = [p for m, p in requests_to_api(slow_activation) if m == "GET" and p.endswith("/deployment")]
    assert len(polls) >= 2  # it read the deployment back until it left "pending"
    engine.destroy("slow")


def test_preview_with_an_unknown_pattern_id_calls_nothing(engine: MiniEngine, live: Emulator) -> None:
    assert engine.up("p", DeploymentProvider(), {"pattern_id": rpc.UNKNOWN}, typ=TYPE, preview=True) is None
    assert engine.ops[-1] == ("preview-create", "p") and requests_to_api(live) == []


def test_a_pattern_that_does_not_exist_cannot_be_deployed(engine: MiniEngine, live: Emulator) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "nope", {"pattern_id": "pat_missing"})
    assert "cannot deploy pattern pat_missing: it does not exist" in failed.value.details()


def test_moving_a_deployment_to_another_environment_redeploys_it_in_place(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    first = up(engine, "env", {"pattern_id": pattern_id, "environment_id": "env_staging"})
    moved = up(engine, "env", {"pattern_id": pattern_id, "environment_id": "env_prod"})
    assert engine.ops[-1] == ("update", "env") and moved.id == first.id
    assert moved.plain_outputs()["version_number"] == 2
    with client_for(live, host_user) as client:
        assert client.deployments.get(pattern_id).environment_id == "env_prod"
    engine.destroy("env")
