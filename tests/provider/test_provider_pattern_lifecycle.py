"""`Pattern` through the real dynamic-provider host and the emulator: every engine step of its life.

The emulator's request log proves what each step costs: a no-change `up` and a preview send nothing
to DRAGOPS (Check and Diff are local), and refresh is what notices drift.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from engine_harness import CheckFailedError, MiniEngine, ProviderHost, State
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.emulator import requests_to_api
from kit.graphs import webhook_graph
from kit.provider import unique
from pulumi_dragops import PatternProvider

TYPE = "pulumi-python:dynamic/dragops:Pattern"


def up(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    state = engine.up(name, PatternProvider(), props, typ=TYPE, **kwargs)
    assert state is not None
    return state


def test_a_pattern_goes_through_create_same_update_refresh_and_destroy(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("logger")
    props = {"name": name, "description": "logs", "tags": ["b", "a"], "graph": webhook_graph()}
    state = up(engine, "p", props)
    with client_for(live, host_user) as client:
        created = client.patterns.get(state.id)
    # The user's tags, then the resource's owner mark (what its delete checks before deleting).
    assert created.name == name and created.tags == ["b", "a", state.plain_outputs()["owner_tag"]]
    assert state.plain_outputs()["owner_tag"].startswith("dragops-sync:owner=pulumi-")
    assert created.graph_data == webhook_graph()  # ints restored: 320.0 went back as 320
    outs = state.plain_outputs()
    assert outs["version_number"] == 0 and outs["created_at"] and len(outs["content_hash"]) == 64
    assert rpc.is_rpc_secret(state.outputs["__provider"])

    live.clear_request_log()
    up(engine, "p", {**props, "tags": ["a", "b"]})  # same content, other tag order
    assert engine.ops[-1] == ("same", "p")
    assert requests_to_api(live) == []  # Check and Diff never call DRAGOPS

    state = up(engine, "p", {**props, "graph": webhook_graph("changed")})
    assert engine.ops[-1] == ("update", "p")
    assert [m for m, _ in requests_to_api(live)] == ["PUT"]  # only the changed field, in one call
    with client_for(live, host_user) as client:
        assert client.patterns.get(state.id).graph_data == webhook_graph("changed")
        client.patterns.update(state.id, description="edited in the dashboard")  # drift

    live.clear_request_log()
    state_after = engine.refresh("p")
    assert state_after is not None and state_after.plain_outputs()["description"] == "edited in the dashboard"
    assert requests_to_api(live) == [("GET", f"/api/patterns/{state.id}")]
    up(engine, "p", {**props, "graph": webhook_graph("changed")})
    assert engine.ops[-1] == ("update", "p")  # the drift is reverted
    with client_for(live, host_user) as client:
        assert client.patterns.get(state.id).description == "logs"

    engine.destroy("p")
    with client_for(live, host_user) as client, pytest.raises(NotFoundError):
        client.patterns.get(state.id)


def test_refresh_drops_a_pattern_deleted_out_of_band_and_destroy_treats_404_as_done(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    state = up(engine, "gone", {"name": unique("gone"), "graph": webhook_graph()})
    with client_for(live, host_user) as client:
        client.patterns.delete(state.id)
    kept = engine.state["gone"]
    assert engine.refresh("gone") is None and "gone" not in engine.state
    engine.state["gone"] = kept  # a stale state (no refresh) is destroyed without error
    engine.destroy("gone")
    assert engine.ops[-1] == ("delete", "gone")


def test_preview_with_unknowns_creates_nothing_and_calls_nothing(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    graph = webhook_graph()
    graph["nodes"][1]["data"]["pinDefaults"]["message"] = rpc.UNKNOWN
    assert (
        engine.up("new", PatternProvider(), {"name": rpc.UNKNOWN, "graph": graph}, typ=TYPE, preview=True)
        is None
    )
    assert engine.ops[-1] == ("preview-create", "new")
    existing = up(engine, "old", {"name": unique("old"), "graph": webhook_graph()})
    live.clear_request_log()
    engine.up(
        "old",
        PatternProvider(),
        {"name": existing.plain_outputs()["name"], "graph": graph},
        typ=TYPE,
        preview=True,
    )
    assert engine.ops[-1] == ("preview-update", "old")
    assert requests_to_api(live) == []
    # The preview create sent only Check; the preview update only Check and Diff.
    assert (
        engine.calls[0] == "Check" and engine.calls[1] == "Check" and engine.calls[-2:] == ["Check", "Diff"]
    )


def test_bad_inputs_fail_check_naming_the_property_and_change_nothing(
    engine: MiniEngine, live: Emulator
) -> None:
    with pytest.raises(CheckFailedError) as failed:
        engine.up("bad", PatternProvider(), {"name": "", "graph": {"nodes": [], "edges": "x"}}, typ=TYPE)
    assert [prop for prop, _ in failed.value.failures] == ["name", "graph"]
    assert requests_to_api(live) == []


def test_a_name_that_already_exists_fails_unless_adopt_is_set(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("taken")
    with client_for(live, host_user) as client:
        existing = client.patterns.create(name=name, description="made by hand")
    with pytest.raises(grpc.RpcError) as refused:
        up(engine, "dup", {"name": name, "graph": webhook_graph()})
    assert f"a pattern named {name!r} already exists" in refused.value.details()
    assert "adopt=True" in refused.value.details()
    state = up(engine, "dup", {"name": name, "graph": webhook_graph(), "adopt": True})
    assert state.id == existing.id
    with client_for(live, host_user) as client:
        assert [p.id for p in client.patterns.find_by_name(name)] == [existing.id]
        assert client.patterns.get(existing.id).graph_data == webhook_graph()


def test_a_create_whose_answer_fails_after_the_commit_leaves_no_pattern_behind(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("lost")
    live.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=500)
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "lost", {"name": name, "graph": webhook_graph()})
    assert f"creating pattern {name!r} failed" in failed.value.details()
    assert "lost" not in engine.state
    with client_for(live, host_user) as client:
        assert client.patterns.find_by_name(name) == []


def test_a_create_whose_answer_is_dropped_is_recovered_without_a_duplicate(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("dropped")
    live.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=0)
    state = up(engine, "dropped", {"name": name, "graph": webhook_graph()})
    with client_for(live, host_user) as client:
        assert [p.id for p in client.patterns.find_by_name(name)] == [state.id]


def test_renaming_onto_another_patterns_name_is_refused(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    other = unique("other")
    with client_for(live, host_user) as client:
        client.patterns.create(name=other)
    up(engine, "r", {"name": unique("mine"), "graph": webhook_graph()})
    with pytest.raises(grpc.RpcError) as refused:
        up(engine, "r", {"name": other, "graph": webhook_graph()})
    assert f"to {other!r}: another pattern has that name" in refused.value.details()


def test_concurrent_creates_share_one_provider_instance_safely(
    host: ProviderHost, live: Emulator, host_user: SeededUser
) -> None:
    # The host caches one PatternProvider for every resource and runs methods on 4 threads, as a
    # `pulumi up` with parallel resources does.
    names = [unique("parallel") for _ in range(8)]

    def create(name: str) -> str:
        state = MiniEngine(host).up(
            name, PatternProvider(), {"name": name, "graph": webhook_graph()}, typ=TYPE
        )
        assert state is not None
        return state.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, names))
    assert len(set(ids)) == 8
    with client_for(live, host_user) as client:
        for name, pattern_id in zip(names, ids, strict=True):
            assert [p.id for p in client.patterns.find_by_name(name)] == [pattern_id]


def test_ignored_paths_edited_in_the_dashboard_are_neither_reverted_nor_rehashed(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    props = {
        "name": unique("moved"),
        "graph": webhook_graph(),
        "ignore_paths": ["/graphData/nodes/*/position"],
    }
    state = up(engine, "m", props)
    moved = webhook_graph()
    moved["nodes"][1]["position"] = {"x": 640, "y": 80}
    with client_for(live, host_user) as client:
        client.patterns.update(state.id, graph_data=moved)
    refreshed = engine.refresh("m")
    assert refreshed is not None
    assert refreshed.plain_outputs()["content_hash"] == state.plain_outputs()["content_hash"]
    up(engine, "m", props)
    assert engine.ops[-1] == ("same", "m")
    with client_for(live, host_user) as client:
        assert client.patterns.get(state.id).graph_data == moved


def test_every_content_input_changes_in_place_so_the_id_and_webhook_urls_survive(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    # Why Pattern has no `replaces`: every input is writable through PUT (D6), and a webhook's id and
    # URL belong to its node and outlive edits (D12); a replace would move both for nothing.
    props = {"name": unique("keep"), "graph": webhook_graph()}
    state = up(engine, "k", props)
    with client_for(live, host_user) as client:
        urls_before = [w.url for w in client.webhooks.list(state.id)]
    changed = {
        "name": unique("renamed"),
        "description": "now described",
        "tags": ["new"],
        "is_public": True,
        "is_template": True,
        "graph": webhook_graph("edited"),
    }
    for key, value in changed.items():
        props = {**props, key: value}
        state_after = up(engine, "k", props)
        assert engine.ops[-1] == ("update", "k"), key
        assert state_after.id == state.id, key
    with client_for(live, host_user) as client:
        live_pattern = client.patterns.get(state.id)
        assert [w.url for w in client.webhooks.list(state.id)] == urls_before
    assert (live_pattern.name, live_pattern.description, live_pattern.tags) == (
        changed["name"],
        "now described",
        ["new", state.plain_outputs()["owner_tag"]],  # a tags update keeps the owner mark
    )
    assert live_pattern.is_public and live_pattern.is_template
    assert live_pattern.graph_data == webhook_graph("edited")
    engine.destroy("k")
