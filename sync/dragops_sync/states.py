"""The sync's shared vocabularies: a pattern's state, a reconcile's result, what started a cycle.

One `PatternState` serves `dragops-sync status` (`pattern_report`), the daemon's `/status`
(`tracking`, `daemon_http`) and its metrics, so the two views of a pattern cannot drift apart. Its
`value` is the machine spelling (`/status`, log lines, metric labels); `label` is how `dragops-sync
status` prints it (its table and its JSON, format version 1, both documented in docs/sync-json.md),
which differs only for `UNMANAGED` ("not managed"). Each view reports a subset: `STATUS_STATES` (the
command's, computed from a dry-run plan) and `DAEMON_STATES` (the daemon's, which also knows what
the last apply did).

All are `StrEnum`s, so JSON documents, log lines and metric labels carry the same strings as before.
Imports nothing of the sync: every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DAEMON_STATES", "STATUS_STATES", "PatternState", "ReconcileResult", "Trigger"]


class PatternState(StrEnum):
    """Where a pattern (or, in the daemon, a connection) stands against its file."""

    SYNCED = "synced"
    OUT_OF_SYNC = "out of sync"  # the file differs, or the pattern or its deployment is still to be written
    DRIFTED = "drifted"  # edited live since the last apply, git unchanged
    CONFLICT = "conflict"  # changed both in git and live
    INVALID = "invalid"  # the file has issues: nothing is written for it
    UNMANAGED = "unmanaged"  # a live pattern of that name is not ours
    NO_FILE = "orphaned"  # ours, but no file declares it any more (prune off): status calls it "no file"
    PENDING = "pending"  # a write not made yet: the daemon was stopping, or the plan was blocked
    DELETED = "deleted"  # pruned this cycle
    FAILED = "failed"  # its write failed this cycle
    BACKOFF = "backoff"  # failed before, held back until its retry time
    UNKNOWN = "unknown"  # the last cycle could not read the instance (the API is down, access refused)
    SUSPENDED = "suspended"  # the file says sync.suspend: true: left alone
    ROLLED_BACK = "rolled back"  # its content failed a smoke test and was rolled back
    BINNED = "binned"  # its file is gone and prune moved it to the recycle bin (restorable)

    @property
    def label(self) -> str:
        """The spelling of `dragops-sync status` (table and JSON)."""
        return _LABELS.get(self, self.value)


_LABELS = {
    PatternState.UNMANAGED: "not managed",
    PatternState.NO_FILE: "no file",
    PatternState.BINNED: "in the recycle bin",
}

# The states `dragops-sync status` reports, in the order of its JSON summary.
STATUS_STATES: tuple[PatternState, ...] = (
    PatternState.SYNCED,
    PatternState.OUT_OF_SYNC,
    PatternState.DRIFTED,
    PatternState.CONFLICT,
    PatternState.INVALID,
    PatternState.UNMANAGED,
    PatternState.NO_FILE,
    PatternState.SUSPENDED,
    PatternState.ROLLED_BACK,
    PatternState.BINNED,
)

# The states the daemon's `/status` reports.
DAEMON_STATES: tuple[PatternState, ...] = (
    PatternState.SYNCED,
    PatternState.DRIFTED,
    PatternState.CONFLICT,
    PatternState.UNMANAGED,
    PatternState.INVALID,
    PatternState.PENDING,
    PatternState.DELETED,
    PatternState.FAILED,
    PatternState.BACKOFF,
    PatternState.UNKNOWN,
    PatternState.SUSPENDED,
    PatternState.ROLLED_BACK,
    PatternState.NO_FILE,
    PatternState.BINNED,
)


class ReconcileResult(StrEnum):
    """How a daemon cycle ended: the `result` of `/status`'s last cycle and of
    `dragops_sync_reconciles_total`."""

    OK = "ok"  # every write succeeded, and git is live
    DEGRADED = "degraded"  # no write failed, but something keeps git from being live (see blockers)
    PARTIAL = "partial"  # some item failed
    BLOCKED = "blocked"  # the plan forbade every write (duplicate names, invalid settings)
    ERROR = "error"  # the cycle failed as a whole (the API is down)


class Trigger(StrEnum):
    """What started a daemon cycle (logged as `cycle N (trigger)`)."""

    START = "start"  # once, at start
    FILES = "files"  # a file under the directory changed (debounced)
    INTERVAL = "interval"  # the periodic resync
    PUSH = "push"  # a fetch of the remote repository was requested (`GitSource.request_fetch`)
    RETRY = "retry"  # a backoff expired: a pattern's, or that of a cycle that failed as a whole
    FOLLOW_UP = "follow-up"  # right after a cycle that wrote something, once
    SYNC_NOW = "sync-now"  # "Sync now" pressed on the dashboard (with the UI token)
    MANUAL = "manual"  # `Daemon.run_once` called by an embedding program or a test
