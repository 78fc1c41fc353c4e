"""`PatternSpec`: one value for a pattern's content, from a file, the API or Pulumi inputs."""

from __future__ import annotations

import dataclasses

import pytest

from dragops_sync.files import parse_pattern
from dragops_sync.models import Pattern
from dragops_sync.spec import FIELDS, PatternSpec
from kit.documents import webhook_logger


def test_a_pattern_file_a_live_pattern_and_pulumi_inputs_give_the_same_spec() -> None:
    document = webhook_logger()
    from_file = PatternSpec.from_document(parse_pattern(document, source="p.yaml").document())
    live = Pattern.model_validate({**document, "id": "pat_1", "versionNumber": 3, "createdAt": None})
    from_live = PatternSpec.from_live(live)
    pulumi_inputs = {
        "name": document["name"],
        "description": document["description"],
        "tags": document["tags"],
        "is_public": None,
        "is_template": False,
        # Pulumi marshals every number as a double.
        "graph": {
            **document["graphData"],
            "nodes": [
                {**n, "position": {"x": float(n["position"]["x"]), "y": 0.0}}
                for n in document["graphData"]["nodes"]
            ],
        },
    }
    from_pulumi = PatternSpec.from_pulumi(pulumi_inputs)
    assert from_file == from_live == from_pulumi
    assert from_pulumi.graph_data["nodes"][1]["position"] == {"x": 320, "y": 0}


def test_to_api_is_the_whole_camel_case_body_or_the_fields_asked_for() -> None:
    spec = PatternSpec(name="P", tags=("b", "a"), graph_data={"nodes": [], "edges": []})
    assert spec.to_api() == {
        "name": "P",
        "description": "",
        "tags": ["b", "a"],
        "isPublic": False,
        "isTemplate": False,
        "graphData": {"nodes": [], "edges": []},
    }
    assert spec.to_api(["tags"]) == {"tags": ["b", "a"]}
    with pytest.raises(KeyError):
        spec.to_api(["graph"])  # an API key is asked for, not a Pulumi input name


def test_to_api_hands_out_containers_the_caller_may_change() -> None:
    spec = PatternSpec(name="P", tags=("a",))
    body = spec.to_api()
    body["tags"].append("b")
    body["graphData"]["nodes"] = ["x"]
    assert spec.tags == ("a",)
    assert spec.graph_data == {"nodes": [], "edges": []}


def test_to_pulumi_uses_the_input_names() -> None:
    spec = PatternSpec(name="P", is_public=True)
    assert spec.to_pulumi() == {
        "name": "P",
        "description": "",
        "tags": [],
        "is_public": True,
        "is_template": False,
        "graph": {"nodes": [], "edges": []},
    }
    assert PatternSpec.from_pulumi(spec.to_pulumi()) == spec


def test_changed_fields_compares_essences_and_honours_ignore() -> None:
    base = PatternSpec.from_document(webhook_logger())
    moved_nodes = [dict(n, position={"x": 9, "y": 9}) for n in base.graph_data["nodes"]]
    moved = dataclasses.replace(
        base, tags=("logging", "webhooks"), graph_data={**base.graph_data, "nodes": moved_nodes}
    )
    assert moved.changed_fields(base) == ("graphData",)  # tag order is not a change
    assert moved.changed_fields(base, ignore=["/graphData/nodes/*/position"]) == ()
    renamed = dataclasses.replace(base, name="Other", description="x")
    assert renamed.changed_fields(base) == ("name", "description")


def test_the_essence_and_its_hash_do_not_depend_on_where_the_spec_came_from() -> None:
    document = webhook_logger()
    a = PatternSpec.from_document(document).essence()
    b = PatternSpec.from_document({**document, "tags": list(reversed(document["tags"]))}).essence()
    assert a.canonical == b.canonical
    assert a.short_hash == b.short_hash


def test_every_field_is_listed_once_with_its_three_spellings() -> None:
    attributes = [f.name for f in dataclasses.fields(PatternSpec)]
    assert [f.attribute for f in FIELDS] == attributes
    assert PatternSpec.api_key("is_public") == "isPublic"


def test_a_spec_is_frozen() -> None:
    spec = PatternSpec(name="P")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "Q"  # type: ignore[misc]
    assert spec.with_tags(["x"]).tags == ("x",)
