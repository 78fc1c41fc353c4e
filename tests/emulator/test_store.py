"""The SQLite document store every emulator module shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_emulator._store import Store, Where


@pytest.fixture
def store() -> Store:
    return Store(None)


def _pattern(pid: str, name: str, **extra: object) -> dict[str, object]:
    return {"id": pid, "name": name, "tags": [], "isPublic": False, "graphData": {"nodes": [1, 2]}, **extra}


def test_documents_round_trip_as_fresh_dicts(store: Store) -> None:
    doc = {"id": "a", "nested": {"x": [1, 2]}}
    store.insert("patterns", doc, owner_id="u1")
    loaded = store.get("patterns", "a")
    assert loaded == doc and loaded is not doc
    assert loaded is not None
    loaded["nested"]["x"].append(3)
    assert store.get("patterns", "a") == {"id": "a", "nested": {"x": [1, 2]}}


def test_get_with_an_owner_hides_other_owners_documents(store: Store) -> None:
    store.insert("connections", {"id": "c"}, owner_id="u1")
    assert store.get("connections", "c", owner_id="u1") == {"id": "c"}
    assert store.get("connections", "c", owner_id="u2") is None
    assert store.owner_of("connections", "c") == "u1"


def test_list_filters_by_owner_and_parent_in_insertion_order(store: Store) -> None:
    store.insert("runs", {"id": "r2"}, owner_id="u1", parent_id="d1")
    store.insert("runs", {"id": "r1"}, owner_id="u1", parent_id="d2")
    store.insert("runs", {"id": "r3"}, owner_id="u2", parent_id="d1")
    assert [d["id"] for d in store.list("runs")] == ["r2", "r1", "r3"]
    assert [d["id"] for d in store.list("runs", parent_id="d1")] == ["r2", "r3"]
    assert [d["id"] for d in store.list("runs", owner_id="u1", parent_id="d1")] == ["r2"]
    assert store.count("runs", parent_id="d1") == 2


def test_heads_leave_out_the_graph(store: Store) -> None:
    store.insert("patterns", _pattern("p", "P"), owner_id="u")
    [head] = store.list("patterns", heads=True)
    assert "graphData" not in head and head["name"] == "P"
    store.replace("patterns", _pattern("p", "Renamed"))
    assert store.list("patterns", heads=True)[0]["name"] == "Renamed"
    assert store.get("patterns", "p") == _pattern("p", "Renamed")


def test_replace_and_delete_report_missing_documents(store: Store) -> None:
    with pytest.raises(KeyError):
        store.replace("patterns", {"id": "nope"})
    assert store.delete("patterns", "nope") is False
    store.insert("patterns", {"id": "p"}, owner_id="u")
    assert store.delete("patterns", "p") is True


def test_delete_children_removes_one_parents_documents(store: Store) -> None:
    store.insert("versions", {"id": "v1"}, owner_id="u", parent_id="p1")
    store.insert("versions", {"id": "v2"}, owner_id="u", parent_id="p1")
    store.insert("versions", {"id": "v3"}, owner_id="u", parent_id="p2")
    assert store.delete_children("versions", "p1") == 2
    assert [d["id"] for d in store.list("versions")] == ["v3"]


def test_a_failing_transaction_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.insert("patterns", {"id": "p1"}, owner_id="u")
        with store.transaction():  # nested: joins the outer one
            store.insert("patterns", {"id": "p2"}, owner_id="u")
        raise RuntimeError("boom")
    assert store.list("patterns") == []
    with store.transaction():
        store.insert("patterns", {"id": "p3"}, owner_id="u")
    assert [d["id"] for d in store.list("patterns")] == ["p3"]


def test_unknown_collections_are_refused(store: Store) -> None:
    with pytest.raises(KeyError):
        store.list("patterns; DROP TABLE users")


def test_page_filters_sorts_and_counts_in_sqlite(store: Store) -> None:
    store.insert("patterns", _pattern("p1", "beta", tags=["a", "b"], isPublic=True), owner_id="u")
    store.insert("patterns", _pattern("p2", "Alpha", tags=["a"]), owner_id="u")
    store.insert("patterns", _pattern("p3", "ÉCLAIR", tags=["b"]), owner_id="u")
    store.insert("patterns", _pattern("p4", "other", tags=["a"]), owner_id="someone-else")
    docs, total = store.page("patterns", owner_id="u", order_by="name", casefold_order=True, limit=2)
    assert ([d["name"] for d in docs], total) == (["Alpha", "beta"], 3)
    assert "graphData" not in docs[0]
    docs, _ = store.page("patterns", owner_id="u", order_by="name", casefold_order=True, offset=2)
    assert [d["name"] for d in docs] == ["ÉCLAIR"]
    tagged, total = store.page(
        "patterns",
        owner_id="u",
        where=[Where("tags", "has", "a"), Where("tags", "has", "b")],
        order_by="name",
    )
    assert ([d["id"] for d in tagged], total) == (["p1"], 1)
    public, _ = store.page("patterns", owner_id="u", where=[Where("isPublic", "eq", True)], order_by="name")
    assert [d["id"] for d in public] == ["p1"]
    found, _ = store.page(
        "patterns", owner_id="u", where=[Where("name", "icontains", "éclair")], order_by="id"
    )
    assert [d["id"] for d in found] == ["p3"]


def test_page_breaks_ties_by_id_in_the_sort_direction(store: Store) -> None:
    for pid in ("b", "a", "c"):
        store.insert("patterns", _pattern(pid, "same"), owner_id="u")
    ascending, _ = store.page("patterns", order_by="name")
    descending, _ = store.page("patterns", order_by="name", descending=True)
    assert [d["id"] for d in ascending] == ["a", "b", "c"]
    assert [d["id"] for d in descending] == ["c", "b", "a"]


def test_clear_wipes_documents_but_keeps_metadata(store: Store) -> None:
    store.insert("users", {"id": "u"}, owner_id="u")
    store.set_meta("jwt_secret", "s1")
    store.set_meta("jwt_secret", "s2")
    store.clear()
    assert store.list("users") == []
    assert store.get_meta("jwt_secret") == "s2"
    assert store.get_meta("missing") is None


def test_a_database_file_keeps_documents_across_instances(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    first = Store(path)
    first.insert("patterns", _pattern("p", "Kept"), owner_id="u")
    first.close()
    second = Store(path)
    try:
        assert second.get("patterns", "p") == _pattern("p", "Kept")
        assert second.list("patterns", heads=True)[0]["name"] == "Kept"
    finally:
        second.close()


def test_trim_keeps_the_newest_documents_of_one_parent_only(store: Store) -> None:
    for index in range(5):
        store.insert("webhook_requests", {"id": f"a{index}"}, owner_id="u", parent_id="wh_a")
        store.insert("webhook_requests", {"id": f"b{index}"}, owner_id="u", parent_id="wh_b")
    assert store.trim("webhook_requests", "wh_a", keep=2) == 3
    assert [d["id"] for d in store.list("webhook_requests", parent_id="wh_a")] == ["a3", "a4"]
    assert store.count("webhook_requests", parent_id="wh_b") == 5
    # Nothing to drop when the parent holds no more than `keep`.
    assert store.trim("webhook_requests", "wh_a", keep=2) == 0
    assert store.trim("webhook_requests", "wh_none", keep=0) == 0
