"""The ownership mark: the sync's own tags on a live pattern, read and written here.

A pattern the sync creates or adopts carries `dragops-sync:owner=<owner>` and
`dragops-sync:applied=<12 hex of the essence hash>` (and `dragops-sync:prune=false` when its file says
`sync.prune: false`), visible in the dashboard and stripped before every comparison
(docs/decisions.md D19).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "APPLIED_TAG_PREFIX",
    "BINNED_TAG_PREFIX",
    "KEEP_TAG",
    "OWNER_TAG_PREFIX",
    "ROLLED_BACK_TAG_PREFIX",
    "OwnershipMark",
    "is_ownership_tag",
    "ownership_mark",
    "ownership_tags",
    "strip_ownership_tags",
]

OWNER_TAG_PREFIX = "dragops-sync:owner="
APPLIED_TAG_PREFIX = "dragops-sync:applied="
# Written on patterns whose file says `sync.prune: false`, so they survive the loss of their file.
KEEP_TAG = "dragops-sync:prune=false"
# Written when a deploy's smoke test failed and was rolled back: the essence hash of the content that
# failed, so it is not deployed again until the file changes (smoke.py). A later write drops it.
ROLLED_BACK_TAG_PREFIX = "dragops-sync:rolled-back="
# Written by prune instead of a delete: the pattern is in the recycle bin since then (recycle_bin.py).
# A later write by the sync (a file of that name came back) drops it.
BINNED_TAG_PREFIX = "dragops-sync:binned="


def is_ownership_tag(tag: object) -> bool:
    """Whether `tag` is one of the sync's own tags (owner, applied hash, keep, rolled back, binned)."""
    if not isinstance(tag, str):
        return False
    prefixes = (OWNER_TAG_PREFIX, APPLIED_TAG_PREFIX, ROLLED_BACK_TAG_PREFIX, BINNED_TAG_PREFIX)
    return tag.startswith(prefixes) or tag == KEEP_TAG


def strip_ownership_tags(tags: Sequence[Any]) -> list[Any]:
    """`tags` without the ownership mark, order kept."""
    return [t for t in tags if not is_ownership_tag(t)]


@dataclass(frozen=True)
class OwnershipMark:
    """The ownership mark read from a live pattern's tags (None where a tag is absent)."""

    owner: str | None
    applied: str | None
    keep: bool = False
    rolled_back: str | None = None  # the hash of content whose smoke test failed
    binned: str | None = None  # in the recycle bin: when, and whether it was deployed (recycle_bin.py)


def ownership_mark(tags: Sequence[Any] | None) -> OwnershipMark:
    """Read the owner and applied hash from a tag list; the first tag of each kind wins."""
    owner: str | None = None
    applied: str | None = None
    rolled_back: str | None = None
    binned: str | None = None
    keep = False
    for tag in tags or ():
        if not isinstance(tag, str):
            continue
        if owner is None and tag.startswith(OWNER_TAG_PREFIX):
            owner = tag[len(OWNER_TAG_PREFIX) :]
        elif applied is None and tag.startswith(APPLIED_TAG_PREFIX):
            applied = tag[len(APPLIED_TAG_PREFIX) :]
        elif rolled_back is None and tag.startswith(ROLLED_BACK_TAG_PREFIX):
            rolled_back = tag[len(ROLLED_BACK_TAG_PREFIX) :]
        elif binned is None and tag.startswith(BINNED_TAG_PREFIX):
            binned = tag[len(BINNED_TAG_PREFIX) :]
        elif tag == KEEP_TAG:
            keep = True
    return OwnershipMark(owner=owner, applied=applied, keep=keep, rolled_back=rolled_back, binned=binned)


def ownership_tags(tags: Sequence[str], *, owner: str, applied: str, keep: bool = False) -> list[str]:
    """The tags to write: the user's tags (sorted, without any old mark) plus a fresh mark."""
    user_tags = sorted({t for t in tags if not is_ownership_tag(t)})
    mark = [f"{OWNER_TAG_PREFIX}{owner}", f"{APPLIED_TAG_PREFIX}{applied}"]
    return [*user_tags, *mark, *([KEEP_TAG] if keep else [])]
