"""The native provider plugin (`pulumi-resource-dragops`) over gRPC, driven by the modelled engine: the
schema, every step of a resource's life (create, same, update, rename, replace in both orders, refresh,
import by id, delete), previews with unknowns, two provider instances with different credentials,
invokes, and sentinel secrets kept out of the state in clear and out of the plugin's output."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from engine_harness import MiniEngine, ProviderHost, State, from_struct, to_struct
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb

from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import NATIVE_PLUGIN, native_settings, unique
from pulumi_dragops_native._schema import RESOURCES, package_schema, schema_text

PATTERN, DEPLOYMENT, WEBHOOK, CONNECTION = (
    "dragops:index:Pattern",
    "dragops:index:Deployment",
    "dragops:index:Webhook",
    "dragops:index:Connection",
)
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "provider" / "pulumi_dragops_native" / "schema.json"
SENTINEL_KEY = "xoxb-SENTINEL-native-5d2f"

pytestmark = pytest.mark.skipif(shutil.which(NATIVE_PLUGIN[0]) is None, reason="the plugin is not installed")


def boot(emulator: Emulator, user: SeededUser) -> ProviderHost:
    return ProviderHost(stack_config=native_settings(emulator, user), command=NATIVE_PLUGIN)


@pytest.fixture(scope="module")
def host(emulator: Emulator, host_user: SeededUser) -> Iterator[ProviderHost]:
    h = boot(emulator, host_user)
    yield h
    h.close()


@pytest.fixture
def engine(host: ProviderHost, live: Emulator) -> MiniEngine:
    return MiniEngine(host, typ=PATTERN)


def outputs(state: State) -> dict[str, Any]:
    return state.plain_outputs()


# -- the schema -----------------------------------------------------------------------------------


def test_the_plugin_serves_the_committed_schema(host: ProviderHost) -> None:
    served = host.stub.GetSchema(pb.GetSchemaRequest(version=0)).schema
    assert served == schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")
    assert host.info.version == package_schema()["version"]


def test_the_schema_follows_the_package_schema_rules() -> None:
    """The rules of Pulumi's package schema the SDK generators rely on, checked everywhere (the
    metaschema itself is not on a package index: the next test validates against it where given)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["name"] == "dragops" and schema["version"]
    for token, resource in schema["resources"].items():
        package, module, name = token.split(":")
        assert (package, module) == ("dragops", "index") and name[0].isupper()
        assert set(resource["requiredInputs"]) <= set(resource["inputProperties"])
        assert set(resource["required"]) <= set(resource["properties"])
        for prop in [*resource["properties"].values(), *resource["inputProperties"].values()]:
            assert ("type" in prop) != ("$ref" in prop) and prop["description"]
            if prop.get("type") == "array":
                assert "items" in prop
        assert all(key[0].islower() and "_" not in key for key in resource["properties"])
    secret = {
        (token, key)
        for token, r in schema["resources"].items()
        for key, p in r["properties"].items()
        if p.get("secret")
    }
    assert secret == {(WEBHOOK, "secret"), (CONNECTION, "apiKey"), (CONNECTION, "apiKeyFingerprint")}
    assert (
        schema["config"]["variables"]["token"]["secret"]
        and schema["config"]["variables"]["password"]["secret"]
    )
    assert set(schema["functions"]) == {"dragops:index:getPattern", "dragops:index:getNodeDefinitions"}


METASCHEMA = os.environ.get("DRAGOPS_TEST_PULUMI_METASCHEMA", "")


@pytest.mark.skipif(
    not Path(METASCHEMA).is_file(),
    reason="needs Pulumi's package metaschema (pkg/codegen/schema/pulumi.json of pulumi/pulumi) in "
    "DRAGOPS_TEST_PULUMI_METASCHEMA; it is not on any package index, so CI cannot fetch it",
)
def test_the_schema_validates_against_pulumis_metaschema() -> None:
    # The metaschema's semver patterns use ECMAScript named groups, `(?<name>`; Python's are `(?P<name>`.
    text = re.sub(r"\(\?<(?![=!])", "(?P<", Path(METASCHEMA).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        json.loads(text), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(package_schema())]
    assert problems == []


