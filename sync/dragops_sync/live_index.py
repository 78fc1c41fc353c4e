"""`LiveIndex`: the live patterns as the planning rules look them up, built once per plan.

A live pattern is *ours* when its ownership mark names our owner, *unmarked* when it carries no
owner, and *foreign* when another owner's mark is on it; each group is indexed by name (names are
not unique on the server, so every name maps to a list). The index also answers the two questions
every rule asks of live data: the deployment of a pattern, and the essence of a document (through
the caller's memo, when one is given, so a long-running daemon hashes each document once).

Pure: no I/O, no clock, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dragops_sync.essence import Essence, EssenceMemo
from dragops_sync.live import LiveDeployment, LivePattern, LiveState

__all__ = ["LiveIndex"]

_NONE: tuple[LivePattern, ...] = ()


@dataclass(frozen=True)
class LiveIndex:
    """The live state seen from one owner, with the essence rules (`ignore`, `memo`) of one directory."""

    live: LiveState
    owner: str
    ignore: Sequence[str] = ()
    memo: EssenceMemo | None = field(default=None, compare=False)
    ours: Mapping[str, tuple[LivePattern, ...]] = field(default_factory=dict)
    unmarked: Mapping[str, tuple[LivePattern, ...]] = field(default_factory=dict)
    foreign: Mapping[str, tuple[LivePattern, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, live: LiveState, owner: str, *, ignore: Sequence[str] = (), memo: EssenceMemo | None = None
    ) -> LiveIndex:
        """Sort every live pattern into ours / unmarked / foreign, by name, in the order listed."""
        groups: dict[str, dict[str, list[LivePattern]]] = {
            "ours": defaultdict(list),
            "unmarked": defaultdict(list),
            "foreign": defaultdict(list),
        }
        for pattern in live.patterns:
            mark_owner = pattern.mark.owner
            group = "ours" if mark_owner == owner else "unmarked" if mark_owner is None else "foreign"
            groups[group][pattern.name].append(pattern)
        frozen = {group: {name: tuple(ps) for name, ps in by.items()} for group, by in groups.items()}
        return cls(live, owner, tuple(ignore), memo, frozen["ours"], frozen["unmarked"], frozen["foreign"])

    def ours_named(self, name: str) -> tuple[LivePattern, ...]:
        return self.ours.get(name, _NONE)

    def unmarked_named(self, name: str) -> tuple[LivePattern, ...]:
        return self.unmarked.get(name, _NONE)

    def foreign_named(self, name: str) -> tuple[LivePattern, ...]:
        return self.foreign.get(name, _NONE)

    def all_ours(self) -> list[LivePattern]:
        """Every live pattern this owner manages."""
        return [pattern for group in self.ours.values() for pattern in group]

    def deployment(self, pattern_id: str) -> LiveDeployment | None:
        return self.live.deployments.get(pattern_id)

    def deployed(self, pattern_id: str) -> bool:
        """True when the pattern's deployment is in a deployed status."""
        dep = self.live.deployments.get(pattern_id)
        return dep is not None and dep.deployed

    def essence(self, document: Mapping[str, Any]) -> Essence:
        """The essence of `document` under this directory's `ignore` list."""
        if self.memo is not None:
            return self.memo.get(document, ignore=self.ignore)
        return Essence.of(document, ignore=self.ignore)
