"""The watch daemon's dashboard, served at `/` of the status server (`--status-addr`).

    dashboard = Dashboard(status, token=os.environ.get("DRAGOPS_SYNC_UI_TOKEN"), sync_now=daemon.request_sync)
    dashboard.record(outcome)        # after every cycle (the daemon does it)
    dashboard.get("/", {})           # -> Page(200, "text/html; charset=utf-8", b"...")

Routes (all under the status server, next to /healthz, /readyz, /metrics and /status):

* `GET /` — the page: owner, repository and commit, the last cycles, the table of patterns with a
  filter. Rendered on the server, so it reads well without JavaScript; `dashboard.js` then refreshes
  the cycles and the table every 2 s from `/ui/state.json` without reloading (polling: one small JSON
  document, no open connection per viewer).
* `GET /ui/state.json` — what the page shows, as JSON.
* `GET /ui/pattern?name=NAME` — one pattern: its state and, when it is drifted, in conflict or out of
  sync, the change the last cycle planned for it (the plan's lines and a picture of its graph).
* `GET /ui/picture.svg?name=NAME` — that picture: the pattern's graph at the editor's positions with
  what the change adds, changes and removes coloured (`graph_picture`); 404 without a planned change.
* `GET /ui/assets/dashboard.css|dashboard.js` — shipped in the package: no CDN, no network.
* `POST /ui/sync` — "Sync now": asks the daemon for a cycle. Only when the daemon was given a token
  (`DRAGOPS_SYNC_UI_TOKEN`) and the request carries it (header `X-Dragops-UI-Token`, or a `token`
  form field for the page without JavaScript); compared in constant time. Without a token configured
  the page is read-only: no button, and the route answers 403.

Nothing secret reaches a page: pattern names, files, states, error sentences (the API client keeps
credentials out of them) and plan lines (which name a connection's environment variable, never its
key). The token is never echoed. Pages carry a Content-Security-Policy that allows only this origin.
"""

from __future__ import annotations

import hmac
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from dragops_sync.apply import ResultStatus
from dragops_sync.daemon_http import DaemonStatus, Page
from dragops_sync.dashboard_pages import (
    CycleRow,
    DashboardView,
    DeploymentCell,
    PatternDetail,
    render_index,
    render_pattern,
    state_document,
)
from dragops_sync.graph_picture import render_svg
from dragops_sync.plan import ActionKind, Plan, PlanItem
from dragops_sync.reconciler import CycleOutcome
from dragops_sync.render import render_text

__all__ = ["HISTORY", "TOKEN_HEADER", "UI_TOKEN_ENV", "Dashboard"]

# The environment variable holding the token that enables "Sync now".
UI_TOKEN_ENV = "DRAGOPS_SYNC_UI_TOKEN"
TOKEN_HEADER = "X-Dragops-UI-Token"

# Cycles kept for the "last cycles" table.
HISTORY = 20

# A "Sync now" request body larger than this is refused unread (a token form is a few hundred bytes).
_MAX_FORM = 8 * 1024

_ASSETS = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}

# Plan item kinds that show a change worth a detail view.
_CHANGE_KINDS = frozenset(
    {ActionKind.UPDATE, ActionKind.DRIFT, ActionKind.CONFLICT, ActionKind.CREATE, ActionKind.REDEPLOY}
)

_HTML = "text/html; charset=utf-8"
_JSON = "application/json"
_SVG = "image/svg+xml"


@dataclass(frozen=True)
class _Recorded:
    """What the last cycles left for the pages (replaced whole after each cycle)."""

    cycles: tuple[CycleRow, ...] = ()
    deployments: Mapping[str, DeploymentCell] | None = None
    details: Mapping[str, PatternDetail] | None = None


