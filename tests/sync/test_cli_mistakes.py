"""Mistakes answered by the command line: a directory that declares nothing is an error (a wrong path
must not look "in sync"), unless --allow-empty; a stopped server fails at once with a hint; a missing
credential names the variables to set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from kit.documents import webhook_logger
from kit.git import init_repo
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import run_cli

_NOTHING = "has no pattern file (patterns/*.json, *.yaml or *.yml): nothing to sync"


def _empty_repo(tmp_path: Path, *, patterns_folder: bool) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    if patterns_folder:
        write_file(repo, "patterns/.gitkeep", "")
    return repo


@pytest.mark.parametrize("command", ["validate", "plan", "apply", "status", "watch"])
@pytest.mark.parametrize("patterns_folder", [False, True], ids=["no-patterns-dir", "only-gitkeep"])
def test_a_directory_without_pattern_files_is_an_error(
    emu: Emulator, user: SeededUser, tmp_path: Path, command: str, patterns_folder: bool
) -> None:
    repo = _empty_repo(tmp_path, patterns_folder=patterns_folder)
    result = run_cli([command, str(repo)], emu=emu, user=user)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {repo} {_NOTHING}. Check the path, or pass --allow-empty if an empty directory is meant."
    ]
    assert emu.request_log() == []  # refused before any request


def test_allow_empty_accepts_a_directory_without_pattern_files(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _empty_repo(tmp_path, patterns_folder=False)
    validated = run_cli(["validate", str(repo), "--allow-empty"])
    assert validated.exit_code == 0, validated.stderr
    planned = run_cli(["plan", str(repo), "--allow-empty", "--detailed-exitcode"], emu=emu, user=user)
    assert planned.exit_code == 0, planned.stderr


def test_a_directory_with_a_pattern_file_needs_no_flag(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path, patterns_folder=False)
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    assert run_cli(["validate", str(repo)]).exit_code == 0


def test_a_stopped_server_fails_at_once_with_one_line_naming_the_url_setting(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path, patterns_folder=False)
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    result = run_cli(["plan", str(repo), "--url", f"http://127.0.0.1:{port}", "--token", "t", "-v"])
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 1
    assert "retrying" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert error.endswith("Connection refused; is the server running, and is --url / DRAGOPS_URL right?")


def test_no_credentials_is_one_line_naming_the_variables(emu: Emulator, tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path, patterns_folder=False)
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    result = run_cli(["plan", str(repo)], emu=emu)  # DRAGOPS_URL only
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: GET ")
    assert line.endswith(
        "no credentials were sent: set DRAGOPS_TOKEN, or DRAGOPS_EMAIL and DRAGOPS_PASSWORD "
        "(or pass --token / --email)"
    )


def test_shell_completion_works_as_the_readme_documents_it() -> None:
    env = os.environ | {
        "_DRAGOPS_SYNC_COMPLETE": "bash_complete",
        "COMP_WORDS": "dragops-sync pl",
        "COMP_CWORD": "1",
    }
    code = "from dragops_sync.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "plain,plan" in result.stdout.splitlines()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_DRAGOPS_SYNC_COMPLETE=bash_source dragops-sync)"' in readme
