"""The harness engine's own rules, pinned: what `MiniEngine` copies from the Pulumi engine.

Each test names the rule of docs/pulumi-engine.md it holds the harness to, with a probe provider that
records nothing but the engine's calls (no DRAGOPS), so a harness change that drifts from the engine
fails here first.
"""

from __future__ import annotations

import grpc
import pytest
from engine_harness import MiniEngine, ProviderHost
from probe_providers import ZonedProvider

P = ZonedProvider()


def test_a_create_before_delete_replacement_deletes_the_old_resource_at_the_end_of_the_update(
    host: ProviderHost,
) -> None:
    engine = MiniEngine(host)
    with engine.update():
        engine.up("a", P, {"zone": "eu", "size": 1})
        engine.up("b", P, {"zone": "eu", "size": 1})
    with engine.update():
        engine.up("a", P, {"zone": "us", "size": 1})  # replaced
        engine.up("b", P, {"zone": "eu", "size": 2})  # registered after it: updated before the delete
    assert engine.ops[2:] == [("create", "a"), ("update", "b"), ("delete", "a")]
    assert engine.state["a"].id.startswith("us-") and engine.pending_deletes == []


def test_delete_before_replace_when_the_provider_asks_or_the_option_says(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    engine.up("a", P, {"zone": "eu"})
    engine.up("a", P, {"zone": "us", "dbr": True})
    assert engine.ops[-2:] == [("delete", "a"), ("create", "a")]
    engine.up("a", P, {"zone": "ap", "dbr": True}, delete_before_replace=False)  # the option wins
    assert engine.ops[-2:] == [("create", "a"), ("delete", "a")]


def test_an_alias_carries_the_resource_on_under_its_new_name_without_a_create_or_delete(
    host: ProviderHost,
) -> None:
    engine = MiniEngine(host)
    first = engine.up("old", P, {"zone": "eu"})
    assert first is not None
    engine.calls.clear()
    with engine.update(prune=True):
        state = engine.up("new", P, {"zone": "eu"}, aliases=["old"])
    assert engine.ops[-2:] == [("alias", "old->new"), ("same", "new")]
    assert "Create" not in engine.calls and "Delete" not in engine.calls
    assert state is not None and state.id == first.id and list(engine.state) == ["new"]
    assert state.urn.endswith("::new")


def test_a_rename_without_an_alias_creates_the_new_resource_and_deletes_the_old_one_last(
    host: ProviderHost,
) -> None:
    engine = MiniEngine(host)
    engine.up("old", P, {"zone": "eu"})
    with engine.update(prune=True):
        engine.up("new", P, {"zone": "eu"})
    assert engine.ops[-2:] == [("create", "new"), ("delete", "old")] and list(engine.state) == ["new"]


def test_a_forced_replace_never_asks_the_provider_and_ignores_its_ordering(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    engine.up("a", P, {"zone": "eu", "dbr": True})
    engine.calls.clear()
    with engine.update(replace=["a"]):
        engine.up("a", P, {"zone": "eu", "dbr": True})
    assert engine.calls == ["Check", "Create", "Delete"]  # no Diff, no second Check
    assert engine.ops[-2:] == [("create", "a"), ("delete", "a")]  # create-before-delete all the same


def test_a_preview_of_a_change_hands_back_the_inputs_so_server_outputs_are_unknown(
    host: ProviderHost,
) -> None:
    engine = MiniEngine(host)
    created = engine.up("a", P, {"zone": "eu", "size": 1})
    assert created is not None and "serial" in created.outputs
    engine.calls.clear()
    updated = engine.up("a", P, {"zone": "eu", "size": 2}, preview=True)
    replaced = engine.up("a", P, {"zone": "us", "size": 1}, preview=True)
    same = engine.up("a", P, {"zone": "eu", "size": 1}, preview=True)
    assert updated is not None and "serial" not in updated.outputs and updated.outputs["size"] == 2
    assert replaced is not None and replaced.id == "" and "serial" not in replaced.outputs
    assert same is not None and same.outputs == created.outputs  # a same step shows the old outputs
    assert "Create" not in engine.calls and "Update" not in engine.calls and "Delete" not in engine.calls
    assert engine.state["a"].outputs == created.outputs


def test_a_failed_update_keeps_its_pending_delete_for_the_next_update(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    engine.up("a", P, {"zone": "eu", "fail_delete": True})
    with pytest.raises(grpc.RpcError, match="refusing to delete"):
        engine.up("a", P, {"zone": "us"})  # the new one is created; deleting the old one fails
    assert len(engine.pending_deletes) == 1 and engine.state["a"].id.startswith("us-")
    with pytest.raises(RuntimeError, match="interrupted"), engine.update():
        raise RuntimeError("interrupted")  # the program failed: no deletes run
    assert len(engine.pending_deletes) == 1
