"""The provider under the real engine's ordering: renames, forced replaces, refresh then up.

The engine creates a replacement before it deletes the old resource, and runs that delete at the END
of the update (docs/pulumi-engine.md); a rename without an alias is the same create + later delete. The
old resource's delete must then not undo what its successor did: it acts only on what it still owns.
"""

from __future__ import annotations

import json

import grpc
import pytest
from engine_harness import CheckFailedError, MiniEngine, State
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import unique
from pulumi_dragops import DeploymentProvider, PatternProvider, WebhookProvider

PATTERN = "pulumi-python:dynamic/dragops:Pattern"
DEPLOYMENT = "pulumi-python:dynamic/dragops:Deployment"
WEBHOOK = "pulumi-python:dynamic/dragops:Webhook"


def deploy(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    state = engine.up(name, DeploymentProvider(), props, typ=DEPLOYMENT, **kwargs)
    assert state is not None
    return state


def make_pattern(emulator: Emulator, user: SeededUser) -> str:
    with client_for(emulator, user) as client:
        return client.patterns.create(name=unique("ordered"), graph_data=webhook_graph()).id


def live_deployment(emulator: Emulator, user: SeededUser, pattern_id: str) -> tuple[str, int | None]:
    with client_for(emulator, user) as client:
        try:
            deployment = client.deployments.get(pattern_id)
        except NotFoundError:
            return ("never", None)
        return (deployment.status, deployment.version_number)


def test_a_renamed_deployment_stays_deployed_at_the_version_its_successor_deployed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    with engine.update():
        deploy(engine, "old-name", {"pattern_id": pattern_id, "content_hash": "h"})
    with engine.update(prune=True):  # the program now calls it "new-name", without an alias
        new = deploy(engine, "new-name", {"pattern_id": pattern_id, "content_hash": "h"})
    assert engine.ops[-2:] == [("create", "new-name"), ("delete", "old-name")]
    assert live_deployment(live, host_user, pattern_id) == ("active", 2)
    assert new.plain_outputs()["version_number"] == 2
    with engine.update(prune=True):  # and the next up agrees with what runs
        deploy(engine, "new-name", {"pattern_id": pattern_id, "content_hash": "h"})
    assert engine.ops[-1] == ("same", "new-name")
    engine.destroy("new-name")
    assert live_deployment(live, host_user, pattern_id)[0] == "undeployed"


def test_a_deployment_renamed_with_an_alias_is_neither_redeployed_nor_undeployed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    deploy(engine, "before", {"pattern_id": pattern_id})
    live.clear_request_log()
    with engine.update(prune=True):
        deploy(engine, "after", {"pattern_id": pattern_id}, aliases=["before"])
    assert engine.ops[-2:] == [("alias", "before->after"), ("same", "after")]
    assert live.request_log() == [] and live_deployment(live, host_user, pattern_id) == ("active", 1)
    engine.destroy("after")


@pytest.mark.parametrize("provider_order", [False, True], ids=["default", "delete-before-replace-option"])
def test_a_forced_replace_of_a_deployment_ends_deployed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, provider_order: bool
) -> None:
    pattern_id = make_pattern(live, host_user)
    deploy(engine, "forced", {"pattern_id": pattern_id})
    with engine.update(replace=["forced"]):  # pulumi up --replace <urn>
        deploy(engine, "forced", {"pattern_id": pattern_id}, delete_before_replace=provider_order or None)
    assert live_deployment(live, host_user, pattern_id) == ("active", 2)
    assert engine.state["forced"].plain_outputs()["status"] == "active"
    engine.destroy("forced")
    assert live_deployment(live, host_user, pattern_id)[0] == "undeployed"


