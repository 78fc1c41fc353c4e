"""The pure nodes of the library, implemented for real: literals, variables, math, comparison,
strings, JSON, objects and arrays, dates, and the environment lookups.

Each implementation takes the run context, the graph node (for its properties) and its input values
(already converted to the pin types) and returns its output values by pin name. A failure raises
`NodeError` with a message a pattern author can act on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dragops_emulator import _strict_json as strict_json
from dragops_emulator._clock import format_iso
from dragops_emulator._runtime import NodeError, RunContext, to_text

__all__ = ["PURE_NODES", "PureNode", "lookup_path", "node_property"]

PureNode = Callable[[RunContext, Mapping[str, Any], dict[str, Any]], dict[str, Any]]

PURE_NODES: dict[str, PureNode] = {}


def _pure(*names: str) -> Callable[[PureNode], PureNode]:
    def register(function: PureNode) -> PureNode:
        for name in names:
            PURE_NODES[name] = function
        return function

    return register


def node_property(node: Mapping[str, Any], name: str) -> Any:
    """A value from the node's `data.properties`, or None."""
    data = node.get("data")
    properties = data.get("properties") if isinstance(data, Mapping) else None
    return properties.get(name) if isinstance(properties, Mapping) else None


def lookup_path(value: Any, path: str) -> tuple[Any, bool]:
    """Follow a dotted path (`a.b.0.c`) through objects and arrays: `(value, found)`."""
    current = value
    for part in path.split(".") if path else []:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif (
            isinstance(current, list)
            and re.fullmatch(r"-?\d+", part)
            and -len(current) <= int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            return None, False
    return current, True


# --- literals and variables -----------------------------------------------------------------------


@_pure("StringLiteral", "IntegerLiteral", "FloatLiteral", "BooleanLiteral", "ObjectLiteral", "ArrayLiteral")
def _literal(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"value": args["value"]}


@_pure("NullLiteral")
def _null(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"value": None}


def variable_name(ctx: RunContext, node: Mapping[str, Any]) -> str:
    """The declared variable a variable node names (NodeError when it names none)."""
    name = node_property(node, "variable")
    if not isinstance(name, str) or name not in ctx.declared_variables:
        declared = ", ".join(sorted(ctx.declared_variables)) or "none"
        raise NodeError(f"Variable {name!r} is not declared in the pattern (declared: {declared})")
    return name


@_pure("GetVariable")
def _get_variable(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"value": ctx.variables.get(variable_name(ctx, node))}


# --- math and comparison --------------------------------------------------------------------------


def _arith(operation: Callable[[Any, Any], Any]) -> PureNode:
    def evaluate(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        try:
            result = operation(args["a"], args["b"])
        except ZeroDivisionError:
            raise NodeError("Division by zero", error_type="MathError") from None
        except OverflowError:
            raise NodeError("Numeric overflow", error_type="MathError") from None
        if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
            raise NodeError("The result is not a finite real number", error_type="MathError")
        return {"result": result}

    return evaluate


def _power(a: Any, b: Any) -> Any:
    if isinstance(b, int) and abs(b) > 10_000:
        raise OverflowError  # refuse results that would take the server's time and memory
    return a**b


PURE_NODES.update(
    {
        "Add": _arith(lambda a, b: a + b),
        "Subtract": _arith(lambda a, b: a - b),
        "Multiply": _arith(lambda a, b: a * b),
        "Divide": _arith(lambda a, b: a / b),
        "Modulo": _arith(lambda a, b: a % b),
        "Power": _arith(_power),
        "Min": _arith(min),
        "Max": _arith(max),
    }
)


def _unary(operation: Callable[[Any], Any]) -> PureNode:
    def evaluate(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        value = args["value"]
        if operation is math.sqrt and value < 0:
            raise NodeError("Square root of a negative number", error_type="MathError")
        return {"result": operation(value)}

    return evaluate


PURE_NODES.update(
    {
        "Abs": _unary(abs),
        "Round": _unary(round),
        "Floor": _unary(math.floor),
        "Ceil": _unary(math.ceil),
        "Sqrt": _unary(math.sqrt),
    }
)


@_pure("Clamp")
def _clamp(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    if args["min"] > args["max"]:
        raise NodeError("Clamp: Min is greater than Max", error_type="MathError")
    return {"result": min(max(args["value"], args["min"]), args["max"])}


def _compare(operation: Callable[[Any, Any], bool]) -> PureNode:
    def evaluate(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        return {"result": bool(operation(args["a"], args["b"]))}

    return evaluate


def _equal(a: Any, b: Any) -> bool:
    # true == 1 in Python; in a pattern a boolean equals only a boolean.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


PURE_NODES.update(
    {
        "Equal": _compare(_equal),
        "NotEqual": _compare(lambda a, b: not _equal(a, b)),
        "GreaterThan": _compare(lambda a, b: a > b),
        "GreaterOrEqual": _compare(lambda a, b: a >= b),
        "LessThan": _compare(lambda a, b: a < b),
        "LessOrEqual": _compare(lambda a, b: a <= b),
        "And": _compare(lambda a, b: a and b),
        "Or": _compare(lambda a, b: a or b),
    }
)


@_pure("Not")
def _not(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": not args["value"]}


@_pure("IsNull")
def _is_null(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": args["value"] is None}


# --- strings --------------------------------------------------------------------------------------


def _text(operation: Callable[[dict[str, Any]], Any]) -> PureNode:
    def evaluate(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        return {"result": operation(args)}

    return evaluate


PURE_NODES.update(
    {
        "Concat": _text(lambda args: args["a"] + args["b"]),
        "ToUpper": _text(lambda args: args["text"].upper()),
        "ToLower": _text(lambda args: args["text"].lower()),
        "Trim": _text(lambda args: args["text"].strip()),
        "StringContains": _text(lambda args: args["search"] in args["text"]),
        "StringLength": _text(lambda args: len(args["text"])),
        "Substring": _text(
            lambda args: args["text"][args["start"] : None if args["end"] == -1 else args["end"]]
        ),
    }
)


@_pure("Replace")
def _replace(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    if not args["search"]:
        raise NodeError("Replace: Search must not be empty")
    return {"result": args["text"].replace(args["search"], args["replacement"])}


@_pure("Split")
def _split(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    if not args["separator"]:
        return {"result": list(args["text"])}
    return {"result": args["text"].split(args["separator"]) if args["text"] else []}


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@_pure("Format")
def _format(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    values = args["values"]
    if not isinstance(values, Mapping):
        raise NodeError("Format: Values must be an object", error_type="TypeError")

    def fill(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]  # doubled braces are literal braces
        key = match.group(1).strip()
        value, found = lookup_path(values, key)
        if not found:
            raise NodeError(f"Format: no value for placeholder {{{key}}}")
        return to_text(value)

    return {"result": _PLACEHOLDER.sub(fill, args["template"])}


# --- data formats, objects, arrays ----------------------------------------------------------------


@_pure("ParseJson")
def _parse_json(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    try:
        # Strict: a NaN parsed here could not be written into a run record or a webhook response.
        return {"value": strict_json.loads(args["text"])}
    except strict_json.JSONBodyError as exc:
        raise NodeError(f"Parse JSON: invalid JSON ({exc})", error_type="ParseError") from None


@_pure("ToJson")
def _to_json(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    pretty = bool(node_property(node, "pretty"))
    if pretty:
        return {"text": json.dumps(args["value"], ensure_ascii=False, indent=2)}
    return {"text": json.dumps(args["value"], ensure_ascii=False, separators=(",", ":"))}


def _need(value: Any, kind: type, label: str) -> Any:
    if not isinstance(value, kind):
        wanted = "an object" if kind is dict else "an array"
        raise NodeError(f"{label} must be {wanted}, got {type(value).__name__}", error_type="TypeError")
    return value


@_pure("GetProperty")
def _get_property(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    value, found = lookup_path(args["object"], args["path"])
    return {"value": value, "found": found}


@_pure("SetProperty")
def _set_property(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    result = dict(_need(args["object"] if args["object"] is not None else {}, dict, "Object"))
    result[args["key"]] = args["value"]
    return {"result": result}


@_pure("ObjectKeys")
def _keys(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": list(_need(args["object"] or {}, dict, "Object"))}


@_pure("MergeObjects")
def _merge(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": {**_need(args["a"] or {}, dict, "A"), **_need(args["b"] or {}, dict, "B")}}


@_pure("ArrayLength")
def _length(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": len(_need(args["array"] or [], list, "Array"))}


@_pure("ArrayGet")
def _element(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    array = _need(args["array"] or [], list, "Array")
    index = args["index"]
    return {"value": array[index] if -len(array) <= index < len(array) else None}


@_pure("ArrayAppend")
def _append(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": [*_need(args["array"] or [], list, "Array"), args["value"]]}


@_pure("ArrayJoin")
def _join(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    array = _need(args["array"] or [], list, "Array")
    return {"result": args["separator"].join(to_text(item) for item in array)}


@_pure("ArrayContains")
def _contains(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    array = _need(args["array"] or [], list, "Array")
    return {"result": any(_equal(item, args["value"]) for item in array)}


# --- dates and environment ------------------------------------------------------------------------


@_pure("Now")
def _now(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"result": ctx.now_iso()}


@_pure("AddSeconds")
def _add_seconds(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    text = to_text(args["time"])
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise NodeError(f"Add Seconds: {text!r} is not an ISO-8601 time", error_type="TypeError") from None
    if moment.tzinfo is None:
        raise NodeError(f"Add Seconds: {text!r} has no time zone", error_type="TypeError")
    return {"result": format_iso(moment + timedelta(seconds=args["seconds"]))}


@_pure("GetEnvironment")
def _environment(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    return {"environmentId": ctx.environment_id}


@_pure("GetSecret")
def _secret(ctx: RunContext, node: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    # The emulator has no secret store (the contract documents none); say so instead of inventing a value.
    name = node_property(node, "secretName")
    ctx.log("warn", f"Secret {name!r} is not available in the emulator; Get Secret returns null", node)
    return {"value": None}
