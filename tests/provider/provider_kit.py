"""Transitional: the provider tests' helpers now live in the `kit` package; this module re-exports them
until the imports of tests/provider are rewritten (see the kit package's docstring)."""

from __future__ import annotations

from kit.clients import client_for as api
from kit.emulator import requests_to_api
from kit.graphs import webhook_graph
from kit.provider import PROVIDER_TESTS as HERE
from kit.provider import configured, stack_config, unique

__all__ = ["HERE", "api", "configured", "requests_to_api", "stack_config", "unique", "webhook_graph"]
