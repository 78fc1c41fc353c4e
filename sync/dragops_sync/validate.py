"""Offline checks of a desired state: what `dragops-sync validate` reports before anything is sent.

The schema was checked when the files were loaded (`directory.load_directory`); this module adds the
graph rules a deploy would otherwise reject: unique node and edge ids, edges joining existing nodes, a
trigger node in every pattern meant to be deployed, and — when a node library (the definitions of
`GET /api/nodes`) is given — known node types and edge handles that are pins of their node's type.
For a pattern meant to be deployed it then makes the deploy's own compile checks (`graph_checks`:
wires, required inputs and properties, enum values, cron expressions), so that nothing the deploy
would refuse passes; docs/deploy-checks.md lists them all. Every problem is a `FileIssue` naming
file, field and what is wrong; all of them in one run.

Pure: no I/O, no network, no clock. The node library is data the caller fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dragops_sync.desired import DesiredState
from dragops_sync.files import FileIssue, GraphData, PatternFile
from dragops_sync.graph_checks import check_node_settings, check_wires
from dragops_sync.node_library import TRIGGER_TYPES, NodeLibrary

__all__ = ["TRIGGER_TYPES", "NodeLibrary", "validate_desired", "validate_graph", "validate_pattern"]


def _index_ids(
    items: list[dict[str, Any]], key: str, noun: str, issue: Callable[[str, str], None]
) -> dict[str, int]:
    """id -> first index; a repeated id is an issue naming both positions."""
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        first = index.setdefault(item["id"], i)
        if first != i:
            issue(f"graphData.{key}[{i}].id", f"duplicate {noun} id {item['id']!r} (also {key}[{first}])")
    return index


def validate_pattern(
    pattern: PatternFile,
    *,
    file: str,
    deploy: bool = True,
    library: NodeLibrary | None = None,
) -> list[FileIssue]:
    """Every graph problem of one pattern file (schema already valid)."""
    return validate_graph(pattern.graph_data, file=file, deploy=deploy, library=library)


def validate_graph(
    graph_data: GraphData,
    *,
    file: str,
    deploy: bool = True,
    library: NodeLibrary | None = None,
) -> list[FileIssue]:
    """Every problem of one well-formed graph: ids, edges, the trigger, node types and pins, and, for a
    graph meant to be deployed, the deploy's compile checks (`graph_checks`)."""
    graph = graph_data.document()
    nodes: list[dict[str, Any]] = graph["nodes"]
    edges: list[dict[str, Any]] = graph["edges"]
    issues: list[FileIssue] = []

    def issue(field: str, message: str) -> None:
        issues.append(FileIssue(field, message, file))

    node_index = _index_ids(nodes, "nodes", "node", issue)
    _index_ids(edges, "edges", "edge", issue)

    triggers = library.trigger_types if library is not None else TRIGGER_TYPES
    if deploy and not any(node["type"] in triggers for node in nodes):
        issue(
            "graphData.nodes",
            f"no trigger node: a deployed pattern needs one of {', '.join(sorted(TRIGGER_TYPES))} "
            "(or set sync.deploy: false for a draft)",
        )

    if library is not None:
        for i, node in enumerate(nodes):
            if node["type"] not in library:
                hint = library.suggest(node["type"])
                more = f"; did you mean {hint!r}?" if hint else ""
                issue(f"graphData.nodes[{i}].type", f"unknown node type {node['type']!r}{more}")

    for i, edge in enumerate(edges):
        for end, handle_key in (("source", "sourceHandle"), ("target", "targetHandle")):
            node_id = edge[end]
            if node_id not in node_index:
                message = f"edge {edge['id']!r} references unknown node {node_id!r}"
                issue(f"graphData.edges[{i}].{end}", message)
                continue
            handle = edge.get(handle_key)
            node = nodes[node_index[node_id]]
            if library is None or handle is None or node["type"] not in library:
                continue
            pins = library.outputs(node["type"], node) if end == "source" else library.inputs(node["type"])
            if handle not in pins:
                side = "output" if end == "source" else "input"
                known = ", ".join(sorted(pins)) or "none"
                issue(
                    f"graphData.edges[{i}].{handle_key}",
                    f"{handle!r} is not an {side} pin of {node['type']} (node {node_id!r}; {side}s: {known})",
                )
    if deploy:
        # The compile checks of the deploy itself: a draft is never compiled, so it may be unfinished.
        wired = check_wires(nodes, edges, node_index, library, issue)
        for i, node in enumerate(nodes):
            if node_index[node["id"]] == i:  # a duplicate id was reported above
                check_node_settings(i, node, wired, library, issue)
    return issues


def validate_desired(
    desired: DesiredState, *, node_library: Sequence[Mapping[str, Any]] | NodeLibrary | None = None
) -> list[FileIssue]:
    """Every issue of a directory: those found loading it, then the graph checks of each pattern
    (including the well-formed graphs of files invalid elsewhere, so one run reports everything)."""
    library = NodeLibrary(node_library) if isinstance(node_library, Sequence) else node_library
    issues = list(desired.issues)
    for item in desired.patterns:
        issues += validate_pattern(item.pattern, file=item.path, deploy=item.deploy, library=library)
    for broken in desired.invalid_graphs:
        issues += validate_graph(broken.graph, file=broken.path, deploy=broken.deploy, library=library)
    return issues
