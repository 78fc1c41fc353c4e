"""Value nodes: categories "Literals" (constants of every pin type) and "Variables" (pattern variables).

Literals are pure nodes with one `value` output set in the editor; the variable nodes read and write
the run's pattern variables, named by their `variable` property.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    literal,
    pin,
    prop,
    pure,
)

__all__ = ["NODES"]

_LITERALS = [
    literal("StringLiteral", "String", "string", ""),
    literal("IntegerLiteral", "Integer", "integer", 0),
    literal("FloatLiteral", "Float", "float", 0.0),
    literal("BooleanLiteral", "Boolean", "boolean", False),
    literal("ObjectLiteral", "Object", "object", {}),
    literal("ArrayLiteral", "Array", "array", []),
    pure("NullLiteral", "Null", "Literals", "The null value", [], [pin("value", "null", "Value")]),
]

_VARIABLES = [
    pure(
        "GetVariable",
        "Get Variable",
        "Variables",
        "Reads a pattern variable",
        [],
        [pin("value", "any", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "SetVariable",
        "Set Variable",
        "Variables",
        "Writes a pattern variable",
        [pin("value", "any", "Value")],
        [pin("value", "any", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "IncrementVariable",
        "Increment Variable",
        "Variables",
        "Adds an amount to a numeric pattern variable",
        [pin("amount", "number", "Amount", default=1)],
        [pin("value", "number", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "AppendToVariable",
        "Append To Variable",
        "Variables",
        "Appends a value to an array pattern variable",
        [pin("value", "any", "Value")],
        [pin("array", "array", "Array")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
]

NODES: tuple[dict[str, Any], ...] = (*_LITERALS, *_VARIABLES)
