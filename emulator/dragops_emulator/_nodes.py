"""The node library: what `GET /api/nodes` serves and what deploy-time validation checks graphs against.

The three documented definitions (OnWebhook, Log, Add; docs/api-contract.md#node-library) are reproduced
exactly; the others are our own realistic definitions across the documented categories (D18), written with the
same keys and the pin types of D15. The catalogue itself lives in `_node_catalog/`; this module is the lookup
surface: every accessor hands out deep copies, so no caller can alter the library.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from dragops_emulator._node_catalog import CATALOG

__all__ = [
    "CATEGORIES",
    "PIN_TYPES",
    "TRIGGER_TYPES",
    "get_node",
    "input_pins",
    "is_trigger",
    "list_nodes",
    "node_ids",
    "output_pins",
]

# D15: the lowercase pin type vocabulary.
PIN_TYPES: frozenset[str] = frozenset(
    {
        "exec",
        "string",
        "integer",
        "float",
        "number",
        "boolean",
        "object",
        "array",
        "datetime",
        "binary",
        "any",
        "null",
        "enum",
    }
)

_BY_ID: dict[str, dict[str, Any]] = {definition["id"]: definition for definition in CATALOG}

TRIGGER_TYPES: frozenset[str] = frozenset(
    definition["id"] for definition in CATALOG if definition.get("isTrigger")
)

# Categories in catalogue order (the order the dashboard's palette would show them).
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(definition["category"] for definition in CATALOG))


def list_nodes(category: str | None = None) -> list[dict[str, Any]]:
    """Every definition (copies), optionally only one category's (matched case-insensitively)."""
    wanted = category.casefold() if category is not None else None
    return [
        copy.deepcopy(definition)
        for definition in CATALOG
        if wanted is None or definition["category"].casefold() == wanted
    ]


def get_node(node_id: str) -> dict[str, Any] | None:
    """One definition (a copy) by its type id, or None when the library has no such node."""
    definition = _BY_ID.get(node_id)
    return copy.deepcopy(definition) if definition is not None else None


def node_ids() -> frozenset[str]:
    """The type ids the library knows."""
    return frozenset(_BY_ID)


def is_trigger(node_type: str) -> bool:
    """Whether a node type is an event (trigger) node: where a run starts."""
    return node_type in TRIGGER_TYPES


def _parameter_pins(node: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """Pins declared by a node's own parameter list (On Pattern Call's typed inputs, see
    docs/api-contract.md#trigger-nodes)."""
    data = node.get("data")
    properties = data.get("properties") if isinstance(data, Mapping) else None
    declared = properties.get(key) if isinstance(properties, Mapping) else None
    pins: list[dict[str, Any]] = []
    if isinstance(declared, list):
        for item in declared:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"]:
                pin_type = item.get("type")
                pins.append(
                    {
                        "name": item["name"],
                        "type": pin_type if pin_type in PIN_TYPES and pin_type != "exec" else "any",
                        "label": str(item.get("label") or item["name"]),
                    }
                )
    return pins


def output_pins(node_type: str, node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The output pins of one graph node: its definition's, plus any the node declares itself.

    On Pattern Call exposes one output pin per declared input parameter, because the caller supplies
    typed values that the graph wires on like any other data (docs/api-contract.md#trigger-nodes).
    """
    definition = _BY_ID.get(node_type)
    if definition is None:
        return []
    pins: list[dict[str, Any]] = copy.deepcopy(definition["outputs"])
    if node_type == "OnPatternCall":
        known = {pin["name"] for pin in pins}
        pins.extend(pin for pin in _parameter_pins(node, "parameters") if pin["name"] not in known)
    return pins


def input_pins(node_type: str, node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The input pins of one graph node (its definition's; no node type declares extra inputs)."""
    del node  # kept for symmetry with output_pins: a future node type may declare its own inputs
    definition = _BY_ID.get(node_type)
    pins: list[dict[str, Any]] = copy.deepcopy(definition["inputs"]) if definition is not None else []
    return pins
