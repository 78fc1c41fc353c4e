"""Stored webhook state on a real (in-memory) Store: log cap, idempotency window, captured events, order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from dragops_emulator._store import Store
from dragops_emulator._webhook_records import (
    CAPTURED_EVENTS_LIMIT,
    REQUEST_LOG_LIMIT,
    append_request,
    capture_event,
    endpoints_of_pattern,
    find_duplicate,
    first_endpoint_of_pattern,
    public_endpoint,
    remember_idempotency_key,
    requests_newest_first,
)

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[Store]:
    db = Store(None)
    yield db
    db.close()


def _endpoint(store: Store, webhook_id: str, node_id: str, pattern_id: str = "pat_1") -> dict[str, object]:
    doc = {
        "id": webhook_id,
        "patternId": pattern_id,
        "nodeId": node_id,
        "alias": None,
        "secret": "whsec-sentinel-records",
        "requireSignature": True,
        "createdAt": "2026-03-05T12:00:00.000Z",
    }
    return store.insert("webhooks", doc, owner_id="usr_1", parent_id=pattern_id)


def _pattern(store: Store, node_ids: list[str]) -> dict[str, object]:
    nodes = [{"id": node_id, "type": "OnWebhook"} for node_id in node_ids]
    doc = {"id": "pat_1", "name": "p", "graphData": {"nodes": nodes, "edges": []}}
    return store.insert("patterns", doc, owner_id="usr_1")


def test_the_request_log_keeps_only_the_newest_thousand_records(store: Store) -> None:
    for index in range(REQUEST_LOG_LIMIT + 5):
        append_request(store, {"webhookId": "wh_1", "body": {"n": index}}, owner_id="usr_1")
    append_request(store, {"webhookId": "wh_2", "body": {"n": "other"}}, owner_id="usr_1")

    records = requests_newest_first(store, "wh_1")
    assert len(records) == REQUEST_LOG_LIMIT
    assert records[0]["body"] == {"n": REQUEST_LOG_LIMIT + 4}
    assert records[-1]["body"] == {"n": 5}
    assert len({record["id"] for record in records}) == REQUEST_LOG_LIMIT
    assert [r["body"] for r in requests_newest_first(store, "wh_2")] == [{"n": "other"}]


def test_the_request_log_window_survives_a_wipe_of_the_data(store: Store) -> None:
    for index in range(10):
        append_request(store, {"webhookId": "wh_1", "body": {"n": index}}, owner_id="usr_1")
    store.clear()  # what an emulator reset does; the id counters in the metadata stay
    for index in range(REQUEST_LOG_LIMIT + 1):
        append_request(store, {"webhookId": "wh_1", "body": {"n": index}}, owner_id="usr_1")

    records = requests_newest_first(store, "wh_1")
    assert len(records) == REQUEST_LOG_LIMIT
    assert records[-1]["body"] == {"n": 1}


def test_an_idempotency_key_is_a_duplicate_for_24_hours_and_then_not(store: Store) -> None:
    remember_idempotency_key(store, "wh_1", "delivery-1", "run_a", owner_id="usr_1", now=NOW)

    duplicate = find_duplicate(store, "wh_1", "delivery-1", now=NOW + timedelta(hours=23, minutes=59))
    assert duplicate is not None
    assert duplicate["runId"] == "run_a"
    assert find_duplicate(store, "wh_1", "delivery-1", now=NOW + timedelta(hours=24)) is None
    assert find_duplicate(store, "wh_2", "delivery-1", now=NOW) is None
    assert find_duplicate(store, "wh_1", "delivery-2", now=NOW) is None


def test_an_expired_idempotency_key_can_be_used_again_for_a_new_run(store: Store) -> None:
    remember_idempotency_key(store, "wh_1", "k", "run_a", owner_id="usr_1", now=NOW)
    later = NOW + timedelta(days=2)
    remember_idempotency_key(store, "wh_1", "k", "run_b", owner_id="usr_1", now=later)

    duplicate = find_duplicate(store, "wh_1", "k", now=later)
    assert duplicate is not None
    assert duplicate["runId"] == "run_b"
    assert store.count("idempotency", parent_id="wh_1") == 1


def test_expired_idempotency_records_are_swept_when_an_endpoint_collects_many(store: Store) -> None:
    later = NOW + timedelta(days=1)
    for index in range(1001):
        remember_idempotency_key(store, "wh_1", f"old-{index}", f"run_{index}", owner_id="usr_1", now=NOW)
    # The sweep at 1,001 records found nothing expired; the next one comes when the count has doubled.
    for index in range(1001):
        remember_idempotency_key(store, "wh_1", f"new-{index}", f"run_n{index}", owner_id="usr_1", now=later)
    assert store.count("idempotency", parent_id="wh_1") == 2002

    remember_idempotency_key(store, "wh_1", "last", "run_last", owner_id="usr_1", now=later)

    assert store.count("idempotency", parent_id="wh_1") == 1002
    assert find_duplicate(store, "wh_1", "new-0", now=later) is not None


def test_fresh_idempotency_records_are_never_swept(store: Store) -> None:
    for index in range(2500):
        remember_idempotency_key(store, "wh_1", f"key-{index}", f"run_{index}", owner_id="usr_1", now=NOW)

    assert store.count("idempotency", parent_id="wh_1") == 2500
    assert find_duplicate(store, "wh_1", "key-0", now=NOW + timedelta(hours=1)) is not None


def test_captured_events_keep_only_the_newest_per_pattern(store: Store) -> None:
    for index in range(CAPTURED_EVENTS_LIMIT + 3):
        capture_event(store, {"patternId": "pat_1", "eventData": {"n": index}}, owner_id="usr_1")

    kept = store.list("captured_events", parent_id="pat_1")
    assert len(kept) == CAPTURED_EVENTS_LIMIT
    assert kept[0]["eventData"] == {"n": 3}


def test_endpoints_follow_the_order_of_their_nodes_in_the_graph(store: Store) -> None:
    _endpoint(store, "wh_a", "node_a")
    _endpoint(store, "wh_b", "node_b")
    _endpoint(store, "wh_orphan", "node_gone")
    pattern = _pattern(store, ["node_log", "node_b", "node_a"])

    assert [ep["id"] for ep in endpoints_of_pattern(store, pattern)] == ["wh_b", "wh_a", "wh_orphan"]
    first = first_endpoint_of_pattern(store, "pat_1")
    assert first is not None
    assert first["id"] == "wh_b"
    assert first_endpoint_of_pattern(store, "pat_unknown") is None


def test_the_public_view_of_an_endpoint_has_its_url_and_no_secret(store: Store) -> None:
    endpoint = _endpoint(store, "wh_a", "node_a")

    view = public_endpoint(dict(endpoint), "http://127.0.0.1:8080/")
    assert view == {
        "id": "wh_a",
        "patternId": "pat_1",
        "nodeId": "node_a",
        "alias": None,
        "url": "http://127.0.0.1:8080/webhooks/wh_a",
        "requireSignature": True,
        "createdAt": "2026-03-05T12:00:00.000Z",
    }
    assert "whsec-sentinel-records" not in repr(view)
