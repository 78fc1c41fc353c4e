"""Stored webhook state: endpoint lookups, the request log, idempotency keys and captured events.

The endpoint documents themselves are created and deleted by `_webhook_endpoints` when a pattern's
On Webhook nodes change (D12); this module reads them and keeps what ingestion writes beside them:

* `webhook_requests` (parent = webhook id): one record per received request, newest 1,000 kept;
* `idempotency` (parent = webhook id): which run an idempotency key started, valid for 24 hours;
* `captured_events` (parent = pattern id): events that arrived while the pattern was not deployed.

Callers pass the current time in (the emulator's shiftable clock), so nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from dragops_emulator._clock import format_iso
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
"""How long a repeated idempotency key is answered as a duplicate (dragops-api.md §2.5)."""

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


def append_request(store: Store, record: dict[str, Any], *, owner_id: str | None) -> None:
    """Log one received request and drop the oldest records beyond `REQUEST_LOG_LIMIT`."""
    webhook_id = record["webhookId"]
    with store.transaction():
        store.insert("webhook_requests", record, owner_id=owner_id, parent_id=webhook_id)
        excess = store.count("webhook_requests", parent_id=webhook_id) - REQUEST_LOG_LIMIT
        if excess > 0:
            # list() is in insertion order, so the first records are the oldest.
            for old in store.list("webhook_requests", parent_id=webhook_id)[:excess]:
                store.delete("webhook_requests", old["id"])


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
    created = datetime.fromisoformat(record["createdAt"])
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
        if store.count("idempotency", parent_id=webhook_id) > _IDEMPOTENCY_SWEEP_THRESHOLD:
            for old in store.list("idempotency", parent_id=webhook_id):
                if not _is_fresh(old, now):
                    store.delete("idempotency", old["id"])


def capture_event(store: Store, event: dict[str, Any], *, owner_id: str | None) -> None:
    """Store an event that reached an undeployed pattern; keep the newest `CAPTURED_EVENTS_LIMIT`."""
    pattern_id = event["patternId"]
    with store.transaction():
        store.insert("captured_events", event, owner_id=owner_id, parent_id=pattern_id)
        excess = store.count("captured_events", parent_id=pattern_id) - CAPTURED_EVENTS_LIMIT
        if excess > 0:
            for old in store.list("captured_events", parent_id=pattern_id)[:excess]:
                store.delete("captured_events", old["id"])
