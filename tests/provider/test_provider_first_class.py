"""The first-class shape: keyword constructors beside the Args form, `@pulumi.input_type` Args, `get()`,
a `Provider` for a second instance or account, every input and output documented.
"""

from __future__ import annotations

import ast
import base64
import inspect
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from engine_harness import MiniEngine, ProviderHost, provider_blob
from program_harness import EngineBackedMocks, RecordingMocks
from pulumi._types import is_input_type

import pulumi_dragops as dragops
from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import PROVIDER_TESTS, stack_config, unique
from pulumi_dragops import _connection, _deployment, _pattern, _webhook

MODULES = (_pattern, _deployment, _webhook, _connection)
ARGS = (dragops.PatternArgs, dragops.DeploymentArgs, dragops.WebhookArgs, dragops.ConnectionArgs)


def _mocks() -> RecordingMocks:
    mocks = RecordingMocks(lambda args: (f"{args.name}-id", dict(args.inputs)))
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    return mocks


@pulumi.runtime.test
def test_keyword_constructors_register_what_the_args_form_registers() -> Any:
    mocks = _mocks()
    graph = webhook_graph()
    by_args = dragops.Pattern("a", dragops.PatternArgs(name="n", graph=graph, tags=["t"]))
    by_keywords = dragops.Pattern("b", name="n", graph=graph, tags=["t"])
    by_dict = dragops.Deployment("d", {"pattern_id": "pat_1"})
    hook = dragops.Webhook("w", pattern_id="pat_1", alias="x")

    def check(_: Any) -> None:
        by_name = {registered.name: registered for registered in mocks.seen}
        first, second, deployment, webhook = (by_name[n] for n in ("a", "b", "d", "w"))
        assert {k: v for k, v in first.inputs.items() if k != "__provider"} == {
            k: v for k, v in second.inputs.items() if k != "__provider"
        }
        assert deployment.inputs["pattern_id"] == "pat_1" and webhook.inputs["alias"] == "x"

    return pulumi.Output.all(by_args.id, by_keywords.id, by_dict.id, hook.id).apply(check)


def test_a_constructor_refuses_args_and_keywords_together_and_names_an_unknown_keyword() -> None:
    _mocks()
    with pytest.raises(TypeError, match="either an args object or keyword arguments"):
        dragops.Pattern("x", dragops.PatternArgs(name="n", graph={}), name="m")
    with pytest.raises(TypeError, match="colour"):
        dragops.Pattern("y", name="n", graph={}, colour="red")
    with pytest.raises(TypeError, match=r"opts\.provider must be a pulumi_dragops\.Provider"):
        dragops.Pattern("z", name="n", graph={}, opts=pulumi.ResourceOptions(provider="aws"))  # type: ignore[arg-type]


def test_args_classes_are_pulumi_input_types() -> None:
    for args in ARGS:
        assert is_input_type(args), args.__name__


def _undocumented(cls: type) -> list[str]:
    """Annotated attributes of `cls` without a docstring right after them (read from the source)."""
    body = ast.parse(inspect.getsource(cls)).body[0]
    assert isinstance(body, ast.ClassDef)
    missing = []
    for here, after in zip(body.body, [*body.body[1:], None], strict=True):
        if isinstance(here, ast.AnnAssign) and isinstance(here.target, ast.Name):
            documented = (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            )
            if not documented:
                missing.append(here.target.id)
    return missing


def test_every_input_and_output_has_a_docstring() -> None:
    classes = [*ARGS, dragops.Pattern, dragops.Deployment, dragops.Webhook, dragops.Connection]
    assert {cls.__name__: _undocumented(cls) for cls in classes} == {cls.__name__: [] for cls in classes}


def test_get_reads_an_existing_pattern_without_managing_it(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    with client_for(live, host_user) as client:
        made = client.patterns.create(name=unique("existing"), graph_data=webhook_graph())

    @pulumi.runtime.test
    def program() -> Any:
        pulumi.runtime.set_mocks(EngineBackedMocks(engine), project="proj", stack="dev", preview=False)
        found = dragops.Pattern.get("found", made.id)
        return pulumi.Output.all(found.name, found.content_hash).apply(seen.extend)

    seen: list[Any] = []
    program()
    assert seen[0] == made.name and len(seen[1]) == 64
    assert engine.ops[-1] == ("read-external", "Pattern:found")
    engine.destroy("Pattern:found")  # pulumi destroy forgets it
    with client_for(live, host_user) as client:
        assert client.patterns.get(made.id).name == made.name


@pytest.fixture
def second_account(emulator: Emulator, host_user: SeededUser) -> Iterator[tuple[ProviderHost, SeededUser]]:
    other = emulator.seed_user()
    config = {
        **stack_config(emulator, host_user),
        "dragops-eu:url": emulator.url,
        "dragops-eu:token": other.token,
    }
    host = ProviderHost(project="proj", stack_config=config, env={"PYTHONPATH": str(PROVIDER_TESTS)})
    yield host, other
    host.close()


def test_a_provider_sends_resources_to_a_second_account_without_pickling_its_credentials(
    second_account: tuple[ProviderHost, SeededUser], emulator: Emulator, host_user: SeededUser
) -> None:
    host, other = second_account
    engine = MiniEngine(host)
    eu = dragops.Provider("eu", config_namespace="dragops-eu")
    names = {"home": unique("home"), "eu": unique("eu")}
    mocks = EngineBackedMocks(engine)

    @pulumi.runtime.test
    def program() -> Any:
        pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
        home = dragops.Pattern("home", name=names["home"], graph=webhook_graph())
        away = dragops.Pattern(
            "eu", name=names["eu"], graph=webhook_graph(), opts=pulumi.ResourceOptions(provider=eu)
        )
        return pulumi.Output.all(home.id, away.id)

    program()
    with client_for(emulator, host_user) as mine, client_for(emulator, other) as theirs:
        assert [p.name for p in mine.patterns.find_by_name(names["home"])] == [names["home"]]
        assert mine.patterns.find_by_name(names["eu"]) == []
        assert [p.name for p in theirs.patterns.find_by_name(names["eu"])] == [names["eu"]]
    blob = provider_blob(dragops.PatternProvider("dragops-eu"))[0]
    assert other.token.encode() not in base64.b64decode(blob) and b"dragops-eu" in base64.b64decode(blob)
    assert provider_blob(dragops.PatternProvider())[0] == provider_blob(dragops.PatternProvider("dragops"))[0]
    engine.destroy_all()
    with client_for(emulator, other) as theirs:
        assert theirs.patterns.find_by_name(names["eu"]) == []