def pattern(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    state = engine.up(name, PatternProvider(), props, typ=PATTERN, **kwargs)
    assert state is not None
    return state


@pytest.mark.parametrize("deployed", [False, True], ids=["undeployed", "deployed"])
def test_a_pattern_renamed_without_an_alias_and_adopted_keeps_its_id_and_data(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, deployed: bool
) -> None:
    props = {"name": unique("renamed"), "description": "kept", "graph": webhook_graph()}
    first = pattern(engine, "before", props)
    if deployed:
        with client_for(live, host_user) as client:
            client.deployments.deploy(first.id)
    with engine.update(prune=True):  # the new resource adopts the pattern; the old one is deleted last
        after = pattern(engine, "after", {**props, "adopt": True})
    assert engine.ops[-2:] == [("create", "after"), ("delete", "before")]
    assert after.id == first.id
    with client_for(live, host_user) as client:
        kept = client.patterns.get(first.id)
        assert kept.description == "kept" and kept.graph_data == webhook_graph()
        assert kept.tags == [after.plain_outputs()["owner_tag"]]  # the new owner's mark, nothing else
        if deployed:
            assert client.deployments.get(first.id).status == "active"
            client.deployments.undeploy(first.id)
    refreshed = engine.refresh("after")
    assert refreshed is not None and refreshed.plain_outputs()["tags"] == []  # the mark is no user tag
    with engine.update(prune=True):
        pattern(engine, "after", {**props, "adopt": True})
    assert engine.ops[-1] == ("same", "after")
    engine.destroy("after")
    with client_for(live, host_user) as client, pytest.raises(NotFoundError):
        client.patterns.get(first.id)


def test_a_pattern_renamed_with_an_alias_changes_nothing_live(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    props = {"name": unique("aliased"), "graph": webhook_graph()}
    first = pattern(engine, "before", props)
    live.clear_request_log()
    with engine.update(prune=True):
        after = pattern(engine, "after", props, aliases=["before"])
    assert engine.ops[-2:] == [("alias", "before->after"), ("same", "after")] and after.id == first.id
    assert live.request_log() == []
    engine.destroy("after")


def test_a_rename_without_adopt_says_how_to_keep_the_pattern(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    props = {"name": unique("taken"), "graph": webhook_graph()}
    pattern(engine, "before", props)
    with pytest.raises(grpc.RpcError) as failed, engine.update(prune=True):
        pattern(engine, "after", props)
    details = failed.value.details()
    assert "aliases" in details and "adopt=True" in details
    engine.destroy("before")


def test_refresh_notices_an_out_of_band_redeploy_and_up_deploys_the_stack_s_content_again(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    props = {"name": unique("redeployed"), "graph": webhook_graph("ours")}

    def program() -> None:
        made = pattern(engine, "p", props)
        outs = made.plain_outputs()
        deploy(engine, "d", {"pattern_id": made.id, "content_hash": outs["content_hash"]})

    with engine.update():
        program()
    pattern_id = engine.state["p"].id
    with client_for(live, host_user) as client:  # edited and redeployed from the dashboard
        client.patterns.update(pattern_id, graph_data=webhook_graph("theirs"))
        client.deployments.deploy(pattern_id)
    with engine.update(refresh=True):  # pulumi up --refresh (or refresh, then up)
        program()
    assert [op for op in engine.ops[-2:]] == [("update", "p"), ("update", "d")]
    with client_for(live, host_user) as client:
        running = client.deployments.get(pattern_id)
        assert running.status == "active" and running.version_number == 3
        assert client.patterns.version(pattern_id, 3).graph_data == webhook_graph("ours")
    assert engine.state["d"].plain_outputs()["version_number"] == 3
    with engine.update(refresh=True):  # and now the stack and DRAGOPS agree
        program()
    assert engine.ops[-2:] == [("same", "p"), ("same", "d")]
    engine.destroy_all()
    assert live_deployment(live, host_user, pattern_id)[0] == "never"


def test_a_webhook_follows_its_on_webhook_node_to_a_new_endpoint_and_url(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("hooked")

    def program(graph: dict) -> State:
        made = pattern(engine, "p", {"name": name, "graph": graph})
        running = deploy(
            engine, "d", {"pattern_id": made.id, "content_hash": made.plain_outputs()["content_hash"]}
        )
        outs = running.plain_outputs()
        hook = engine.up(
            "w",
            WebhookProvider(),
            {"pattern_id": outs["pattern_id"], "triggers": outs["triggers"]},
            typ=WEBHOOK,
            additional_secret_outputs=["secret"],
        )
        assert hook is not None
        return hook

    with engine.update():
        before = program(webhook_graph())
    renumbered = json.loads(json.dumps(webhook_graph()).replace('"node_1"', '"node_7"'))
    with engine.update():
        after = program(renumbered)
    assert engine.ops[-2:] == [("create", "w"), ("delete", "w")]  # replaced: a new endpoint is a new id
    with client_for(live, host_user) as client:
        (endpoint,) = client.webhooks.list(before.plain_outputs()["pattern_id"])
    outs = after.plain_outputs()
    assert endpoint.node_id == "node_7" and outs["node_id"] == "node_7"
    assert outs["url"] == endpoint.url != before.plain_outputs()["url"] and after.id == endpoint.id
    with engine.update():
        program(renumbered)
    assert engine.ops[-1] == ("same", "w")  # the same node: no change
    engine.destroy_all()


def _last_line(details: str) -> str:
    return details.strip().splitlines()[-1]


def test_a_refused_graph_fails_in_one_line_under_one_traceback(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    no_trigger = {"nodes": [{"id": "node_9", "type": "Log", "data": {"pinDefaults": {"message": "x"}}}]}
    with client_for(live, host_user) as client:
        pattern_id = client.patterns.create(name=unique("refused"), graph_data={**no_trigger, "edges": []}).id
    with pytest.raises(grpc.RpcError) as failed:
        deploy(engine, "refused", {"pattern_id": pattern_id})
    details = failed.value.details()
    # SDK 3.272 sends the traceback (one, not a chain of causes); older SDKs send only the message.
    assert details.count("Traceback") <= 1 and "The above exception" not in details
    assert f"deploying pattern {pattern_id} failed" in _last_line(details)
    assert "no trigger node" in _last_line(details)


def test_a_failed_rollback_says_what_it_left_behind(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    pattern_id = make_pattern(live, host_user)
    live.update_settings(activation_delay_seconds=600)  # stays pending longer than the resource waits
    live.inject_fault(method="DELETE", path="/api/patterns/*/deploy", kind="status", status=500)
    try:
        with pytest.raises(grpc.RpcError) as failed:
            deploy(engine, "stuck", {"pattern_id": pattern_id, "activation_timeout": 0.3})
    finally:
        live.clear_faults()
        live.update_settings(activation_delay_seconds=0.0)
    last = _last_line(failed.value.details())
    assert f"deploying pattern {pattern_id} failed" in last
    assert f"rolling back (undeploying {pattern_id}) also failed" in last


def test_a_preview_refuses_to_deploy_a_graph_without_a_trigger_in_one_line(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    no_trigger = {"nodes": [{"id": "node_9", "type": "Log", "data": {"pinDefaults": {"message": "x"}}}]}
    graph = {**no_trigger, "edges": []}
    with engine.update(preview=True):
        draft = {"name": unique("draft"), "graph": graph}
        assert engine.up("draft", PatternProvider(), draft, typ=PATTERN) is None  # a draft pattern is fine
        with pytest.raises(CheckFailedError) as failed:
            # What Deployment.of registers: the pattern's graph, for check only.
            engine.up("d", DeploymentProvider(), {"pattern_id": rpc.UNKNOWN, "graph": graph}, typ=DEPLOYMENT)
    ((prop, reason),) = failed.value.failures
    assert prop == "graph" and "no trigger node" in reason and "\n" not in reason
    assert live.request_log() == []
