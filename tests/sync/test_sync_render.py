"""Rendering a plan: the golden JSON (the stable schema), text with and without colour, markdown."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from dragops_sync.directory import load_directory
from dragops_sync.live import LiveConnection, LiveState
from dragops_sync.plan import Plan
from dragops_sync.planner import build_plan
from dragops_sync.render import render, render_json, render_markdown, render_text
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.live import active, applied_of, live_pattern
from kit.mermaid import parse_flowchart
from kit.sync_dirs import write_pattern, write_settings

GOLDEN = Path(__file__).parent / "golden" / "plan.json"
SENTINEL = "xoxb-SENTINEL-never-shown"


def _edited(doc: dict, message: str) -> dict:
    out = copy.deepcopy(doc)
    out["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = message
    return out


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    """One plan with most kinds: create, update, redeploy, drift, conflict, unmanaged, bin, connection."""
    write_settings(tmp_path, f"owner: {OWNER}\nprune: {{enabled: true, budget: 5}}\n")
    write_pattern(tmp_path, "logger.yaml", _edited(webhook_logger(), "new text"))
    write_pattern(tmp_path, "report.json", scheduled_report())
    write_pattern(tmp_path, "drifted.json", webhook_logger("Drifted"))
    write_pattern(tmp_path, "conflicted.json", _edited(webhook_logger("Conflicted"), "git"))
    write_pattern(tmp_path, "hand.json", webhook_logger("Hand Made"))
    (tmp_path / "connections.yaml").write_text(
        "connections:\n  - {name: slack-alerts, provider: slack, apiKey: '${SLACK_TOKEN}'}\n",
        encoding="utf-8",
    )
    live = LiveState.of(
        [
            live_pattern(webhook_logger(), pattern_id="pat_logger"),
            live_pattern(
                _edited(webhook_logger("Drifted"), "live"),
                pattern_id="pat_drift",
                applied=applied_of(webhook_logger("Drifted")),
            ),
            live_pattern(
                _edited(webhook_logger("Conflicted"), "live"),
                pattern_id="pat_conflict",
                applied=applied_of(webhook_logger("Conflicted")),
            ),
            live_pattern(webhook_logger("Hand Made"), pattern_id="pat_hand", owner=None, applied=None),
            live_pattern(webhook_logger("Retired"), pattern_id="pat_old"),
        ],
        [active("pat_logger"), active("pat_old")],
        [LiveConnection("conn_1", "github", "GitHub")],
    )
    desired = load_directory(tmp_path, env={"SLACK_TOKEN": SENTINEL})
    return build_plan(desired, live)


def test_the_json_form_matches_the_golden_file(plan: Plan) -> None:
    text = render_json(plan)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_json_form_has_a_format_version_and_every_documented_key(plan: Plan) -> None:
    data = json.loads(render_json(plan))
    assert data["formatVersion"] == 1 and data["formatMinorVersion"] == 2
    assert list(data) == [
        "formatVersion",
        "formatMinorVersion",
        "owner",
        "environment",
        "target",
        "prune",
        "force",
        "hasChanges",
        "valid",
        "summary",
        "errors",
        "refusals",
        "issues",
        "notes",
        "items",
    ]
    assert set(data["items"][0]) == {
        "kind",
        "resource",
        "name",
        "file",
        "patternId",
        "reason",
        "changes",
        "graphChanges",
        "hashes",
        "driftMode",
        "environmentId",
        "refreshMark",
        "forced",
        "connection",
    }


def test_no_output_format_shows_a_secret(plan: Plan) -> None:
    for fmt in ("text", "json", "markdown"):
        out = render(plan, fmt)  # type: ignore[arg-type]
        assert SENTINEL not in out
        assert "SLACK_TOKEN" in out


def test_text_lists_each_item_with_its_sign_and_changes_without_colour_by_default(plan: Plan) -> None:
    text = render_text(plan)
    assert "\x1b[" not in text
    lines = text.splitlines()
    # Where the key comes from is said once (the plan's reason says it).
    assert lines[0] == (
        "+ create    connection 'slack-alerts' (slack)  "
        "(no live connection named 'slack-alerts'; key from ${SLACK_TOKEN})"
    )
    update = lines.index("~ update    pattern 'Webhook Logger'  (the file changed)")
    assert lines[update + 1 : update + 3] == [  # in the editor's terms: the node, then its pin
        '      ~ node Log "new text" (node_2)',
        '      ~   pin message: "got it" -> "new text"',
    ]
    assert any(line.startswith("! conflict  pattern 'Conflicted'") for line in lines)
    assert any(line.startswith("- bin       pattern 'Retired'") for line in lines)
    counts = "2 create, 1 update, 1 deploy, 1 redeploy, 1 undeploy, 1 bin, 1 drift, 1 conflict, 1 unmanaged"
    assert lines[-1] == f"Plan: {counts}."


def test_text_is_coloured_only_when_asked(plan: Plan) -> None:
    assert "\x1b[" in render_text(plan, color=True)


def test_text_says_so_when_everything_is_in_sync(tmp_path: Path) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\n")
    write_pattern(tmp_path, "p.json", webhook_logger())
    plan = build_plan(load_directory(tmp_path), LiveState.of([live_pattern(webhook_logger())], [active()]))
    assert render_text(plan) == "No changes: everything is in sync.\n"
    assert "= noop" in render_text(plan, show_noop=True)


def test_markdown_has_a_summary_table_and_collapsible_diffs(plan: Plan) -> None:
    md = render_markdown(plan)
    assert md.startswith(f"### dragops-sync plan (owner `{OWNER}`)\n")
    assert "| action | count |\n|---|---|\n" in md
    assert "| update | 1 |" in md
    assert "| `conflict` | pattern | Conflicted | `patterns/conflicted.json` |" in md
    assert (
        "<details>\n<summary><code>update</code> pattern <b>Webhook Logger</b> (1 field change)</summary>"
        in md
    )
    assert '```diff\n~ node Log "new text" (node_2)\n~   pin message: "got it" -> "new text"\n```' in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_markdown_draws_each_changed_graph_as_a_mermaid_flowchart(plan: Plan) -> None:
    md = render_markdown(plan)
    updated = md[md.index("<summary><code>update</code> pattern <b>Webhook Logger</b>") :]
    block = updated[: updated.index("</details>")]
    chart = parse_flowchart(block[block.index("```mermaid\n") + 11 : block.rindex("```")])
    assert sorted(chart["nodes"].values()) == [("Log<br/>new text", "changed"), ("OnWebhook", None)]
    created = md[md.index("<summary><code>create</code> pattern <b>Nightly Report</b>") :]
    block = created[: created.index("</details>")]
    chart = parse_flowchart(block[block.index("```mermaid\n") + 11 : block.rindex("```")])
    assert {c for _, c in chart["nodes"].values()} == {"added"}  # a new pattern: all of it is new


def test_a_markdown_plan_stays_under_githubs_comment_limit(tmp_path: Path) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\n")
    live = []
    for i in range(40):  # 40 patterns of 120 nodes, every node changed
        doc = webhook_logger(f"Big {i}")
        doc["graphData"]["nodes"] += [
            {
                "id": f"x{j}",
                "type": "Log",
                "position": {"x": j, "y": 0},
                "data": {"pinDefaults": {"message": "a"}},
            }
            for j in range(120)
        ]
        live.append(live_pattern(doc, pattern_id=f"pat_{i}"))
        changed = copy.deepcopy(doc)
        for node in changed["graphData"]["nodes"][2:]:
            node["data"]["pinDefaults"]["message"] = "b" * 30
        write_pattern(tmp_path, f"big{i}.json", changed)
    plan = build_plan(load_directory(tmp_path), LiveState.of(live, []))
    md = render_markdown(plan)
    assert len(md) < 65_536
    assert "Pictures and per-pattern diffs left out" in md or "Pictures left out" in md
    small = render_markdown(plan, limit=8_000)
    assert len(small) < 8_000 and "Pictures and per-pattern diffs left out" in small
    assert "| `update` | pattern | Big 39 |" in small  # the table is kept


def test_markdown_shows_a_new_patterns_graph_one_node_and_one_edge_per_line(plan: Plan) -> None:
    md = render_markdown(plan)
    created = md[md.index("<summary><code>create</code> pattern") :]
    block = created[: created.index("</details>")]
    assert "<b>Nightly Report</b>" in block
    assert '+ /graphData/nodes/n1: OnSchedule {"properties":{"cron":"0 2 * * *"}}' in block
    assert '+ /graphData/nodes/n2: Log {"pinDefaults":{"message":"report"}}' in block
    assert "+ /graphData/edges/e1: n1.exec -> n2.exec" in block
    assert '+ /graphData: {"edges"' not in block  # not one long cut-off JSON line


def test_markdown_lists_problems_and_escapes_table_cells(tmp_path: Path) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\n")
    write_pattern(tmp_path, "p.json", webhook_logger("Bad") | {"isPublic": "no"})
    dangling = webhook_logger("A | B")
    dangling["graphData"]["edges"][0]["target"] = "node_9"
    write_pattern(tmp_path, "q.json", dangling)
    md = render_markdown(build_plan(load_directory(tmp_path), LiveState()))
    assert "#### Problems" in md
    # the file as file:line:col
    assert re.search(
        r"- :warning: `patterns/p\.json:\d+:\d+` `isPublic`: input should be a valid boolean", md
    )
    assert "| `invalid` | pattern | A \\| B | `patterns/q.json` |" in md


def test_an_unknown_output_format_is_refused(plan: Plan) -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render(plan, "yaml")  # type: ignore[arg-type]
