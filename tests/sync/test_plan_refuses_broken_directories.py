"""Directories that must not plan as if all were well: an invalid `connections.yaml`, pattern files whose
names differ only in case (issue 17, smaller items)."""

from __future__ import annotations

from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.directory import load_directory
from dragops_sync.plan import ActionKind
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.git import init_repo
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import cycle, run_cli


def _directory(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    write_file(repo, "dragops-sync.yaml", FAST_RATE + "owner: acme/checks\ndefaults: {deploy: false}\n")
    write_file(repo, "patterns/webhook.json", webhook_logger())
    return init_repo(repo)


def test_plan_after_an_invalid_connections_file_says_so_and_exits_1(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _directory(tmp_path)
    with client_for(emu, user) as client:
        assert cycle(client, repo).ok  # the pattern is in sync: only the connections file is wrong
    write_file(repo, "connections.yaml", "connections:\n  - {name: slack, provider: slack, apiKey: 42}\n")
    planned = run_cli(["plan", str(repo)], emu=emu, user=user)

    assert planned.exit_code == 1
    assert "Invalid: connections.yaml" in planned.output
    assert "everything is in sync" not in planned.output
    assert "1 problem(s) listed above must be fixed first" in planned.output


def test_pattern_files_whose_names_differ_only_in_case_are_refused(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _directory(tmp_path)
    write_file(repo, "patterns/Report.json", scheduled_report("Report A"))
    write_file(repo, "patterns/report.json", scheduled_report("Report B"))
    desired = load_directory(repo)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        live = {p.name for p in client.patterns.list()}

    messages = {i.file: i.message for i in desired.issues}
    assert set(messages) == {"patterns/Report.json", "patterns/report.json"}
    assert "differs from patterns/report.json only in case" in messages["patterns/Report.json"]
    assert "differs from patterns/Report.json only in case" in messages["patterns/report.json"]
    kinds = {i.file: i.kind for i in result.plan.items}
    assert kinds["patterns/Report.json"] == kinds["patterns/report.json"] == ActionKind.INVALID
    assert not result.ok and live == {"Webhook Logger"}  # the other file still applies
