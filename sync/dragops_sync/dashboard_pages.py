"""The dashboard's pages as HTML and JSON: pure functions of a `DashboardView` (no I/O).

Every value is escaped (`html.escape`) — pattern names, files and errors come from files and from the
server and may hold anything. The markup is plain and semantic (tables, definition lists, one form)
so the page is complete without JavaScript; `dashboard.js` only refreshes it, and builds its rows with
`textContent`, never HTML strings. Layout and colours live in `dashboard.css`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

__all__ = [
    "CycleRow",
    "DashboardView",
    "DeploymentCell",
    "PatternDetail",
    "render_index",
    "render_pattern",
    "state_document",
]


@dataclass(frozen=True)
class CycleRow:
    """One finished daemon cycle, as the "last cycles" table shows it."""

    number: int
    trigger: str
    result: str
    duration: float
    commit: str | None
    written: int = 0
    failed: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "trigger": self.trigger,
            "result": self.result,
            "durationSeconds": round(self.duration, 3),
            "commit": self.commit,
            "written": self.written,
            "failed": self.failed,
            "error": self.error,
        }


@dataclass(frozen=True)
class DeploymentCell:
    """A pattern's deployment as the last cycle saw it, with its last run (from the deployments list)."""

    status: str
    version: int | None = None
    last_run_status: str | None = None
    last_run_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version": self.version,
            "lastRun": {"status": self.last_run_status, "at": self.last_run_at}
            if self.last_run_status
            else None,
        }


@dataclass(frozen=True)
class PatternDetail:
    """What the last cycle planned for one pattern: the kinds of its plan items and their text lines
    (`dragops-sync plan`'s own lines)."""

    name: str
    kinds: tuple[str, ...]
    lines: tuple[str, ...]
    # What its picture draws (live's graph, the file's, the file's as written for the positions);
    # drawn only when /ui/picture.svg is asked for, not on every cycle.
    graphs: tuple[Any, Any, Any] | None = None


@dataclass(frozen=True)
class DashboardView:
    """Everything one page shows: the daemon's `/status` document, its last cycles, the deployments
    and the planned changes by pattern name, and whether "Sync now" is enabled."""

    status: Mapping[str, Any]
    cycles: Sequence[CycleRow] = ()
    deployments: Mapping[str, DeploymentCell] = field(default_factory=dict)
    details: Mapping[str, PatternDetail] = field(default_factory=dict)
    sync_enabled: bool = False

    @property
    def commit(self) -> str | None:
        last = self.status.get("lastCycle") or {}
        commit = last.get("commit")
        return str(commit) if commit else None

    @property
    def source(self) -> str:
        source = self.status.get("source")
        if isinstance(source, Mapping) and source.get("url"):
            branch = source.get("branch")
            return f"{source['url']} ({branch})" if branch else str(source["url"])
        return str(self.status.get("directory") or "")

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows: the status of each pattern with its deployment and detail flag."""
        rows = []
        for pattern in self.status.get("patterns", []):
            name = pattern["name"]
            deployment = self.deployments.get(name)
            rows.append(
                {
                    "name": name,
                    "file": pattern.get("file"),
                    "state": pattern.get("state"),
                    "deployment": deployment.to_dict() if deployment is not None else None,
                    "lastError": pattern.get("lastError"),
                    "nextRetryAt": pattern.get("nextRetryAt"),
                    "failures": pattern.get("failures", 0),
                    "hasChanges": name in self.details,
                }
            )
        return rows


def state_document(view: DashboardView) -> str:
    """`/ui/state.json`: what `dashboard.js` redraws the page from."""
    status = view.status
    doc = {
        "owner": status.get("owner"),
        "source": view.source,
        "commit": view.commit,
        "healthy": status.get("healthy"),
        "ready": status.get("ready"),
        "cycleInProgress": status.get("cycleInProgress"),
        "syncEnabled": view.sync_enabled,
        "patterns": view.rows(),
        "cycles": [c.to_dict() for c in view.cycles],
    }
    return json.dumps(doc, indent=1) + "\n"


# -- HTML ------------------------------------------------------------------------------------------------


def _page(title: str, body: str, *, page: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
<script src="/ui/assets/dashboard.js" defer></script>
</head>
<body data-page="{page}">
{body}
</body>
</html>
"""


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "—"


