"""Arithmetic and boolean nodes: categories "Math" and "Comparison", all pure.

Add is the documented definition, reproduced exactly (docs/api-contract.md#node-library); the rest
follow its shape (number pins `a`/`b`, one `result`).
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    binary_math,
    compare,
    pin,
    pure,
    unary_math,
)

__all__ = ["NODES"]

_MATH = [
    # The documented definition (docs/api-contract.md#node-library), exactly.
    {
        "id": "Add",
        "label": "Add",
        "category": "Math",
        "description": "Returns the sum of two numbers",
        "isPure": True,
        "inputs": [
            {"name": "a", "type": "number", "label": "A"},
            {"name": "b", "type": "number", "label": "B"},
        ],
        "outputs": [{"name": "result", "type": "number", "label": "Result"}],
    },
    binary_math("Subtract", "Subtract", "Returns A minus B"),
    binary_math("Multiply", "Multiply", "Returns the product of two numbers"),
    binary_math("Divide", "Divide", "Returns A divided by B (fails on division by zero)"),
    binary_math("Modulo", "Modulo", "Returns the remainder of A divided by B"),
    binary_math("Power", "Power", "Returns A raised to the power B"),
    binary_math("Min", "Min", "Returns the smaller of two numbers"),
    binary_math("Max", "Max", "Returns the larger of two numbers"),
    unary_math("Abs", "Absolute", "Returns the absolute value"),
    unary_math("Round", "Round", "Rounds to the nearest integer (halves to even)", "integer"),
    unary_math("Floor", "Floor", "Rounds down to an integer", "integer"),
    unary_math("Ceil", "Ceil", "Rounds up to an integer", "integer"),
    unary_math("Sqrt", "Square Root", "Returns the square root (fails on a negative value)", "float"),
    pure(
        "Clamp",
        "Clamp",
        "Math",
        "Limits a value to the range Min..Max",
        [
            pin("value", "number", "Value", default=0),
            pin("min", "number", "Min", default=0),
            pin("max", "number", "Max", default=1),
        ],
        [pin("result", "number", "Result")],
    ),
]

_COMPARISON = [
    compare("Equal", "Equal", "True when A equals B"),
    compare("NotEqual", "Not Equal", "True when A differs from B"),
    compare("GreaterThan", "Greater Than", "True when A > B", "number"),
    compare("GreaterOrEqual", "Greater Or Equal", "True when A >= B", "number"),
    compare("LessThan", "Less Than", "True when A < B", "number"),
    compare("LessOrEqual", "Less Or Equal", "True when A <= B", "number"),
    pure(
        "And",
        "And",
        "Comparison",
        "True when both are true",
        [pin("a", "boolean", "A", default=False), pin("b", "boolean", "B", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Or",
        "Or",
        "Comparison",
        "True when either is true",
        [pin("a", "boolean", "A", default=False), pin("b", "boolean", "B", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Not",
        "Not",
        "Comparison",
        "Negates a boolean",
        [pin("value", "boolean", "Value", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "IsNull",
        "Is Null",
        "Comparison",
        "True when the value is null",
        [pin("value", "any", "Value")],
        [pin("result", "boolean", "Result")],
    ),
]

NODES: tuple[dict[str, Any], ...] = (*_MATH, *_COMPARISON)
