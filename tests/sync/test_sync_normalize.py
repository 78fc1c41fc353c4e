"""The essence: one normaliser for plan and provider diff; its invariants checked with hypothesis."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dragops_sync.diff import diff_essence
from dragops_sync.essence import canonical_json, essence, essence_hash, short_hash
from dragops_sync.ownership import (
    APPLIED_TAG_PREFIX,
    KEEP_TAG,
    OWNER_TAG_PREFIX,
    ownership_mark,
    ownership_tags,
)
from kit.documents import webhook_logger

# -- strategies ----------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)
_ids = st.lists(st.text(min_size=1, max_size=6), unique=True, max_size=5)


@st.composite
def patterns(draw: st.DrawFn) -> dict[str, Any]:
    node_ids = draw(_ids)
    edge_ids = draw(_ids)
    nodes = [
        {"id": i, "type": draw(st.sampled_from(["OnWebhook", "Log", "Add"])), "data": draw(_json)}
        for i in node_ids
    ]
    edges = [
        {"id": i, "source": draw(st.text(max_size=3)), "target": draw(st.text(max_size=3))} for i in edge_ids
    ]
    doc: dict[str, Any] = {
        "name": draw(st.text(min_size=1, max_size=10)),
        "tags": draw(st.lists(st.text(max_size=6), max_size=4)),
        "graphData": {"nodes": nodes, "edges": edges},
    }
    if draw(st.booleans()):
        doc["description"] = draw(st.text(max_size=10))
    if draw(st.booleans()):
        doc["isPublic"] = draw(st.booleans())
    return doc


def _shuffled(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same pattern with every dict's keys, the tags, the nodes and the edges reordered."""
    rng = random.Random(seed)

    def keys(value: Any) -> Any:
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {k: keys(v) for k, v in items}
        if isinstance(value, list):
            return [keys(v) for v in value]
        return value

    out = keys(copy.deepcopy(doc))
    rng.shuffle(out["tags"])
    rng.shuffle(out["graphData"]["nodes"])
    rng.shuffle(out["graphData"]["edges"])
    return out


