"""A pattern's graph as a Mermaid flowchart, its changes styled: the picture in a markdown plan.

GitHub and GitLab draw a ```` ```mermaid ```` block of a pull-request comment as a diagram, so a
reviewer sees which nodes and wires a change adds (green), changes (amber) or removes (red, dashed).
Nodes are named `n0`, `n1`, ... (a node id may hold characters Mermaid reads as syntax) and their
labels are quoted with Mermaid's entity codes for `"`, `<`, `>` and `#`. A large graph is limited to
the changed nodes and their neighbours; one extra node says how many were left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dragops_sync.graph_changes import ChangeClass, GraphDiff, classify, node_caption

__all__ = ["MAX_NODES", "mermaid_flowchart"]

MAX_NODES = 30
"""Above this many nodes only the changed ones and their neighbours are drawn."""

_CLASS_DEFS = (
    "classDef added fill:#dafbe1,stroke:#1a7f37,color:#0d3a1c",
    "classDef changed fill:#fff8c5,stroke:#9a6700,color:#3b2300",
    "classDef removed fill:#ffebe9,stroke:#cf222e,color:#5c0a10,stroke-dasharray:4 3",
    "classDef omitted fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:2 2",
)
_WIRE_STYLES: Mapping[ChangeClass, str] = {
    "added": "stroke:#1a7f37,stroke-width:2.5px",
    "removed": "stroke:#cf222e,stroke-width:2px,stroke-dasharray:4 3",
}


def _quoted(text: str) -> str:
    """`text` as the inside of a Mermaid "..." label (entity codes: Mermaid has no backslash escapes)."""
    for raw, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("\n", " ")):
        text = text.replace(raw, code)
    return text


def _kept(diff: GraphDiff, max_nodes: int) -> list[str]:
    """The ids to draw: all of them when few; else the changed ones and their neighbours, capped."""
    if len(diff.nodes) <= max_nodes:
        return list(diff.nodes)
    changed = diff.changed()
    near = set(changed)
    for src, _, dst, _ in diff.wires:
        if src in changed or dst in changed:
            near |= {src, dst}
    # The changed nodes come first, so a cap drops unchanged neighbours before any change.
    ordered = sorted(near & diff.nodes.keys(), key=lambda n: (n not in changed, n))
    return ordered[:max_nodes]


def mermaid_flowchart(old_graph: Any, new_graph: Any, *, max_nodes: int = MAX_NODES) -> str:
    """The Mermaid text (no fences) of `new_graph` with the changes from `old_graph` styled;
    `old_graph=None` draws `new_graph` alone."""
    diff = classify(old_graph, new_graph)
    kept = _kept(diff, max_nodes)
    names = {node_id: f"n{i}" for i, node_id in enumerate(kept)}
    lines = ["flowchart LR"]
    for node_id in kept:
        node = diff.nodes[node_id]
        caption = node_caption(node)
        klass = diff.node_class[node_id]
        suffix = f":::{klass}" if klass != "same" else ""
        lines.append(f'    {names[node_id]}["{_label_text(node, caption)}"]{suffix}')
    styled: list[str] = []
    index = 0
    for (src, src_pin, dst, dst_pin), klass in diff.wires.items():
        if src not in names or dst not in names:
            continue
        arrow = "-.->" if klass == "removed" else "-->"
        # The pins are named only where they are not the plain exec-to-exec flow.
        pins = "" if (src_pin, dst_pin) == ("exec", "exec") else f'|"{_quoted(f"{src_pin} → {dst_pin}")}"|'
        lines.append(f"    {names[src]} {arrow}{pins} {names[dst]}")
        if klass in _WIRE_STYLES:
            styled.append(f"    linkStyle {index} {_WIRE_STYLES[klass]}")
        index += 1
    left_out = diff.nodes.keys() - set(kept)
    if left_out:
        noun = "node" if len(left_out) == 1 else "nodes"
        changed = len(left_out & diff.changed())
        among = f" ({changed} of them changed)" if changed else ""
        lines.append(f'    more["… {len(left_out)} more {noun} not shown{among}"]:::omitted')
    lines += styled
    lines += [f"    {d}" for d in _CLASS_DEFS]
    return "\n".join(lines) + "\n"


def _label_text(node: Mapping[str, Any], caption: str | None) -> str:
    """`Type` on one line and the caption under it, both quoted for a "..." label."""
    kind = _quoted(str(node.get("type", "?")))
    return f"{kind}<br/>{_quoted(caption)}" if caption else kind
