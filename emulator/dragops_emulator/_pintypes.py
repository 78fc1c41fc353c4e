"""Pin type compatibility (docs/api-contract.md#graphs, D15): which output pin may feed which input pin.

The rules, as the type-system page states them: an exact match connects; `exec` connects only to
`exec`; `any` and `null` connect to every non-exec type; integer, float, string and boolean convert
into one another automatically; `number` accepts integer and float (and, being a number, converts
like them); string and datetime connect. Everything else (object to array, binary to string, enum to
string...) is refused. The relation is symmetric: no rule depends on the wire's direction.
"""

from __future__ import annotations

__all__ = ["SCALAR_TYPES", "compatible"]

# Scalars that convert into one another; `number` joins them because it accepts integer and float.
SCALAR_TYPES: frozenset[str] = frozenset({"integer", "float", "number", "string", "boolean"})

_WILDCARDS = frozenset({"any", "null"})
_TEXT_AND_TIME = frozenset({"string", "datetime"})


def compatible(source_type: str, target_type: str) -> bool:
    """Whether an output pin of `source_type` may be wired to an input pin of `target_type`."""
    if source_type == "exec" or target_type == "exec":
        return source_type == target_type
    if source_type == target_type:
        return True
    if source_type in _WILDCARDS or target_type in _WILDCARDS:
        return True
    if source_type in SCALAR_TYPES and target_type in SCALAR_TYPES:
        return True
    return {source_type, target_type} <= _TEXT_AND_TIME
