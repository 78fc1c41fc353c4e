"""Credentials reach the provider through `configure()` (stack config) or DRAGOPS_* env vars only, and
sentinel secrets never show up in the `__provider` blob, the state's plain values, the host's logs or
errors.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import grpc
import pytest
from engine_harness import MiniEngine, ProviderHost, plain
from pulumi.runtime import rpc

from dragops_emulator import Emulator, SeededUser
from kit.emulator import requests_to_api
from kit.graphs import webhook_graph
from kit.provider import PROVIDER_TESTS, unique
from pulumi_dragops import ConnectionProvider, PatternProvider

SENTINEL_PASSWORD = "Pw-SENTINEL-0c5e!"
SENTINEL_KEY = "sk-SENTINEL-creds-93ab"
PATTERN = "pulumi-python:dynamic/dragops:Pattern"
CONNECTION = "pulumi-python:dynamic/dragops:Connection"


@pytest.fixture(scope="module")
def password_user(emulator: Emulator, host_user: SeededUser) -> SeededUser:
    return emulator.seed_user(email=f"ops-{uuid.uuid4().hex[:6]}@example.com", password=SENTINEL_PASSWORD)


@pytest.fixture(scope="module")
def password_host(emulator: Emulator, password_user: SeededUser) -> Iterator[ProviderHost]:
    config = {
        "dragops:url": emulator.url,
        "dragops:email": password_user.email,
        "dragops:password": rpc.wrap_rpc_secret(SENTINEL_PASSWORD),  # `pulumi config set --secret`
    }
    h = ProviderHost(stack_config=config, env={"PYTHONPATH": str(PROVIDER_TESTS)})
    yield h
    h.close()


def test_email_and_password_from_stack_config_log_in_once_per_host_and_never_leak(
    password_host: ProviderHost, live: Emulator
) -> None:
    engine = MiniEngine(password_host)
    pattern = engine.up("p", PatternProvider(), {"name": unique("pw"), "graph": webhook_graph()}, typ=PATTERN)
    connection = engine.up(
        "c",
        ConnectionProvider(),
        {"provider": "slack", "api_key": rpc.wrap_rpc_secret(SENTINEL_KEY)},
        typ=CONNECTION,
        additional_secret_outputs=["api_key_fingerprint"],
    )
    assert pattern is not None and connection is not None
    engine.refresh("p")
    engine.destroy("c")
    engine.destroy("p")
    logins = [path for method, path in requests_to_api(live) if path == "/api/auth/login"]
    assert len(logins) == 1  # the session token is reused by every later call of this host

    for state in (pattern, connection):
        blob = base64.b64decode(plain(state.outputs["__provider"]))
        assert SENTINEL_PASSWORD.encode() not in blob and SENTINEL_KEY.encode() not in blob
        non_secret = {k: v for k, v in state.outputs.items() if not rpc.is_rpc_secret(v)}
        assert SENTINEL_PASSWORD not in repr(non_secret) and SENTINEL_KEY not in repr(non_secret)
    assert SENTINEL_PASSWORD not in password_host.output() and SENTINEL_KEY not in password_host.output()


def test_a_wrong_password_fails_with_a_message_that_does_not_contain_it(
    emulator: Emulator, live: Emulator
) -> None:
    wrong = "Wrong-SENTINEL-pw-77!"
    config = {"dragops:url": emulator.url, "dragops:email": "nobody@example.com", "dragops:password": wrong}
    host = ProviderHost(stack_config=config, env={"PYTHONPATH": str(PROVIDER_TESTS)})
    try:
        with pytest.raises(grpc.RpcError) as failed:
            MiniEngine(host).up("p", PatternProvider(), {"name": "x", "graph": webhook_graph()}, typ=PATTERN)
        assert "Invalid credentials" in failed.value.details() or "401" in failed.value.details()
        assert wrong not in failed.value.details() and wrong not in host.output()
    finally:
        host.close()


def test_without_a_url_the_error_names_the_setting_to_configure(live: Emulator) -> None:
    host = ProviderHost(stack_config={}, env={"DRAGOPS_URL": "", "DRAGOPS_TOKEN": ""})
    try:
        with pytest.raises(grpc.RpcError) as failed:
            MiniEngine(host).up("p", PatternProvider(), {"name": "x", "graph": webhook_graph()}, typ=PATTERN)
        assert (
            "pulumi config set dragops:url" in failed.value.details()
            and "DRAGOPS_URL" in failed.value.details()
        )
    finally:
        host.close()
    assert requests_to_api(live) == []


def test_the_environment_is_the_fallback_when_the_stack_config_is_empty(
    emulator: Emulator, host_user: SeededUser, live: Emulator
) -> None:
    host = ProviderHost(stack_config={}, env={"DRAGOPS_URL": emulator.url, "DRAGOPS_TOKEN": host_user.token})
    try:
        state = MiniEngine(host).up(
            "p", PatternProvider(), {"name": unique("env"), "graph": webhook_graph()}, typ=PATTERN
        )
        assert state is not None and state.id.startswith("pat_")
    finally:
        host.close()
