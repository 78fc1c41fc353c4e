"""The real Pulumi CLI against the emulator: `pulumi up` / `refresh` / `destroy` with a local backend.

This is the only check of `engine_harness.MiniEngine`'s copy of the engine (docs/pulumi-engine.md; layer
5 of the test plan), so it runs the scenarios the harness tests run, with the same request-log
assertions: preview (no request), create, an unchanged up (no request), update, replace, refresh with
drift and with an object deleted out of band, destroy; and the engine-ordering scenarios of
`test_provider_engine_ordering.py`: renames with and without an alias and `up --replace`. It needs
`pulumi` on PATH and is skipped elsewhere (this project's CI has no CLI); Automation API drives the
CLI with a `file://` backend in a temporary directory.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.provider import unique

pytestmark = [
    pytest.mark.pulumi_cli,
    pytest.mark.skipif(shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH"),
    pytest.mark.timeout(600),
]

PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_dragops as dragops

    cfg = pulumi.Config()
    graph = {
        "nodes": [
            {"id": "node_1", "type": "OnWebhook", "position": {"x": 0, "y": 0},
             "data": {"properties": {"responseMode": "immediate"}}},
            {"id": "node_2", "type": "Log", "position": {"x": 320, "y": 0},
             "data": {"pinDefaults": {"message": "got it"}}},
        ],
        "edges": [{"id": "edge_1", "source": "node_1", "sourceHandle": "exec",
                   "target": "node_2", "targetHandle": "exec"}],
    }
    pattern = dragops.Pattern("logger", dragops.PatternArgs(
        name=cfg.require("name"), description=cfg.get("description") or "", graph=graph))
    deployment = dragops.Deployment.of("logger", pattern)
    webhook = dragops.Webhook("logger", dragops.WebhookArgs(pattern_id=deployment.pattern_id))
    connection = dragops.Connection("chat", dragops.ConnectionArgs(
        provider=cfg.get("connectionProvider") or "slack",
        api_key=cfg.require_secret("apiKey"),
        display_name=cfg.require("name")))
    pulumi.export("pattern_id", pattern.id)
    pulumi.export("connection_id", connection.connection_id)
    pulumi.export("url", webhook.url)
    """
)

SENTINEL_KEY = "sk-SENTINEL-real-cli-5d2e"
RESOURCES = 5  # the stack, a pattern, a deployment, a webhook and a connection


def requests_seen(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.request_log()]


def writes(emulator: Emulator) -> list[tuple[str, str]]:
    return [(method, path) for method, path in requests_seen(emulator) if method != "GET"]


def changes(summary: Any) -> dict[str, int]:
    """A change summary without the zero counts (keys are plain strings: "create", "same", ...)."""
    return {str(op): n for op, n in (summary or {}).items() if n}


def connections_named(emulator: Emulator, user: SeededUser, name: str) -> list[tuple[str, str]]:
    with client_for(emulator, user) as client:
        return [(c.id, c.provider) for c in client.connections.list() if c.display_name == name]


def test_the_real_cli_previews_creates_keeps_updates_replaces_refreshes_and_destroys(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    from pulumi import automation as auto

    project = tmp_path / "project"
    project.mkdir()
    (project / "__main__.py").write_text(PROGRAM)
    # The venv of this test run: the dynamic-provider host runs in it and imports pulumi_dragops.
    (project / "Pulumi.yaml").write_text(
        "name: dragops-cli-test\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {Path(sys.prefix).as_posix()}\n"
    )
    (tmp_path / "state").mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{(tmp_path / 'state').as_posix()}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # Credentials come from the stack config alone: no DRAGOPS_* variable of the caller leaks in.
        "DRAGOPS_URL": "",
        "DRAGOPS_TOKEN": "",
        "DRAGOPS_EMAIL": "",
        "DRAGOPS_PASSWORD": "",
    }
    stack = auto.create_or_select_stack(
        stack_name="dev", work_dir=str(project), opts=auto.LocalWorkspaceOptions(env_vars=env)
    )
    name = unique("cli")
    stack.set_all_config(
        {
            "dragops:url": auto.ConfigValue(emu.url),
            "dragops:token": auto.ConfigValue(user.token, secret=True),
            "name": auto.ConfigValue(name),
            "apiKey": auto.ConfigValue(SENTINEL_KEY, secret=True),
        }
    )
    pattern_id: str | None = None
    try:
        # preview of a new stack: Check only, nothing sent to DRAGOPS
        emu.clear_request_log()
        assert changes(stack.preview(on_output=print).change_summary) == {"create": RESOURCES}
        assert requests_seen(emu) == []

        created = stack.up(on_output=print)
        assert changes(created.summary.resource_changes) == {"create": RESOURCES}
        pattern_id = created.outputs["pattern_id"].value
        assert created.outputs["url"].value.startswith(emu.url)

        # an unchanged up: Check and Diff are local, so DRAGOPS sees no request at all
        emu.clear_request_log()
        assert changes(stack.up(on_output=print).summary.resource_changes) == {"same": RESOURCES}
        assert requests_seen(emu) == []

        # a content change: the pattern updates and its deployment redeploys (content_hash)
        stack.set_config("description", auto.ConfigValue("changed"))
        emu.clear_request_log()
        previewed = changes(stack.preview(on_output=print).change_summary)
        assert previewed == {"update": 2, "same": RESOURCES - 2} and writes(emu) == []
        updated = stack.up(on_output=print)
        assert changes(updated.summary.resource_changes) == {"update": 2, "same": RESOURCES - 2}
        with client_for(emu, user) as client:
            assert client.deployments.get(pattern_id).version_number == 2

        # another connection provider: a replace (create the new one, then delete the old one)
        stack.set_config("connectionProvider", auto.ConfigValue("sendgrid"))
        replaced = stack.up(on_output=print)
        assert changes(replaced.summary.resource_changes) == {"replace": 1, "same": RESOURCES - 1}
        assert [provider for _, provider in connections_named(emu, user, name)] == ["sendgrid"]

        # drift found by refresh is reverted by the next up
        with client_for(emu, user) as client:
            client.patterns.update(pattern_id, description="edited in the dashboard")
        stack.refresh(on_output=print)
        reverted = stack.up(on_output=print)
        assert changes(reverted.summary.resource_changes).get("update", 0) >= 1
        with client_for(emu, user) as client:
            assert client.patterns.get(pattern_id).description == "changed"

        # an object deleted out of band: refresh drops it, the next up creates it again
        connection_id = reverted.outputs["connection_id"].value
        with client_for(emu, user) as client:
            client.connections.delete(connection_id)
        stack.refresh(on_output=print)
        recreated = stack.up(on_output=print)
        assert changes(recreated.summary.resource_changes) == {"create": 1, "same": RESOURCES - 1}
        assert len(connections_named(emu, user, name)) == 1

        # credentials are config, never state; the API key and the webhook secret are secrets there
        state = json.dumps(stack.export_stack().deployment)
        assert user.token not in state and SENTINEL_KEY not in state
        with client_for(emu, user) as client:
            hook = next(iter(client.webhooks.list(pattern_id)))
            assert client.webhooks.secret(hook.id).get_secret_value() not in state
    finally:
        stack.destroy(on_output=print)
        stack.workspace.remove_stack("dev")
    assert connections_named(emu, user, name) == []
    with client_for(emu, user) as client, pytest.raises(NotFoundError):
        client.patterns.get(pattern_id or "pat_missing")


