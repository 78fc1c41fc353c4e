"""The JSON Schemas for editors: draft 2020-12, strict where the files are, refused when unknown."""

from __future__ import annotations

import json

import pytest

from dragops_sync.schema import SCHEMA_KINDS, all_schemas, json_schema


def test_every_schema_is_draft_2020_12_json_with_a_title() -> None:
    schemas = all_schemas()
    assert list(schemas) == list(SCHEMA_KINDS) == ["pattern", "settings", "connections"]
    for schema in schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"] and schema["description"]
        json.dumps(schema)  # serialisable as is


def test_the_pattern_schema_is_strict_at_the_top_and_open_inside_the_graph() -> None:
    schema = json_schema("pattern")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "graphData"}
    assert list(schema["properties"]) == [
        "formatVersion",
        "name",
        "description",
        "tags",
        "isPublic",
        "isTemplate",
        "createdAt",
        "graphData",
        "sync",
    ]
    graph = schema["$defs"]["GraphData"]
    assert graph["additionalProperties"] is True
    assert set(graph["required"]) == {"nodes", "edges"}
    assert set(schema["$defs"]["GraphNode"]["required"]) == {"id", "type"}
    assert set(schema["$defs"]["GraphEdge"]["required"]) == {"id", "source", "target"}
    assert schema["$defs"]["SyncIntent"]["additionalProperties"] is False


def test_the_settings_schema_documents_the_budget_forms_and_drift_modes() -> None:
    schema = json_schema("settings")
    budget = schema["$defs"]["PruneSettings"]["properties"]["budget"]
    assert {"type": "integer", "minimum": 0} in budget["anyOf"]
    assert schema["$defs"]["DefaultsSettings"]["properties"]["drift"]["enum"] == [
        "observe",
        "warn",
        "enforce",
    ]


def test_the_connections_schema_only_allows_environment_references() -> None:
    entry = json_schema("connections")["$defs"]["ConnectionEntry"]
    assert entry["properties"]["apiKey"]["pattern"] == r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
    assert set(entry["required"]) == {"name", "provider", "apiKey"}


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema"):
        json_schema("plan")  # type: ignore[arg-type]
