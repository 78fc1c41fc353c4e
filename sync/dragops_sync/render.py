"""Showing a plan: `text` for terminals, `json` for machines, `markdown` for pull-request comments.

* `render_text(plan, color=False)`: one line per item with a Terraform-like sign, its change indented
  below in the editor's terms (`graph_changes`: nodes, wires, pins; other fields as JSON pointers);
  colour (rich styles) only when asked (the CLI asks on a TTY).
* `render_json(plan)`: `Plan.to_dict()` as indented JSON; the schema is documented in
  `docs/plan-json.md` and versioned by its `formatVersion`.
* `render_markdown(plan)`: a summary table, the problems, then one collapsible `<details>` block per
  pattern with its change and a Mermaid picture of its graph (`graph_mermaid`), for
  `plan --output markdown` posted on a pull request; kept under GitHub's 65,536 characters by leaving
  out the pictures, then the diffs, when it would not fit (and saying so).

Secrets never appear: plans hold none (connections name their environment variable only), and long
values are shortened. Pure: returns strings, prints nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from dragops_sync.diff import FieldChange, graph_changed
from dragops_sync.essence import canonical_json
from dragops_sync.graph_mermaid import mermaid_flowchart
from dragops_sync.plan import ActionKind, Plan, PlanItem, Resource

__all__ = [
    "COMMENT_LIMIT",
    "OutputFormat",
    "buffer_console",
    "change_lines",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]

OutputFormat = Literal["text", "json", "markdown"]

_K = ActionKind

# Sign and style per kind (Terraform's +, ~, -, plus our report-only kinds).
_SIGNS: dict[ActionKind, tuple[str, str]] = {
    _K.CREATE: ("+", "green"),
    _K.UPDATE: ("~", "yellow"),
    _K.ADOPT: ("&", "cyan"),
    _K.DEPLOY: ("^", "green"),
    _K.REDEPLOY: ("^", "yellow"),
    _K.UNDEPLOY: ("v", "red"),
    _K.BIN: ("-", "red"),
    _K.DELETE: ("-", "red"),
    _K.DRIFT: ("!", "magenta"),
    _K.CONFLICT: ("!", "bold red"),
    _K.UNMANAGED: ("?", "blue"),
    _K.INVALID: ("x", "bold red"),
    _K.SUSPENDED: ("|", "cyan"),
    _K.ROLLED_BACK: ("<", "bold red"),
    _K.ORPHANED: ("?", "yellow"),
    _K.BINNED: ("_", "dim"),
    _K.REDUCE_TWINS: ("-", "yellow"),
    _K.NOOP: ("=", "dim"),
}

_MAX_VALUE = 160


def _value(value: Any) -> str:
    text = canonical_json(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _change_line(change: FieldChange) -> str:
    if change.op == "add":
        return f"+ {change.path}: {_value(change.after)}"
    if change.op == "remove":
        return f"- {change.path}: {_value(change.before)}"
    return f"~ {change.path}: {_value(change.before)} -> {_value(change.after)}"


# Fields the graph-aware lines describe; a change elsewhere (isPublic, variables...) keeps its pointer.
_DESCRIBED = ("/name", "/description", "/tags", "/graphData/nodes", "/graphData/edges")


def _described(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in _DESCRIBED)


def change_lines(item: PlanItem) -> list[str]:
    """An item's change as lines: in the editor's terms where live and file contents are known, the
    JSON-pointer field changes otherwise (and for what those terms do not cover)."""
    if item.live_content is None or item.file_content is None:
        return [_change_line(c) for c in item.changes]
    lines = [g.line() for g in item.graph_changes()]
    return lines + [_change_line(c) for c in item.changes if not _described(c.path)]


def _subject(item: PlanItem) -> str:
    what = {Resource.PATTERN: "pattern", Resource.DEPLOYMENT: "deployment", Resource.CONNECTION: "connection"}
    subject = f"{what[item.resource]} {item.name!r}"
    if item.resource == Resource.CONNECTION:
        key = f"${{{item.env_var}}}"
        # The plan's reason may already say where the key comes from; say it once.
        subject += f" ({item.provider})" if key in item.reason else f" ({item.provider}, key from {key})"
    return subject


def _summary_line(plan: Plan) -> str:
    counts = {kind: n for kind, n in plan.summary().items() if n and kind != str(_K.NOOP)}
    problems = len(plan.errors) + len(plan.refusals) + len(plan.issues)
    if not counts and problems:
        # Never "in sync" beside an invalid file: what it declares was not even compared.
        return f"No changes planned, but {problems} problem(s) listed above must be fixed first."
    if not counts:
        return "No changes: everything is in sync."
    return "Plan: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + "."


def buffer_console(buffer: io.StringIO, *, color: bool, width: int, soft_wrap: bool = False) -> Console:
    """A rich console writing into `buffer`: ANSI styles only when `color` (the CLI asks on a TTY),
    no automatic highlighting (names and values print as written)."""
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        soft_wrap=soft_wrap,
    )


def render_text(plan: Plan, *, color: bool = False, show_noop: bool = False, width: int = 120) -> str:
    """The plan for a terminal; `color` adds ANSI styles, `show_noop` lists in-sync items too."""
    buffer = io.StringIO()
    console = buffer_console(buffer, color=color, width=width, soft_wrap=True)
    if plan.target:
        what = plan.target.describe()
        console.print(
            Text(f"Targeted: only {what}, and what they reference; the rest is not compared.", style="bold")
        )
    for error in plan.errors:
        console.print(Text(f"Error: {error.message}", style="bold red"))
    for refusal in plan.refusals:
        console.print(Text(f"Refused: {refusal.message}", style="bold red"))
    for issue in plan.issues:
        console.print(Text(f"Invalid: {issue}", style="red"))
    for item in plan.items:
        if item.kind == _K.NOOP and not (show_noop or item.refresh_mark):
            continue
        sign, style = _SIGNS[item.kind]
        line = Text(f"{sign} {item.kind.value:<9} ", style=style)
        line.append(_subject(item), style="bold" if color else "")
        if item.reason:
            line.append(f"  ({item.reason})", style="dim")
        console.print(line)
        if item.kind != _K.CREATE:
            for change_line in change_lines(item):
                console.print(Text(f"      {change_line}", style=style))
    for note in plan.notes:
        console.print(Text(f"Note: {note}", style="dim"))
    console.print(Text(_summary_line(plan), style="bold"))
    return buffer.getvalue()


def render_json(plan: Plan) -> str:
    """The stable JSON form (docs/plan-json.md), indented, with a trailing newline."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


