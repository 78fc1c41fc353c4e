"""`Target`: the `--name` globs and `--tag` tags a `plan` or `apply` is limited to (a leaf: the plan
carries it; `targeting.select` applies it to a directory)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Target"]


@dataclass(frozen=True)
class Target:
    """The `--name` globs and `--tag` tags of one command (both empty: everything)."""

    names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.tags)

    def matches(self, name: str, tags: Iterable[Any] = ()) -> bool:
        """Whether a pattern of this name and these tags is in the target (always, with no target)."""
        if not self:
            return True
        if any(fnmatch.fnmatchcase(name, glob) for glob in self.names):
            return True
        return any(tag in self.tags for tag in tags)

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "tags": list(self.tags)}

    def describe(self) -> str:
        parts = [f"--name {g!r}" for g in self.names] + [f"--tag {t!r}" for t in self.tags]
        return ", ".join(parts)
