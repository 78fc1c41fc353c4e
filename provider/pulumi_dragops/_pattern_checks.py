"""Validation of a `Pattern`'s structured inputs for `check()`: the graph's shape and `ignore_paths`.

Each failure names the property (`graph`, `ignore_paths`) and where inside it, so `pulumi preview`
points at the offending node or edge. Preview unknowns anywhere are let through: they are checked again
once known. The server stays the judge of what compiles (deploy answers 422 with per-node reasons).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import InputChecker, contains_unknown, is_unknown


def check_graph(checker: InputChecker, graph: Any) -> Any:
    if is_unknown(graph):
        return graph
    if not isinstance(graph, Mapping):
        checker.fail("graph", f"graph must be an object with nodes and edges, got {type(graph).__name__}")
        return graph
    nodes, edges, variables = graph.get("nodes"), graph.get("edges"), graph.get("variables")
    node_ids: set[str] = set()
    if not is_unknown(nodes):
        if not isinstance(nodes, list):
            checker.fail("graph", "graph.nodes must be a list of nodes")
        else:
            for index, node in enumerate(nodes):
                if is_unknown(node):
                    continue
                where = f"graph.nodes[{index}]"
                if not isinstance(node, Mapping):
                    checker.fail("graph", f"{where} must be an object")
                    continue
                node_id, node_type = node.get("id"), node.get("type")
                if not is_unknown(node_id):
                    if not isinstance(node_id, str) or not node_id:
                        checker.fail("graph", f"{where}.id must be a non-empty string")
                    elif node_id in node_ids:
                        checker.fail("graph", f"{where}.id {node_id!r} is used by another node")
                    else:
                        node_ids.add(node_id)
                if not is_unknown(node_type) and (not isinstance(node_type, str) or not node_type):
                    checker.fail("graph", f"{where}.type must be a node type id such as 'OnWebhook'")
    if edges is not None and not is_unknown(edges):
        if not isinstance(edges, list):
            checker.fail("graph", "graph.edges must be a list of edges")
        else:
            for index, edge in enumerate(edges):
                if is_unknown(edge):
                    continue
                if not isinstance(edge, Mapping):
                    checker.fail("graph", f"graph.edges[{index}] must be an object")
                    continue
                for end in ("source", "target"):
                    ref = edge.get(end)
                    if is_unknown(ref) or contains_unknown(nodes):
                        continue
                    if ref not in node_ids:
                        checker.fail("graph", f"graph.edges[{index}].{end} {ref!r} is not the id of a node")
    if variables is not None and not is_unknown(variables) and not isinstance(variables, list):
        checker.fail("graph", "graph.variables must be a list of variables")
    return graph


def check_ignore_paths(checker: InputChecker) -> Any:
    paths = checker.string_list("ignore_paths")
    if isinstance(paths, list):
        for index, path in enumerate(paths):
            if isinstance(path, str) and not path.startswith("/"):
                checker.fail(
                    "ignore_paths",
                    f"ignore_paths[{index}] {path!r} must be a JSON pointer such as "
                    "/graphData/nodes/*/position",
                )
    return paths
