"""A pattern's graph as a standalone SVG picture, its changes coloured: `dragops-sync render` and the
dashboard's detail page.

Nodes sit where the DRAGOPS editor saved them (`position`), so the picture looks like what the user
sees in DRAGOPS; a graph without positions (every node at the origin, or none given) gets a simple
layered layout instead: each node one column right of the furthest node wired into it. Every node is
one `<g class="node CLASS">` and every wire one `<path class="wire CLASS">`, CLASS being added,
removed, changed or same (`graph_changes.classify`), coloured by attributes on the element itself,
so the picture needs nothing else to be shown. No script, no external reference: safe to inline in a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from dragops_sync.graph_changes import ChangeClass, GraphDiff, classify, node_caption

__all__ = ["render_svg"]

_NODE_W, _NODE_H = 190, 58
_COLUMN, _ROW = 260, 100  # the layered layout's spacing
_MARGIN = 30

# Colours as presentation attributes, not a <style> element: the picture then looks the same in an
# <img> under a strict Content-Security-Policy (the dashboard's), in a browser and in an editor.
_NODE_STYLE: Mapping[ChangeClass, str] = {
    "same": 'fill="#ffffff" stroke="#57606a" stroke-width="1.5"',
    "added": 'fill="#dafbe1" stroke="#1a7f37" stroke-width="2.5"',
    "changed": 'fill="#fff8c5" stroke="#9a6700" stroke-width="2.5"',
    "removed": 'fill="#ffebe9" stroke="#cf222e" stroke-width="2" stroke-dasharray="5 3"',
}
_WIRE_STYLE: Mapping[ChangeClass, str] = {
    "same": 'stroke="#8c959f" stroke-width="1.6"',
    "added": 'stroke="#1a7f37" stroke-width="2.6"',
    "changed": 'stroke="#8c959f" stroke-width="1.6"',
    "removed": 'stroke="#cf222e" stroke-width="2" stroke-dasharray="5 3"',
}
_FONT = 'font-family="system-ui, sans-serif"'


def _position(node: Mapping[str, Any]) -> tuple[float, float] | None:
    position = node.get("position")
    if not isinstance(position, Mapping):
        return None
    x, y = position.get("x"), position.get("y")
    if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, int | float):
        return None
    return (float(x), float(y)) if isinstance(y, int | float) else None


def _layered(diff: GraphDiff) -> dict[str, tuple[float, float]]:
    """Columns by the longest chain of wires into each node; rows in column order.

    Wires that close a cycle (found walking from the nodes nothing feeds, then from the rest) are left
    out of the layering, so a loop back to a trigger does not push the trigger to the right.
    """
    outgoing: dict[str, list[str]] = {n: [] for n in diff.nodes}
    for src, _, dst, _ in diff.wires:
        if src in outgoing and dst in outgoing and src != dst and dst not in outgoing[src]:
            outgoing[src].append(dst)
    fed = {dst for targets in outgoing.values() for dst in targets}
    forward: dict[str, list[str]] = {n: [] for n in diff.nodes}
    state: dict[str, str] = {}  # "open" while on the walk's path, "done" after

    def walk(node_id: str) -> None:
        state[node_id] = "open"
        for dst in outgoing[node_id]:
            if state.get(dst) != "open":  # an open one would close a cycle
                forward[dst].append(node_id)
                if dst not in state:
                    walk(dst)
        state[node_id] = "done"

    for node_id in [n for n in diff.nodes if n not in fed] + list(diff.nodes):
        if node_id not in state:
            walk(node_id)
    column: dict[str, int] = {}

    def place(node_id: str) -> int:
        if node_id not in column:
            column[node_id] = 1 + max((place(p) for p in forward[node_id]), default=-1)
        return column[node_id]

    rows: dict[int, int] = {}
    placed: dict[str, tuple[float, float]] = {}
    for node_id in diff.nodes:
        col = place(node_id)
        placed[node_id] = (col * _COLUMN, rows.get(col, 0) * _ROW)
        rows[col] = rows.get(col, 0) + 1
    return placed


def _layout(diff: GraphDiff, placed_by: Any) -> dict[str, tuple[float, float]]:
    """The editor's saved positions (those of `placed_by`'s nodes where given, else the drawn
    graph's own) when every node has one and no two share it; else the layered layout."""
    placed = _nodes_of(placed_by)
    saved = {n: _position(placed.get(n) or node) for n, node in diff.nodes.items()}
    points = [p for p in saved.values() if p is not None]
    if not points or len(set(points)) < len(points) or (len(points) == 1 and len(saved) > 1):
        return _layered(diff)  # no saved layout, or nodes stacked on one spot: it cannot be drawn
    # A node with no saved place (one the change removes, when live's positions are not compared)
    # goes in a row under the others.
    below = max(y for _, y in points) + _ROW + _NODE_H
    left = min(x for x, _ in points)
    homeless = [n for n, p in saved.items() if p is None]
    spots = {n: (left + i * _COLUMN, below) for i, n in enumerate(homeless)}
    return {n: p if p is not None else spots[n] for n, p in saved.items()}


