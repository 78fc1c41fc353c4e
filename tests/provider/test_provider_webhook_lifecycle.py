"""`Webhook` through the real host and the emulator: URL, secret (a Pulumi secret), rotation, selection."""

from __future__ import annotations

import grpc
import pytest
from engine_harness import MiniEngine, State
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.emulator import requests_to_api
from kit.graphs import webhook_graph
from kit.provider import unique
from pulumi_dragops import WebhookProvider

TYPE = "pulumi-python:dynamic/dragops:Webhook"


def up(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    # As the Webhook resource does: the derived secret is an additional secret output.
    state = engine.up(
        name, WebhookProvider(), props, typ=TYPE, additional_secret_outputs=["secret"], **kwargs
    )
    assert state is not None
    return state


def deployed_pattern(emulator: Emulator, user: SeededUser, **graph_options: object) -> str:
    with client_for(emulator, user) as client:
        pattern = client.patterns.create(name=unique("hooked"), graph_data=webhook_graph(**graph_options))
        client.deployments.deploy(pattern.id)
        return pattern.id


def test_a_webhook_exposes_a_working_url_and_secret_rotates_on_demand_and_refreshes_drift(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = deployed_pattern(live, host_user)
    state = up(engine, "w", {"pattern_id": pattern_id})
    outs = state.plain_outputs()
    assert rpc.is_rpc_secret(state.outputs["secret"]) and not rpc.is_rpc_secret(state.outputs["url"])
    assert outs["node_id"] == "node_1" and outs["url"].endswith(f"/webhooks/{state.id}")
    with client_for(live, host_user) as client:
        assert client.webhooks.secret(state.id).get_secret_value() == outs["secret"]
        delivery = client.webhooks.send(state.id, {"hello": "world"}, secret=outs["secret"])
    assert delivery.status == "accepted"  # the exported secret really signs requests

    live.clear_request_log()
    up(engine, "w", {"pattern_id": pattern_id})
    assert engine.ops[-1] == ("same", "w") and requests_to_api(live) == []

    state = up(engine, "w", {"pattern_id": pattern_id, "rotate_secret_trigger": "2026-12"})
    assert engine.ops[-1] == ("update", "w")
    rotated = state.plain_outputs()["secret"]
    assert rotated != outs["secret"]
    with client_for(live, host_user) as client:
        assert client.webhooks.secret(state.id).get_secret_value() == rotated
        client.webhooks.rotate_secret(state.id)  # drift: rotated from the dashboard
        current = client.webhooks.secret(state.id).get_secret_value()
    refreshed = engine.refresh("w")
    assert refreshed is not None and refreshed.plain_outputs()["secret"] == current
    assert rpc.is_rpc_secret(refreshed.outputs["secret"])

    live.clear_request_log()
    engine.destroy("w")
    assert requests_to_api(live) == []  # the endpoint belongs to its node: destroy only forgets it


def test_signature_checking_can_be_switched_off_for_senders_that_sign_their_own_way(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = deployed_pattern(live, host_user)
    state = up(engine, "gh", {"pattern_id": pattern_id, "require_signature": False})
    assert state.plain_outputs()["require_signature"] is False
    with client_for(live, host_user) as client:
        assert client.webhooks.list(pattern_id)[0].require_signature is False
    up(engine, "gh", {"pattern_id": pattern_id, "require_signature": True})
    assert engine.ops[-1] == ("update", "gh")
    with client_for(live, host_user) as client:
        assert client.webhooks.list(pattern_id)[0].require_signature is True


def test_a_pattern_with_two_webhook_nodes_needs_a_selector_and_says_which_exist(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = deployed_pattern(live, host_user, alias="main", second_hook=True)
    with pytest.raises(grpc.RpcError) as ambiguous:
        up(engine, "two", {"pattern_id": pattern_id})
    assert "has 2 On Webhook endpoints; set node_id or alias" in ambiguous.value.details()
    assert "alias='second'" in ambiguous.value.details()
    state = up(engine, "two", {"pattern_id": pattern_id, "alias": "second"})
    assert state.plain_outputs()["node_id"] == "node_3"
    with pytest.raises(grpc.RpcError) as missing:
        up(engine, "none", {"pattern_id": pattern_id, "alias": "nope"})
    assert "has no On Webhook endpoint with alias='nope'" in missing.value.details()


@pytest.mark.parametrize("delete_first", [False, True], ids=["create-before-delete", "delete-before-replace"])
def test_choosing_another_node_replaces_the_webhook_in_either_order(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, delete_first: bool
) -> None:
    pattern_id = deployed_pattern(live, host_user, alias="main", second_hook=True)
    first = up(engine, "sel", {"pattern_id": pattern_id, "alias": "main"})
    second = up(
        engine, "sel", {"pattern_id": pattern_id, "alias": "second"}, delete_before_replace=delete_first
    )
    expected = (
        [("delete", "sel"), ("create", "sel")] if delete_first else [("create", "sel"), ("delete", "sel")]
    )
    assert engine.ops[-2:] == expected and second.id != first.id


def test_refresh_drops_the_webhook_of_a_deleted_pattern(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    with client_for(live, host_user) as client:
        pattern_id = client.patterns.create(name=unique("short-lived"), graph_data=webhook_graph()).id
    up(engine, "gone", {"pattern_id": pattern_id})
    with client_for(live, host_user) as client:
        client.patterns.delete(pattern_id)
    assert engine.refresh("gone") is None


def test_a_create_that_fails_after_switching_the_signature_off_switches_it_back(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = deployed_pattern(live, host_user)
    live.inject_fault(method="GET", path="/api/webhooks/*/secret", kind="status", status=500)
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "half", {"pattern_id": pattern_id, "require_signature": False})
    assert "500" in failed.value.details() and "half" not in engine.state
    with client_for(live, host_user) as client:
        assert client.webhooks.list(pattern_id)[0].require_signature is True  # as it was found


def test_a_numeric_rotation_trigger_survives_float_marshalling_without_rotating_again(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = deployed_pattern(live, host_user)
    first = up(engine, "n", {"pattern_id": pattern_id, "rotate_secret_trigger": 1}).plain_outputs()["secret"]
    live.clear_request_log()
    up(engine, "n", {"pattern_id": pattern_id, "rotate_secret_trigger": 1})  # arrives as 1.0 now
    assert engine.ops[-1] == ("same", "n") and requests_to_api(live) == []
    second = up(engine, "n", {"pattern_id": pattern_id, "rotate_secret_trigger": 2}).plain_outputs()["secret"]
    assert engine.ops[-1] == ("update", "n") and second != first
    engine.destroy("n")
