"""Webhook endpoint records: one per On Webhook node of a pattern (D12), kept in step with its graph.

Pattern writes call :func:`sync_webhook_endpoints`: a node that appears gets an endpoint (id, signing
secret), a node that disappears loses its endpoint (with its request log and idempotency keys), and
everything else keeps its id, so webhook URLs are stable across edits and redeploys.
"""

from __future__ import annotations

import secrets
from typing import Any

from dragops_emulator._store import Store

__all__ = ["WEBHOOK_NODE_TYPE", "delete_webhook_endpoints", "sync_webhook_endpoints"]

WEBHOOK_NODE_TYPE = "OnWebhook"


def _webhook_nodes(pattern: dict[str, Any]) -> list[dict[str, Any]]:
    graph = pattern.get("graphData") or {}
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    if not isinstance(nodes, list):
        return []
    return [
        node
        for node in nodes
        if isinstance(node, dict)
        and node.get("type") == WEBHOOK_NODE_TYPE
        and isinstance(node.get("id"), str)
    ]


def _alias(node: dict[str, Any]) -> str | None:
    data = node.get("data")
    properties = data.get("properties") if isinstance(data, dict) else None
    alias = properties.get("webhookAlias") if isinstance(properties, dict) else None
    return alias if isinstance(alias, str) and alias else None


def _remove(store: Store, endpoint_id: str) -> None:
    store.delete_children("webhook_requests", endpoint_id)
    store.delete_children("idempotency", endpoint_id)
    store.delete("webhooks", endpoint_id)


def sync_webhook_endpoints(
    store: Store, pattern: dict[str, Any], now_iso: str, *, require_signature: bool = True
) -> None:
    """Create endpoints for new On Webhook nodes of ``pattern``, delete those of removed nodes and keep
    the alias of the others current. ``require_signature`` is the default for new endpoints."""
    pattern_id = str(pattern["id"])
    owner_id = store.owner_of("patterns", pattern_id)
    with store.transaction():
        existing = {str(ep["nodeId"]): ep for ep in store.list("webhooks", parent_id=pattern_id)}
        wanted = {str(node["id"]): node for node in _webhook_nodes(pattern)}
        for node_id, endpoint in existing.items():
            if node_id not in wanted:
                _remove(store, str(endpoint["id"]))
        for node_id, node in wanted.items():
            alias = _alias(node)
            current = existing.get(node_id)
            if current is None:
                store.insert(
                    "webhooks",
                    {
                        "id": f"wh_{secrets.token_hex(8)}",
                        "patternId": pattern_id,
                        "nodeId": node_id,
                        "alias": alias,
                        "secret": secrets.token_hex(32),
                        "requireSignature": require_signature,
                        "createdAt": now_iso,
                    },
                    owner_id=owner_id,
                    parent_id=pattern_id,
                )
            elif current.get("alias") != alias:
                current["alias"] = alias
                store.replace("webhooks", current)


def delete_webhook_endpoints(store: Store, pattern_id: str) -> None:
    """Delete every endpoint of a pattern, with their request logs and idempotency keys."""
    with store.transaction():
        for endpoint in store.list("webhooks", parent_id=pattern_id):
            _remove(store, str(endpoint["id"]))
