"""Each provider class called in-process against the emulator: the contract of every method.

These call the methods the host would call, with inputs shaped as the host delivers them, so the edge
cases (gone objects, 404 on delete, a stale update, result shapes) are checked one by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.files import PatternFileError
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import configured, unique
from pulumi_dragops import (
    ConnectionProvider,
    DeploymentProvider,
    DragopsProviderError,
    Pattern,
    PatternProvider,
    WebhookProvider,
)


def pattern_props(**overrides: object) -> dict:
    checked = PatternProvider().check({}, {"name": unique("unit"), "graph": webhook_graph(), **overrides})
    assert checked.failures == []
    return checked.inputs


def test_pattern_read_returns_inputs_and_outputs_and_a_blank_result_when_gone(
    emu: Emulator, user: SeededUser
) -> None:
    provider = configured(PatternProvider(), emu, user)
    created = provider.create(pattern_props(tags=["ops"]))
    result = provider.read(created.id, created.outs)
    assert result.id == created.id
    assert (
        result.inputs is not None
        and result.inputs["tags"] == ["ops"]
        and result.inputs["graph"] == webhook_graph()
    )
    assert result.outs is not None and result.outs["content_hash"] == created.outs["content_hash"]
    provider.delete(created.id, created.outs)
    gone = provider.read(created.id, created.outs)
    assert (gone.id, gone.outs, gone.inputs) == ("", {}, None)
    provider.delete(created.id, created.outs)  # 404 is done, not an error


def test_pattern_update_of_a_pattern_deleted_out_of_band_says_to_refresh(
    emu: Emulator, user: SeededUser
) -> None:
    provider = configured(PatternProvider(), emu, user)
    created = provider.create(pattern_props())
    with client_for(emu, user) as client:
        client.patterns.delete(created.id)
    with pytest.raises(DragopsProviderError, match="no longer exists in DRAGOPS; run `pulumi refresh`"):
        provider.update(created.id, created.outs, {**created.outs, "description": "new"})


def test_deleting_a_pattern_that_is_still_deployed_is_refused_with_the_way_out(
    emu: Emulator, user: SeededUser
) -> None:
    provider = configured(PatternProvider(), emu, user)
    created = provider.create(pattern_props())
    with client_for(emu, user) as client:
        client.deployments.deploy(created.id)
    with pytest.raises(DragopsProviderError, match=r"still deployed.*undeploy it first"):
        provider.delete(created.id, created.outs)


def test_the_content_hash_follows_the_content_not_its_representation(emu: Emulator, user: SeededUser) -> None:
    provider = configured(PatternProvider(), emu, user)
    a = provider.create(pattern_props(tags=["x", "y"]))
    assert (
        provider.update(a.id, a.outs, {**a.outs, "tags": ["y", "x"]}).outs["content_hash"]
        == a.outs["content_hash"]
    )
    changed = provider.update(a.id, a.outs, {**a.outs, "graph": webhook_graph("other")})
    assert changed.outs["content_hash"] != a.outs["content_hash"]


def test_deployment_update_of_an_undeployed_pattern_says_to_refresh(emu: Emulator, user: SeededUser) -> None:
    patterns = configured(PatternProvider(), emu, user)
    deployments = configured(DeploymentProvider(), emu, user)
    pattern = patterns.create(pattern_props())
    created = deployments.create({"pattern_id": pattern.id, "paused": False})
    with client_for(emu, user) as client:
        client.deployments.undeploy(pattern.id)
    with pytest.raises(DragopsProviderError, match="no longer deployed; run `pulumi refresh`"):
        deployments.update(created.id, created.outs, {**created.outs, "paused": True})
    deployments.delete(created.id, created.outs)  # undeploying twice is fine


def test_webhook_create_on_a_pattern_that_does_not_exist_names_it(emu: Emulator, user: SeededUser) -> None:
    provider = configured(WebhookProvider(), emu, user)
    with pytest.raises(DragopsProviderError, match="pattern pat_nope does not exist"):
        provider.create({"pattern_id": "pat_nope"})


def test_connection_read_keeps_the_fingerprint_and_never_returns_the_key(
    emu: Emulator, user: SeededUser
) -> None:
    provider = configured(ConnectionProvider(), emu, user)
    created = provider.create({"provider": "slack", "display_name": "Alerts", "api_key": "sk-unit-SENTINEL"})
    result = provider.read(created.id, created.outs)
    assert result.outs is not None and result.inputs is not None
    assert result.outs["api_key_fingerprint"] == created.outs["api_key_fingerprint"]
    assert "api_key" not in result.outs and "api_key" not in result.inputs
    assert "sk-unit-SENTINEL" not in repr(result.outs)
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""


def test_a_connection_create_whose_answer_fails_after_the_commit_leaves_no_connection(
    emu: Emulator, user: SeededUser
) -> None:
    provider = configured(ConnectionProvider(), emu, user)
    emu.inject_fault(method="POST", path="/api/connections/api-key", kind="commit_then_fail", status=500)
    with pytest.raises(DragopsProviderError, match="creating the slack connection failed"):
        provider.create({"provider": "slack", "display_name": "lost", "api_key": "sk-unit-SENTINEL"})
    with client_for(emu, user) as client:
        assert client.connections.list() == []


def test_pattern_from_file_reads_the_sync_format_and_names_a_bad_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ngraphData: {nodes: [], edges: []}\nunknownField: 1\n")
    with pytest.raises(PatternFileError) as failed:
        Pattern.from_file("bad", bad)
    assert "unknownField" in str(failed.value)
