"""JSON Schemas of the files people write, for `dragops-sync schema` and editor validation.

Generated from the same strict pydantic models the loader uses, so a schema and the loader never
disagree: `pattern` (patterns/*.json|yaml), `settings` (dragops-sync.yaml) and `connections`
(connections.yaml). An editor can point at them, e.g. with a `# yaml-language-server: $schema=...`
comment. Pure: builds dicts, writes nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from dragops_sync.directory import ConnectionsFile, SyncSettings
from dragops_sync.files import PatternFile

__all__ = ["SCHEMA_KINDS", "SchemaKind", "all_schemas", "json_schema"]

SchemaKind = Literal["pattern", "settings", "connections"]
SCHEMA_KINDS: tuple[SchemaKind, ...] = ("pattern", "settings", "connections")

_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_MODELS: dict[str, tuple[type[BaseModel], str, str]] = {
    "pattern": (
        PatternFile,
        "DRAGOPS pattern file",
        "A DRAGOPS export document (patterns/*.json|yaml), plus an optional `sync` block.",
    ),
    "settings": (SyncSettings, "dragops-sync.yaml", "Settings of a dragops-sync directory; all optional."),
    "connections": (
        ConnectionsFile,
        "connections.yaml",
        "API-key connections; apiKey only as a ${ENV_VAR} reference, never a literal secret.",
    ),
}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file kind."""
    try:
        model, title, description = _MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown schema {kind!r} (use {', '.join(SCHEMA_KINDS)})") from None
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = title
    schema["description"] = description
    if kind == "connections":
        # The `${VAR}` rule is a validator in Python; say it in the schema too, for editors.
        entry = schema["$defs"]["ConnectionEntry"]["properties"]["apiKey"]
        entry["pattern"] = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
    if kind == "settings":
        budget = schema["$defs"]["PruneSettings"]["properties"]["budget"]
        percent = {"type": "string", "pattern": r"^\d+(\.\d+)?%?$"}
        budget["anyOf"] = [{"type": "integer", "minimum": 0}, percent]
    return {"$schema": _DRAFT, **schema}


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema, keyed by kind."""
    return {kind: json_schema(kind) for kind in SCHEMA_KINDS}