COMMENT_LIMIT = 65_536
"""GitHub's limit on a pull-request comment, in characters; a markdown plan stays under it."""
_MAX_TABLE_ROWS = 300
_MAX_DIFF_LINES = 200


def render_markdown(plan: Plan, *, limit: int = COMMENT_LIMIT) -> str:
    """The plan as a pull-request comment: summary table, problems, collapsible per-pattern changes
    with a Mermaid picture each; under `limit` characters (pictures, then diffs, left out if needed)."""
    for pictures, diffs in ((True, True), (False, True), (False, False)):
        text = _markdown(plan, pictures=pictures, diffs=diffs)
        if len(text) < limit:
            return text
    return text[: limit - 200].rsplit("\n", 1)[0] + "\n\n… (cut: the plan is too long for one comment)\n"


def _markdown(plan: Plan, *, pictures: bool, diffs: bool) -> str:
    out = [f"### dragops-sync plan (owner `{plan.owner}`)", "", f"**{_summary_line(plan)}**", ""]
    counts = [(kind, str(n)) for kind, n in plan.summary().items() if n]
    if counts:
        out += [*_md_table(counts, ("action", "count")), ""]
    problems = [f"- :x: **Error:** {e.message}" for e in plan.errors]
    problems += [f"- :no_entry: **Prune refused:** {r.message}" for r in plan.refusals]
    problems += [f"- :warning: `{i.where()}` `{i.field}`: {i.message}" for i in plan.issues]
    if problems:
        out += ["#### Problems", "", *problems, ""]
    shown = [i for i in plan.items if i.kind != _K.NOOP or i.refresh_mark]
    if shown:
        rows = [(f"`{i.kind}`", str(i.resource), i.name, f"`{i.file or ''}`", i.reason) for i in shown]
        out += _md_table(rows[:_MAX_TABLE_ROWS], ("action", "resource", "name", "file", "why"))
        if len(rows) > _MAX_TABLE_ROWS:
            out.append(f"| … | | {len(rows) - _MAX_TABLE_ROWS} more (`plan -o json` lists all) | | |")
        out.append("")
    left_out = [what for what, kept in (("pictures", pictures), ("per-pattern diffs", diffs)) if not kept]
    if left_out:
        what = " and ".join(left_out).capitalize()
        out += [f"> {what} left out: the comment would exceed GitHub's limit.", ""]
    for item in shown if diffs else ():
        out += _md_details(item, picture=pictures)
    if plan.notes:
        out += ["#### Notes", "", *[f"- {n}" for n in plan.notes], ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_details(item: PlanItem, *, picture: bool) -> list[str]:
    """One item's collapsible block: its change as a diff and, for a graph it changes, a picture."""
    if not item.changes:
        return []
    lines = _diff_lines(item.changes) if item.kind == _K.CREATE else change_lines(item)
    if len(lines) > _MAX_DIFF_LINES:
        lines = [*lines[:_MAX_DIFF_LINES], f"… {len(lines) - _MAX_DIFF_LINES} more lines"]
    diff = "\n".join(lines).replace("```", "`\u200b``")
    summary = f"<code>{item.kind.value}</code> {item.resource.value} <b>{_html(item.name)}</b>"
    summary += f" ({len(item.changes)} field change{'s' if len(item.changes) != 1 else ''})"
    block = ["<details>", f"<summary>{summary}</summary>", "", "```diff", diff, "```", ""]
    graphs = item.compared_graphs()
    if picture and graph_changed(item.changes) and graphs is not None:
        block += ["```mermaid", mermaid_flowchart(*graphs).rstrip("\n"), "```", ""]
    return [*block, "</details>", ""]


def _graph_lines(graph: Any) -> list[str] | None:
    """A new graph as one line per node and per edge (a reviewer reads these; one long JSON line
    cut at 160 characters says nothing), or None when it is not the usual shape."""
    if not isinstance(graph, dict):
        return None
    nodes, edges = graph.get("nodes"), graph.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        return None
    if not all(isinstance(x, dict) for x in [*nodes, *edges]):
        return None
    lines = [
        f"+ /graphData/nodes/{n.get('id')}: {n.get('type')}"
        + (f" {_value(n['data'])}" if n.get("data") else "")
        for n in nodes
    ]
    for e in edges:
        ends = f"{e.get('source')}.{e.get('sourceHandle')} -> {e.get('target')}.{e.get('targetHandle')}"
        lines.append(f"+ /graphData/edges/{e.get('id')}: {ends}")
    for key, value in graph.items():
        if key not in ("nodes", "edges"):
            lines.append(f"+ /graphData/{key}: {_value(value)}")
    return lines


def _diff_lines(changes: Iterable[FieldChange]) -> list[str]:
    # `diff` highlighting colours only lines starting with - or +: a replacement is shown as both.
    lines: list[str] = []
    for change in changes:
        graph = _graph_lines(change.after) if change.path == "/graphData" and change.op == "add" else None
        if graph is not None:
            lines += graph
            continue
        if change.op != "add":
            lines.append(f"- {change.path}: {_value(change.before)}")
        if change.op != "remove":
            lines.append(f"+ {change.path}: {_value(change.after)}")
    return lines


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(plan: Plan, fmt: OutputFormat = "text", *, color: bool = False) -> str:
    """Dispatch on `fmt` ("text", "json" or "markdown")."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "text":
        return render_text(plan, color=color)
    raise ValueError(f"unknown output format {fmt!r} (use text, json or markdown)")
