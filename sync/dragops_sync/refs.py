"""References by name: `${connection:NAME}` and `${pattern:NAME}` in node properties.

A node's `connectionId` (Slack, GitHub, HTTP nodes) and a Call Pattern node's `patternId` hold ids the
server assigns, which a file written before the objects exist cannot know, and which differ between
instances. So a pattern file may write, as the whole value of any property under
`graphData.nodes[*].data.properties`:

    connectionId: "${connection:slack-alerts}"     # the connection's display name (connections.yaml)
    patternId: "${pattern:Enrich Issue}"           # the called pattern's name

Before planning, `resolve_references` replaces each reference with the live id, so comparisons and
writes use what the server stores. A reference to something the same apply creates (declared in
`connections.yaml` or by another file) stays unresolved and is reported in `waiting`: the cycle
holds that pattern's writes back and runs another round once the target exists, so a placeholder
never reaches the instance. A reference to nothing known is an
issue naming the file and field: nothing is written for that file.

`reference_ids` does the reverse for `export`: ids of live connections and patterns in `connectionId`
and `patternId` properties become references again, so an exported repository is portable and `plan`
right after an export shows no changes.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dragops_sync.desired import DesiredPattern, DesiredState
from dragops_sync.directory import CONNECTIONS_FILE
from dragops_sync.files import FileIssue, GraphData
from dragops_sync.live import LiveState

__all__ = [
    "GraphRef",
    "RefTargets",
    "WaitingRef",
    "graph_references",
    "reference_ids",
    "reference_targets",
    "resolve_references",
]

_REF = re.compile(r"^\$\{(connection|pattern):([^{}]+)\}$")
# The properties whose values are server ids, turned back into references by export.
_ID_PROPERTIES = {"connectionId": "connection", "patternId": "pattern"}


@dataclass(frozen=True)
class WaitingRef:
    """A reference from pattern `pattern` to a `kind` named `name` that this apply creates."""

    pattern: str
    kind: str
    name: str
    file: str = ""
    field: str = ""

    def __str__(self) -> str:
        return f"pattern {self.pattern!r} references {self.kind} {self.name!r}, created by this apply"


@dataclass(frozen=True)
class RefTargets:
    """Live ids by name: connections by display name, patterns by name (None: ambiguous)."""

    connections: Mapping[str, str | None]
    patterns: Mapping[str, str | None]

    def lookup(self, kind: str, name: str) -> tuple[bool, str | None]:
        """(known, id): known False when nothing live has that name; id None when several do."""
        table = self.connections if kind == "connection" else self.patterns
        return (name in table, table.get(name))


def reference_targets(live: LiveState, owner: str | None = None) -> RefTargets:
    """The live names a reference can point at. A pattern of `owner` wins over unowned namesakes."""
    connections: dict[str, str | None] = {}
    for conn in live.connections:
        connections[conn.display_name] = None if conn.display_name in connections else conn.id
    patterns: dict[str, str | None] = {}
    ours = {p.name: p.id for p in live.patterns if owner is not None and p.mark.owner == owner}
    for pattern in live.patterns:
        patterns[pattern.name] = None if pattern.name in patterns else pattern.id
    patterns.update(ours)
    return RefTargets(connections, patterns)


def _resolve_pattern(
    dp: DesiredPattern, targets: RefTargets, declared: Mapping[str, set[str]]
) -> tuple[DesiredPattern, list[FileIssue], list[WaitingRef]]:
    graph = dp.pattern.graph_data.document()
    issues: list[FileIssue] = []
    waiting: list[WaitingRef] = []
    changed = False
    for index, node in enumerate(graph.get("nodes", [])):
        data = node.get("data") if isinstance(node, dict) else None
        properties = data.get("properties") if isinstance(data, dict) else None
        if not isinstance(properties, dict):
            continue
        for key, value in properties.items():
            match = _REF.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            kind, name = match.group(1), match.group(2).strip()
            field = f"graphData.nodes[{index}].data.properties.{key}"
            known, target = targets.lookup(kind, name)
            if known and target is not None:
                properties[key] = target
                changed = True
            elif known:
                message = f"{kind} {name!r} is ambiguous: several live ones have that name"
                issues.append(FileIssue(field, message, dp.path))
            elif name in declared[kind]:
                waiting.append(WaitingRef(dp.name, kind, name, dp.path, field))
            else:
                where = "a valid connections.yaml" if kind == "connection" else "a valid pattern file"
                message = f"references {kind} {name!r}, which is neither live nor declared in {where}"
                issues.append(FileIssue(field, message, dp.path))
    if not changed:
        return dp, issues, waiting
    pattern = dp.pattern.model_copy(update={"graph_data": GraphData.model_validate(graph)})
    return replace(dp, pattern=pattern), issues, waiting


def resolve_references(desired: DesiredState, targets: RefTargets) -> tuple[DesiredState, list[WaitingRef]]:
    """`desired` with every resolvable reference replaced by its live id, plus the waiting ones.

    Unknown or ambiguous references become issues of `desired` (so the planner writes nothing for
    their files); `waiting` names the references to objects this apply is about to create.
    """
    # A connections.yaml with issues creates nothing, so nothing it declares is worth waiting for.
    connections_valid = not any(issue.file == CONNECTIONS_FILE for issue in desired.issues)
    declared = {
        "connection": {c.server_name for c in desired.connections} if connections_valid else set(),
        "pattern": {p.name for p in desired.patterns},
    }
    patterns: list[DesiredPattern] = []
    issues: list[FileIssue] = []
    waiting: list[WaitingRef] = []
    for dp in desired.patterns:
        resolved, found, pending = _resolve_pattern(dp, targets, declared)
        patterns.append(resolved)
        issues += found
        waiting += pending
    # Waiting for a pattern whose own file has issues is waiting forever: that is an issue too (and
    # it makes the waiting pattern's file invalid in turn, hence the loop).
    bad_files = {issue.file for issue in (*desired.issues, *issues)}
    while blocked := [
        ref
        for ref in waiting
        if ref.kind == "pattern" and any(p.name == ref.name and p.path in bad_files for p in patterns)
    ]:
        for ref in blocked:
            message = f"references pattern {ref.name!r}, whose file has issues (it is not created)"
            issues.append(FileIssue(ref.field, message, ref.file))
            bad_files.add(ref.file)
        waiting = [ref for ref in waiting if ref not in blocked]
    if not issues and patterns == list(desired.patterns):
        return desired, waiting
    return replace(desired, patterns=tuple(patterns), issues=desired.issues + tuple(issues)), waiting


@dataclass(frozen=True)
class GraphRef:
    """One reference in a graph: node `node_id` (at `index`) property `key` names a `kind` called `name`."""

    index: int
    node_id: str
    key: str
    kind: str
    name: str

    @property
    def field(self) -> str:
        """Where it is, spelt as in a pattern file: `graphData.nodes[1].data.properties.connectionId`."""
        return f"graphData.nodes[{self.index}].data.properties.{self.key}"


def graph_references(graph: Mapping[str, Any]) -> list[GraphRef]:
    """Every `${connection:NAME}` / `${pattern:NAME}` reference in a graph's node properties, in order
    (for callers that resolve references their own way, such as the Pulumi provider)."""
    found: list[GraphRef] = []
    nodes = graph.get("nodes")
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        data = node.get("data") if isinstance(node, Mapping) else None
        properties = data.get("properties") if isinstance(data, Mapping) else None
        if not isinstance(properties, Mapping):
            continue
        for key, value in properties.items():
            match = _REF.match(value) if isinstance(value, str) else None
            if match is not None:
                node_id = str(node.get("id", "")) if isinstance(node, Mapping) else ""
                found.append(GraphRef(index, node_id, key, match.group(1), match.group(2).strip()))
    return found


def reference_ids(document: Mapping[str, Any], live: LiveState) -> dict[str, Any]:
    """An export document whose `connectionId`/`patternId` values naming live objects are references."""
    names = {
        "connection": {c.id: c.display_name for c in live.connections},
        "pattern": {p.id: p.name for p in live.patterns},
    }
    doc = dict(document)
    graph = doc.get("graphData")
    if not isinstance(graph, Mapping) or not isinstance(graph.get("nodes"), list):
        return doc
    nodes = []
    for node in graph["nodes"]:
        data = node.get("data") if isinstance(node, Mapping) else None
        properties = data.get("properties") if isinstance(data, Mapping) else None
        if isinstance(properties, Mapping):
            new_properties = dict(properties)
            for key, kind in _ID_PROPERTIES.items():
                value = properties.get(key)
                if isinstance(value, str) and value in names[kind]:
                    new_properties[key] = f"${{{kind}:{names[kind][value]}}}"
            nodes.append({**node, "data": {**data, "properties": new_properties}})  # type: ignore[dict-item]
        else:
            nodes.append(node)
    doc["graphData"] = {**graph, "nodes": nodes}
    return doc