def _as_floats(value: Any) -> Any:
    """Every int as a float, as Pulumi marshals numbers (bools stay bools)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**52:
        return float(value)
    if isinstance(value, dict):
        return {k: _as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_floats(v) for v in value]
    return value


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_essence_is_idempotent(doc: dict[str, Any]) -> None:
    once = essence(doc)
    assert canonical_json(essence(once)) == canonical_json(once)


@settings(max_examples=150, deadline=None)
@given(patterns(), st.integers(0, 2**32))
def test_essence_ignores_key_tag_node_and_edge_order(doc: dict[str, Any], seed: int) -> None:
    assert essence_hash(essence(_shuffled(doc, seed))) == essence_hash(essence(doc))


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_essence_ignores_float_versus_int_marshalling(doc: dict[str, Any]) -> None:
    assert essence_hash(essence(_as_floats(doc))) == essence_hash(essence(doc))


@settings(max_examples=150, deadline=None)
@given(patterns(), st.text(min_size=1, max_size=12), st.text(min_size=12, max_size=12))
def test_essence_ignores_ownership_tags(doc: dict[str, Any], owner: str, applied: str) -> None:
    marked = copy.deepcopy(doc)
    marked["tags"] = ownership_tags(doc["tags"], owner=owner, applied=applied, keep=True)
    assert essence_hash(essence(marked)) == essence_hash(essence(doc))


@settings(max_examples=100, deadline=None)
@given(patterns(), patterns())
def test_diff_is_empty_exactly_when_essences_are_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    ea, eb = essence(a), essence(b)
    assert (diff_essence(ea, eb) == []) == (canonical_json(ea) == canonical_json(eb))


# -- examples ------------------------------------------------------------------------------------


def test_server_fields_file_fields_and_defaults_do_not_count() -> None:
    doc = webhook_logger()
    live = copy.deepcopy(doc) | {
        "id": "pat_1",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-02T00:00:00Z",
        "versionNumber": 7,
        "isPublic": False,
        "isTemplate": False,
    }
    live.pop("formatVersion")
    file_doc = copy.deepcopy(doc) | {"sync": {"deploy": True}}
    assert essence(live) == essence(file_doc)
    assert set(essence(doc)) == {"name", "description", "tags", "isPublic", "isTemplate", "graphData"}


def test_missing_description_and_null_description_equal_the_empty_string() -> None:
    assert essence({"name": "a"}) == essence({"name": "a", "description": None, "tags": None})
    assert essence({"name": "a"})["description"] == ""


def test_snake_case_inputs_normalise_like_camel_case() -> None:
    doc = webhook_logger()
    snake = {
        "name": doc["name"],
        "description": doc["description"],
        "tags": doc["tags"],
        "graph_data": doc["graphData"],
        "is_public": False,
    }
    assert essence(snake) == essence(doc)


def test_names_are_compared_without_surrounding_whitespace_as_the_server_stores_them() -> None:
    assert essence({"name": "  Logger "})["name"] == "Logger"


def test_ignore_globs_remove_positions_from_the_comparison() -> None:
    moved = webhook_logger()
    moved["graphData"]["nodes"][0]["position"] = {"x": 999, "y": 5}
    ignore = ["/graphData/nodes/*/position"]
    assert essence(moved) != essence(webhook_logger())
    assert essence(moved, ignore=ignore) == essence(webhook_logger(), ignore=ignore)
    assert all("position" not in n for n in essence(moved, ignore=ignore)["graphData"]["nodes"])


def test_an_empty_variables_list_equals_no_variables() -> None:
    with_empty = webhook_logger()
    with_empty["graphData"]["variables"] = []
    assert essence(with_empty) == essence(webhook_logger())


def test_essence_does_not_share_or_modify_the_callers_data() -> None:
    doc = webhook_logger()
    before = copy.deepcopy(doc)
    ess = essence(doc)
    ess["graphData"]["nodes"][0]["data"]["properties"]["responseMode"] = "changed"
    assert doc == before


def test_the_applied_hash_is_the_first_twelve_hex_digits_of_the_sha256() -> None:
    ess = essence(webhook_logger())
    assert len(essence_hash(ess)) == 64
    assert short_hash(ess) == essence_hash(ess)[:12]


def test_canonical_json_sorts_keys_compactly_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": ["é", 2]}) == '{"a":["é",2],"b":1}'


def test_ownership_mark_round_trips_through_tags() -> None:
    tags = ownership_tags(
        ["b", "a", f"{OWNER_TAG_PREFIX}old"], owner="team/x", applied="0123456789ab", keep=True
    )
    assert tags == ["a", "b", f"{OWNER_TAG_PREFIX}team/x", f"{APPLIED_TAG_PREFIX}0123456789ab", KEEP_TAG]
    mark = ownership_mark(tags)
    assert (mark.owner, mark.applied, mark.keep) == ("team/x", "0123456789ab", True)
    assert ownership_mark(["a"]).owner is None


def test_diff_names_nodes_by_id_so_an_insertion_does_not_shift_other_paths() -> None:
    live = essence(webhook_logger())
    wanted = webhook_logger(message="changed")
    wanted["graphData"]["nodes"].insert(0, {"id": "node_0", "type": "Log"})
    changes = diff_essence(essence(wanted), live)
    assert [(c.path, c.op) for c in changes] == [
        ("/graphData/nodes/node_0", "add"),
        ("/graphData/nodes/node_2/data/pinDefaults/message", "replace"),
    ]
    assert changes[1].before == "got it" and changes[1].after == "changed"


def test_diff_reports_removed_fields_and_whole_tag_lists() -> None:
    live = essence(webhook_logger())
    wanted = webhook_logger()
    wanted["tags"] = ["logging"]
    del wanted["graphData"]["nodes"][1]["data"]
    changes = {c.path: c for c in diff_essence(essence(wanted), live)}
    assert changes["/tags"].before == ["logging", "webhooks"] and changes["/tags"].after == ["logging"]
    assert changes["/graphData/nodes/node_2/data"].op == "remove"
