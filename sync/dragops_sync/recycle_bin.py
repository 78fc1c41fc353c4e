"""The recycle bin: prune moves a pattern there instead of deleting it, and purges it after a while.

A pattern whose file is gone is undeployed and tagged `dragops-sync:binned=<UTC time>` (with
`;deployed` when it was deployed), nothing else: its graph, versions, run history and webhook ids stay
in DRAGOPS. `apply --prune` deletes it for good once `prune.retention` (default 7 days) has passed
since; `dragops-sync restore DIR NAME` writes its file back and takes the tag off; a file of that name
added later takes it back the same way (the next write drops the tag, `ownership.py`).

Pure: no I/O; the time comes from the caller (`freeze.current_time`, so tests move it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dragops_sync.ownership import BINNED_TAG_PREFIX

__all__ = ["DEFAULT_RETENTION", "BinMark", "bin_tag", "read_bin"]

DEFAULT_RETENTION = "7d"
_DEPLOYED = ";deployed"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class BinMark:
    """When a pattern went into the bin, and whether it was deployed then (restore deploys it again)."""

    since: datetime
    deployed: bool = False

    def purge_at(self, retention: timedelta) -> datetime:
        """When `apply --prune` may delete it for good."""
        return self.since + retention

    def describe(self, retention: timedelta) -> str:
        """`in the recycle bin since ...; purged by apply --prune after ...`."""
        since, purge = self.since.strftime(_FORMAT), self.purge_at(retention).strftime(_FORMAT)
        return f"in the recycle bin since {since}; apply --prune purges it after {purge}"


def bin_tag(since: datetime, *, deployed: bool) -> str:
    """The tag that puts a pattern in the bin at `since`."""
    return f"{BINNED_TAG_PREFIX}{since.astimezone(UTC).strftime(_FORMAT)}{_DEPLOYED if deployed else ''}"


def read_bin(value: str | None) -> BinMark | None:
    """The mark from the value of a binned tag (`OwnershipMark.binned`); None when absent. A value
    that does not parse counts as binned at the start of time: purged at the next `apply --prune`
    rather than kept forever by a tag someone edited."""
    if value is None:
        return None
    stamp, deployed = (value[: -len(_DEPLOYED)], True) if value.endswith(_DEPLOYED) else (value, False)
    try:
        since = datetime.strptime(stamp, _FORMAT).replace(tzinfo=UTC)
    except ValueError:
        since = datetime.min.replace(tzinfo=UTC)
    return BinMark(since, deployed)
