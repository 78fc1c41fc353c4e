"""The node definitions of `GET /api/nodes`, indexed for the checks a deploy would otherwise make.

A definition (docs/api-contract.md#node-library) is `{id, inputs, outputs, ...}` with pins
`{name, type, label}`;
DRAGOPS adds `required` and `defaultValue` to pins, `properties` (`{name, type, required?, options?}`,
the editor settings stored in a node's `data.properties`) and `isTrigger`. Only what the checks need is
kept; a definition missing a key is read leniently (a pin without a type is `any`), so a library
richer or poorer than the emulator's never makes a valid graph look invalid.

Pure: the definitions are data the caller fetched.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PIN_TYPES", "TRIGGER_TYPES", "NodeLibrary", "NodeType", "Pin", "Property"]

# The documented event nodes (docs/api-contract.md#trigger-nodes); a node library can add more (`isTrigger`).
TRIGGER_TYPES = frozenset({"OnWebhook", "OnSchedule", "OnPatternCall", "OnStart", "OnError"})

# The pin type vocabulary (D15).
PIN_TYPES = frozenset(
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


@dataclass(frozen=True)
class Pin:
    """An input or output pin of a node type."""

    name: str
    type: str
    required: bool = False
    has_default: bool = False  # the definition gives a `defaultValue` (which may be null)


@dataclass(frozen=True)
class Property:
    """An editor property of a node type, set in a graph node's `data.properties`."""

    name: str
    required: bool = False
    options: tuple[str, ...] = ()  # the allowed values of an enum property; empty: any value


@dataclass(frozen=True)
class NodeType:
    """What the checks know of one node type."""

    inputs: Mapping[str, Pin]
    outputs: Mapping[str, Pin]
    properties: tuple[Property, ...]


class NodeLibrary:
    """The node definitions of `GET /api/nodes`, indexed for validation."""

    def __init__(self, definitions: Iterable[Mapping[str, Any]]) -> None:
        self._types: dict[str, NodeType] = {}
        triggers = set(TRIGGER_TYPES)
        for definition in definitions:
            type_id = definition.get("id")
            if not isinstance(type_id, str):
                continue
            self._types[type_id] = NodeType(
                inputs=_pins(definition.get("inputs")),
                outputs=_pins(definition.get("outputs")),
                properties=_properties(definition.get("properties")),
            )
            if definition.get("isTrigger") is True:
                triggers.add(type_id)
        self.trigger_types = frozenset(triggers)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def suggest(self, type_id: str) -> str | None:
        """The closest known type id, for "did you mean" hints."""
        matches = difflib.get_close_matches(type_id, list(self._types), n=1)
        return matches[0] if matches else None

    def inputs(self, type_id: str) -> frozenset[str]:
        """The names of a known type's input pins."""
        return frozenset(self._types[type_id].inputs)

    def outputs(self, type_id: str, node: Mapping[str, Any]) -> frozenset[str]:
        """The names of a graph node's output pins (its type's, plus those the node declares)."""
        return frozenset(self.output_pins(type_id, node))

    def input_pins(self, type_id: str) -> Mapping[str, Pin]:
        """A known type's input pins by name."""
        return self._types[type_id].inputs

    def output_pins(self, type_id: str, node: Mapping[str, Any]) -> Mapping[str, Pin]:
        """A graph node's output pins by name.

        On Pattern Call exposes one output per declared parameter (docs/api-contract.md#trigger-nodes), so
        its pins depend on the
        node: a declared parameter adds a pin of its declared type (`any` when that is not a data type)
        unless the type already has a pin of that name.
        """
        return {**_declared_parameters(node), **self._types[type_id].outputs}

    def properties(self, type_id: str) -> tuple[Property, ...]:
        """A known type's editor properties."""
        return self._types[type_id].properties


def _pins(raw: object) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    if not isinstance(raw, list):
        return pins
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        pin_type = item.get("type")
        pins.setdefault(
            item["name"],
            Pin(
                name=item["name"],
                type=pin_type if isinstance(pin_type, str) else "any",
                required=item.get("required") is True,
                has_default="defaultValue" in item,
            ),
        )
    return pins


def _properties(raw: object) -> tuple[Property, ...]:
    if not isinstance(raw, list):
        return ()
    found = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        options = item.get("options")
        found.append(
            Property(
                name=item["name"],
                required=item.get("required") is True,
                options=tuple(str(o) for o in options) if isinstance(options, list) else (),
            )
        )
    return tuple(found)


def _declared_parameters(node: Mapping[str, Any]) -> dict[str, Pin]:
    data = node.get("data")
    properties = data.get("properties") if isinstance(data, Mapping) else None
    declared = properties.get("parameters") if isinstance(properties, Mapping) else None
    pins: dict[str, Pin] = {}
    if not isinstance(declared, list):
        return pins
    for item in declared:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"]:
            declared_type = item.get("type")
            usable = declared_type in PIN_TYPES and declared_type != "exec"
            pins.setdefault(item["name"], Pin(item["name"], str(declared_type) if usable else "any"))
    return pins