class Dashboard:
    """The dashboard's routes over the daemon's `DaemonStatus` and the outcomes of its cycles.

    `token` enables "Sync now" (None: read-only); `sync_now` asks the daemon for a cycle. Thread-safe:
    the daemon's loop calls `record`, the status server's threads call `get`/`post`.
    """

    def __init__(
        self, status: DaemonStatus, *, token: str | None = None, sync_now: Callable[[], None] | None = None
    ) -> None:
        self.status = status
        self._token = token.encode() if token else None
        self._sync_now = sync_now
        self._lock = threading.Lock()
        self._history: deque[CycleRow] = deque(maxlen=HISTORY)
        self._recorded = _Recorded()

    @property
    def sync_enabled(self) -> bool:
        return self._token is not None and self._sync_now is not None

    # -- the daemon's side ------------------------------------------------------------------------

    def record(self, outcome: CycleOutcome) -> None:
        """Remember a finished cycle: its row in the history, the deployments it saw and the changes
        it planned (a cycle that failed as a whole keeps the last known ones)."""
        report = outcome.report
        written = report.count(ResultStatus.OK) if report is not None else 0
        failed = report.count(ResultStatus.FAILED) if report is not None else 0
        row = CycleRow(
            number=outcome.number,
            trigger=str(outcome.trigger),
            result=str(outcome.result),
            duration=outcome.duration,
            commit=outcome.commit,
            written=written,
            failed=failed,
            error=outcome.error,
        )
        with self._lock:
            self._history.appendleft(row)
            recorded = replace(self._recorded, cycles=tuple(self._history))
            if outcome.cycle is not None:
                recorded = replace(
                    recorded,
                    deployments=_deployments(outcome),
                    details=_details(outcome.cycle.plan),
                )
            self._recorded = recorded

    # -- the server's side ------------------------------------------------------------------------

    def view(self) -> DashboardView:
        """Everything the pages show, read once (consistent within one page)."""
        with self._lock:
            recorded = self._recorded
        return DashboardView(
            status=self.status.to_dict(),
            cycles=recorded.cycles,
            deployments=dict(recorded.deployments or {}),
            details=dict(recorded.details or {}),
            sync_enabled=self.sync_enabled,
        )

    def get(self, path: str, query: Mapping[str, list[str]]) -> Page | None:
        """The page at `path`, or None (not a dashboard route)."""
        if path == "/":
            query_text = (query.get("q") or [""])[0]
            return Page(200, _HTML, render_index(self.view(), query=query_text).encode())
        if path == "/ui/state.json":
            return Page(200, _JSON, state_document(self.view()).encode())
        if path == "/ui/pattern":
            name = (query.get("name") or [""])[0]
            view = self.view()
            if not any(p["name"] == name for p in view.status.get("patterns", [])):
                return Page(404, _HTML, render_pattern(view, None).encode())
            return Page(200, _HTML, render_pattern(view, name).encode())
        if path == "/ui/picture.svg":
            detail = self.view().details.get((query.get("name") or [""])[0])
            if detail is None or detail.graphs is None:
                return _text(404, "no planned change to draw for that pattern")
            before, after, placed_by = detail.graphs
            return Page(200, _SVG, render_svg(before, after, title=detail.name, placed_by=placed_by).encode())
        if path.startswith("/ui/assets/"):
            asset = path.removeprefix("/ui/assets/")
            if asset not in _ASSETS:
                return None
            body = resources.files("dragops_sync").joinpath("dashboard_assets", asset).read_bytes()
            return Page(200, _ASSETS[asset], body)
        return None

    def body_limit(self, path: str) -> int | None:
        """The largest body `POST /ui/sync` takes (a token form); None for other paths."""
        return _MAX_FORM if path == "/ui/sync" else None

    def too_large(self, path: str) -> None:
        """Nothing to count: the form is small, a large body is a mistake or an attack."""

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Page | None:
        """`POST /ui/sync` (None for any other path). `headers` by lower-case name; `body` is read by
        the caller up to `body_limit`."""
        if path != "/ui/sync":
            return None
        if not self.sync_enabled:
            return _text(403, "read-only: start the daemon with DRAGOPS_SYNC_UI_TOKEN to enable Sync now")
        from_header = headers.get(TOKEN_HEADER.lower())
        given = from_header or _form_token(body)
        if not given or not hmac.compare_digest(given.encode(), self._token or b""):
            return _text(401, "Sync now needs the daemon's UI token")
        assert self._sync_now is not None
        self._sync_now()
        if from_header:
            return Page(202, _JSON, b'{"accepted": true}\n')
        # The form of the page without JavaScript: back to the page.
        return Page(303, _HTML, b"", (("Location", "/"),))


def _text(status: int, message: str) -> Page:
    return Page(status, "text/plain; charset=utf-8", (message + "\n").encode())


def _form_token(body: bytes) -> str | None:
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        return None
    values = fields.get("token")
    return values[0] if values else None


def _deployments(outcome: CycleOutcome) -> dict[str, DeploymentCell]:
    """The deployment of each of the owner's live patterns, by pattern name (from the cycle's
    observation: the deployments list, which carries each one's last run; no extra request)."""
    assert outcome.cycle is not None
    observation = outcome.cycle.observation
    owner = outcome.cycle.owner
    cells: dict[str, DeploymentCell] = {}
    for pattern in observation.state.patterns:
        if pattern.mark.owner != owner:
            continue
        deployment = observation.deployments.get(pattern.id)
        live = observation.state.deployments.get(pattern.id)
        if deployment is None and live is None:
            continue
        last_run: Mapping[str, Any] = (deployment.last_run if deployment is not None else None) or {}
        if deployment is not None:
            status, version = deployment.status, deployment.version_number
        else:
            assert live is not None
            status, version = live.status, live.version_number
        cells[pattern.name] = DeploymentCell(
            status=status,
            version=version,
            last_run_status=_text_or_none(last_run.get("status")),
            last_run_at=_text_or_none(last_run.get("startedAt") or last_run.get("completedAt")),
        )
    return cells


def _text_or_none(value: object) -> str | None:
    return str(value) if value is not None else None


def _graphs(items: Sequence[PlanItem]) -> tuple[Any, Any, Any] | None:
    """What the pattern's picture draws, when the plan compared its contents."""
    for item in items:
        if (graphs := item.compared_graphs()) is not None:
            return (*graphs, item.file_graph)
    return None


def _details(plan: Plan) -> dict[str, PatternDetail]:
    """For each pattern the plan changes, drifts or conflicts on: its plan lines (the same text as
    `dragops-sync plan`, so the dashboard and the CLI never disagree)."""
    by_name: dict[str, list[PlanItem]] = {}
    for item in plan.items:
        if item.kind in _CHANGE_KINDS:
            by_name.setdefault(item.name, []).append(item)
    details = {}
    for name, items in by_name.items():
        only = replace(plan, items=tuple(items), errors=(), refusals=(), issues=(), notes=())
        lines = render_text(only, width=200).splitlines()[:-1]  # without the plan's summary line
        details[name] = PatternDetail(
            name=name,
            kinds=tuple(dict.fromkeys(str(i.kind) for i in items)),
            lines=tuple(lines),
            graphs=_graphs(items),
        )
    return details
