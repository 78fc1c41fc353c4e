"""`dragops-sync status`: per pattern, its sync state, its deployment and its last run.

Built from a dry-run plan and the observation it was made from (`cycle.run_cycle(dry_run=True)`), so
it costs the same three list calls as a warm plan: the deployment status, version and last run all
come from the deployments list (its `lastRun`), with no per-pattern call.

Sync states: `states.STATUS_STATES`, printed by their `label` (so `PatternState.UNMANAGED`, which
the daemon's `/status` calls `unmanaged`, reads `not managed` here, as docs/sync-json.md says):
`synced`; `out of sync` (the file differs, or the pattern or its deployment is still to be created or
changed); `drifted` (live edited since the last apply, git unchanged); `conflict` (both changed);
`invalid` (the file has issues); `not managed` (a live pattern of that name is not ours); `no file`
(ours, but no file declares it any more: prune would delete it).

Pure apart from rendering to a string.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text

from dragops_sync.observe import Observation
from dragops_sync.plan import ActionKind, Plan, PlanItem, Resource
from dragops_sync.render import buffer_console
from dragops_sync.states import STATUS_STATES, PatternState

__all__ = ["StatusRow", "render_status_json", "render_status_table", "status_rows"]

_K = ActionKind


_STATE_OF_KIND = {
    _K.NOOP: PatternState.SYNCED,
    _K.CREATE: PatternState.OUT_OF_SYNC,
    _K.UPDATE: PatternState.OUT_OF_SYNC,
    _K.DRIFT: PatternState.DRIFTED,
    _K.CONFLICT: PatternState.CONFLICT,
    _K.INVALID: PatternState.INVALID,
    _K.UNMANAGED: PatternState.UNMANAGED,
    _K.ADOPT: PatternState.UNMANAGED,
    _K.DELETE: PatternState.BINNED,  # purged by this apply: in the bin until then
    _K.BIN: PatternState.NO_FILE,  # moved to the bin by this apply: its file is gone until then
    _K.BINNED: PatternState.BINNED,
    _K.SUSPENDED: PatternState.SUSPENDED,
    _K.ROLLED_BACK: PatternState.ROLLED_BACK,
    _K.ORPHANED: PatternState.NO_FILE,
}

_STYLE = {
    PatternState.SYNCED: "green",
    PatternState.OUT_OF_SYNC: "yellow",
    PatternState.DRIFTED: "magenta",
    PatternState.CONFLICT: "bold red",
    PatternState.INVALID: "bold red",
    PatternState.UNMANAGED: "blue",
    PatternState.NO_FILE: "dim",
    PatternState.SUSPENDED: "cyan",
    PatternState.ROLLED_BACK: "bold red",
    PatternState.BINNED: "dim",
}


@dataclass(frozen=True)
class StatusRow:
    """One pattern's line of `status`."""

    name: str
    state: PatternState
    detail: str = ""
    file: str | None = None
    pattern_id: str | None = None
    deployment: str | None = None  # active, pending, paused, undeployed, or None (never deployed)
    version: int | None = None
    last_run_status: str | None = None
    last_run_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.label,
            "detail": self.detail,
            "file": self.file,
            "patternId": self.pattern_id,
            "deployment": {"status": self.deployment, "version": self.version},
            "lastRun": (
                {"status": self.last_run_status, "startedAt": self.last_run_at}
                if self.last_run_status is not None
                else None
            ),
        }


def _pattern_state(item: PlanItem) -> PatternState:
    if item.kind == _K.UPDATE and item.drift_mode == "enforce":
        return PatternState.DRIFTED  # an enforce-mode drift is planned as a reverting update
    if item.kind == _K.UPDATE and item.forced:
        return PatternState.CONFLICT
    return _STATE_OF_KIND.get(item.kind, PatternState.OUT_OF_SYNC)


def status_rows(plan: Plan, observation: Observation) -> list[StatusRow]:
    """One row per pattern the directory declares, plus one per owned pattern without a file."""
    deploy_items = {i.name: i for i in plan.items if i.resource == Resource.DEPLOYMENT}
    rows: list[StatusRow] = []
    seen: set[str] = set()
    for item in plan.items:
        if item.resource != Resource.PATTERN:
            continue
        state = _pattern_state(item)
        detail = item.reason
        pending = deploy_items.get(item.name)
        if state == PatternState.SYNCED and pending is not None:
            state, detail = PatternState.OUT_OF_SYNC, f"{pending.kind.value}: {pending.reason}"
        pattern_id = item.pattern_id
        seen.add(item.name)
        rows.append(_with_deployment(StatusRow(item.name, state, detail, item.file, pattern_id), observation))
    for live in sorted(observation.state.patterns, key=lambda p: (p.name, p.id)):
        if live.name in seen or live.mark.owner != plan.owner:
            continue
        detail = (
            "kept (sync.prune: false)" if live.mark.keep else "no file declares it; --prune would delete it"
        )
        row = StatusRow(live.name, PatternState.NO_FILE, detail, None, live.id)
        rows.append(_with_deployment(row, observation))
    return sorted(rows, key=lambda r: (r.name, r.file or ""))


def _with_deployment(row: StatusRow, observation: Observation) -> StatusRow:
    deployment = observation.deployments.get(row.pattern_id) if row.pattern_id else None
    if deployment is None:
        return row
    last = deployment.last_run or {}
    return StatusRow(
        row.name,
        row.state,
        row.detail,
        row.file,
        row.pattern_id,
        deployment.status,
        deployment.version_number,
        last.get("status") if isinstance(last.get("status"), str) else None,
        last.get("startedAt") if isinstance(last.get("startedAt"), str) else None,
    )


def _summary(rows: list[StatusRow]) -> dict[str, int]:
    counts = Counter(row.state for row in rows)
    return {state.label: counts.get(state, 0) for state in STATUS_STATES}


def render_status_json(rows: list[StatusRow], *, owner: str, environment: str | None = None) -> str:
    """The stable JSON form: `{formatVersion, owner, environment, summary, patterns: [...]}`."""
    doc = {
        "formatVersion": 1,
        "owner": owner,
        "environment": environment,
        "summary": _summary(rows),
        "patterns": [row.to_dict() for row in rows],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_status_table(rows: list[StatusRow], *, owner: str, color: bool = False, width: int = 140) -> str:
    """A table for a terminal (colour only when asked)."""
    buffer = io.StringIO()
    console = buffer_console(buffer, color=color, width=width)
    # The title as its own line: a table title is padded with spaces to the table's width.
    console.print(Text(f"dragops-sync status (owner {owner})"))
    table = Table()
    for column in ("pattern", "state", "deployment", "version", "last run", "file", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        last = f"{row.last_run_status} {row.last_run_at}" if row.last_run_status else "-"
        # Text cells, never markup strings: a pattern named "[red]x" must print as written.
        table.add_row(
            Text(row.name),
            Text(row.state.label, style=_STYLE[row.state] if color else ""),
            Text(row.deployment or "not deployed"),
            Text(str(row.version) if row.version is not None else "-"),
            Text(last),
            Text(row.file or "-"),
            Text(row.detail),
        )
    console.print(table)
    counts = ", ".join(f"{n} {state}" for state, n in _summary(rows).items() if n)
    console.print(Text(f"{len(rows)} pattern(s): {counts or 'none'}"))
    return buffer.getvalue()