def _health(status: Mapping[str, Any]) -> str:
    if not status.get("healthy"):
        return "unhealthy"
    return "ready" if status.get("ready") else "not ready"


def _header(view: DashboardView) -> str:
    status = view.status
    owner = status.get("owner") or "—"
    sync = ""
    if view.sync_enabled:
        sync = """
<form class="sync" id="sync-form" method="post" action="/ui/sync">
  <label>UI token <input type="password" name="token" id="sync-token" autocomplete="off" required></label>
  <button type="submit" id="sync-now">Sync now</button>
  <span id="sync-result" role="status"></span>
</form>"""
    return f"""<header>
<h1><a href="/">dragops-sync</a></h1>
<dl class="facts">
  <div><dt>Owner</dt><dd id="owner">{escape(str(owner))}</dd></div>
  <div><dt>Source</dt><dd id="source">{escape(view.source)}</dd></div>
  <div><dt>Commit</dt><dd id="commit"><code>{escape(_short(view.commit))}</code></dd></div>
  <div><dt>Daemon</dt><dd id="health" class="health-{_health(status).replace(" ", "-")}">\
{escape(_health(status))}</dd></div>
</dl>{sync}
</header>"""


_SHOWN = {"binned": "in the recycle bin"}  # states whose words differ from their value


def _badge(state: str | None) -> str:
    text = state or "unknown"
    return f'<span class="badge state-{escape(text)}">{escape(_SHOWN.get(text, text))}</span>'


def _deployment_text(cell: Mapping[str, Any] | None) -> str:
    if cell is None:
        return "—"
    version = f" v{cell['version']}" if cell.get("version") is not None else ""
    return f"{cell['status']}{version}"


def _last_run_text(cell: Mapping[str, Any] | None) -> str:
    run = cell.get("lastRun") if cell is not None else None
    if not run:
        return "—"
    return f"{run['status']} {run.get('at') or ''}".strip()


def _matches(row: Mapping[str, Any], query: str) -> bool:
    wanted = query.casefold()
    return any(wanted in str(row.get(k) or "").casefold() for k in ("name", "state", "file"))


def _pattern_row(row: Mapping[str, Any]) -> str:
    name = str(row["name"])
    link = f'<a href="/ui/pattern?name={quote(name, safe="")}">{escape(name)}</a>'
    file = f'<div class="file">{escape(str(row["file"]))}</div>' if row.get("file") else ""
    state = str(row.get("state") or "unknown")
    return (
        f'<tr data-name="{escape(name)}" data-state="{escape(state)}">'
        f'<td data-label="Pattern">{link}{file}</td>'
        f'<td data-label="State">{_badge(state)}</td>'
        f'<td data-label="Deployment">{escape(_deployment_text(row.get("deployment")))}</td>'
        f'<td data-label="Last run">{escape(_last_run_text(row.get("deployment")))}</td>'
        f'<td data-label="Last error" class="error">{escape(str(row.get("lastError") or ""))}</td>'
        f'<td data-label="Next retry">{escape(str(row.get("nextRetryAt") or ""))}</td>'
        "</tr>"
    )


def _cycle_row(cycle: CycleRow) -> str:
    return (
        f'<tr class="result-{escape(cycle.result)}">'
        f'<td data-label="Cycle">{cycle.number}</td>'
        f'<td data-label="Trigger">{escape(cycle.trigger)}</td>'
        f'<td data-label="Result">{_badge(cycle.result)}</td>'
        f'<td data-label="Duration">{cycle.duration:.2f} s</td>'
        f'<td data-label="Writes">{cycle.written}{f" ({cycle.failed} failed)" if cycle.failed else ""}</td>'
        f'<td data-label="Commit"><code>{escape(_short(cycle.commit))}</code></td>'
        "</tr>"
    )


