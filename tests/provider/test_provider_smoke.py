"""`Deployment(smoke=...)` through the real dynamic-provider host: a passing smoke test; a failing one
restores what ran before (the previous graph, deployed again) and fails the step with the run's error;
a failing first deploy leaves nothing deployed; a malformed smoke test fails `check`, naming it."""

from __future__ import annotations

import grpc
import pytest
from engine_harness import CheckFailedError, MiniEngine, State

from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.graphs import chain, graph, node, webhook_graph, webhook_node
from kit.provider import unique
from pulumi_dragops import DeploymentProvider

TYPE = "pulumi-python:dynamic/dragops:Deployment"
SMOKE = {"webhook": {"payload": {"ping": True}}, "timeout": 10.0}


def failing_graph() -> dict:
    nodes = [
        webhook_node("hook", mode="immediate"),
        node("boom", "ThrowError", at=(300, 0), message="renamed field"),
    ]
    return graph(nodes, chain("hook", "boom"))


def up(engine: MiniEngine, name: str, props: dict) -> State:
    state = engine.up(name, DeploymentProvider(), props, typ=TYPE)
    assert state is not None
    return state


def test_a_failing_smoke_test_restores_the_previous_deployment_and_fails_the_step(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    with client_for(live, host_user) as client:
        pattern_id = client.patterns.create(name=unique("smoked"), graph_data=webhook_graph("v1")).id
    state = up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h1", "smoke": SMOKE})
    assert state.plain_outputs()["version_number"] == 1

    with client_for(live, host_user) as client:
        client.patterns.update(pattern_id, graph_data=failing_graph())
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "d", {"pattern_id": pattern_id, "content_hash": "h2", "smoke": SMOKE})
    message = failed.value.details()
    assert "smoke test failed (run " in message and "the run ended failed: renamed field" in message
    assert "rolled back to the graph of version 1 (now deployed as version 3)" in message
    with client_for(live, host_user) as client:
        assert client.patterns.get(pattern_id).graph_data == webhook_graph("v1")
        deployment = client.deployments.get(pattern_id)
        assert deployment.status == "active" and deployment.version_number == 3
    engine.destroy_all()


def test_a_first_deploy_that_fails_its_smoke_test_leaves_nothing_deployed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    with client_for(live, host_user) as client:
        pattern_id = client.patterns.create(name=unique("smoked-new"), graph_data=failing_graph()).id
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "new", {"pattern_id": pattern_id, "smoke": SMOKE})
    assert "it was not deployed before, so it was undeployed" in failed.value.details()
    assert "new" not in engine.state
    with client_for(live, host_user) as client:
        assert client.deployments.get(pattern_id).status == "undeployed"


def test_a_malformed_smoke_test_fails_check(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    with client_for(live, host_user) as client:
        pattern_id = client.patterns.create(name=unique("smoked-bad"), graph_data=webhook_graph()).id
    with pytest.raises(CheckFailedError) as failed:
        up(engine, "bad", {"pattern_id": pattern_id, "smoke": {"timeout": 5.0}})
    assert any(
        prop == "smoke" and "either `webhook` or `execute`" in reason
        for prop, reason in failed.value.failures
    )
