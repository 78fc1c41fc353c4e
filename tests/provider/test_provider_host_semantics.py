"""Wire-level facts about the SDK's dynamic-provider host that pulumi_dragops is designed around.

If an SDK upgrade changes one of them, this fails loudly and points at `engine_harness.MiniEngine`
(which copies the engine's step logic) and at the provider code that relies on the fact.
"""

from __future__ import annotations

from engine_harness import DIFF_SOME, DIFF_UNKNOWN, MiniEngine, ProviderHost, provider_blob, to_struct
from probe_providers import DefaultDiffProvider, EchoProvider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb


def test_the_host_refuses_secrets_and_preview_so_the_engine_unwraps_and_never_creates_in_preview(
    host: ProviderHost,
) -> None:
    assert host.info.version == "0.1.0"
    assert host.configure_response.acceptSecrets is False
    assert host.configure_response.supportsPreview is False


def test_numbers_arrive_as_floats_and_none_values_are_dropped(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    state = engine.up("echo", EchoProvider(), {"count": 1, "ratio": 0.5, "gone": None, "nested": {"x": 2}})
    assert state is not None
    got = state.outputs["got"]
    assert got["count"] == "float:1.0" and got["nested"] == {"x": "float:2.0"}
    assert got["ratio"] == "float:0.5"
    assert "gone" not in got


def test_check_sees_preview_unknowns_as_unknown_objects_even_nested(host: ProviderHost) -> None:
    response = host.stub.Check(
        pb.CheckRequest(
            urn="urn:pulumi:dev::proj::pulumi-python:dynamic:Resource::u",
            olds=to_struct({}),
            news=to_struct(
                {
                    "name": rpc.UNKNOWN,
                    "graph": {"nodes": [rpc.UNKNOWN]},
                    "__provider": provider_blob(EchoProvider())[0],
                }
            ),
        )
    )
    seen = rpc.deserialize_properties(response.inputs, True)["seen"]
    assert seen == {"name": "<Unknown>", "graph": {"nodes": ["<Unknown>"]}}


def test_stables_are_dropped_and_replaces_and_delete_before_replace_pass_through(host: ProviderHost) -> None:
    blob = provider_blob(EchoProvider())[0]
    response = host.stub.Diff(
        pb.DiffRequest(
            id="echo-1",
            urn="urn:pulumi:dev::proj::pulumi-python:dynamic:Resource::d",
            olds=to_struct({"region": "eu", "__provider": blob}),
            news=to_struct({"region": "us", "__provider": blob}),
        )
    )
    assert response.changes == DIFF_SOME
    assert list(response.replaces) == ["region"] and response.deleteBeforeReplace is True
    assert list(response.stables) == [] and not response.hasDetailedDiff


def test_a_default_diff_is_unknown_so_any_change_of_the_pickle_updates_the_resource(
    host: ProviderHost,
) -> None:
    engine = MiniEngine(host)
    engine.up("r", DefaultDiffProvider("v1"), {"k": "same"})
    state = engine.state["r"]
    assert engine.diff("r", state.inputs).changes == DIFF_UNKNOWN
    engine.up("r", DefaultDiffProvider("v1"), {"k": "same"})
    assert engine.ops[-1] == ("same", "r")
    engine.up("r", DefaultDiffProvider("v2"), {"k": "same"})
    assert engine.ops[-1] == ("update", "r")  # only __provider changed


def test_a_blank_read_result_tells_the_engine_the_object_is_gone(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    engine.up("gone", EchoProvider(), {"region": "eu"})
    assert engine.refresh("gone") is None
    assert "gone" not in engine.state


def test_the_provider_blob_is_stored_secret_in_inputs_and_outputs(host: ProviderHost) -> None:
    engine = MiniEngine(host)
    state = engine.up("s", EchoProvider(), {"region": "eu"})
    assert state is not None
    assert rpc.is_rpc_secret(state.inputs["__provider"]) and rpc.is_rpc_secret(state.outputs["__provider"])
