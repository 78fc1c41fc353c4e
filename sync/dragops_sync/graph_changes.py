"""Graph-aware change description: what changed in a pattern, in the editor's terms.

A pure module: from the old and new pattern fields it lists nodes added, removed and changed (named by
label or type and id), changed properties and pin defaults (old -> new, shortened, secrets masked), wires
added and removed, name/description/tags changes, and position-only moves summarised on one line.
`classify` says, per node and per wire, whether it was added, removed, changed or left alone: what the
pictures (`graph_mermaid`, `graph_picture`) colour. Every plan output uses `describe_changes`
(`render.py`, `PlanItem.to_dict`'s `graphChanges`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "NO_GRAPH",
    "ChangeClass",
    "GraphChange",
    "GraphDiff",
    "Wire",
    "classify",
    "describe_changes",
    "node_caption",
]

ChangeClass = Literal["added", "removed", "changed", "same"]

NO_GRAPH: dict[str, Any] = {"nodes": [], "edges": []}
"""The graph before a pattern exists: compared with it, every node and wire is added (read only)."""

# Values of fields whose name looks secret are masked; connection references stay references
# (a connectionId names a connection, it is not the credential).
_SECRET_NAME = re.compile(r"(secret|password|passwd|token|api[_-]?key|credential|private|auth)", re.I)
_MASK = "***"
_MAX_VALUE = 40


@dataclass(frozen=True)
class GraphChange:
    """One change: `op` is +, - or ~; `kind` node, wire, property, pin, field or moves; `text` the line."""

    op: str
    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form (docs/plan-json.md, `graphChanges`)."""
        return {"op": self.op, "kind": self.kind, "text": self.text.strip()}

    def line(self) -> str:
        """The human line, e.g. `+ node Log "extra" (node_99)`."""
        return f"{self.op} {self.text}"


def _short(value: Any, name: str) -> str:
    """A value as compact JSON, masked when its field name looks secret, shortened when long."""
    if _SECRET_NAME.search(name) and name != "connectionId":
        return _MASK
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _nodes(graph: Any) -> dict[str, dict[str, Any]]:
    nodes = graph.get("nodes", []) if isinstance(graph, dict) else []
    return {str(n["id"]): n for n in nodes if isinstance(n, dict) and "id" in n}


def _data(node: dict[str, Any], key: str) -> dict[str, Any]:
    data = node.get("data") or {}
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def node_caption(node: dict[str, Any]) -> str | None:
    """What a person reads on a node besides its type: its data label, else its first string pin
    default whose name does not look secret (shortened); None when it has neither."""
    data = node.get("data") or {}
    label = data.get("label") if isinstance(data, dict) else None
    if not isinstance(label, str):
        label = next(
            (
                v
                for k, v in sorted(_data(node, "pinDefaults").items())
                if isinstance(v, str) and not _SECRET_NAME.search(k)
            ),
            None,
        )
    return label[:_MAX_VALUE] if isinstance(label, str) and label else None


def _label(node: dict[str, Any]) -> str:
    """`Type "caption" (id)`, how the change lines name a node."""
    caption = node_caption(node)
    shown = f' "{caption}"' if caption else ""
    return f"{node.get('type', '?')}{shown} ({node['id']})"


def _wire_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(edge.get("source")),
        str(edge.get("sourceHandle")),
        str(edge.get("target")),
        str(edge.get("targetHandle")),
    )


