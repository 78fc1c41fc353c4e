"""`Connection` through the real host and the emulator: the API key is write-only, everywhere.

The sentinel key must reach DRAGOPS (so the connection works) and nothing else: no output, no log
line of the host, no error. A changed key is noticed through the salted fingerprint alone.
"""

from __future__ import annotations

import grpc
import pytest
from engine_harness import CheckFailedError, MiniEngine, ProviderHost, State
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.emulator import requests_to_api
from kit.provider import unique
from pulumi_dragops import ConnectionProvider

TYPE = "pulumi-python:dynamic/dragops:Connection"
SENTINEL_KEY = "xoxb-SENTINEL-4d1c2b"
ROTATED_KEY = "xoxb-SENTINEL-ROTATED-77aa"


def up(engine: MiniEngine, name: str, props: dict, **kwargs) -> State:
    # As the Connection resource does: the key is a secret input, the fingerprint a secret output.
    props = {**props, "api_key": rpc.wrap_rpc_secret(props["api_key"])}
    state = engine.up(
        name,
        ConnectionProvider(),
        props,
        typ=TYPE,
        additional_secret_outputs=["api_key_fingerprint"],
        **kwargs,
    )
    assert state is not None
    return state


def assert_no_key_anywhere(state: State, host: ProviderHost) -> None:
    outputs = repr(state.plain_outputs())
    assert "api_key" not in state.outputs
    assert SENTINEL_KEY not in outputs and ROTATED_KEY not in outputs
    assert SENTINEL_KEY not in host.output() and ROTATED_KEY not in host.output()
    assert rpc.is_rpc_secret(state.outputs["api_key_fingerprint"])


def test_a_connection_is_created_renamed_rekeyed_refreshed_and_destroyed(
    engine: MiniEngine, host: ProviderHost, live: Emulator, host_user: SeededUser
) -> None:
    label = unique("alerts")
    state = up(engine, "c", {"provider": "slack", "display_name": label, "api_key": SENTINEL_KEY})
    assert_no_key_anywhere(state, host)
    outs = state.plain_outputs()
    assert outs["status"] == "active" and outs["type"] == "api_key" and outs["connection_id"] == state.id
    with client_for(live, host_user) as client:
        assert client.connections.get(state.id).display_name == label

    live.clear_request_log()
    up(engine, "c", {"provider": "slack", "display_name": label, "api_key": SENTINEL_KEY})
    assert engine.ops[-1] == ("same", "c") and requests_to_api(live) == []

    fingerprint_before = state.plain_outputs()["api_key_fingerprint"]
    state = up(engine, "c", {"provider": "slack", "display_name": label, "api_key": ROTATED_KEY})
    assert engine.ops[-1] == ("update", "c")
    assert state.plain_outputs()["api_key_fingerprint"] != fingerprint_before
    assert requests_to_api(live) == [("PUT", f"/api/connections/{state.id}")]
    assert_no_key_anywhere(state, host)

    with client_for(live, host_user) as client:
        client.connections.update(state.id, display_name="renamed in the dashboard")
    refreshed = engine.refresh("c")
    assert refreshed is not None and refreshed.plain_outputs()["display_name"] == "renamed in the dashboard"
    assert "api_key" not in refreshed.inputs  # the key cannot be read back, so it is not claimed
    state = up(engine, "c", {"provider": "slack", "display_name": label, "api_key": ROTATED_KEY})
    assert engine.ops[-1] == ("update", "c")  # the name is restored; the key is unchanged
    with client_for(live, host_user) as client:
        assert client.connections.get(state.id).display_name == label

    engine.destroy("c")
    with client_for(live, host_user) as client, pytest.raises(NotFoundError):
        client.connections.get(state.id)


@pytest.mark.parametrize("delete_first", [False, True], ids=["create-before-delete", "delete-before-replace"])
def test_another_provider_replaces_the_connection_in_either_order(
    engine: MiniEngine, live: Emulator, host_user: SeededUser, delete_first: bool
) -> None:
    old = up(engine, "r", {"provider": "slack", "display_name": unique("r"), "api_key": SENTINEL_KEY})
    new = up(
        engine,
        "r",
        {"provider": "sendgrid", "display_name": unique("r"), "api_key": SENTINEL_KEY},
        delete_before_replace=delete_first,
    )
    expected = [("delete", "r"), ("create", "r")] if delete_first else [("create", "r"), ("delete", "r")]
    assert engine.ops[-2:] == expected
    with client_for(live, host_user) as client:
        ids = {c.id for c in client.connections.list()}
    assert new.id in ids and old.id not in ids
    engine.destroy("r")


def test_refresh_drops_a_connection_deleted_out_of_band(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    state = up(engine, "g", {"provider": "openai", "api_key": SENTINEL_KEY})
    with client_for(live, host_user) as client:
        client.connections.delete(state.id)
    assert engine.refresh("g") is None


def test_a_missing_key_fails_check_without_calling_dragops(engine: MiniEngine, live: Emulator) -> None:
    with pytest.raises(CheckFailedError) as failed:
        engine.up("k", ConnectionProvider(), {"provider": "slack"}, typ=TYPE)
    assert failed.value.failures[0][0] == "api_key"
    assert requests_to_api(live) == []


def test_a_refused_create_reports_the_error_without_the_key(
    engine: MiniEngine, host: ProviderHost, live: Emulator
) -> None:
    live.inject_fault(method="POST", path="/api/connections/api-key", kind="status", status=403)
    with pytest.raises(grpc.RpcError) as failed:
        up(engine, "x", {"provider": "slack", "api_key": SENTINEL_KEY})
    assert "creating the slack connection failed" in failed.value.details()
    assert SENTINEL_KEY not in failed.value.details() and SENTINEL_KEY not in host.output()


def test_removing_the_display_name_is_a_change_back_to_the_default_name(
    engine: MiniEngine, live: Emulator, host_user: SeededUser
) -> None:
    named = up(engine, "n", {"provider": "slack", "display_name": unique("alerts"), "api_key": SENTINEL_KEY})
    up(engine, "n", {"provider": "slack", "api_key": SENTINEL_KEY})
    assert engine.ops[-1] == ("update", "n")
    with client_for(live, host_user) as client:
        assert client.connections.get(named.id).display_name == "Slack API key"
    up(engine, "n", {"provider": "slack", "api_key": SENTINEL_KEY})
    assert engine.ops[-1] == ("same", "n")
    engine.destroy("n")
