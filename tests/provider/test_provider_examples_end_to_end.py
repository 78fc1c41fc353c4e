"""The example programs, end to end: program -> SDK -> real provider host (gRPC) -> HTTP -> emulator.

`EngineBackedMocks` hands each dynamic resource's SDK-serialised inputs (the real `__provider` blob
included) to the engine harness, so what runs is exactly what `pulumi up` would run, minus the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import fake_pulumi_github
import pulumi
import pytest
from engine_harness import MiniEngine, ProviderHost
from program_harness import EngineBackedMocks, run_program, unwrap

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.emulator import requests_to_api

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SENTINEL_SLACK = "xoxb-SENTINEL-e2e-5b7d"
BASIC_CONFIG = {"proj:slackToken": SENTINEL_SLACK}


def run_basic(engine: MiniEngine, stack: str) -> tuple[EngineBackedMocks, dict[str, Any]]:
    mocks = EngineBackedMocks(engine)
    ns = run_program(
        EXAMPLES / "pulumi-basic" / "__main__.py",
        mocks,
        config=BASIC_CONFIG,
        secret_keys=list(BASIC_CONFIG),
        stack=stack,
    )
    return mocks, ns


def test_the_basic_example_comes_up_stays_the_same_and_is_destroyed(
    host: ProviderHost, live: Emulator, host_user: SeededUser
) -> None:
    engine = MiniEngine(host, stack="e2e")
    results: dict[str, Any] = {}

    @pulumi.runtime.test
    def first_up() -> Any:
        _, ns = run_basic(engine, "e2e")

        def keep(values: list[Any]) -> None:
            results.update(
                zip(("pattern_id", "url", "secret", "connection_id", "version"), values, strict=True)
            )

        return pulumi.Output.all(
            ns["pattern"].id,
            ns["webhook"].url,
            ns["webhook"].secret,
            ns["slack"].id,
            ns["deployment"].version_number,
        ).apply(keep)

    first_up()
    assert sorted(op for op, _ in engine.ops) == ["create"] * 4
    with client_for(live, host_user) as client:
        pattern = client.patterns.get(results["pattern_id"])
        assert pattern.name == "Webhook Logger (e2e)"
        assert client.deployments.get(pattern.id).status == "active" and results["version"] == 1
        (endpoint,) = client.webhooks.list(pattern.id)
        assert results["url"] == endpoint.url
        assert results["secret"] == client.webhooks.secret(endpoint.id).get_secret_value()
        assert client.connections.get(results["connection_id"]).provider == "slack"
    assert SENTINEL_SLACK not in host.output()

    live.clear_request_log()

    @pulumi.runtime.test
    def second_up() -> Any:
        _, ns = run_basic(engine, "e2e")
        return ns["webhook"].url

    second_up()
    assert [op for op, _ in engine.ops[-4:]] == ["same"] * 4
    assert requests_to_api(live) == []  # an unchanged program costs DRAGOPS nothing

    # Dependents first, as the engine orders a destroy.
    for key in (
        "Webhook:webhook-logger",
        "Connection:slack-alerts",
        "Deployment:webhook-logger",
        "Pattern:webhook-logger",
    ):
        engine.destroy(key)
    with client_for(live, host_user) as client, pytest.raises(NotFoundError):
        client.connections.get(results["connection_id"])
    with client_for(live, host_user) as client, pytest.raises(NotFoundError):
        client.patterns.get(results["pattern_id"])


def test_the_github_example_hands_the_real_endpoint_url_and_secret_to_the_github_webhook(
    host: ProviderHost, live: Emulator, host_user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_github", fake_pulumi_github)
    engine = MiniEngine(host, stack="gh")
    mocks = EngineBackedMocks(engine)
    seen: dict[str, Any] = {}

    @pulumi.runtime.test
    def up() -> Any:
        ns = run_program(
            EXAMPLES / "pulumi-github-webhook" / "__main__.py",
            mocks,
            config={"proj:repository": "svc"},
            stack="gh",
        )
        return pulumi.Output.all(ns["pattern"].id, ns["repository_hook"].id).apply(
            lambda v: seen.update(pattern_id=v[0])
        )

    up()
    (hook,) = mocks.by_type("github:index/repositoryWebhook:RepositoryWebhook")
    configuration = hook.inputs["configuration"]
    with client_for(live, host_user) as client:
        (endpoint,) = client.webhooks.list(seen["pattern_id"])
        assert configuration["url"] == endpoint.url
        assert unwrap(configuration["secret"]) == client.webhooks.secret(endpoint.id).get_secret_value()
        assert endpoint.require_signature is False
    for key in ("Webhook:github-events", "Deployment:github-events", "Pattern:github-events"):
        engine.destroy(key)


def test_a_preview_of_the_basic_example_registers_everything_and_calls_dragops_for_nothing(
    host: ProviderHost, live: Emulator
) -> None:
    engine = MiniEngine(host, stack="preview")
    mocks = EngineBackedMocks(engine, preview=True)

    @pulumi.runtime.test
    def preview() -> Any:
        ns = run_program(
            EXAMPLES / "pulumi-basic" / "__main__.py",
            mocks,
            config=BASIC_CONFIG,
            secret_keys=list(BASIC_CONFIG),
            stack="preview",
            preview=True,
        )
        return ns["webhook"].id

    preview()
    assert sorted(op for op, _ in engine.ops) == ["preview-create"] * 4
    assert requests_to_api(live) == [] and not engine.state


def test_a_preview_shows_a_changed_deployment_s_webhook_url_as_unknown(
    host: ProviderHost, live: Emulator, host_user: SeededUser
) -> None:
    engine = MiniEngine(host, stack="unknowns")

    @pulumi.runtime.test
    def up() -> Any:
        return run_basic(engine, "unknowns")[1]["webhook"].url

    up()
    seen: list[bool] = []

    @pulumi.runtime.test
    def preview() -> Any:
        config = {**BASIC_CONFIG, "proj:paused": "true"}  # the deployment changes; its triggers are unknown
        ns = run_program(
            EXAMPLES / "pulumi-basic" / "__main__.py",
            EngineBackedMocks(engine, preview=True),
            config=config,
            secret_keys=list(BASIC_CONFIG),
            stack="unknowns",
            preview=True,
        )

        async def url_known() -> bool:
            return await ns["webhook"].url.is_known()

        return pulumi.Output.from_input(url_known()).apply(seen.append)

    live.clear_request_log()
    preview()
    assert ("preview-update", "Deployment:webhook-logger") in engine.ops
    assert ("preview-replace", "Webhook:webhook-logger") in engine.ops  # it may follow a new node
    assert seen == [False] and requests_to_api(live) == []
    engine.destroy_all()
