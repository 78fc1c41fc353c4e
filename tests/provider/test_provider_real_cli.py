"""The real Pulumi CLI against the emulator: `pulumi up` / `refresh` / `destroy` with a local backend.

This is the only check of `engine_harness.MiniEngine`'s copy of the engine, so it runs the same
scenarios the harness tests run (create, unchanged up costs no write, update, drift found by refresh,
destroy). It needs `pulumi` on PATH and is skipped elsewhere (this project's CI has no CLI).
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from provider_kit import api, unique

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError

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
    pulumi.export("pattern_id", pattern.id)
    pulumi.export("url", webhook.url)
    """
)


def writes(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.request_log() if r["method"] != "GET"]


def test_the_real_cli_creates_keeps_updates_refreshes_and_destroys(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    from pulumi import automation as auto

    project = tmp_path / "project"
    project.mkdir()
    (project / "__main__.py").write_text(PROGRAM)
    (project / "Pulumi.yaml").write_text(
        "name: dragops-cli-test\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {Path(sys.prefix).as_posix()}\n"
    )
    env = {"PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "test-only"}
    (tmp_path / "state").mkdir()
    stack = auto.create_or_select_stack(
        stack_name="dev", work_dir=str(project), opts=auto.LocalWorkspaceOptions(env_vars=env)
    )
    name = unique("cli")
    stack.set_all_config(
        {
            "dragops:url": auto.ConfigValue(emu.url),
            "dragops:token": auto.ConfigValue(user.token, secret=True),
            "name": auto.ConfigValue(name),
        }
    )
    try:
        created = stack.up(on_output=print)
        assert created.summary.resource_changes == {"create": 4}  # three resources and the stack
        pattern_id = created.outputs["pattern_id"].value

        emu.clear_request_log()
        same = stack.up(on_output=print)
        assert same.summary.resource_changes == {"same": 4}
        assert writes(emu) == []

        stack.set_config("description", auto.ConfigValue("changed"))
        updated = stack.up(on_output=print)
        assert (
            updated.summary.resource_changes is not None
            and updated.summary.resource_changes.get("update") == 2
        )
        # the pattern changed, so the deployment redeployed (content_hash)

        with api(emu, user) as client:
            client.patterns.update(pattern_id, description="edited in the dashboard")
        stack.refresh(on_output=print)
        reverted = stack.up(on_output=print)
        assert (
            reverted.summary.resource_changes is not None
            and reverted.summary.resource_changes.get("update", 0) >= 1
        )
        with api(emu, user) as client:
            assert client.patterns.get(pattern_id).description == "changed"

        state: dict[str, Any] = stack.export_stack().deployment
        assert user.token not in json.dumps(state)  # credentials are config, never state
    finally:
        stack.destroy(on_output=print)
        stack.workspace.remove_stack("dev")
    with api(emu, user) as client, pytest.raises(NotFoundError):
        client.patterns.get(pattern_id)
