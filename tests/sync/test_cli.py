"""The `dragops-sync` command line: Terraform's exit codes, outputs, one-line errors, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.cli import main
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.git import init_repo
from kit.live import unbinned_names
from kit.sync_dirs import FAST_RATE, copy_example, write_file
from kit.sync_runs import run_cli

SENTINEL_KEY = "xoxb-SENTINEL-api-key-7f3a9c"
SENTINEL_GITHUB = "ghp-SENTINEL-github-key-1b2c"


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    return repo


# -- exit codes ------------------------------------------------------------------------------------


def test_plan_exits_0_or_2_with_detailed_exitcode_and_0_without(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    changes = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    plain = run_cli(["plan", str(repo)], emu=emu, user=user)
    applied = run_cli(["apply", str(repo)], emu=emu, user=user)
    settled = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)

    assert (changes.exit_code, plain.exit_code, applied.exit_code, settled.exit_code) == (2, 0, 0, 0)
    assert "Plan: 1 create, 1 deploy." in changes.stdout
    assert "No changes: everything is in sync." in settled.stdout


def test_drift_in_warn_mode_makes_detailed_exitcode_2_and_apply_still_exits_0(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    run_cli(["apply", str(repo)], emu=emu, user=user)
    with client_for(emu, user) as client:
        pattern_id = next(iter(client.patterns.list())).id
        client.patterns.update(pattern_id, description="edited live")

    plan = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    apply = run_cli(["apply", str(repo)], emu=emu, user=user)

    assert plan.exit_code == 2 and "! drift" in plan.stdout
    assert apply.exit_code == 0


def test_plan_and_apply_exit_1_on_an_invalid_file(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/broken.json", "{")
    plan = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    apply = run_cli(["apply", str(repo)], emu=emu, user=user)
    assert (plan.exit_code, apply.exit_code) == (1, 1)


def test_validate_exits_0_offline_and_1_with_issues_and_checks_node_types_online(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    typo = webhook_logger("Typo")
    typo["graphData"]["nodes"][1]["type"] = "HttpRequestt"
    ok = run_cli(["validate", str(repo)])
    write_file(repo, "patterns/typo.json", typo)
    offline = run_cli(["validate", str(repo)])
    online = run_cli(["validate", str(repo), "--output", "json"], emu=emu, user=user)

    assert ok.exit_code == 0 and "1 pattern file(s) valid (offline)." in ok.stdout
    assert offline.exit_code == 0  # the node type can only be checked against a node library
    assert online.exit_code == 1
    report = json.loads(online.stdout)
    assert report["online"] is True and report["valid"] is False
    assert report["issues"] == [
        {
            "file": "patterns/typo.json",
            "line": 26,
            "column": 9,
            "field": "graphData.nodes[1].type",
            "message": "unknown node type 'HttpRequestt'; did you mean 'HttpRequest'?",
        }
    ]


def test_status_export_and_schema_exit_0(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run_cli(["apply", str(repo)], emu=emu, user=user)
    status = run_cli(["status", str(repo), "--output", "json"], emu=emu, user=user)
    export = run_cli(["export", str(tmp_path / "out"), "--format", "yaml"], emu=emu, user=user)
    schema = run_cli(["schema", "pattern"])

    assert (status.exit_code, export.exit_code, schema.exit_code) == (0, 0, 0)
    (row,) = json.loads(status.stdout)["patterns"]
    assert row["state"] == "synced" and row["deployment"] == {"status": "active", "version": 1}
    assert (tmp_path / "out" / "patterns" / "webhook-logger.yaml").is_file()
    assert json.loads(schema.stdout)["title"] == "DRAGOPS pattern file"


def test_usage_errors_exit_1_so_that_2_always_means_changes(tmp_path: Path) -> None:
    assert run_cli(["plan", str(tmp_path), "--no-such-flag"]).exit_code == 1
    assert run_cli(["plan", str(tmp_path / "missing")]).exit_code == 1
    assert run_cli(["schema", "everything"]).exit_code == 1
    assert run_cli(["frobnicate"]).exit_code == 1


def test_main_is_the_console_entry_point_and_exits_with_the_code(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(tmp_path), "--allow-empty"])
    assert exit_info.value.code == 0


# -- errors ----------------------------------------------------------------------------------------


def test_no_url_is_one_clear_line_on_stderr(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli(["plan", str(repo)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no DRAGOPS URL: set DRAGOPS_URL or pass --url"


def test_a_refused_token_is_one_line_without_a_traceback_unless_verbose(
    emu: Emulator, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    env = {"DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": "tok-SENTINEL-unreachable"}
    quiet = run_cli(["plan", str(repo)], env=env)
    loud = run_cli(["plan", str(repo), "-v"], env=env)

    assert quiet.exit_code == 1 and loud.exit_code == 1
    assert quiet.stderr.startswith("Error: ") and "answered 401" in quiet.stderr
    assert len(quiet.stderr.strip().splitlines()) == 1 and "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr
    for result in (quiet, loud):
        assert "tok-SENTINEL-unreachable" not in result.output


def test_a_rejected_login_names_the_problem_and_never_the_password(emu: Emulator, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    seeded = emu.seed_user(email="ops@example.test", password="correct-horse-battery")
    env = {"DRAGOPS_URL": emu.url, "DRAGOPS_EMAIL": seeded.email, "DRAGOPS_PASSWORD": "pw-SENTINEL-wrong"}
    result = run_cli(["plan", str(repo), "-v"], env=env)

    assert result.exit_code == 1
    assert "ops@example.test" in result.stderr
    assert "pw-SENTINEL-wrong" not in result.output


def test_local_and_url_together_are_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli(["plan", str(repo), "--local", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "--local and --url exclude each other" in result.stderr


def test_global_options_work_before_and_after_the_command(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    before = run_cli(["--url", emu.url, "--token", user.token, "plan", str(repo)])
    after = run_cli(["plan", str(repo), "--url", emu.url, "--token", user.token])
    assert (before.exit_code, after.exit_code) == (0, 0)
    assert before.stdout == after.stdout


# -- outputs ---------------------------------------------------------------------------------------


def test_plan_json_is_the_documented_machine_form(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli(["plan", str(repo), "--output", "json"], emu=emu, user=user)
    plan = json.loads(result.stdout)
    assert plan["formatVersion"] == 1 and plan["owner"] == "acme/flows" and plan["hasChanges"] is True
    assert [(i["kind"], i["resource"], i["name"]) for i in plan["items"]] == [
        ("create", "pattern", "Webhook Logger"),
        ("deploy", "deployment", "Webhook Logger"),
    ]


def test_plan_markdown_is_a_pull_request_comment(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run_cli(["apply", str(repo)], emu=emu, user=user)
    write_file(repo, "patterns/webhook-logger.json", webhook_logger(message="changed"))
    result = run_cli(["plan", str(repo), "-o", "markdown"], emu=emu, user=user)

    assert result.stdout.startswith("### dragops-sync plan (owner `acme/flows`)")
    assert "<details>" in result.stdout and '"changed"' in result.stdout


def test_apply_json_reports_one_result_per_item(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/nightly.json", scheduled_report())
    result = run_cli(["apply", str(repo), "--output", "json", "--concurrency", "2"], emu=emu, user=user)
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] is True
    assert report["apply"]["summary"]["ok"] == 4
    assert {(r["kind"], r["status"]) for r in report["apply"]["results"]} == {
        ("create", "ok"),
        ("deploy", "ok"),
    }


def test_apply_prune_and_force_flags_reach_the_plan(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/nightly.json", scheduled_report())
    run_cli(["apply", str(repo)], emu=emu, user=user)
    (repo / "patterns" / "nightly.json").unlink()
    kept = run_cli(["apply", str(repo)], emu=emu, user=user)
    pruned = run_cli(["apply", str(repo), "--prune"], emu=emu, user=user)
    with client_for(emu, user) as client:
        names = unbinned_names(client)

    assert "--prune would move them to the recycle bin: Nightly Report" in kept.stdout
    assert "✓ ok       bin pattern 'Nightly Report': moved to the recycle bin" in pruned.stdout
    assert names == ["Webhook Logger"]


# -- secrets ---------------------------------------------------------------------------------------


def test_api_keys_never_appear_in_plan_apply_status_or_exported_files(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "example")
    env = {"SLACK_TOKEN": SENTINEL_KEY, "GITHUB_TRIAGE_TOKEN": SENTINEL_GITHUB}
    outputs = [
        run_cli(["plan", str(repo), "-o", fmt], emu=emu, user=user, env=env)
        for fmt in ("text", "json", "markdown")
    ]
    outputs.append(run_cli(["apply", str(repo), "-v"], emu=emu, user=user, env=env))
    outputs.append(run_cli(["apply", str(repo), "-o", "json"], emu=emu, user=user, env=env))
    outputs.append(run_cli(["status", str(repo), "-o", "json"], emu=emu, user=user, env=env))
    outputs.append(run_cli(["export", str(tmp_path / "out")], emu=emu, user=user, env=env))

    assert [r.exit_code for r in outputs] == [0] * len(outputs), [r.output for r in outputs]
    for result in outputs:
        for secret in (SENTINEL_KEY, SENTINEL_GITHUB, user.token):
            assert secret not in result.output
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert SENTINEL_KEY not in text and SENTINEL_GITHUB not in text
    with client_for(emu, user) as client:
        assert {c.display_name for c in client.connections.list()} == {"slack-alerts", "github-triage-bot"}


def test_the_json_outputs_have_the_documented_keys(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    apply = json.loads(run_cli(["apply", str(repo), "-o", "json"], emu=emu, user=user).stdout)
    status = json.loads(run_cli(["status", str(repo), "-o", "json"], emu=emu, user=user).stdout)
    export = json.loads(run_cli(["export", str(tmp_path / "out"), "-o", "json"], emu=emu, user=user).stdout)

    assert set(apply) == {"plan", "apply", "ok"}
    assert set(apply["apply"]) == {"ok", "blocked", "stopped", "summary", "results"}
    assert set(apply["apply"]["summary"]) == {
        "ok",
        "failed",
        "skipped",
        "refused",
        "unchanged",
        "rolled_back",
    }
    assert set(apply["apply"]["results"][0]) == {
        "kind",
        "resource",
        "name",
        "file",
        "status",
        "message",
        "patternId",
    }
    assert set(status) == {"formatVersion", "owner", "environment", "summary", "patterns"}
    assert set(status["patterns"][0]) == {
        "name",
        "state",
        "detail",
        "file",
        "patternId",
        "deployment",
        "lastRun",
    }
    assert set(export) == {"directory", "settingsWritten", "files"}
    assert set(export["files"][0]) == {"name", "patternId", "path", "changed"}


def test_validate_online_checks_references_by_name(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    caller = webhook_logger("Caller")
    caller["graphData"]["nodes"][1] = {
        "id": "node_2",
        "type": "CallPattern",
        "data": {"properties": {"patternId": "${pattern:Missing Helper}"}},
    }
    write_file(repo, "patterns/caller.json", caller)
    offline = run_cli(["validate", str(repo)])
    online = run_cli(["validate", str(repo)], emu=emu, user=user)
    with client_for(emu, user) as client:
        client.patterns.create(name="Missing Helper", graph_data={"nodes": [], "edges": []})
    fixed = run_cli(["validate", str(repo)], emu=emu, user=user)

    assert offline.exit_code == 0
    assert online.exit_code == 1
    assert (
        "patterns/caller.json:29:13: graphData.nodes[1].data.properties.patternId: references pattern"
        in online.stderr
    )
    assert fixed.exit_code == 0
