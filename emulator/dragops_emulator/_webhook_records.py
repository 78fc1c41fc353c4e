"""Stored webhook state: endpoint lookups, the request log, idempotency keys and captured events.

The endpoint documents themselves are created and deleted by `_webhook_endpoints` when a pattern's
On Webhook nodes change (D12); this module reads them and keeps what ingestion writes beside them:

* `webhook_requests` (parent = webhook id): one record per received request, newest 1,000 kept;
* `idempotency` (parent = webhook id): which run an idempotency key started, valid for 24 hours;
* `captured_events` (parent = pattern id): events that arrived while the pattern was not deployed,
  newest 100 kept.

Callers pass the current time in (the emulator's shiftable clock), so nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from dragops_emulator._clock import format_iso, parse_iso
from dragops_emulator._store import Store

__all__ = [
    "CAPTURED_EVENTS_LIMIT",
    "IDEMPOTENCY_WINDOW",
    "REQUEST_LOG_LIMIT",
    "append_request",
    "capture_event",
    "endpoints_of_pattern",
    "find_duplicate",
    "first_endpoint_of_pattern",
    "public_endpoint",
    "remember_idempotency_key",
    "requests_newest_first",
]

REQUEST_LOG_LIMIT = 1000
"""Most request records kept per endpoint; older ones are dropped as new ones arrive."""

CAPTURED_EVENTS_LIMIT = 100
"""Most captured (undeployed) events kept per pattern: the editor's test dialog needs only recent ones."""

IDEMPOTENCY_WINDOW = timedelta(hours=24)
"""How long a repeated idempotency key is answered as a duplicate (docs/api-contract.md#webhooks)."""

# Expired idempotency records are swept once an endpoint holds more than this many, so a sender that
# uses a fresh key per delivery cannot grow the table without bound.
_IDEMPOTENCY_SWEEP_THRESHOLD = 1000


def endpoints_of_pattern(store: Store, pattern: dict[str, Any]) -> list[dict[str, Any]]:
    """A pattern's webhook endpoints in the order of their nodes in the graph (then creation order).

    Graph order makes "the pattern's first On Webhook endpoint" (the `/api/webhooks/{patternId}`
    path) the first On Webhook node a reader of the pattern file sees.
    """
    endpoints = store.list("webhooks", parent_id=pattern["id"])
    graph = pattern.get("graphData")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    order: dict[str, int] = {}
    if isinstance(nodes, list):
        for index, node in enumerate(nodes):
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                order.setdefault(node["id"], index)
    # Stable sort: endpoints whose node is missing from the graph keep their creation order, last.
    return sorted(endpoints, key=lambda ep: order.get(ep.get("nodeId", ""), len(order)))


def first_endpoint_of_pattern(store: Store, pattern_id: str) -> dict[str, Any] | None:
    """The endpoint that `/api/webhooks/{patternId}` routes to, or None (unknown pattern, no On Webhook)."""
    pattern = store.get("patterns", pattern_id)
    if pattern is None:
        return None
    endpoints = endpoints_of_pattern(store, pattern)
    return endpoints[0] if endpoints else None


def public_endpoint(endpoint: dict[str, Any], base_url: str) -> dict[str, Any]:
    """An endpoint as the management API shows it: with its URL, never with its secret."""
    return {
        "id": endpoint["id"],
        "patternId": endpoint["patternId"],
        "nodeId": endpoint["nodeId"],
        "alias": endpoint.get("alias"),
        "url": f"{base_url.rstrip('/')}/webhooks/{endpoint['id']}",
        "requireSignature": bool(endpoint.get("requireSignature", True)),
        "createdAt": endpoint.get("createdAt"),
    }


# Id prefixes of the bounded collections.
_ID_PREFIX = {"webhook_requests": "whr", "captured_events": "evt"}


