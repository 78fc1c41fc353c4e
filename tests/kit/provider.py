"""Helpers of the Pulumi provider tests: the stack config a provider receives, unique names."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from dragops_emulator import Emulator, SeededUser

# tests/provider: put on the provider host's PYTHONPATH so it can load the test doubles kept there.
PROVIDER_TESTS = Path(__file__).resolve().parents[1] / "provider"


def unique(prefix: str) -> str:
    """`prefix` and a random suffix: tests sharing one emulator user stay apart by name."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def stack_config(emulator: Emulator, user: SeededUser) -> dict[str, Any]:
    """The stack config a dynamic provider receives: the whole map, keys `namespace:key`."""
    return {"dragops:url": emulator.url, "dragops:token": user.token, "aws:region": "eu-west-1"}


def configured(provider: Any, emulator: Emulator, user: SeededUser) -> Any:
    """A provider configured in-process exactly as the host configures it (unit tests)."""
    provider.configure(ConfigureRequest(Config(stack_config(emulator, user), "proj")))
    return provider


# The native provider plugin as the engine starts it: its executable and the engine's address (the
# plugin only uses the address for components, which DRAGOPS has none of).
NATIVE_PLUGIN = ("pulumi-resource-dragops", "127.0.0.1:1")


def native_settings(emulator: Emulator, user: SeededUser) -> dict[str, Any]:
    """What the engine's Configure carries for one native provider instance: its own settings."""
    return {"url": emulator.url, "token": user.token}