ORDERING_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_dragops as dragops

    cfg = pulumi.Config()
    graph = {
        "nodes": [
            {"id": "node_1", "type": "OnWebhook", "data": {"properties": {"responseMode": "immediate"}}},
            {"id": "node_2", "type": "Log", "data": {"pinDefaults": {"message": "got it"}}},
        ],
        "edges": [{"id": "edge_1", "source": "node_1", "sourceHandle": "exec",
                   "target": "node_2", "targetHandle": "exec"}],
    }
    alias = cfg.get("patternAlias")
    pattern = dragops.Pattern(
        cfg.get("patternResource") or "logger", name=cfg.require("name"), graph=graph,
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=alias)] if alias else None))
    deployment = dragops.Deployment.of(cfg.get("deploymentResource") or "logger", pattern)
    pulumi.export("pattern_id", pattern.id)
    """
)


def test_the_real_cli_keeps_renamed_and_force_replaced_resources_deployed(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    from pulumi import automation as auto

    project = tmp_path / "project"
    project.mkdir()
    (project / "__main__.py").write_text(ORDERING_PROGRAM)
    (project / "Pulumi.yaml").write_text(
        "name: dragops-cli-ordering\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {Path(sys.prefix).as_posix()}\n"
    )
    (tmp_path / "state").mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{(tmp_path / 'state').as_posix()}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    stack = auto.create_or_select_stack(
        stack_name="dev", work_dir=str(project), opts=auto.LocalWorkspaceOptions(env_vars=env)
    )
    stack.set_all_config(
        {
            "dragops:url": auto.ConfigValue(emu.url),
            "dragops:token": auto.ConfigValue(user.token, secret=True),
            "name": auto.ConfigValue(unique("cli-order")),
        }
    )

    def running(pattern_id: str) -> tuple[str, int | None]:
        with client_for(emu, user) as client:
            deployment = client.deployments.get(pattern_id)
            return deployment.status, deployment.version_number

    try:
        pattern_id = stack.up(on_output=print).outputs["pattern_id"].value
        assert running(pattern_id) == ("active", 1)

        # a Deployment renamed without an alias: created (redeployed), the old one deleted last
        stack.set_config("deploymentResource", auto.ConfigValue("logger-2"))
        stack.up(on_output=print)
        assert running(pattern_id) == ("active", 2)

        # pulumi up --replace of the Deployment
        urn = "urn:pulumi:dev::dragops-cli-ordering::pulumi-python:dynamic/dragops:Deployment::logger-2"
        stack.up(on_output=print, replace=[urn])
        assert running(pattern_id) == ("active", 3)

        # a Pattern renamed with an alias: nothing is written
        stack.set_all_config(
            {"patternResource": auto.ConfigValue("renamed"), "patternAlias": auto.ConfigValue("logger")}
        )
        emu.clear_request_log()
        renamed = stack.up(on_output=print)
        assert renamed.outputs["pattern_id"].value == pattern_id and writes(emu) == []
    finally:
        stack.destroy(on_output=print)
        stack.workspace.remove_stack("dev")
