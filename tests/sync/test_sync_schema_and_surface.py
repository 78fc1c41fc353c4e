"""The JSON Schemas for editors, and the public surface of the sync core modules."""

from __future__ import annotations

import importlib
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


@pytest.mark.parametrize(
    "module",
    [
        "dragops_sync.desired",
        "dragops_sync.files",
        "dragops_sync.live",
        "dragops_sync.diff",
        "dragops_sync.essence",
        "dragops_sync.ownership",
        "dragops_sync.plan",
        "dragops_sync.render",
        "dragops_sync.schema",
        "dragops_sync.directory",
        "dragops_sync.planner",
        "dragops_sync.validate",
        "dragops_sync._documents",
    ],
)
def test_each_module_exports_a_sorted_all_of_names_it_defines(module: str) -> None:
    mod = importlib.import_module(module)
    doc = (mod.__doc__ or "").lower()
    assert any(limit in doc for limit in ("no network", "no i/o", "pure")), (
        "the docstring must state its limits"
    )
    assert mod.__all__ == sorted(mod.__all__, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(mod, name) for name in mod.__all__)