def _append_bounded(
    store: Store, collection: str, doc: dict[str, Any], *, parent_id: str, owner_id: str | None, limit: int
) -> dict[str, Any]:
    """Insert `doc` as the newest record of a per-parent window of `limit`, dropping what falls out.

    `Store.trim` finds the cut-off through the parent index without listing the records, so appending
    costs about the same with 10 records as with 1,000, which matters for webhook throughput.
    """
    doc["id"] = f"{_ID_PREFIX[collection]}_{secrets.token_hex(8)}"
    with store.transaction():
        store.insert(collection, doc, owner_id=owner_id, parent_id=parent_id)
        store.trim(collection, parent_id, keep=limit)
    return doc


def append_request(store: Store, record: dict[str, Any], *, owner_id: str | None) -> dict[str, Any]:
    """Log one received request (its `id` is assigned here); only the newest `REQUEST_LOG_LIMIT` stay."""
    return _append_bounded(
        store,
        "webhook_requests",
        record,
        parent_id=record["webhookId"],
        owner_id=owner_id,
        limit=REQUEST_LOG_LIMIT,
    )


def requests_newest_first(store: Store, webhook_id: str) -> list[dict[str, Any]]:
    """The request log of one endpoint, newest first."""
    records = store.list("webhook_requests", parent_id=webhook_id)
    records.reverse()
    return records


def _idempotency_id(webhook_id: str, key: str) -> str:
    # Deterministic, so a lookup is one primary-key read; hashed, so any key text makes a valid id.
    digest = hashlib.sha256(f"{webhook_id}\n{key}".encode()).hexdigest()
    return f"idem_{digest[:40]}"


def _is_fresh(record: dict[str, Any], now: datetime) -> bool:
    created = parse_iso(record["createdAt"])
    return now - created < IDEMPOTENCY_WINDOW


def find_duplicate(store: Store, webhook_id: str, key: str, *, now: datetime) -> dict[str, Any] | None:
    """The idempotency record of `key` on this endpoint when it is younger than 24 hours, else None."""
    record = store.get("idempotency", _idempotency_id(webhook_id, key))
    if record is None or not _is_fresh(record, now):
        return None
    return record


def remember_idempotency_key(
    store: Store, webhook_id: str, key: str, run_id: str, *, owner_id: str | None, now: datetime
) -> None:
    """Record that `key` started `run_id` on this endpoint (replacing an expired record of the same key)."""
    record = {
        "id": _idempotency_id(webhook_id, key),
        "webhookId": webhook_id,
        "key": key,
        "runId": run_id,
        "createdAt": format_iso(now),
    }
    with store.transaction():
        if store.get("idempotency", record["id"]) is None:
            store.insert("idempotency", record, owner_id=owner_id, parent_id=webhook_id)
        else:
            store.replace("idempotency", record)
        _sweep_expired_keys(store, webhook_id, now)


def _sweep_expired_keys(store: Store, webhook_id: str, now: datetime) -> None:
    """Delete expired idempotency records of an endpoint once it holds many.

    A sweep lists every record, so it runs only when the count has doubled since the last sweep left
    it (and is above the threshold): a sender using a fresh key per delivery pays O(1) per request on
    average, and the table stays within about twice the most keys an endpoint saw in 24 hours.
    """
    marker = f"sweep:idempotency:{webhook_id}"
    count = store.count("idempotency", parent_id=webhook_id)
    if count <= max(_IDEMPOTENCY_SWEEP_THRESHOLD, 2 * int(store.get_meta(marker) or "0")):
        return
    for old in store.list("idempotency", parent_id=webhook_id):
        if not _is_fresh(old, now):
            store.delete("idempotency", old["id"])
            count -= 1
    store.set_meta(marker, str(count))


def capture_event(store: Store, event: dict[str, Any], *, owner_id: str | None) -> dict[str, Any]:
    """Store an event that reached an undeployed pattern (its `id` is assigned here); keep the newest
    `CAPTURED_EVENTS_LIMIT` per pattern."""
    return _append_bounded(
        store,
        "captured_events",
        event,
        parent_id=event["patternId"],
        owner_id=owner_id,
        limit=CAPTURED_EVENTS_LIMIT,
    )
