"""`sync.suspend: true` leaves a pattern alone: no write, no drift revert, no prune, shown as suspended
by plan, status and the daemon; `dragops-sync suspend/resume DIR NAME` edit only that key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.states import PatternState
from kit.emulator import writes
from kit.live import live_message
from kit.sync_dirs import FAST_RATE, pattern_file, sync_repo, write_settings
from kit.sync_runs import run_cli, running_daemon
from kit.waiting import wait_for

SETTINGS = (
    FAST_RATE + "owner: acme/flows\ndefaults: {deploy: false, drift: enforce}\nprune: {enabled: true}\n"
)


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def edit_live(client: Client, name: str, message: str) -> None:
    (summary,) = client.patterns.find_by_name(name)
    graph = json.loads(json.dumps(client.patterns.get(summary.id).graph_data))
    for node in graph["nodes"]:
        if node["type"] == "Log":
            node["data"]["pinDefaults"]["message"] = message
    client.patterns.update(summary.id, graph_data=graph)


def test_a_suspended_pattern_is_neither_written_nor_reverted_nor_pruned(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha", "beta": "Beta"}, settings=SETTINGS)
    assert run_cli(["apply", str(directory)], emu=emu, user=user).exit_code == 0
    suspended = run_cli(["suspend", str(directory), "Alpha"])
    assert suspended.exit_code == 0 and "suspended 'Alpha' (patterns/alpha.json)" in suspended.output
    assert json.loads((directory / "patterns" / "alpha.json").read_text())["sync"] == {"suspend": True}

    edit_live(client, "Alpha", "debugging in the editor")  # drift: enforce would revert it
    pattern_file(directory, "alpha", "Alpha", "a new file version")  # a git change would be written
    doc = json.loads((directory / "patterns" / "alpha.json").read_text())
    doc["sync"] = {"suspend": True}
    (directory / "patterns" / "alpha.json").write_text(json.dumps(doc), encoding="utf-8")
    emu.clear_request_log()
    planned = run_cli(["plan", str(directory), "-o", "json", "--detailed-exitcode"], emu=emu, user=user)
    items = {i["name"]: i for i in json.loads(planned.stdout)["items"]}
    assert planned.exit_code == 0  # suspended is no change to make
    assert items["Alpha"]["kind"] == "suspended" and "sync.suspend" in items["Alpha"]["reason"]
    assert run_cli(["apply", str(directory)], emu=emu, user=user).exit_code == 0
    assert writes(emu) == []
    assert live_message(client, "Alpha") == "debugging in the editor"

    status = json.loads(run_cli(["status", str(directory), "-o", "json"], emu=emu, user=user).stdout)
    assert {p["name"]: p["state"] for p in status["patterns"]}["Alpha"] == "suspended"
    assert status["summary"]["suspended"] == 1

    resumed = run_cli(["resume", str(directory), "Alpha"])
    assert resumed.exit_code == 0 and "sync" not in json.loads(
        (directory / "patterns" / "alpha.json").read_text()
    )
    # Both sides changed while suspended: a conflict, as for any pattern; --force takes the file's.
    conflict = run_cli(["apply", str(directory)], emu=emu, user=user)
    assert conflict.exit_code == 1 and "conflict" in conflict.output
    assert live_message(client, "Alpha") == "debugging in the editor"
    assert run_cli(["apply", str(directory), "--force"], emu=emu, user=user).exit_code == 0
    assert live_message(client, "Alpha") == "a new file version"


def test_suspend_keeps_a_yaml_files_comments_and_order(tmp_path: Path) -> None:
    directory = tmp_path / "repo"
    write_settings(directory, SETTINGS)
    path = directory / "patterns" / "gamma.yaml"
    path.parent.mkdir(parents=True)
    original = (
        "# owned by the data team\n"
        "formatVersion: 1\n"
        "name: Gamma   # the name users see\n"
        "graphData: {nodes: [], edges: []}\n"
        "sync:\n"
        "  deploy: false\n"
    )
    path.write_text(original, encoding="utf-8")
    assert run_cli(["suspend", str(directory), "Gamma"]).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# owned by the data team\n") and "# the name users see" in text
    assert "  deploy: false\n  suspend: true\n" in text
    assert run_cli(["resume", str(directory), "Gamma"]).exit_code == 0
    assert path.read_text(encoding="utf-8") == original
    again = run_cli(["resume", str(directory), "Gamma"])
    assert again.exit_code == 0 and "already resumed" in again.output
    missing = run_cli(["suspend", str(directory), "Nobody"])
    assert missing.exit_code == 1 and "declares a pattern named 'Nobody'" in missing.output


def test_the_daemon_shows_a_suspended_pattern_and_leaves_it_alone(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha"}, settings=SETTINGS)
    with running_daemon(directory, client, interval=1.0) as runner:
        runner.wait_settled()
        run_cli(["suspend", str(directory), "Alpha"])
        wait_for(
            lambda: (
                runner.daemon.status.patterns().get("Alpha", None) is not None
                and runner.daemon.status.patterns()["Alpha"].state == PatternState.SUSPENDED
            ),
            what="Alpha suspended in /status",
        )
        edit_live(client, "Alpha", "live edit during suspension")
        seen = runner.cycles
        runner.wait_cycles(seen + 2)
        assert live_message(client, "Alpha") == "live edit during suspension"
