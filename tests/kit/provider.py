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
