"""`LiveIndex`: the live patterns as the planning rules look them up, built once per plan.

A live pattern is *ours* when its ownership mark names our owner, *unmarked* when it carries no
owner, and *foreign* when another owner's mark is on it; each group is indexed by name (names are
not unique on the server, so every name maps to a list). A pattern marked with the `legacy` owner (the
default owner of earlier versions, README "Owners") is ours by name only: a file here declaring
its name manages it (and re-marks it), but it is never a prune candidate, since the old default was
shared by every directory of a repository. Names are compared as the server stores them (`names`).
The index also answers the two questions every rule asks of live data: the deployment of a pattern,
and the essence of a document (through the caller's memo, when one is given, so a long-running
daemon hashes each document once).

Pure: no I/O, no clock, no network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dragops_sync.essence import Essence, EssenceMemo
from dragops_sync.live import LiveDeployment, LivePattern, LiveState
from dragops_sync.names import server_name

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
    legacy: Mapping[str, tuple[LivePattern, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        live: LiveState,
        owner: str,
        *,
        legacy: str | None = None,
        siblings: Collection[str] = (),
        ignore: Sequence[str] = (),
        memo: EssenceMemo | None = None,
    ) -> LiveIndex:
        """Sort every live pattern into ours / legacy / unmarked / foreign, by name, in the order listed.

        The patterns of `siblings` (the owners of the directory's other environments) are left out:
        another environment's copy of a pattern on the same instance is neither ours nor a stranger's."""
        groups: dict[str, dict[str, list[LivePattern]]] = {
            "ours": defaultdict(list),
            "legacy": defaultdict(list),
            "unmarked": defaultdict(list),
            "foreign": defaultdict(list),
        }
        for pattern in live.patterns:
            mark_owner = pattern.mark.owner
            if mark_owner is not None and mark_owner in siblings:
                continue
            if mark_owner == owner:
                group = "ours"
            elif legacy is not None and mark_owner == legacy:
                group = "legacy"
            else:
                group = "unmarked" if mark_owner is None else "foreign"
            groups[group][server_name(pattern.name)].append(pattern)
        frozen = {group: {name: tuple(ps) for name, ps in by.items()} for group, by in groups.items()}
        return cls(
            live,
            owner,
            tuple(ignore),
            memo,
            frozen["ours"],
            frozen["unmarked"],
            frozen["foreign"],
            frozen["legacy"],
        )

    def ours_named(self, name: str) -> tuple[LivePattern, ...]:
        """Our patterns called `name`: marked with our owner, or with the legacy owner."""
        key = server_name(name)
        return self.ours.get(key, _NONE) + self.legacy.get(key, _NONE)

    def unmarked_named(self, name: str) -> tuple[LivePattern, ...]:
        return self.unmarked.get(server_name(name), _NONE)

    def foreign_named(self, name: str) -> tuple[LivePattern, ...]:
        return self.foreign.get(server_name(name), _NONE)

    def legacy_unclaimed(self, declared: Collection[str]) -> list[LivePattern]:
        """Legacy-marked patterns no file declares: not ours to prune (another directory's, maybe)."""
        names = {server_name(n) for n in declared}
        return [p for name, group in self.legacy.items() if name not in names for p in group]

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
