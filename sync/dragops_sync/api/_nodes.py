"""``client.nodes``: the node library, and the `nodeDefinitions` a deploy needs, built from it.

The library is fetched once per client and cached for the client's lifetime (one lock, one fetch even
when many threads deploy at once): it changes only with a server upgrade, and a deploy of many patterns
would otherwise download it for each.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..models import NodeDefinition
from ._envelope import unwrap, unwrap_list
from ._paths import segment
from ._transport import Transport

__all__ = ["NodesAPI", "node_types"]


class NodesAPI:
    """The node library endpoints (``/api/nodes``)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._library: dict[str, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return "NodesAPI()"

    def list(self, *, category: str | None = None) -> list[NodeDefinition]:
        """Every node definition (of one `category` when given)."""
        response = self._transport.request("GET", "/nodes", params={"category": category})
        items, _ = unwrap_list(response.body, "nodes")
        return [NodeDefinition.model_validate(item) for item in items]

    def get(self, node_type: str) -> NodeDefinition:
        """One node definition by its type id (e.g. ``OnWebhook``)."""
        response = self._transport.request("GET", f"/nodes/{segment(node_type, 'node_type')}")
        return NodeDefinition.model_validate(unwrap(response.body))

    def library(self) -> Mapping[str, dict[str, Any]]:
        """The whole library as raw definitions keyed by type id (cached for the client's lifetime)."""
        with self._lock:
            if self._library is None:
                response = self._transport.request("GET", "/nodes")
                items, _ = unwrap_list(response.body, "nodes")
                self._library = {
                    item["id"]: item for item in items if isinstance(item, dict) and "id" in item
                }
            return self._library

    def definitions_for(self, graph_data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The `nodeDefinitions` for a deploy of `graph_data`: the library entries of the types it uses.

        Types missing from the library are left out; the server then refuses the deploy with a
        `ValidationError` naming them, which is the clearest place for that message.
        """
        library = self.library()
        return {t: library[t] for t in sorted(node_types(graph_data)) if t in library}


def node_types(graph_data: Mapping[str, Any]) -> set[str]:
    """The node type ids used in a graph (``graphData.nodes[*].type``)."""
    nodes = graph_data.get("nodes") if isinstance(graph_data, Mapping) else None
    if not isinstance(nodes, list):
        return set()
    return {n["type"] for n in nodes if isinstance(n, dict) and isinstance(n.get("type"), str)}
