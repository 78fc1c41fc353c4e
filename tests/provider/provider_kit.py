"""Helpers of the provider tests: graphs, unique names, the stack config a host receives, API access.

Kept out of `conftest.py` so test modules import them by a module name no other test directory uses
(several directories have a `conftest.py`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client

HERE = Path(__file__).parent


def webhook_graph(
    message: str = "got it", *, alias: str | None = None, second_hook: bool = False
) -> dict[str, Any]:
    """A deployable graph: On Webhook -> Log (the design's Webhook Logger), numbers as ints."""
    hook_props: dict[str, Any] = {"responseMode": "immediate"}
    if alias:
        hook_props["webhookAlias"] = alias
    nodes: list[dict[str, Any]] = [
        {
            "id": "node_1",
            "type": "OnWebhook",
            "position": {"x": 0, "y": 0},
            "data": {"properties": hook_props},
        },
        {
            "id": "node_2",
            "type": "Log",
            "position": {"x": 320, "y": 0},
            "data": {"pinDefaults": {"message": message}},
        },
    ]
    edges = [
        {
            "id": "edge_1",
            "source": "node_1",
            "sourceHandle": "exec",
            "target": "node_2",
            "targetHandle": "exec",
        }
    ]
    if second_hook:
        nodes.append(
            {
                "id": "node_3",
                "type": "OnWebhook",
                "position": {"x": 0, "y": 200},
                "data": {"properties": {"responseMode": "immediate", "webhookAlias": "second"}},
            }
        )
        nodes.append(
            {
                "id": "node_4",
                "type": "Log",
                "position": {"x": 320, "y": 200},
                "data": {"pinDefaults": {"message": "2"}},
            }
        )
        edges.append(
            {
                "id": "edge_2",
                "source": "node_3",
                "sourceHandle": "exec",
                "target": "node_4",
                "targetHandle": "exec",
            }
        )
    return {"nodes": nodes, "edges": edges}


def api(emulator: Emulator, user: SeededUser) -> Client:
    """A client as the user, for arranging and inspecting what the provider did (tests close it)."""
    return Client(base_url=emulator.url, token=user.token)


def requests_to_api(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.request_log()]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def stack_config(emulator: Emulator, user: SeededUser) -> dict[str, Any]:
    """The stack config a dynamic provider receives: the whole map, keys `namespace:key`."""
    return {"dragops:url": emulator.url, "dragops:token": user.token, "aws:region": "eu-west-1"}


def configured(provider: Any, emulator: Emulator, user: SeededUser) -> Any:
    """A provider configured in-process exactly as the host configures it (unit tests)."""
    provider.configure(ConfigureRequest(Config(stack_config(emulator, user), "proj")))
    return provider
