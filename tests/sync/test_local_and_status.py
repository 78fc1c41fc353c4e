"""`--local` (the embedded emulator, state kept between commands), the demo script, and `status`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.pattern_report import render_status_table, status_rows
from dragops_sync.states import PatternState
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.git import git, init_repo
from kit.sync_dirs import EXAMPLE_REPO, copy_example, raise_rate, write_file
from kit.sync_runs import cycle, run_cli

PROJECT = Path(__file__).resolve().parents[2]
DEMO_ENV = {"SLACK_TOKEN": "xoxb-demo-test", "GITHUB_TRIAGE_TOKEN": "ghp-demo-test"}


def _console_script() -> list[str]:
    script = Path(sys.executable).parent / "dragops-sync"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from dragops_sync.cli import main; main()"]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRAGOPS_")}
    environment.update(env or {})
    return subprocess.run(
        args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=110, check=False
    )


def test_local_keeps_its_state_between_commands_beside_the_directory(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "example")
    apply = _run([*_console_script(), "apply", str(repo), "--local"], tmp_path, DEMO_ENV)
    plan = _run([*_console_script(), "plan", str(repo), "--local", "--detailed-exitcode"], tmp_path, DEMO_ENV)
    status = _run(
        [*_console_script(), "status", str(repo), "--local", "--output", "json"], tmp_path, DEMO_ENV
    )

    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert "Apply complete" in apply.stdout
    assert plan.returncode == 0, plan.stdout + plan.stderr
    rows = json.loads(status.stdout)["patterns"]
    assert {r["name"]: (r["state"], r["deployment"]["status"]) for r in rows} == {
        "Deploy Failure Alert": ("synced", "active"),
        "GitHub Issue Triage": ("synced", "active"),
        "Nightly Status Report": ("synced", "active"),
        "Slack Notifier": ("synced", "active"),
        "Webhook Logger": ("synced", "active"),
    }
    state = repo / ".dragops-local"
    assert (state / "emulator.sqlite").is_file()
    assert stat.S_IMODE((state / "credentials.json").stat().st_mode) == 0o600
    assert git(repo, "status", "--porcelain") == ""  # the state folder ignores itself
    for secret in DEMO_ENV.values():
        assert secret not in apply.stdout + apply.stderr + status.stdout


def test_the_demo_script_runs_apply_and_status_on_a_copy_of_the_project(tmp_path: Path) -> None:
    # The demo script installs into .venv when it is missing; here it reuses the venv running the tests.
    venv = Path(sys.prefix)
    if sys.prefix == sys.base_prefix or not (venv / "bin" / "dragops-sync").exists():
        pytest.skip("the demo test needs the tests to run in a virtualenv with the project installed")
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT / "scripts" / "demo", project / "scripts" / "demo")
    shutil.copytree(
        EXAMPLE_REPO, project / "examples" / "gitops-repo", ignore=shutil.ignore_patterns(".dragops-local")
    )
    raise_rate(project / "examples" / "gitops-repo")
    (project / ".venv").symlink_to(venv)

    first = _run(["bash", "scripts/demo"], project)
    second = _run(["bash", "scripts/demo"], project)

    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"Apply complete in [0-9.]+ s: 12 ok\.", first.stdout), first.stdout
    assert "5 pattern(s): 5 synced" in first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes: everything is in sync." in second.stdout


def test_local_in_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(["status", str(tmp_path / "nowhere"), "--local"])
    assert result.exit_code == 1
    assert "is not a directory" in result.stderr


def test_status_shows_drift_conflict_invalid_not_managed_and_orphans(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n")
    write_file(repo, "patterns/a.json", webhook_logger("Drifted"))
    write_file(repo, "patterns/b.json", webhook_logger("Conflicted"))
    write_file(repo, "patterns/c.json", scheduled_report("Orphan"))
    write_file(repo, "patterns/d.json", webhook_logger("Synced"))
    with client_for(emu, user) as client:
        cycle(client, repo)
        ids = {p.name: p.id for p in client.patterns.list()}
        client.patterns.update(ids["Drifted"], description="live edit")
        client.patterns.update(ids["Conflicted"], description="live edit")
        client.patterns.create(name="Hand Made", graph_data={"nodes": [], "edges": []})
        client.deployments.execute(client.deployments.get(ids["Synced"]).deployment_id, event={"hello": 1})
        write_file(repo, "patterns/b.json", webhook_logger("Conflicted") | {"description": "git edit"})
        (repo / "patterns" / "c.json").unlink()
        write_file(repo, "patterns/e.json", webhook_logger("Hand Made"))
        write_file(repo, "patterns/f.json", "{")
        write_file(repo, "patterns/g.json", webhook_logger("New One"))
        result = cycle(client, repo, dry_run=True)

    rows = {row.name: row for row in status_rows(result.plan, result.observation)}
    assert {name: row.state for name, row in rows.items()} == {
        "Conflicted": PatternState.CONFLICT,
        "Drifted": PatternState.DRIFTED,
        "Hand Made": PatternState.UNMANAGED,
        "New One": PatternState.OUT_OF_SYNC,
        "Orphan": PatternState.NO_FILE,
        "Synced": PatternState.SYNCED,
        "patterns/f.json": PatternState.INVALID,
    }
    assert (rows["Synced"].deployment, rows["Synced"].version) == ("active", 1)
    assert rows["Synced"].last_run_status in ("completed", "running")
    assert rows["New One"].deployment is None
    table = render_status_table(list(rows.values()), owner="acme/flows")
    assert "dragops-sync status (owner acme/flows)" in table
    assert (
        "7 pattern(s): 1 synced, 1 out of sync, 1 drifted, 1 conflict, 1 invalid, 1 not managed, 1 no file"
        in table
    )


def test_a_pattern_name_with_markup_is_printed_as_written(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger("[bold red]Alarm[/]"))
    result = run_cli(["status", str(repo)], emu=emu, user=user)
    assert result.exit_code == 0
    assert "[bold red]Alarm[/]" in result.stdout


def test_watch_reconciles_in_the_background_and_exits_0_on_sigterm(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    env = {"DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRAGOPS_")} | env
    args = [*_console_script(), "watch", str(repo), "--status-addr", "127.0.0.1:0", "--interval", "60"]
    process = subprocess.Popen(
        args, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with client_for(emu, user) as client:
            deadline = time.monotonic() + 60
            while not list(client.deployments.list()) and time.monotonic() < deadline:
                time.sleep(0.2)
            deployed = [d.pattern_name for d in client.deployments.list()]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)

    assert deployed == ["Webhook Logger"]
    assert process.returncode == 0, out + err
    assert user.token not in out + err


def test_sigterm_during_apply_finishes_the_write_in_flight_and_skips_the_rest(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    for index in range(6):
        write_file(repo, f"patterns/p{index}.json", webhook_logger(f"Logger {index}"))
    emu.inject_fault(method="POST", path="/api/patterns", kind="latency", latency_ms=400, probability=1.0)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRAGOPS_")}
    environment |= {"DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    args = [*_console_script(), "apply", str(repo), "--concurrency", "1", "--output", "json"]
    process = subprocess.Popen(
        args, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            r["method"] == "POST" and r["path"] == "/api/patterns" for r in emu.request_log()
        ):
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    emu.clear_faults()

    report = json.loads(out)["apply"]
    statuses = [r["status"] for r in report["results"]]
    with client_for(emu, user) as client:
        created = [p.name for p in client.patterns.list()]
        deployments = list(client.deployments.list())
    assert process.returncode == 1
    assert "SIGTERM received" in err
    assert report["stopped"] is True
    assert 1 <= statuses.count("ok") < 6 and "skipped" in statuses
    assert len(created) == statuses.count("ok")  # every write either happened whole or was skipped
    assert deployments == []  # the deploy phase never started
