"""The pickle contract of every provider: what `dynamic.Resource.__init__` stores in `__provider`.

Per provider class: it pickles, the blob is identical twice (else every `up` would update every
resource), it carries no credential even after `configure()` ran with sentinel ones, and it loads in a
fresh host process that has no stack config at all.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from engine_harness import ProviderHost, provider_blob, to_struct
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb

from kit.graphs import webhook_graph
from pulumi_dragops import ConnectionProvider, DeploymentProvider, PatternProvider, WebhookProvider

SENTINEL_TOKEN = "tok-SENTINEL-7f3a9c"
SENTINEL_PASSWORD = "pw-SENTINEL-b81e44"

# A valid input for each provider's check, so the fresh host proves it can unpickle AND run it.
CASES: list[tuple[type[Any], dict[str, Any]]] = [
    (PatternProvider, {"name": "p", "graph": webhook_graph()}),
    (DeploymentProvider, {"pattern_id": "pat_1"}),
    (WebhookProvider, {"pattern_id": "pat_1"}),
    (ConnectionProvider, {"provider": "slack", "api_key": "k"}),
]
IDS = [cls.__name__ for cls, _ in CASES]


@pytest.fixture(scope="module")
def bare_host() -> Iterator[ProviderHost]:
    h = ProviderHost(project="proj", stack_config={})
    yield h
    h.close()


@pytest.mark.parametrize(("cls", "news"), CASES, ids=IDS)
def test_the_provider_pickles_to_the_same_blob_every_time(cls: type[Any], news: dict[str, Any]) -> None:
    first, captured_secrets = provider_blob(cls())
    assert provider_blob(cls())[0] == first
    assert captured_secrets is False
    # Pickled by reference (module + class name), not by value: the host imports the installed package.
    assert len(base64.b64decode(first)) < 200
    assert cls.__module__.encode() in base64.b64decode(first)


@pytest.mark.parametrize(("cls", "news"), CASES, ids=IDS)
def test_a_configured_provider_pickles_without_its_credentials(cls: type[Any], news: dict[str, Any]) -> None:
    provider = cls()
    config = {
        "dragops:url": "http://127.0.0.1:9",
        "dragops:token": SENTINEL_TOKEN,
        "dragops:email": "ops@example.com",
        "dragops:password": SENTINEL_PASSWORD,
        "dragops:activationTimeout": "30",
    }
    provider.configure(ConfigureRequest(Config(config, "proj")))
    raw = base64.b64decode(provider_blob(provider)[0])
    assert SENTINEL_TOKEN.encode() not in raw and SENTINEL_PASSWORD.encode() not in raw
    assert b"ops@example.com" not in raw
    assert provider_blob(provider)[0] == provider_blob(cls())[0]  # configuring changes nothing pickled
    assert SENTINEL_TOKEN not in repr(provider._credentials) and SENTINEL_PASSWORD not in repr(
        provider._credentials
    )


@pytest.mark.parametrize(("cls", "news"), CASES, ids=IDS)
def test_the_blob_loads_and_checks_in_a_fresh_host_process(
    bare_host: ProviderHost, cls: type[Any], news: dict[str, Any]
) -> None:
    blob = provider_blob(cls())[0]
    response = bare_host.stub.Check(
        pb.CheckRequest(
            urn=f"urn:pulumi:dev::proj::pulumi-python:dynamic/dragops:{cls.__name__}::r",
            olds=to_struct({}),
            news=to_struct({**news, "__provider": rpc.wrap_rpc_secret(blob)}),
        )
    )
    assert list(response.failures) == []
    assert rpc.deserialize_properties(response.inputs)["__provider"] == blob


def test_the_provider_class_paths_stay_what_existing_states_name() -> None:
    # A blob names its class by module and qualified name; states written by earlier versions are read
    # and deleted through these paths (docs/pulumi-engine.md, "The host"), so moving a class breaks them.
    # Keep an alias at the old path when one must move.
    paths = {f"{cls.__module__}.{cls.__qualname__}" for cls, _ in CASES}
    assert paths == {
        "pulumi_dragops._connection.ConnectionProvider",
        "pulumi_dragops._deployment.DeploymentProvider",
        "pulumi_dragops._pattern.PatternProvider",
        "pulumi_dragops._webhook.WebhookProvider",
    }
    for cls, _ in CASES:
        blob = base64.b64decode(provider_blob(cls())[0])
        assert cls.__module__.encode() in blob and cls.__qualname__.encode() in blob