# -- resources --------------------------------------------------------------------------------------


def test_a_pattern_lives_through_create_same_update_rename_refresh_and_delete(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("native")
    props = {"name": name, "graph": webhook_graph(), "tags": ["b", "a"]}
    state = engine.up("p", None, props)
    assert state is not None
    outs = outputs(state)
    assert outs["name"] == name and outs["versionNumber"] == 0 and len(outs["contentHash"]) == 64
    assert "__provider" not in state.outputs  # nothing pickled: the plugin is the provider
    with client_for(live, host_user) as client:
        assert client.patterns.get(state.id).graph_data == webhook_graph()

    engine.up("p", None, {**props, "tags": ["a", "b"]})
    assert engine.ops[-1] == ("same", "p")
    changed = engine.up("p", None, {**props, "graph": webhook_graph("changed")})
    assert engine.ops[-1] == ("update", "p") and changed is not None
    diff = engine.diff("p", {**changed.inputs, "name": name + "-renamed"})
    assert diff.changes == pb.DiffResponse.DIFF_SOME and list(diff.diffs) == ["name"]
    assert diff.detailedDiff["name"].kind == pb.PropertyDiff.UPDATE
    renamed = engine.up("p", None, {**props, "graph": webhook_graph("changed"), "name": name + "-renamed"})
    assert engine.ops[-1] == ("update", "p") and renamed is not None and renamed.id == state.id

    with client_for(live, host_user) as client:
        client.patterns.update(state.id, description="edited live")
    refreshed = engine.refresh("p")
    assert refreshed is not None and outputs(refreshed)["description"] == "edited live"
    engine.destroy("p")
    with client_for(live, host_user) as client:
        assert client.patterns.find_by_name(name + "-renamed") == []


def test_import_by_id_reads_inputs_and_outputs(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    name = unique("imported")
    with client_for(live, host_user) as client:
        made = client.patterns.create(name=name, graph_data=webhook_graph("existing"), tags=["team"])
    # `pulumi import dragops:index:Pattern imp <id>`: a Read by id alone, no properties, no inputs.
    response = engine.host.stub.Read(
        pb.ReadRequest(
            id=made.id, urn=engine.urn("imp", PATTERN), properties=to_struct({}), inputs=to_struct({})
        )
    )
    assert response.id == made.id
    inputs, outs = from_struct(response.inputs, False), from_struct(response.properties, False)
    assert (
        inputs["name"] == name and inputs["graph"] == webhook_graph("existing") and inputs["tags"] == ["team"]
    )
    assert outs["versionNumber"] == 0 and outs["contentHash"]
    gone = engine.host.stub.Read(
        pb.ReadRequest(
            id="pat_nope", urn=engine.urn("x", PATTERN), properties=to_struct({}), inputs=to_struct({})
        )
    )
    assert gone.id == ""


def test_preview_answers_unknowns_and_writes_nothing(engine: MiniEngine, live: Emulator) -> None:
    props = {"name": unique("preview"), "graph": webhook_graph()}
    live.clear_request_log()
    response = engine.host.stub.Create(
        pb.CreateRequest(urn=engine.urn("p", PATTERN), properties=to_struct(props), preview=True)
    )
    outs = from_struct(response.properties, keep_unknowns=True)
    assert outs["name"] == props["name"] and isinstance(outs["contentHash"], Unknown)
    assert live.request_log() == []
    with engine.update(preview=True):
        assert engine.up("p", None, props) is None
    assert engine.ops[-1] == ("preview-create", "p") and live.request_log() == []


@pytest.mark.parametrize("delete_before_replace", [False, True])
def test_a_deployment_is_replaced_in_both_orders(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, delete_before_replace: bool
) -> None:
    first = engine.up("a", None, {"name": unique("dep-a"), "graph": webhook_graph()})
    second = engine.up("b", None, {"name": unique("dep-b"), "graph": webhook_graph()})
    assert first is not None and second is not None
    with engine.update():
        deployment = engine.up("d", None, {"patternId": first.id}, typ=DEPLOYMENT)
    assert deployment is not None and outputs(deployment)["status"] == "active"
    with engine.update():
        engine.up(
            "d", None, {"patternId": second.id}, typ=DEPLOYMENT, delete_before_replace=delete_before_replace
        )
    kinds = [op for op, name in engine.ops if name == "d"]
    assert kinds[-2:] == (["delete", "create"] if delete_before_replace else ["create", "delete"])
    with client_for(live, host_user) as client:
        assert client.deployments.get(first.id).status != "active"
        assert client.deployments.get(second.id).status == "active"
    engine.destroy_all()


def test_connection_key_is_secret_and_never_printed(engine: MiniEngine, host: ProviderHost) -> None:
    props = {"provider": "slack", "displayName": unique("slack"), "apiKey": rpc.wrap_rpc_secret(SENTINEL_KEY)}
    with engine.update():
        state = engine.up("c", None, props, typ=CONNECTION)
    assert state is not None
    assert rpc.is_rpc_secret(state.outputs["apiKeyFingerprint"])
    assert SENTINEL_KEY not in json.dumps(outputs(state)) or rpc.is_rpc_secret(state.outputs.get("apiKey"))
    for key, value in state.outputs.items():
        if SENTINEL_KEY in json.dumps(rpc.unwrap_rpc_secret(value), default=str):
            assert rpc.is_rpc_secret(value), key
    assert SENTINEL_KEY not in host.output()
    engine.destroy_all()


def test_two_provider_instances_use_their_own_credentials(
    emulator: Emulator, host: ProviderHost, host_user: SeededUser, live: Emulator
) -> None:
    other_user = emulator.seed_user()
    other = boot(emulator, other_user)
    try:
        mine, theirs = MiniEngine(host, typ=PATTERN), MiniEngine(other, typ=PATTERN)
        name = unique("twice")
        a = mine.up("p", None, {"name": name, "graph": webhook_graph()})
        b = theirs.up("p", None, {"name": name, "graph": webhook_graph()})
        assert a is not None and b is not None and a.id != b.id
        with client_for(live, host_user) as client:
            assert [p.id for p in client.patterns.find_by_name(name)] == [a.id]
        with client_for(live, other_user) as client:
            assert [p.id for p in client.patterns.find_by_name(name)] == [b.id]
        mine.destroy_all()
        theirs.destroy_all()
    finally:
        other.close()
    assert other_user.token not in other.output()


def test_invokes_answer_lookups(engine: MiniEngine) -> None:
    name = unique("lookup")
    state = engine.up("p", None, {"name": name, "graph": webhook_graph()})
    assert state is not None
    found = engine.host.stub.Invoke(
        pb.InvokeRequest(tok="dragops:index:getPattern", args=to_struct({"name": name}))
    )
    value = from_struct(getattr(found, "return"), False)
    assert value["id"] == state.id and value["contentHash"] == outputs(state)["contentHash"]
    nodes = engine.host.stub.Invoke(
        pb.InvokeRequest(tok="dragops:index:getNodeDefinitions", args=to_struct({}))
    )
    assert "OnWebhook" in from_struct(getattr(nodes, "return"), False)["definitions"]
    engine.destroy_all()


def test_check_failures_name_the_schema_property(engine: MiniEngine) -> None:
    response = engine.host.stub.Check(
        pb.CheckRequest(
            urn=engine.urn("bad", PATTERN),
            olds=to_struct({}),
            news=to_struct({"name": "x", "isPublic": "yes"}),
        )
    )
    failures = {(f.property, f.reason.split(" ")[0]) for f in response.failures}
    assert ("graph", "graph") in failures and any(p == "isPublic" for p, _ in failures)


def test_every_resource_type_of_the_schema_is_served(host: ProviderHost) -> None:
    for token in RESOURCES:
        response = host.stub.Check(
            pb.CheckRequest(urn=f"urn:pulumi:dev::proj::{token}::x", olds=to_struct({}), news=to_struct({}))
        )
        assert response.failures, token  # each type's required inputs are checked by its own logic


# -- the Python SDK, its program forwarded to the plugin -----------------------------------------


def test_a_program_of_the_sdk_runs_through_the_plugin(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    import pulumi
    from program_harness import EngineBackedMocks

    import pulumi_dragops_native as dragops

    mocks = EngineBackedMocks(engine, prefix="dragops:")
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    name = unique("sdk")

    @pulumi.runtime.test
    def program() -> Any:
        pattern = dragops.Pattern("sdk", name=name, graph=webhook_graph(), tags=["sdk"])
        deployment = dragops.Deployment("sdk", pattern_id=pattern.id, content_hash=pattern.content_hash)
        slack = dragops.Connection(
            "slack", provider="slack", display_name=unique("sdk-slack"), api_key=SENTINEL_KEY
        )
        eu = dragops.Provider("eu", url="https://eu.example.com", token="sentinel-provider-token")

        def check(values: list[Any]) -> None:
            pattern_id, content_hash, status, version = values
            assert pattern_id.startswith("pat_") and len(content_hash) == 64
            assert (status, version) == ("active", 1)
            with client_for(live, host_user) as client:
                assert client.patterns.get(pattern_id).name == name
            (registered,) = [a for a in mocks.seen if a.typ == "pulumi:providers:dragops"]
            assert registered.inputs["url"] == "https://eu.example.com"

        with pytest.raises(TypeError, match="unknown argument"):
            dragops.Pattern("bad", name="x", graph={}, colour="red")
        assert isinstance(eu, pulumi.ProviderResource)
        return pulumi.Output.all(
            pattern.id, pattern.content_hash, deployment.status, deployment.version_number, slack.id
        ).apply(lambda values: check(values[:4]))

    program()
    engine.destroy_all()
    assert SENTINEL_KEY not in engine.host.output()


def test_the_plugin_package_layout() -> None:
    """`provider/plugin` is what `pulumi plugin install resource dragops --file` takes: a Python plugin
    whose entry point is the installed package's."""
    folder = Path(__file__).resolve().parents[2] / "provider" / "plugin"
    import yaml

    assert yaml.safe_load((folder / "PulumiPlugin.yaml").read_text())["runtime"] == "python"
    assert "pulumi_dragops_native.plugin import main" in (folder / "__main__.py").read_text()
    assert "dragops-iac[pulumi]" in (folder / "requirements.txt").read_text()
    plugin_json = (
        Path(__file__).resolve().parents[2] / "provider" / "pulumi_dragops_native" / "pulumi-plugin.json"
    )
    assert json.loads(plugin_json.read_text()) == {
        "resource": True,
        "name": "dragops",
        "version": package_schema()["version"],
    }


def test_the_plugin_version_is_the_release() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert package_schema()["version"] == tomllib.loads(pyproject.read_text())["project"]["version"]


# -- faults: the same recovery as the dynamic provider's ------------------------------------------


def test_a_dropped_create_answer_is_recovered_and_a_server_error_is_one_line(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    import grpc

    name = unique("native-dropped")
    live.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=0)
    state = engine.up("dropped", None, {"name": name, "graph": webhook_graph()})
    assert state is not None
    with client_for(live, host_user) as client:
        assert [p.id for p in client.patterns.find_by_name(name)] == [state.id]
    failing = unique("native-failing")
    live.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=500)
    with pytest.raises(grpc.RpcError) as failed:
        engine.up("failing", None, {"name": failing, "graph": webhook_graph()})
    assert f"creating pattern {failing!r} failed" in failed.value.details()
    with client_for(live, host_user) as client:
        assert client.patterns.find_by_name(failing) == []
    engine.destroy_all()