def _wire_text(
    key: tuple[str, str, str, str], old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> str:
    nodes = {**old, **new}
    types = [str(n.get("type")) for n in nodes.values()]

    def end(node_id: str, pin: str) -> str:
        kind = str(nodes.get(node_id, {}).get("type", node_id))
        # `Type.pin` reads best; the id is added where two nodes share the type.
        return f"{kind}.{pin}" if types.count(kind) <= 1 else f"{kind}({node_id}).{pin}"

    return f"wire {end(key[0], key[1])} -> {end(key[2], key[3])}"


def _node_changes(before: dict[str, Any], after: dict[str, Any]) -> list[GraphChange]:
    out: list[GraphChange] = []
    for key, kind in (("properties", "property"), ("pinDefaults", "pin")):
        old, new = _data(before, key), _data(after, key)
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) == new.get(name) and (name in old) == (name in new):
                continue
            was = _short(old[name], name) if name in old else "(unset)"
            now = _short(new[name], name) if name in new else "(unset)"
            out.append(GraphChange("~", kind, f"  {kind} {name}: {was} -> {now}"))
    for key in ("label", "description"):
        was_v, now_v = (before.get("data") or {}).get(key), (after.get("data") or {}).get(key)
        if was_v != now_v:
            out.append(GraphChange("~", "property", f"  {key}: {_short(was_v, key)} -> {_short(now_v, key)}"))
    if before.get("type") != after.get("type"):
        out.append(GraphChange("~", "property", f"  type: {before.get('type')} -> {after.get('type')}"))
    return out


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[GraphChange]:
    """The changes from pattern fields `old` to `new` (name, description, tags, graphData), in order.
    Moves are summed up on one line; under `ignore: [/graphData/nodes/*/position]` the compared
    contents hold no positions, so there are none."""
    out: list[GraphChange] = []
    for field in ("name", "description"):
        if old.get(field) != new.get(field):
            out.append(
                GraphChange(
                    "~",
                    "field",
                    f"{field}: {_short(old.get(field), field)} -> {_short(new.get(field), field)}",
                )
            )
    old_tags, new_tags = list(old.get("tags") or []), list(new.get("tags") or [])
    if sorted(map(str, old_tags)) != sorted(map(str, new_tags)):
        out.append(
            GraphChange("~", "field", f"tags: {_short(old_tags, 'tags')} -> {_short(new_tags, 'tags')}")
        )
    old_nodes, new_nodes = _nodes(old.get("graphData")), _nodes(new.get("graphData"))
    for node_id in sorted(new_nodes.keys() - old_nodes.keys()):
        out.append(GraphChange("+", "node", f"node {_label(new_nodes[node_id])}"))
    for node_id in sorted(old_nodes.keys() - new_nodes.keys()):
        out.append(GraphChange("-", "node", f"node {_label(old_nodes[node_id])}"))
    moved = 0
    for node_id in sorted(old_nodes.keys() & new_nodes.keys()):
        details = _node_changes(old_nodes[node_id], new_nodes[node_id])
        if details:
            out.append(GraphChange("~", "node", f"node {_label(new_nodes[node_id])}"))
            out.extend(details)
        if old_nodes[node_id].get("position") != new_nodes[node_id].get("position"):
            moved += 1
    old_w, new_w = _wires(old.get("graphData")), _wires(new.get("graphData"))
    for key in sorted(new_w - old_w):
        out.append(GraphChange("+", "wire", _wire_text(key, old_nodes, new_nodes)))
    for key in sorted(old_w - new_w):
        out.append(GraphChange("-", "wire", _wire_text(key, old_nodes, new_nodes)))
    if moved:
        out.append(
            GraphChange("~", "moves", f"{moved} node{'s' if moved != 1 else ''} moved (positions only)")
        )
    return out


Wire = tuple[str, str, str, str]
"""A wire by its ends: (source node, source pin, target node, target pin)."""


@dataclass(frozen=True)
class GraphDiff:
    """A graph to draw with its changes: every node of either side (the new one where both have it,
    so a removed node keeps its old place) and every wire of either side, each with its class."""

    nodes: dict[str, dict[str, Any]]
    node_class: dict[str, ChangeClass]
    wires: dict[Wire, ChangeClass]

    def changed(self) -> set[str]:
        """The ids of nodes added, removed or changed, and of the ends of wires added or removed."""
        ids = {n for n, c in self.node_class.items() if c != "same"}
        for (src, _, dst, _), c in self.wires.items():
            if c != "same":
                ids |= {src, dst}
        return ids & self.nodes.keys()


def _without_position(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != "position"}


def classify(old_graph: Any, new_graph: Any) -> GraphDiff:
    """Each node and wire of `old_graph` and `new_graph` (graphData dicts) as added, removed, changed
    or the same; `old_graph=None` draws `new_graph` alone (everything the same). A move only is the
    same: the change lines summarise moves, the pictures show where nodes are now."""
    new_nodes = _nodes(new_graph)
    old_nodes = new_nodes if old_graph is None else _nodes(old_graph)
    classes: dict[str, ChangeClass] = {}
    for node_id in new_nodes.keys() | old_nodes.keys():
        if node_id not in old_nodes:
            classes[node_id] = "added"
        elif node_id not in new_nodes:
            classes[node_id] = "removed"
        elif _without_position(old_nodes[node_id]) != _without_position(new_nodes[node_id]):
            classes[node_id] = "changed"
        else:
            classes[node_id] = "same"
    new_w = _wires(new_graph)
    old_w = new_w if old_graph is None else _wires(old_graph)
    wires: dict[Wire, ChangeClass] = {}
    for key in sorted(new_w | old_w):
        wires[key] = "added" if key not in old_w else "removed" if key not in new_w else "same"
    nodes = {**old_nodes, **new_nodes}
    return GraphDiff({k: nodes[k] for k in sorted(nodes)}, dict(sorted(classes.items())), wires)


def _wires(graph: Any) -> set[Wire]:
    edges = graph.get("edges", []) if isinstance(graph, dict) else []
    return {_wire_key(e) for e in edges if isinstance(e, dict)}
