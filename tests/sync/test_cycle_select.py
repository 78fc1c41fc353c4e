"""`run_cycle(select=...)`: the hook the watch daemon uses to leave out the writes of patterns still
backing off. It narrows what every round of one apply writes; the result keeps the full plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.apply import ResultStatus
from dragops_sync.cycle import Selector
from dragops_sync.desired import DesiredState
from dragops_sync.plan import Plan
from kit.clients import client_for
from kit.documents import OWNER, webhook_logger
from kit.sync_dirs import copy_example, write_pattern, write_settings
from kit.sync_runs import cycle

EXAMPLE_ENV = {"SLACK_TOKEN": "xoxb-SENTINEL-slack", "GITHUB_TRIAGE_TOKEN": "ghp_SENTINEL-github"}


def without(name: str) -> tuple[list[Plan], Selector]:
    """A selector dropping the writes of pattern `name`, and the list of plans it was shown."""
    shown: list[Plan] = []

    def select(plan: Plan, desired: DesiredState) -> Plan:
        shown.append(plan)
        return replace(plan, items=tuple(i for i in plan.items if not (i.writes and i.name == name)))

    return shown, select


def test_a_selector_leaves_out_writes_that_the_full_plan_still_shows(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    write_pattern(tmp_path, "a.json", webhook_logger("Alpha"))
    write_pattern(tmp_path, "b.json", webhook_logger("Beta"))
    shown, select = without("Beta")
    with client_for(emu, user) as client:
        result = cycle(client, tmp_path, select=select)
        assert [p.name for p in client.patterns.list()] == ["Alpha"]
        again = cycle(client, tmp_path)  # without the selector, Beta is written now
        assert sorted(p.name for p in client.patterns.list()) == ["Alpha", "Beta"]
    assert len(shown) == 1 and shown[0] is result.plan
    assert {(i.kind, i.name) for i in result.plan.items} == {("create", "Alpha"), ("create", "Beta")}
    assert result.report is not None and result.report.ok
    assert [(r.item.name, r.status) for r in result.report.results] == [("Alpha", ResultStatus.OK)]
    assert again.report is not None
    assert [(r.item.kind, r.item.name) for r in again.report.results if r.item.writes] == [("create", "Beta")]


def test_the_selector_is_asked_again_for_every_round_of_references(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = copy_example(tmp_path / "repo")
    shown, select = without("No Such Pattern")  # leaves everything in
    with client_for(emu, user) as client:
        result = cycle(client, repo, select=select, env=EXAMPLE_ENV)
    # Round 1 writes what can be written; Deploy Failure Alert waits for Slack Notifier's id, so
    # later rounds re-plan, and each round's plan is shown to the selector (the last is `follow_up`).
    assert result.report is not None and result.report.ok
    assert result.follow_up is not None
    assert len(shown) >= 2
    assert shown[0] is result.plan and shown[-1] is result.follow_up


def test_a_pattern_left_out_by_the_selector_is_not_written_in_a_later_round_either(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = copy_example(tmp_path / "repo")
    _, select = without("Slack Notifier")
    with client_for(emu, user) as client:
        result = cycle(client, repo, select=select, env=EXAMPLE_ENV)
        live = {p.name for p in client.patterns.list()}
    # Deploy Failure Alert references Slack Notifier by name: with its target held back it is never
    # written (no placeholder reaches the instance) and says what it waits for.
    assert "Slack Notifier" not in live and "Deploy Failure Alert" not in live
    assert "Webhook Logger" in live
    assert result.report is not None
    held = [r for r in result.report.results if r.item.name == "Deploy Failure Alert"]
    assert held and all(r.status == ResultStatus.SKIPPED for r in held)
    assert all("Slack Notifier" in r.message for r in held)
    assert not any(r.item.name == "Slack Notifier" for r in result.report.results)
