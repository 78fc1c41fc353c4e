"""`--name GLOB` and `--tag TAG` on `plan` and `apply`: work on some patterns of a directory, not all.

A pattern is in the target when its name matches one of the globs or its file carries one of the tags.
What the targeted patterns need comes along: every `${pattern:NAME}` they call (transitively) and
every `${connection:NAME}` they use, so a targeted apply never writes a pattern whose reference it
cannot resolve. Prune stays inside the target: a live pattern of ours is a candidate only when it
matches the target itself, and never while any file (targeted or not) declares its name.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dragops_sync.desired import DesiredPattern, DesiredState
from dragops_sync.names import server_name
from dragops_sync.refs import graph_references
from dragops_sync.target_spec import Target

__all__ = ["Target", "targeted"]


def _references(dp: DesiredPattern) -> list[tuple[str, str]]:
    graph = dp.pattern.document().get("graphData") or {}
    return [(ref.kind, ref.name) for ref in graph_references(graph)]


def targeted(desired: DesiredState, target: Target) -> DesiredState:
    """`desired` narrowed to the target and what it references; the names left out are kept in
    `untargeted`, so prune never takes a pattern a file still declares for one of them."""
    if not target:
        return desired
    by_name = {server_name(dp.name): dp for dp in desired.patterns}
    chosen = {server_name(dp.name) for dp in desired.patterns if target.matches(dp.name, dp.pattern.tags)}
    connections: set[str] = set()
    queue: Sequence[str] = sorted(chosen)
    while queue:
        found: list[str] = []
        for name in queue:
            for kind, ref in _references(by_name[name]):
                if kind == "connection":
                    connections.add(ref)
                elif server_name(ref) in by_name and server_name(ref) not in chosen:
                    chosen.add(server_name(ref))
                    found.append(server_name(ref))
        queue = found
    patterns = tuple(dp for dp in desired.patterns if server_name(dp.name) in chosen)
    kept_connections = tuple(c for c in desired.connections if c.server_name in connections)
    left_out = frozenset(name for name in by_name if name not in chosen)
    return replace(desired, patterns=patterns, connections=kept_connections, untargeted=left_out)