def render_index(view: DashboardView, *, query: str = "") -> str:
    """`/`: the facts, the patterns (those matching `query`, the filter of the page without
    JavaScript) and the last cycles."""
    rows = [r for r in view.rows() if not query or _matches(r, query)]
    body_rows = "\n".join(_pattern_row(r) for r in rows) or (
        '<tr class="empty"><td colspan="6">No patterns yet: the first cycle has not finished.</td></tr>'
    )
    cycles = "\n".join(_cycle_row(c) for c in view.cycles) or (
        '<tr class="empty"><td colspan="6">No cycle has finished yet.</td></tr>'
    )
    body = f"""{_header(view)}
<main>
<section>
<h2>Patterns <span class="count" id="pattern-count">{len(rows)}</span></h2>
<form class="filter" method="get" action="/">
  <input type="search" name="q" id="filter" value="{escape(query)}"
   placeholder="Filter by name, state or file" aria-label="Filter patterns">
  <noscript><button type="submit">Filter</button></noscript>
</form>
<table id="patterns">
<thead><tr><th>Pattern</th><th>State</th><th>Deployment</th><th>Last run</th><th>Last error</th>\
<th>Next retry</th></tr></thead>
<tbody>
{body_rows}
</tbody>
</table>
</section>
<section>
<h2>Last cycles</h2>
<table id="cycles">
<thead><tr><th>Cycle</th><th>Trigger</th><th>Result</th><th>Duration</th><th>Writes</th><th>Commit</th></tr></thead>
<tbody>
{cycles}
</tbody>
</table>
</section>
</main>"""
    owner = view.status.get("owner")
    return _page(f"dragops-sync — {owner}" if owner else "dragops-sync", body, page="index")


def _line_class(line: str) -> str:
    stripped = line.lstrip()
    return {"+": "added", "-": "removed", "~": "changed", "!": "attention"}.get(stripped[:1], "")


def render_pattern(view: DashboardView, name: str | None) -> str:
    """`/ui/pattern?name=NAME`: one pattern's state and the change the last cycle planned for it
    (`name` None: no such pattern)."""
    row = next((r for r in view.rows() if r["name"] == name), None) if name is not None else None
    if row is None:
        body = f"""{_header(view)}
<main><p class="missing">No pattern of that name in this directory. <a href="/">All patterns</a></p></main>"""
        return _page("dragops-sync — not found", body, page="missing")
    detail = view.details.get(str(name))
    if detail is not None:
        lines = "\n".join(f'<span class="{_line_class(line)}">{escape(line)}</span>' for line in detail.lines)
        picture = ""
        if detail.graphs is not None:
            source = "/ui/picture.svg?" + urlencode({"name": str(name)})
            picture = f"""
<figure class="picture">
<img src="{escape(source)}" alt="The graph of {escape(str(name))}, its planned change coloured">
<figcaption><span class="added">added</span> <span class="changed">changed</span> \
<span class="removed">removed</span></figcaption>
</figure>"""
        change = f"""<section class="change">
<h2>Planned change <small>({escape(", ".join(detail.kinds))})</small></h2>
<pre class="changes">{lines}</pre>{picture}
</section>"""
    else:
        change = '<section class="change"><h2>Planned change</h2><p>None: in sync with git.</p></section>'
    facts = [
        ("State", _badge(row.get("state"))),
        ("File", escape(str(row.get("file") or "—"))),
        ("Deployment", escape(_deployment_text(row.get("deployment")))),
        ("Last run", escape(_last_run_text(row.get("deployment")))),
        ("Last error", escape(str(row.get("lastError") or "—"))),
        ("Next retry", escape(str(row.get("nextRetryAt") or "—"))),
    ]
    rendered = "\n".join(f"  <div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    body = f"""{_header(view)}
<main data-pattern="{escape(str(name))}" data-state="{escape(str(row.get("state")))}">
<p><a href="/">← All patterns</a></p>
<h2 class="pattern-name">{escape(str(name))}</h2>
<dl class="pattern-facts">
{rendered}
</dl>
{change}
</main>"""
    return _page(f"dragops-sync — {name}", body, page="pattern")
