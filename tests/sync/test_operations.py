"""The shared write operations, against the emulator over real HTTP."""

from __future__ import annotations

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync import operations
from dragops_sync.api import ConflictError, DragopsError, ServerError, ValidationError
from dragops_sync.spec import PatternSpec
from kit.clients import client_for
from kit.documents import webhook_logger


def spec(name: str = "Webhook Logger", message: str = "got it") -> PatternSpec:
    return PatternSpec.from_document(webhook_logger(name, message))


def pattern_posts(emu: Emulator) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == "POST" and r["path"] == "/api/patterns")


def test_find_pattern_is_the_one_exact_name_or_none(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        assert operations.find_pattern(client, "Webhook Logger") is None
        made = operations.create_pattern(client, spec())
        operations.create_pattern(client, spec("Webhook Logger 2"))  # a partial match is not the name
        found = operations.find_pattern(client, "Webhook Logger")
        assert found is not None and found.id == made.id
        twin = client.patterns.create(spec())
        with pytest.raises(operations.AmbiguousNameError) as caught:
            operations.find_pattern(client, "Webhook Logger")
    assert set(caught.value.ids) == {made.id, twin.id}
    assert "2 patterns are named 'Webhook Logger'" in str(caught.value)


def test_a_create_whose_answer_was_lost_makes_one_pattern(emu: Emulator, user: SeededUser) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=503, count=1)
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        assert [p.id for p in client.patterns.find_by_name("Webhook Logger")] == [made.id]


def test_an_all_or_nothing_create_that_failed_leaves_no_pattern(emu: Emulator, user: SeededUser) -> None:
    # Committed, then every answer is a 500: the client cannot tell what happened and gives up.
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=500)
    with client_for(emu, user) as client:
        with pytest.raises(ServerError):
            operations.create_pattern(client, spec(), all_or_nothing=True)
        assert pattern_posts(emu) >= 1
        assert client.patterns.find_by_name("Webhook Logger") == []


def test_an_update_writes_only_the_fields_asked_for(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        changed = spec(message="changed").with_tags(["new"])
        updated = operations.update_pattern(client, made.id, changed, fields=["tags"])
        assert updated.tags == ["new"]
        assert PatternSpec.from_live(updated).graph_data == spec().graph_data
        same = operations.update_pattern(client, made.id, changed, fields=[])
        assert same.id == made.id


def test_a_rename_never_takes_a_name_in_use(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        first = operations.create_pattern(client, spec("First"))
        operations.create_pattern(client, spec("Second"))
        with pytest.raises(operations.NameTakenError, match="another pattern has that name"):
            operations.update_pattern(client, first.id, spec("Second"), previous_name="First")
        renamed = operations.update_pattern(client, first.id, spec("Third"), previous_name="First")
    assert renamed.name == "Third"


def test_deploy_means_active_at_the_deployed_version(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        deployed = operations.deploy_pattern(client, made.id)
        again = operations.deploy_pattern(client, made.id)
    assert deployed.deployment.status == "active"
    assert deployed.deployment.version_number == deployed.result.version_number
    assert again.deployment.version_number == (deployed.deployment.version_number or 0) + 1
    assert [t.type for t in deployed.result.triggers] == ["OnWebhook"]


def test_a_refused_deploy_rolled_back_leaves_nothing_deployed(emu: Emulator, user: SeededUser) -> None:
    no_trigger = PatternSpec(name="No Trigger", graph_data={"nodes": [], "edges": []})
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, no_trigger)
        with pytest.raises(ValidationError) as caught:
            operations.deploy_pattern(client, made.id, roll_back=True)
        assert operations.current_deployment(client, made.id) is None
    assert "422" in operations.describe_error(caught.value)


def test_a_deploy_that_never_activates_is_rolled_back(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(activation_delay_seconds=600)  # stays pending far longer than the wait
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        with pytest.raises(DragopsError, match="still pending"):
            operations.deploy_pattern(client, made.id, wait=0.0, roll_back=True)
        assert operations.current_deployment(client, made.id) is None


def test_a_failed_deploy_of_a_deployed_pattern_is_not_rolled_back(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        operations.deploy_pattern(client, made.id)
        emu.update_settings(activation_delay_seconds=600)
        with pytest.raises(DragopsError, match="still pending"):
            operations.deploy_pattern(client, made.id, wait=0.0, roll_back=True)
        assert operations.current_deployment(client, made.id) is not None


def test_undeploy_and_delete_are_idempotent_and_delete_refuses_a_deployed_pattern(
    emu: Emulator, user: SeededUser
) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        operations.deploy_pattern(client, made.id)
        with pytest.raises(ConflictError):
            operations.delete_pattern(client, made.id)
        operations.undeploy_pattern(client, made.id)
        operations.undeploy_pattern(client, made.id)
        assert operations.delete_pattern(client, made.id) is True
        assert operations.delete_pattern(client, made.id) is False


def test_an_owned_undeploy_stops_only_the_deployment_at_a_version_the_caller_owns(
    emu: Emulator, user: SeededUser
) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec())
        first = operations.deploy_pattern(client, made.id).deployment.version_number
        operations.deploy_pattern(client, made.id)  # someone else redeployed since
        assert operations.undeploy_pattern(client, made.id, owned_versions=[first or 0]) is False
        assert operations.current_deployment(client, made.id) is not None
        live = operations.current_deployment(client, made.id)
        assert live is not None and live.version_number is not None
        assert operations.undeploy_pattern(client, made.id, owned_versions=[live.version_number]) is True
        assert operations.current_deployment(client, made.id) is None
        assert operations.undeploy_pattern(client, made.id, owned_versions=[live.version_number]) is False


def test_describe_error_names_each_node_at_fault(emu: Emulator, user: SeededUser) -> None:
    graph = {"nodes": [{"id": "n1", "type": "NoSuchNode", "position": {"x": 0, "y": 0}}], "edges": []}
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, PatternSpec(name="Bad", graph_data=graph))
        with pytest.raises(ValidationError) as caught:
            operations.deploy_pattern(client, made.id)
    line = operations.describe_error(caught.value)
    assert line.startswith("422 ")
    assert "node n1" in line
    assert "\n" not in line


def test_an_owned_delete_leaves_a_pattern_another_owner_marked(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        made = operations.create_pattern(client, spec().with_tags(["dragops-sync:owner=someone-else"]))
        assert operations.delete_pattern(client, made.id, owned_only=True, owner="me") is False
        assert client.patterns.get(made.id).id == made.id
        assert operations.delete_pattern(client, made.id, owned_only=True, owner="someone-else") is True
        unmarked = operations.create_pattern(client, spec("Unmarked"))
        assert operations.delete_pattern(client, unmarked.id, owned_only=True, owner="me") is True
        assert operations.delete_pattern(client, unmarked.id, owned_only=True) is False  # already gone
