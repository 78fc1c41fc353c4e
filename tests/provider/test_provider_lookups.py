"""`get_pattern` and `get_node_definitions`: plain functions a program calls, with the program's config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.config import set_all_config

import pulumi_dragops as dragops
from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import unique


@pytest.fixture
def program_config(emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # What `pulumi config set dragops:url ...` gives a running program; the env must not be what works.
    monkeypatch.delenv("DRAGOPS_URL", raising=False)
    monkeypatch.delenv("DRAGOPS_TOKEN", raising=False)
    set_all_config({"dragops:url": emu.url, "dragops:token": user.token}, ["dragops:token"])
    yield
    set_all_config({}, [])


def test_get_pattern_finds_the_pattern_by_its_exact_name(
    emu: Emulator, user: SeededUser, program_config: None
) -> None:
    name = unique("lookup")
    with client_for(emu, user) as client:
        pattern = client.patterns.create(name=name, tags=["ops"], graph_data=webhook_graph())
        client.patterns.create(name=f"{name} (copy)")  # a partial match is not a match
    found = dragops.get_pattern(name=name)
    assert found.id == pattern.id and found.tags == ["ops"] and found.graph == webhook_graph()
    assert found.version_number == 0 and len(found.content_hash) == 64


def test_get_pattern_refuses_a_missing_or_ambiguous_name(
    emu: Emulator, user: SeededUser, program_config: None
) -> None:
    name = unique("twice")
    with pytest.raises(dragops.DragopsProviderError, match="no pattern named"):
        dragops.get_pattern(name=name)
    with client_for(emu, user) as client:
        client.patterns.create(name=name)
        client.patterns.create(name=name)
    with pytest.raises(dragops.DragopsProviderError, match="2 patterns are named"):
        dragops.get_pattern(name=name)
    with pytest.raises(dragops.DragopsProviderError, match="non-empty pattern name"):
        dragops.get_pattern(name=" ")


def test_get_node_definitions_returns_the_library_keyed_by_type(program_config: None) -> None:
    definitions = dragops.get_node_definitions()
    assert {"OnWebhook", "Log"} <= set(definitions)
    assert definitions["OnWebhook"]["category"] == "Events"


def test_lookups_fall_back_to_the_environment(
    emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_all_config({}, [])
    monkeypatch.setenv("DRAGOPS_URL", emu.url)
    monkeypatch.setenv("DRAGOPS_TOKEN", user.token)
    assert "Log" in dragops.get_node_definitions()


def test_a_lookup_error_says_what_failed_without_the_token(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_all_config({}, [])
    monkeypatch.setenv("DRAGOPS_URL", emu.url)
    monkeypatch.setenv("DRAGOPS_TOKEN", "tok-SENTINEL-invalid")
    with pytest.raises(dragops.DragopsProviderError, match="listing the node definitions failed") as failed:
        dragops.get_node_definitions()
    assert "SENTINEL" not in str(failed.value)


@pulumi.runtime.test
def test_the_output_lookups_take_and_give_outputs(
    emu: Emulator, user: SeededUser, program_config: None
) -> Any:
    name = unique("outlookup")
    with client_for(emu, user) as client:
        pattern = client.patterns.create(name=name, graph_data=webhook_graph())
    found = dragops.get_pattern_output(name=pulumi.Output.from_input(name))
    library = dragops.get_node_definitions_output()

    def check(values: list[Any]) -> None:
        info, definitions = values
        assert info.id == pattern.id and "OnWebhook" in definitions

    return pulumi.Output.all(found, library).apply(check)


def test_a_lookup_reads_a_provider_s_namespace(
    emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = emu.seed_user()
    name = unique("elsewhere")
    with client_for(emu, other) as client:
        client.patterns.create(name=name, graph_data=webhook_graph())
    set_all_config(
        {
            "dragops:url": emu.url,
            "dragops:token": user.token,
            "dragops-eu:url": emu.url,
            "dragops-eu:token": other.token,
        },
        ["dragops:token", "dragops-eu:token"],
    )
    try:
        eu = dragops.Provider("eu", config_namespace="dragops-eu")
        assert dragops.get_pattern(name=name, provider=eu).name == name
        with pytest.raises(dragops.DragopsProviderError, match="no pattern named"):
            dragops.get_pattern(name=name)
    finally:
        set_all_config({}, [])
