"""The pattern file format: strict loading of JSON and YAML, the document, and the canonical dump."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dragops_sync.essence import essence
from dragops_sync.files import PatternFileError, dump_pattern, load_pattern_file, parse_pattern
from kit.documents import webhook_logger
from kit.sync_dirs import write_pattern


def test_an_export_document_is_a_valid_pattern_file_as_it_is(tmp_path: Path) -> None:
    doc = webhook_logger() | {"isPublic": False, "isTemplate": False, "createdAt": "2026-02-20T10:00:00.000Z"}
    doc["graphData"]["variables"] = [{"name": "count", "type": "integer", "defaultValue": 0}]
    pattern = load_pattern_file(write_pattern(tmp_path, "logger.json", doc))
    assert pattern.name == "Webhook Logger"
    assert pattern.sync is None
    assert pattern.document() == doc


def test_yaml_and_json_files_of_one_document_load_the_same(tmp_path: Path) -> None:
    doc = webhook_logger()
    from_json = load_pattern_file(write_pattern(tmp_path, "a.json", doc))
    from_yaml = load_pattern_file(write_pattern(tmp_path, "a.yml", doc))
    assert from_json == from_yaml


def test_the_sync_block_carries_the_deployment_intent(tmp_path: Path) -> None:
    doc = webhook_logger() | {
        "sync": {"deploy": False, "environmentId": "env_prod", "prune": False, "drift": "enforce"}
    }
    pattern = load_pattern_file(write_pattern(tmp_path, "p.yaml", doc))
    assert pattern.sync is not None
    assert (pattern.sync.deploy, pattern.sync.environment_id, pattern.sync.prune, pattern.sync.drift) == (
        False,
        "env_prod",
        False,
        "enforce",
    )
    assert "sync" not in pattern.document()


def test_unknown_keys_inside_the_graph_are_kept_verbatim(tmp_path: Path) -> None:
    doc = webhook_logger()
    doc["graphData"]["viewport"] = {"x": 1, "zoom": 0.5}
    doc["graphData"]["nodes"][0]["data"]["label"] = "Incoming"
    doc["graphData"]["edges"][0]["animated"] = True
    pattern = load_pattern_file(write_pattern(tmp_path, "p.json", doc))
    assert pattern.document()["graphData"] == doc["graphData"]


def test_yaml_timestamps_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: T\ncreatedAt: 2026-02-20T10:00:00.000Z\ngraphData:\n  nodes: []\n  edges: []\n"
        "  variables: [{name: day, type: string, defaultValue: 2026-01-01}]\n",
        encoding="utf-8",
    )
    pattern = load_pattern_file(path)
    assert pattern.created_at == "2026-02-20T10:00:00.000Z"
    assert pattern.document()["graphData"]["variables"][0]["defaultValue"] == "2026-01-01"


def test_the_error_names_the_file_and_lists_every_problem(tmp_path: Path) -> None:
    doc = webhook_logger()
    doc["tags"] = "webhooks"
    doc["isTemplate"] = 1
    path = write_pattern(tmp_path, "p.json", doc)
    with pytest.raises(PatternFileError) as caught:
        load_pattern_file(path)
    assert caught.value.path == path
    assert [(i.field, i.file) for i in caught.value.issues] == [
        ("tags", str(path)),
        ("isTemplate", str(path)),
    ]
    assert str(path) in str(caught.value) and "tags:" in str(caught.value)


def test_types_are_not_coerced(tmp_path: Path) -> None:
    for field, value in (("name", 5), ("isPublic", "true"), ("formatVersion", "1"), ("description", 3)):
        with pytest.raises(PatternFileError) as caught:
            parse_pattern(webhook_logger() | {field: value}, source="p.json")
        assert caught.value.issues[0].field == field


def test_an_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("name = 'x'", encoding="utf-8")
    with pytest.raises(PatternFileError, match="unsupported file type"):
        load_pattern_file(path)


def test_a_non_utf8_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(PatternFileError, match="not UTF-8"):
        load_pattern_file(path)


def test_json_duplicate_keys_and_nan_are_refused(tmp_path: Path) -> None:
    dup = tmp_path / "dup.json"
    dup.write_text('{"name": "a", "name": "b", "graphData": {"nodes": [], "edges": []}}', encoding="utf-8")
    with pytest.raises(PatternFileError, match="duplicate key"):
        load_pattern_file(dup)
    nan = tmp_path / "nan.json"
    nan.write_text('{"name": "a", "graphData": {"nodes": [], "edges": [], "x": NaN}}', encoding="utf-8")
    with pytest.raises(PatternFileError, match="NaN is not valid JSON"):
        load_pattern_file(nan)


def test_yaml_anchors_and_merge_keys_are_refused_naming_the_field(tmp_path: Path) -> None:
    # Decided in docs/limits.md: a pattern file has no use for them, and aliases make alias bombs.
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: A\ngraphData:\n  nodes:\n"
        "    - &base {id: n1, type: OnStart, data: {x: 1}}\n"
        "    - {<<: *base, id: n2, type: Log}\n"
        "  edges: []\n",
        encoding="utf-8",
    )
    with pytest.raises(PatternFileError) as caught:
        load_pattern_file(path)
    [issue] = caught.value.issues
    assert issue.field == "graphData.nodes[0]"
    assert "anchors and aliases" in issue.message and (issue.line, issue.column) == (4, 7)


def test_the_canonical_json_puts_important_keys_first_and_ends_with_a_newline() -> None:
    doc = webhook_logger() | {"sync": {"drift": "warn", "deploy": True}, "zeta": 1}
    text = dump_pattern(dict(reversed(list(doc.items()))))
    assert text.endswith("}\n")
    keys = list(json.loads(text))
    assert keys == ["formatVersion", "name", "description", "tags", "graphData", "sync", "zeta"]
    assert list(json.loads(text)["sync"]) == ["deploy", "drift"]
    node = json.loads(text)["graphData"]["nodes"][0]
    assert list(node) == ["id", "type", "position", "data"]
    assert '\n  "name": "Webhook Logger",\n' in text  # two-space indentation


def test_dumping_twice_gives_identical_bytes_and_loads_back_equal(tmp_path: Path) -> None:
    doc = webhook_logger() | {"isPublic": False, "isTemplate": False, "createdAt": "2026-02-20T10:00:00.000Z"}
    doc |= {"sync": {"deploy": True}}
    doc["description"] = "yes"  # a YAML 1.1 boolean word must stay a string
    for fmt, suffix in (("json", ".json"), ("yaml", ".yaml")):
        text = dump_pattern(doc, fmt)
        assert text == dump_pattern(json.loads(json.dumps(doc)), fmt)
        path = tmp_path / f"p{suffix}"
        path.write_text(text, encoding="utf-8")
        loaded = load_pattern_file(path)
        assert loaded.description == "yes" and loaded.created_at == "2026-02-20T10:00:00.000Z"
        assert dump_pattern(loaded.document() | {"sync": {"deploy": True}}, fmt) == text


def test_the_canonical_yaml_writes_no_anchors_for_shared_objects() -> None:
    shared = {"message": "hi"}
    doc = webhook_logger()
    doc["graphData"]["nodes"][0]["data"] = shared
    doc["graphData"]["nodes"][1]["data"] = shared
    text = dump_pattern(doc, "yaml")
    assert "&id" not in text and "*id" not in text


def test_dump_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        dump_pattern(webhook_logger(), "toml")  # type: ignore[arg-type]


def test_the_document_and_the_raw_file_have_the_same_essence(tmp_path: Path) -> None:
    doc = webhook_logger()
    pattern = load_pattern_file(write_pattern(tmp_path, "p.yaml", doc))
    assert essence(pattern.document()) == essence(doc)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


# What the server accepts in a name (no control characters) and in a description (line breaks and
# tabs too); anything else is refused when the file loads (tests/sync/test_hostile_input.py).
_name_chars = st.characters(exclude_categories=("Cc", "Cs"))
_description_chars = _name_chars | st.sampled_from("\t\n\r")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(_name_chars, min_size=1, max_size=20).filter(lambda s: s.strip() != ""),
    description=st.text(_description_chars, max_size=30),
    data=_json_values,
    fmt=st.sampled_from(["json", "yaml"]),
)
def test_any_document_survives_a_canonical_dump_and_load(
    tmp_path: Path, name: str, description: str, data: object, fmt: str
) -> None:
    doc = webhook_logger(name) | {"description": description}
    doc["graphData"]["nodes"][0]["data"] = {"payload": data}
    path = tmp_path / f"p.{fmt}"
    path.write_text(dump_pattern(doc, fmt), encoding="utf-8")  # type: ignore[arg-type]
    loaded = load_pattern_file(path)
    assert loaded.document()["graphData"] == doc["graphData"]
    assert (loaded.name, loaded.description) == (name, description)