def _nodes_of(graph: Any) -> dict[str, Mapping[str, Any]]:
    nodes = graph.get("nodes") if isinstance(graph, Mapping) else None
    if not isinstance(nodes, list):
        return {}
    return {str(n["id"]): n for n in nodes if isinstance(n, Mapping) and "id" in n}


def _wire_path(start: tuple[float, float], end: tuple[float, float]) -> str:
    """A horizontal S-curve from the right edge of one node to the left edge of the other."""
    x1, y1 = start[0] + _NODE_W, start[1] + _NODE_H / 2
    x2, y2 = end[0], end[1] + _NODE_H / 2
    bend = max(40.0, abs(x2 - x1) / 2)
    return f"M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"


def render_svg(old_graph: Any, new_graph: Any, *, title: str = "", placed_by: Any = None) -> str:
    """The SVG document of `new_graph` with the changes from `old_graph` coloured (`old_graph=None`:
    the graph alone). `title` names the pattern (shown by viewers as the picture's title).
    `placed_by`: the graph as the file writes it, whose positions place the nodes when the compared
    graphs leave them out (`ignore: [/graphData/nodes/*/position]`)."""
    diff = classify(old_graph, new_graph)
    at = _layout(diff, placed_by)
    if at:
        left = min(x for x, _ in at.values()) - _MARGIN
        top = min(y for _, y in at.values()) - _MARGIN
        width = max(x for x, _ in at.values()) + _NODE_W + _MARGIN - left
        height = max(y for _, y in at.values()) + _NODE_H + _MARGIN - top
    else:
        left, top, width, height = 0.0, 0.0, 2.0 * _MARGIN + _NODE_W, 2.0 * _MARGIN
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}">',
        f"<title>{escape(title or 'pattern graph')}</title>",
    ]
    for (src, src_pin, dst, dst_pin), klass in diff.wires.items():
        if src in at and dst in at:
            ends = quoteattr(f"{src}.{src_pin} -> {dst}.{dst_pin}")
            path = _wire_path(at[src], at[dst])
            out.append(
                f'<path class="wire {klass}" data-wire={ends} fill="none" {_WIRE_STYLE[klass]} d="{path}"/>'
            )
    for node_id, node in diff.nodes.items():
        x, y = at[node_id]
        kind, caption, klass = str(node.get("type", "?")), node_caption(node), diff.node_class[node_id]
        strike = ' text-decoration="line-through"' if klass == "removed" else ""
        out += [
            f'<g class="node {klass}" data-id={quoteattr(node_id)} transform="translate({x:.1f} {y:.1f})">',
            f"<title>{escape(f'{kind} ({node_id}): {klass}')}</title>",
            f'<rect width="{_NODE_W}" height="{_NODE_H}" rx="8" {_NODE_STYLE[klass]}/>',
            f'<text x="12" y="{24 if caption else 34}" {_FONT} font-size="13" fill="#1f2328"{strike}>'
            f"{escape(kind[:26])}</text>",
        ]
        if caption:
            out.append(
                f'<text class="caption" x="12" y="44" {_FONT} font-size="11" fill="#57606a"{strike}>'
                f"{escape(caption[:30])}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
