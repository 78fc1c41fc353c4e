"""Validation of a `Pattern`'s structured inputs for `check()`: the graph and `ignore_paths`.

The graph is checked by the sync's one validator (`dragops_sync.files.GraphData` for its shape,
`dragops_sync.validate.validate_graph` for ids and edges), so `pulumi preview` and `dragops-sync validate`
never disagree about a graph. Each problem becomes a failure of the `graph` property naming where inside
it (`graph.nodes[1].id: ...`), so the preview points at the offending node or edge. A graph with a
preview unknown anywhere inside is let through unchecked: it is checked again once it is known. The
server stays the judge of what compiles (deploy answers 422 with per-node reasons).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dragops_sync.files import FileIssue, PatternFileError, parse_pattern
from dragops_sync.refs import graph_references
from dragops_sync.validate import validate_graph

from ._common import InputChecker, contains_unknown

# What the sync's validator calls the graph (its field in a pattern file) and what a Pulumi user calls it.
_FILE_FIELD = "graphData"
_INPUT = "graph"


def check_graph(checker: InputChecker, graph: Any) -> Any:
    """Fail `checker` on every problem of the `graph` input; the input is returned as it is."""
    if contains_unknown(graph):
        return graph
    if not isinstance(graph, Mapping):
        checker.fail(_INPUT, f"graph must be an object with nodes and edges, got {type(graph).__name__}")
        return graph
    # An absent `edges` has always been accepted as "no edges" (the server stores an empty list).
    shape = {**graph, "edges": []} if graph.get("edges") is None else dict(graph)
    try:
        # The graph as the graphData of a pattern document: the name is a stand-in, only the graph's
        # issues are reported (the other inputs have their own checks).
        parsed = parse_pattern({"name": "graph", _FILE_FIELD: shape}, source=_INPUT).graph_data
    except PatternFileError as exc:
        for issue in exc.issues:
            if issue.field.startswith(_FILE_FIELD):
                checker.fail(_INPUT, _where(issue))
        return graph
    # A Pattern is not necessarily deployed (that is a Deployment's business): no trigger node required.
    for issue in validate_graph(parsed, file=_INPUT, deploy=False):
        checker.fail(_INPUT, _where(issue))
    # A dragops-sync reference by name would reach the server as a literal id that names nothing.
    for ref in graph_references(shape):
        checker.fail(
            _INPUT,
            f"{_INPUT}{ref.field.removeprefix(_FILE_FIELD)}: node {ref.node_id!r} references {ref.kind} "
            f"{ref.name!r} by name, which DRAGOPS would store as a literal id; pass the {ref.kind}'s id "
            f"(Pattern.from_file resolves references with its {ref.kind}s= argument)",
        )
    return graph


def _where(issue: FileIssue) -> str:
    """`graph.nodes[1].id: duplicate node id ...`: the issue, its field spelt as the Pulumi input."""
    return f"{_INPUT}{issue.field.removeprefix(_FILE_FIELD)}: {issue.message}"


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
