"""What the engine's node implementations share: run-time errors, the run context, value conversion.

`NodeError` is a node failing (a Try / Catch can catch it); `RunAborted` ends the whole run whatever the graph
says (step limit, time limit, nesting limit). `RunContext` is the part of a running interpreter that node
implementations may use. `coerce` converts a value for an input pin, following the automatic conversions of
the type system (docs/api-contract.md#graphs): integer, float, number, string and boolean turn into one
another, string and datetime connect, everything else passes as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = [
    "NodeError",
    "RunAborted",
    "RunContext",
    "coerce",
    "json_safe",
    "node_label",
    "to_text",
]


class NodeError(Exception):
    """A node failed: the run fails, unless an enclosing Try / Catch takes the error."""

    def __init__(self, message: str, *, error_type: str = "NodeError", node_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.node_id = node_id

    def as_object(self) -> dict[str, Any]:
        """The Error object a Try / Catch or On Error node receives: `{message, type, nodeId}`."""
        return {"message": self.message, "type": self.error_type, "nodeId": self.node_id}


class RunAborted(Exception):
    """The run must stop now, with `status` (`failed` or `timeout`) and this message."""

    def __init__(self, message: str, *, status: str = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RunContext(Protocol):
    """What a node implementation may ask of the run executing it."""

    variables: dict[str, Any]
    declared_variables: dict[str, str]
    environment_id: str | None

    def now_iso(self) -> str:
        """The run's current time in the API's timestamp format."""

    def log(self, level: str, message: str, node: Mapping[str, Any] | None) -> None:
        """Append an entry to the run's logOutput."""


def node_label(node: Mapping[str, Any], fallback: str) -> str:
    """A node's display name: its own `data.label` when set, else the definition's label."""
    data = node.get("data")
    label = data.get("label") if isinstance(data, Mapping) else None
    return label if isinstance(label, str) and label else fallback


def to_text(value: Any) -> str:
    """A value as text, the way a string pin receives it: JSON for structures, lowercase booleans."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def coerce(value: Any, pin_type: str, pin_name: str) -> Any:
    """`value` converted for an input pin of `pin_type`; NodeError naming the pin when it cannot be.

    A missing value (null) becomes the type's zero for scalar pins (an unwired, undefaulted Add input
    counts as 0, an unwired Log message as ""), and stays null elsewhere.
    """
    if pin_type == "string":
        return to_text(value)
    if pin_type == "boolean":
        return _to_bool(value, pin_name)
    if pin_type in ("integer", "float", "number"):
        return _to_number(value, pin_type, pin_name)
    return value


def _to_bool(value: Any, pin_name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in ("true", "1", "yes"):
            return True
        if folded in ("false", "0", "no", ""):
            return False
    raise NodeError(f"Input {pin_name!r} expects a boolean, got {_shown(value)}", error_type="TypeError")


def _to_number(value: Any, pin_type: str, pin_name: str) -> int | float:
    number: int | float
    if value is None:
        number = 0
    elif isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise NodeError(
                    f"Input {pin_name!r} expects a {pin_type}, got {_shown(value)}", error_type="TypeError"
                ) from None
    else:
        raise NodeError(
            f"Input {pin_name!r} expects a {pin_type}, got {_shown(value)}", error_type="TypeError"
        )
    if isinstance(number, float) and not math.isfinite(number):
        raise NodeError(f"Input {pin_name!r} is not a finite number", error_type="TypeError")
    if pin_type == "integer":
        return int(number)
    if pin_type == "float":
        return float(number)
    return number


def _shown(value: Any) -> str:
    text = to_text(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities replaced by null, so a stored run can always be served as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value
