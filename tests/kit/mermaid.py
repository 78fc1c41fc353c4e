"""Reading a Mermaid flowchart back (what graph_mermaid writes), so tests check its structure."""

from __future__ import annotations

import re
from typing import Any

_NODE = re.compile(r'^    (n\d+|more)\["([^"]*)"\](?::::(\w+))?$')
_EDGE = re.compile(r'^    (n\d+) (-->|-\.->)(?:\|"([^"]*)"\|)? (n\d+)$')
_LINK_STYLE = re.compile(r"^    linkStyle (\d+) (\S.*)$")
_CLASS_DEF = re.compile(r"^    classDef (\w+) (\S+(?: \S+)*)$")


def parse_flowchart(text: str) -> dict[str, Any]:
    """The flowchart's nodes, edges, link styles and class definitions; fails on any other line."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    found: dict[str, Any] = {"nodes": {}, "edges": [], "styles": {}, "classes": set()}
    for line in lines[1:]:
        if m := _NODE.match(line):
            assert m[1] not in found["nodes"], f"node {m[1]} declared twice"
            found["nodes"][m[1]] = (m[2], m[3])
        elif m := _EDGE.match(line):
            found["edges"].append((m[1], m[2], m[3], m[4]))
        elif m := _LINK_STYLE.match(line):
            found["styles"][int(m[1])] = m[2]
        elif m := _CLASS_DEF.match(line):
            found["classes"].add(m[1])
        else:
            raise AssertionError(f"not a flowchart line: {line!r}")
    for src, _, _, dst in found["edges"]:
        assert src in found["nodes"] and dst in found["nodes"], "an edge names an undeclared node"
    assert all(i < len(found["edges"]) for i in found["styles"]), "a linkStyle past the last edge"
    assert {c for _, c in found["nodes"].values() if c} <= found["classes"], "a class without classDef"
    return found
