"""One vocabulary, pinned to the documents: the pattern states of `dragops-sync status`
(docs/sync-json.md) and of the daemon's `/status` (docs/watch-daemon.md), the cycle results of the
metrics, and the triggers of the daemon's cycles. A state, result or trigger added to the code but not
to the documents (or the other way round) fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from dragops_sync.daemon_http import DaemonMetrics, DaemonStatus, PatternStatus
from dragops_sync.pattern_report import StatusRow, render_status_json, render_status_table
from dragops_sync.states import DAEMON_STATES, STATUS_STATES, PatternState, ReconcileResult, Trigger

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _ticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _section(document: str, start: str, end: str) -> str:
    text = (DOCS / document).read_text(encoding="utf-8")
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def test_the_status_commands_states_are_the_documented_ones_in_order() -> None:
    line = _section("sync-json.md", "States: ", "\n\n").removeprefix("States: ")
    assert _ticked(line) == [state.label for state in STATUS_STATES]


def test_the_daemons_states_are_the_documented_ones() -> None:
    paragraph = _section("watch-daemon.md", "`state` is one of", "`lastCommit` is")
    documented = set(_ticked(paragraph)) - {"state", "nextRetryAt"}
    assert documented == {state.value for state in DAEMON_STATES}


def test_every_state_is_reported_by_one_view_or_both() -> None:
    assert set(STATUS_STATES) | set(DAEMON_STATES) == set(PatternState)
    assert len(set(STATUS_STATES)) == len(STATUS_STATES) and len(set(DAEMON_STATES)) == len(DAEMON_STATES)


def test_an_unmanaged_pattern_reads_not_managed_in_status_and_unmanaged_in_the_daemon() -> None:
    # The same state, rendered by each view in its documented spelling.
    row = StatusRow("Hand Made", PatternState.UNMANAGED)
    doc = json.loads(render_status_json([row], owner="acme/flows"))
    assert doc["patterns"][0]["state"] == "not managed"
    assert list(doc["summary"]) == [state.label for state in STATUS_STATES]
    assert doc["summary"]["not managed"] == 1
    assert "1 pattern(s): 1 not managed" in render_status_table([row], owner="acme/flows")

    status = DaemonStatus(directory="/repo", interval=60.0)
    status.cycle_finished(
        result=ReconcileResult.OK,
        started_at=1.7e9,
        duration=0.1,
        commit=None,
        patterns=[PatternStatus(name="Hand Made", file="patterns/h.json", state=PatternState.UNMANAGED)],
    )
    shown = json.loads(json.dumps(status.to_dict()))
    assert shown["patterns"][0]["state"] == "unmanaged"
    assert shown["lastCycle"]["result"] == "ok"


def test_the_cycle_results_are_the_documented_metric_labels() -> None:
    row = next(
        line
        for line in (DOCS / "watch-daemon.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `dragops_sync_reconciles_total{result}`")
    )
    meaning = row.split("|")[3]
    assert _ticked(meaning) == [result.value for result in ReconcileResult]

    rendered = DaemonMetrics().render().decode()
    labels = {
        sample.labels["result"]
        for family in text_string_to_metric_families(rendered)
        if family.name == "dragops_sync_reconciles"
        for sample in family.samples
        if sample.name == "dragops_sync_reconciles_total"
    }
    assert labels == {result.value for result in ReconcileResult}


def test_the_triggers_are_the_documented_ones() -> None:
    table = _section("watch-daemon.md", "| trigger | when |", "\n\n")
    documented = [_ticked(line.split("|")[1])[0] for line in table.splitlines()[2:]]
    assert documented == [trigger.value for trigger in Trigger if trigger is not Trigger.MANUAL]
