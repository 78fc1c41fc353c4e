"""The example programs under `set_mocks`: resource types, wiring across resources, secrets, pickling.

Plain mocks never run provider code; they prove what the program hands to the engine. The same programs
run end to end through the real host in `test_provider_examples_end_to_end.py`.
"""

from __future__ import annotations

import base64
import runpy
import sys
from pathlib import Path
from typing import Any

import fake_pulumi_github
import pulumi
import pytest
from program_harness import RecordingMocks, run_program, unwrap
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKENS = {
    "Pattern": "pulumi-python:dynamic/dragops:Pattern",
    "Deployment": "pulumi-python:dynamic/dragops:Deployment",
    "Webhook": "pulumi-python:dynamic/dragops:Webhook",
    "Connection": "pulumi-python:dynamic/dragops:Connection",
}
SENTINEL_SLACK = "xoxb-SENTINEL-program-91c3"


def invent(args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """Outputs a provider would answer with, per type."""
    outs = {k: v for k, v in args.inputs.items() if k != "api_key"}
    kind = args.typ.rsplit(":", 1)[1]
    if kind == "Pattern":
        return "pat_mock", {**outs, "content_hash": "hash-1", "version_number": 0}
    if kind == "Deployment":
        return "dep_mock", {**outs, "deployment_id": "dep_mock", "status": "active", "version_number": 1}
    if kind == "Webhook":
        return "wh_mock", {
            **outs,
            "webhook_id": "wh_mock",
            "url": "https://d.example/webhooks/wh_mock",
            "secret": "s3",
        }
    return f"{args.name}-id", outs


@pytest.fixture
def github_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_github", fake_pulumi_github)


@pulumi.runtime.test
def test_the_basic_example_wires_pattern_deployment_webhook_and_connection() -> Any:
    mocks = RecordingMocks(invent)
    ns = run_program(
        EXAMPLES / "pulumi-basic" / "__main__.py",
        mocks,
        config={"proj:slackToken": SENTINEL_SLACK},
        secret_keys=["proj:slackToken"],
    )

    def check(_: Any) -> None:
        assert {a.typ for a in mocks.seen} == set(TOKENS.values())
        (pattern,) = mocks.by_type(TOKENS["Pattern"])
        assert pattern.inputs["name"] == "Webhook Logger (dev)"
        assert [n["type"] for n in pattern.inputs["graph"]["nodes"]] == ["OnWebhook", "Log"]
        (deployment,) = mocks.by_type(TOKENS["Deployment"])
        assert deployment.inputs["pattern_id"] == "pat_mock" and deployment.inputs["content_hash"] == "hash-1"
        (webhook,) = mocks.by_type(TOKENS["Webhook"])
        assert webhook.inputs["pattern_id"] == "pat_mock" and webhook.inputs["alias"] == "github"
        (connection,) = mocks.by_type(TOKENS["Connection"])
        assert rpc.is_rpc_secret(connection.inputs["api_key"])  # secret even though config gave a str
        assert unwrap(connection.inputs["api_key"]) == SENTINEL_SLACK
        for args in mocks.seen:
            blob = args.inputs["__provider"]
            assert rpc.is_rpc_secret(blob)
            assert SENTINEL_SLACK.encode() not in base64.b64decode(unwrap(blob))

    return pulumi.Output.all(ns["webhook"].url, ns["slack"].id, ns["deployment"].status).apply(check)


@pulumi.runtime.test
def test_a_plain_string_api_key_still_becomes_a_secret_input() -> Any:
    import pulumi_dragops as dragops

    mocks = RecordingMocks(invent)
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    conn = dragops.Connection("plain", dragops.ConnectionArgs(provider="slack", api_key=SENTINEL_SLACK))

    def check(_: Any) -> None:
        (args,) = mocks.by_type(TOKENS["Connection"])
        assert rpc.is_rpc_secret(args.inputs["api_key"])

    return conn.id.apply(check)


@pulumi.runtime.test
def test_the_github_example_points_the_repository_webhook_at_the_pattern_endpoint(github_sdk: None) -> Any:
    mocks = RecordingMocks(invent)
    ns = run_program(
        EXAMPLES / "pulumi-github-webhook" / "__main__.py", mocks, config={"proj:repository": "svc"}
    )

    def check(_: Any) -> None:
        (hook,) = mocks.by_type("github:index/repositoryWebhook:RepositoryWebhook")
        assert hook.inputs["repository"] == "svc" and hook.inputs["events"] == ["push", "pull_request"]
        configuration = hook.inputs["configuration"]
        assert configuration["url"] == "https://d.example/webhooks/wh_mock"
        assert configuration["contentType"] == "json" and configuration["insecureSsl"] is False
        assert unwrap(configuration["secret"]) == "s3"
        (webhook,) = mocks.by_type(TOKENS["Webhook"])
        assert webhook.inputs["require_signature"] is False  # GitHub signs with its own header

    return ns["repository_hook"].id.apply(check)


class OptionRecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also recording each registration's `additionalSecretOutputs` option."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.secret_outputs: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.secret_outputs[request.type] = list(request.additionalSecretOutputs)
        return super().RegisterResource(request)


@pulumi.runtime.test
def test_outputs_derived_from_secrets_are_declared_secret_by_the_resources() -> Any:
    mocks = RecordingMocks(invent)
    monitor = OptionRecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({"proj:slackToken": SENTINEL_SLACK}, ["proj:slackToken"])
    ns = runpy.run_path(str(EXAMPLES / "pulumi-basic" / "__main__.py"), run_name="__main__")

    def check(_: Any) -> None:
        assert monitor.secret_outputs[TOKENS["Webhook"]] == ["secret"]
        assert monitor.secret_outputs[TOKENS["Connection"]] == ["api_key_fingerprint"]
        assert monitor.secret_outputs[TOKENS["Pattern"]] == []

    return pulumi.Output.all(ns["webhook"].secret, ns["slack"].id).apply(check)


def _stack_config(stack: str) -> dict[str, str]:
    """The non-secret config of examples/pulumi-environments/Pulumi.<stack>.yaml, plus the secret."""
    import yaml

    path = EXAMPLES / "pulumi-environments" / f"Pulumi.{stack}.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]
    return {**{k: str(v) for k, v in config.items()}, "dragops-environments:slackToken": SENTINEL_SLACK}


@pytest.mark.parametrize(
    ("stack", "files", "channel"),
    [
        ("staging", ["slack-notifier", "status-report", "load-test-probe"], "#alerts-staging"),
        ("prod", ["slack-notifier", "status-report"], "#alerts"),
    ],
)
def test_the_environments_example_takes_each_stacks_values_into_the_shared_files(
    stack: str, files: list[str], channel: str
) -> None:
    @pulumi.runtime.test
    def program() -> Any:
        mocks = RecordingMocks(invent)
        ns = run_program(
            EXAMPLES / "pulumi-environments" / "__main__.py",
            mocks,
            config=_stack_config(stack),
            secret_keys=["dragops-environments:slackToken"],
            project="dragops-environments",
            stack=stack,
        )

        def check(_: Any) -> None:
            patterns = mocks.by_type(TOKENS["Pattern"])
            assert sorted(p.name for p in patterns) == sorted(files)
            (notifier,) = [p for p in patterns if p.name == "slack-notifier"]
            (post,) = [n for n in notifier.inputs["graph"]["nodes"] if n["id"] == "post"]
            assert post["data"]["pinDefaults"]["channel"] == channel
            assert "${var:" not in repr([p.inputs for p in patterns])
            for args in mocks.seen:
                assert SENTINEL_SLACK not in repr({k: v for k, v in args.inputs.items() if k != "api_key"})

        return pulumi.Output.all(*(d.version_number for d in ns["deployed"].values())).apply(check)

    program()
