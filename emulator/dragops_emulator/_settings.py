"""EmulatorSettings: the knobs of one emulator instance (token lifetime, rate limits, auth options...).

Settings are a frozen dataclass; changing them at run time (``PUT /__emulator/settings``) builds a new
object with :func:`dataclasses.replace` and swaps it in, so a request never sees half an update.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EmulatorSettings", "SettingsError", "settings_from_mapping"]

# Settings that only make sense when the store is created; they cannot change at run time.
_FIXED_AT_START = frozenset({"db_path"})


class SettingsError(ValueError):
    """A settings update names an unknown setting or gives a value of the wrong type."""


@dataclass(frozen=True, kw_only=True)
class EmulatorSettings:
    """Behaviour of an emulator instance. Every field is optional; defaults follow docs/api-contract.md."""

    token_ttl_seconds: int = 3600
    """JWT lifetime in seconds (D4)."""
    rate_limits_enabled: bool = True
    """False: no 429s at all (tests that are not about limits, benchmarks)."""
    auth_per_minute: int = 20
    """``/api/auth/*`` requests per minute per client address (D17)."""
    read_per_minute: int = 1200
    """GET/HEAD requests per minute per user (D17)."""
    write_per_minute: int = 300
    """Other requests per minute per user (D17)."""
    webhook_per_minute: int = 100
    """Webhook ingestion requests per minute per client address (D17)."""
    activation_delay_seconds: float = 0.0
    """>0: a deploy answers status ``pending`` and becomes ``active`` after this delay (D9)."""
    max_body_bytes: int = 5 * 1024 * 1024
    """Request bodies above this size are refused with 413 (D2)."""
    local_auth: bool = True
    """Email + password registration and login enabled."""
    github_client_id: str | None = None
    """When set, GitHub sign-in is enabled and ``/api/auth/providers`` reports this client id."""
    require_webhook_signature: bool = True
    """Default of ``requireSignature`` for new webhook endpoints (D12)."""
    db_path: str | None = None
    """None: in-memory SQLite; a path keeps state across restarts."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            _check_type(field.name, getattr(self, field.name))
        if self.token_ttl_seconds <= 0:
            raise SettingsError("token_ttl_seconds must be positive")
        for name in ("auth_per_minute", "read_per_minute", "write_per_minute", "webhook_per_minute"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")
        if self.activation_delay_seconds < 0:
            raise SettingsError("activation_delay_seconds must not be negative")
        if self.max_body_bytes <= 0:
            raise SettingsError("max_body_bytes must be positive")

    def to_json(self) -> dict[str, Any]:
        """The settings as a camelCase JSON object (what ``GET /__emulator/settings`` answers)."""
        return {_camel(f.name): getattr(self, f.name) for f in dataclasses.fields(self)}


_TYPES: dict[str, tuple[type, ...]] = {
    "token_ttl_seconds": (int,),
    "rate_limits_enabled": (bool,),
    "auth_per_minute": (int,),
    "read_per_minute": (int,),
    "write_per_minute": (int,),
    "webhook_per_minute": (int,),
    "activation_delay_seconds": (int, float),
    "max_body_bytes": (int,),
    "local_auth": (bool,),
    "github_client_id": (str, type(None)),
    "require_webhook_signature": (bool,),
    "db_path": (str, type(None)),
}


def _check_type(name: str, value: object) -> None:
    allowed = _TYPES[name]
    # bool is a subclass of int: a number setting must not silently accept true/false.
    if isinstance(value, bool) and bool not in allowed:
        raise SettingsError(f"{name} must be {_describe(allowed)}")
    if not isinstance(value, allowed):
        raise SettingsError(f"{name} must be {_describe(allowed)}")


def _describe(allowed: tuple[type, ...]) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", type(None): "null"}
    return " or ".join(names[t] for t in allowed if not (t is int and float in allowed))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def settings_from_mapping(base: EmulatorSettings, changes: Mapping[str, Any]) -> EmulatorSettings:
    """A copy of ``base`` with ``changes`` applied; keys may be camelCase or snake_case.

    Raises :class:`SettingsError` naming the first unknown key, a setting fixed at start, or a value of
    the wrong type.
    """
    known = {f.name for f in dataclasses.fields(EmulatorSettings)}
    updates: dict[str, Any] = {}
    for key, value in changes.items():
        name = _snake(key)
        if name not in known:
            raise SettingsError(f"unknown setting: {key}")
        if name in _FIXED_AT_START:
            raise SettingsError(f"{key} cannot be changed while the emulator runs")
        updates[name] = value
    return dataclasses.replace(base, **updates)
