"""The essence memo: a warm reconcile of unchanged patterns normalises nothing, and the plan it
gives is exactly the plan computed without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dragops_sync.essence as essence_module
from dragops_emulator import Emulator, SeededUser
from dragops_sync.diff import diff_essence
from dragops_sync.essence import Essence, EssenceMemo, canonical_json, essence, short_hash
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import PlanOptions
from dragops_sync.planner import build_plan
from kit.clients import client_for
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.sync_dirs import write_pattern, write_settings
from kit.sync_runs import cycle

IGNORE_POSITIONS = ("/graphData/nodes/*/position",)


@pytest.mark.parametrize("ignore", [(), IGNORE_POSITIONS])
@pytest.mark.parametrize("document", [webhook_logger(), scheduled_report(), {"name": "Bare"}])
def test_a_memo_entry_holds_what_computing_the_essence_gives(
    document: dict[str, Any], ignore: tuple[str, ...]
) -> None:
    expected = essence(document, ignore=ignore)
    for got in (EssenceMemo().get(document, ignore=ignore), Essence.of(document, ignore=ignore)):
        assert got.value == expected
        assert got.canonical == canonical_json(expected)
        assert got.short_hash == short_hash(expected)


def test_inputs_seen_before_are_not_normalised_again_whatever_document_carries_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    original = essence_module.essence

    def counting(pattern: Any, *, ignore: Any = ()) -> dict[str, Any]:
        calls.append(pattern)
        return original(pattern, ignore=ignore)

    monkeypatch.setattr(essence_module, "essence", counting)
    memo = EssenceMemo()
    first = memo.get(webhook_logger())
    again = memo.get(webhook_logger())  # a fresh dict with the same content: a file read again
    # The server's fields (id, timestamps, version) are not inputs of the essence: same entry.
    with_server_fields = {**webhook_logger(), "id": "pat_9", "updatedAt": "2026-01-01T00:00:00.000Z"}
    same = memo.get(with_server_fields)
    assert again is first and same is first
    assert len(calls) == 1


def test_changed_content_or_another_ignore_list_is_a_new_entry() -> None:
    memo = EssenceMemo()
    base = memo.get(webhook_logger())
    edited = memo.get(webhook_logger(message="changed"))
    ignoring = memo.get(webhook_logger(), ignore=IGNORE_POSITIONS)
    assert len({id(base), id(edited), id(ignoring)}) == 3
    assert edited.short_hash != base.short_hash
    assert len(memo) == 3


def test_rotation_forgets_entries_that_two_reconciles_did_not_use() -> None:
    memo = EssenceMemo()
    kept = memo.get(webhook_logger("Kept"))
    memo.get(webhook_logger("Gone"))
    memo.rotate()  # reconcile 2 uses only "Kept"
    assert memo.get(webhook_logger("Kept")) is kept
    memo.rotate()  # reconcile 3: "Gone" was unused for a whole reconcile
    assert len(memo) == 1
    assert memo.get(webhook_logger("Kept")) is kept
    assert repr(memo) == "EssenceMemo(entries=1)"


def test_a_plan_through_the_memo_is_the_plan_without_it(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    write_pattern(tmp_path, "logger.json", webhook_logger())
    write_pattern(tmp_path, "report.yaml", scheduled_report())
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, tmp_path, observer)  # creates both
        write_pattern(tmp_path, "logger.json", webhook_logger(message="edited in git"))
        planned = cycle(client, tmp_path, observer, dry_run=True)
    plain = build_plan(planned.desired, planned.observation.state, PlanOptions(owner=OWNER))
    assert [i.kind for i in planned.plan.items] == [i.kind for i in plain.items]
    assert planned.plan == plain


def test_a_warm_no_op_reconcile_normalises_no_pattern(
    tmp_path: Path, emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    for index in range(5):
        write_pattern(tmp_path, f"p{index}.json", webhook_logger(f"Logger {index}"))
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, tmp_path, observer)  # cold: creates the patterns
        cycle(client, tmp_path, observer)  # warm: fills the memo with what is live now
        calls: list[object] = []
        original = essence_module.essence

        def counting(pattern: Any, *, ignore: Any = ()) -> dict[str, Any]:
            calls.append(pattern)
            return original(pattern, ignore=ignore)

        monkeypatch.setattr(essence_module, "essence", counting)
        result = cycle(client, tmp_path, observer)
    assert {str(i.kind) for i in result.plan.items} == {"noop"}
    assert result.report is not None and result.report.ok
    assert calls == []
    assert len(observer.essences) == 10  # each file's essence and its live pattern's


def test_nodes_that_share_an_id_or_have_none_are_still_ordered_by_their_content() -> None:
    # The id alone orders unique ids; ties (a duplicated id, items without one) fall back to the
    # canonical JSON, so any input order gives one essence.
    nodes = [
        {"id": "b", "type": "Log"},
        {"id": "a", "type": "Log", "data": {"v": 2}},
        {"id": "a", "type": "Log", "data": {"v": 1}},
        {"type": "Orphan"},
        "not a node",
    ]
    forward = essence({"name": "P", "graphData": {"nodes": nodes, "edges": []}})
    backward = essence({"name": "P", "graphData": {"nodes": nodes[::-1], "edges": []}})
    assert forward == backward
    ordered = forward["graphData"]["nodes"]
    assert [n.get("id") if isinstance(n, dict) else n for n in ordered] == ["a", "a", "b", "not a node", None]
    assert [n["data"]["v"] for n in ordered[:2]] == [1, 2]


def test_tags_are_de_duplicated_by_value_with_strings_and_other_values_kept_apart() -> None:
    tags = ["b", "a", "b", 1, 1.5, 1, {"k": "v"}, {"k": "v"}, "1"]
    assert essence({"name": "P", "tags": tags})["tags"] == ["1", "a", "b", 1, 1.5, {"k": "v"}]


_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 1.5, float("nan"), float("inf")]),
    st.sampled_from(["", "a", "1", "true"]),
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["a", "b", "1"]), inner, max_size=3),
        st.dictionaries(st.sampled_from([1, "1", "x"]), inner, max_size=2),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_json_values, _json_values)
def test_the_diff_finds_no_change_exactly_when_the_canonical_json_is_equal(after: Any, before: Any) -> None:
    try:
        same = canonical_json(after) == canonical_json(before)
    except TypeError:  # mixed key types cannot be sorted: no canonical text, nothing to compare
        return
    assert (diff_essence({"v": after}, {"v": before}) == []) == same


def test_inputs_that_cannot_be_serialised_are_normalised_without_a_memo_entry() -> None:
    # YAML allows keys of mixed types; under an ignored pointer they never reach the essence.
    document = webhook_logger()
    document["graphData"]["nodes"][0]["position"] = {1: "one", "x": 0}
    memo = EssenceMemo()
    got = memo.get(document, ignore=IGNORE_POSITIONS)
    assert got.value == essence(document, ignore=IGNORE_POSITIONS)
    assert len(memo) == 0
