"""Fixtures of the provider tests: the real dynamic-provider host per module, against the session emulator.

Hosts are expensive-ish (a Python process importing pulumi, pydantic and httpx), so one host per test
module serves every test in it. The host configures a provider once per distinct pickle blob, with the
stack config it was booted with, so a module's tests share one seeded user (`host_user`) instead of the
per-test `user` fixture (whose `emu.reset()` would wipe that user); tests stay apart by unique names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_harness import MiniEngine, ProviderHost
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


@pytest.fixture(scope="module")
def host_user(emulator: Emulator) -> SeededUser:
    # A clean emulator (clock, faults, settings) for the module, then one user for all its tests.
    emulator.reset()
    return emulator.seed_user()


@pytest.fixture(scope="module")
def host(emulator: Emulator, host_user: SeededUser) -> Iterator[ProviderHost]:
    h = ProviderHost(
        project="proj", stack_config=stack_config(emulator, host_user), env={"PYTHONPATH": str(HERE)}
    )
    yield h
    h.close()


@pytest.fixture
def live(emulator: Emulator, host_user: SeededUser) -> Emulator:
    """The module's emulator with no faults and an empty request log (data of earlier tests stays)."""
    emulator.clear_faults()
    emulator.clear_request_log()
    return emulator


@pytest.fixture
def engine(host: ProviderHost, live: Emulator) -> MiniEngine:
    return MiniEngine(host)
