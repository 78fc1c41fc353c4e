"""The compile checks a deploy makes (`POST /api/patterns/:id/deploy` answers 422), made before it.

`validate.validate_graph` calls these for a pattern meant to be deployed, once its ids, edge ends,
node types and pin names are known to be sound. Re-implemented from the contract (docs/api-contract.md
#graphs, #trigger-nodes, #deploy-time-validation; D9, D14, D15), not shared with any server:

* every wire names both pins; an execution pin joins only an execution pin; data pins have compatible
  types; a data input takes at most one wire;
* every required input pin is wired or given a value (`data.pinDefaults` or the pin's `defaultValue`);
* every required property is set, and an enum property holds one of its options;
* an On Schedule node's cron expression is valid (`cron.cron_problem`; known without a node library).

docs/deploy-checks.md lists every check and where it is made. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dragops_sync.cron import cron_problem
from dragops_sync.node_library import NodeLibrary, Pin

__all__ = ["Report", "check_node_settings", "check_wires", "compatible", "same_option"]

# Reports one problem: (field, message).
Report = Callable[[str, str], None]

# Scalars that convert into one another; `number` joins them because it accepts integer and float.
_SCALARS = frozenset({"integer", "float", "number", "string", "boolean"})
_WILDCARDS = frozenset({"any", "null"})
_TEXT_AND_TIME = frozenset({"string", "datetime"})


def compatible(source_type: str, target_type: str) -> bool:
    """Whether an output pin of `source_type` may be wired to an input pin of `target_type` (D15).

    An exact match connects; exec only to exec; `any` and `null` to every data type; integer, float,
    number, string and boolean convert into one another; string and datetime connect. Nothing else.
    """
    if source_type == "exec" or target_type == "exec":
        return source_type == target_type
    if source_type == target_type or source_type in _WILDCARDS or target_type in _WILDCARDS:
        return True
    if source_type in _SCALARS and target_type in _SCALARS:
        return True
    return {source_type, target_type} <= _TEXT_AND_TIME


def same_option(value: object, option: str) -> bool:
    """Whether a property value is this enum option, compared as the server compares them: case and
    punctuation aside ("Last Node", "last_node" and "lastNode" are one option)."""
    return _fold(value) == _fold(option)


def _fold(value: object) -> str:
    return "".join(ch for ch in str(value).lower() if ch.isalnum())


def check_wires(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    node_index: Mapping[str, int],
    library: NodeLibrary | None,
    report: Report,
) -> dict[str, set[str]]:
    """Check what each wire joins; returns the input pins that receive a wire, per target node id.

    Edge ends that name no node and pins the node type lacks were reported by the caller; such a wire
    is skipped here (one problem per mistake). A wire that is wrong in itself still counts as wiring
    its target pin: "not wired" on top of "incompatible" would only confuse.
    """
    wired: dict[str, set[str]] = {}
    for i, edge in enumerate(edges):
        source_id, target_id = edge["source"], edge["target"]
        source_handle, target_handle = edge.get("sourceHandle"), edge.get("targetHandle")
        if source_id not in node_index or target_id not in node_index:
            continue
        if source_handle is None or target_handle is None:
            missing = " and ".join(
                key
                for key, handle in (("sourceHandle", source_handle), ("targetHandle", target_handle))
                if handle is None
            )
            field = "sourceHandle" if source_handle is None else "targetHandle"
            report(
                f"graphData.edges[{i}].{field}",
                f"edge {edge['id']!r} ({source_id!r} -> {target_id!r}) must name both pins; {missing} "
                "is missing",
            )
        if target_handle is not None:
            previous = wired.setdefault(target_id, set())
            already = target_handle in previous
            previous.add(target_handle)
        else:
            already = False
        if library is None or source_handle is None or target_handle is None:
            continue
        source, target = nodes[node_index[source_id]], nodes[node_index[target_id]]
        if source["type"] not in library or target["type"] not in library:
            continue
        out_pin = library.output_pins(source["type"], source).get(source_handle)
        in_pin = library.input_pins(target["type"]).get(target_handle)
        if out_pin is None or in_pin is None:
            continue
        problem = _wire_problem(out_pin, in_pin)
        if problem is None and already and in_pin.type != "exec":
            problem = f"data input {target_handle!r} of node {target_id!r} has more than one wire"
        if problem is not None:
            report(
                f"graphData.edges[{i}]", f"edge {edge['id']!r} ({source_id!r} -> {target_id!r}): {problem}"
            )
    return wired


def _wire_problem(out_pin: Pin, in_pin: Pin) -> str | None:
    if (out_pin.type == "exec") != (in_pin.type == "exec"):
        kind = (
            "an execution pin to a data pin" if out_pin.type == "exec" else "a data pin to an execution pin"
        )
        return f"wires {kind} ({out_pin.name!r} -> {in_pin.name!r})"
    if not compatible(out_pin.type, in_pin.type):
        return (
            f"pin types do not connect: {out_pin.name!r} ({out_pin.type}) -> {in_pin.name!r} ({in_pin.type})"
        )
    return None


def check_node_settings(
    index: int,
    node: Mapping[str, Any],
    wired: Mapping[str, set[str]],
    library: NodeLibrary | None,
    report: Report,
) -> None:
    """Check one node's required inputs, its properties and (On Schedule) its cron expression."""
    properties = _data(node, "properties")
    where = f"graphData.nodes[{index}]"
    if library is not None and node["type"] in library:
        defaults = _data(node, "pinDefaults")
        for pin in library.input_pins(node["type"]).values():
            if not pin.required or pin.name in wired.get(node["id"], set()):
                continue
            if defaults.get(pin.name) is not None or pin.has_default:
                continue
            report(
                f"{where}.data.pinDefaults.{pin.name}",
                f"required input {pin.name!r} of {node['type']} node {node['id']!r} is neither wired "
                "nor given a value",
            )
        for prop in library.properties(node["type"]):
            value = properties.get(prop.name)
            field = f"{where}.data.properties.{prop.name}"
            if prop.required and (value is None or value == ""):
                report(
                    field, f"required property {prop.name!r} of {node['type']} node {node['id']!r} is not set"
                )
            elif prop.options and value is not None and not any(same_option(value, o) for o in prop.options):
                report(
                    field,
                    f"{value!r} is not an option of {prop.name!r} of {node['type']} node {node['id']!r} "
                    f"(options: {', '.join(prop.options)})",
                )
    cron = properties.get("cron")
    if node["type"] == "OnSchedule" and cron not in (None, ""):
        problem = cron_problem(cron)
        if problem is not None:
            report(f"{where}.data.properties.cron", f"On Schedule node {node['id']!r}: {problem}")


def _data(node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`node.data[key]` (`properties` or `pinDefaults`); empty when absent or not an object."""
    data = node.get("data")
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}
