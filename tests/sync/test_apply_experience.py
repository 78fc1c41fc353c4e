"""`apply` reads like Terraform's: the plan first, a question on a terminal (only `yes` writes), each
result once, progress while it works (a line every few seconds without a terminal), a summary; NO_COLOR
honoured; shell completion produced. The terminal is a real pseudo-terminal around a real process."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from kit.emulator import writes
from kit.sync_dirs import FAST_RATE, sync_repo
from kit.sync_runs import run_cli

_CLI = "import sys; from dragops_sync.cli import main; main(sys.argv[1:])"
SETTINGS = FAST_RATE + "owner: acme/flows\ndefaults: {deploy: false}\n"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_without_a_terminal_the_plan_comes_first_each_result_once_and_progress_lines(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {f"p{i:02}": f"P{i:02}" for i in range(30)}, settings=SETTINGS)
    emu.inject_fault(method="*", path="/api/patterns", kind="latency", latency_ms=60, probability=1.0)
    result = run_cli(["apply", str(repo)], emu=emu, user=user, env={"DRAGOPS_SYNC_PROGRESS_INTERVAL": "0.2"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    plan_lines = [n for n, line in enumerate(lines) if line.startswith("+ create")]
    result_lines = [n for n, line in enumerate(lines) if line.startswith("✓ ok")]
    assert len(plan_lines) == 30 and len(result_lines) == 30
    assert max(plan_lines) < min(result_lines)  # the whole plan before the first write's result
    for i in range(30):
        assert sum(f"'P{i:02}'" in line for line in lines if line.startswith("✓")) == 1  # once
    progress = [line for line in lines if re.match(r"apply: \d+/30 done, 0 failed", line)]
    assert progress, result.output
    assert lines[-1].startswith("Apply complete in ") and "30 ok" in lines[-1]


def run_in_terminal(args: list[str], env: dict[str, str], answer: str | None) -> tuple[int, str]:
    """Run `dragops-sync ARGS` with stdin and stdout on a pseudo-terminal; type `answer` when asked."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args], stdin=child, stdout=child, stderr=child, env=env, close_fds=True
    )
    os.close(child)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if answer is not None and not answered and b"Only 'yes' applies" in seen:
            os.write(main, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, seen.decode(errors="replace")


def test_on_a_terminal_apply_asks_and_only_yes_writes(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"}, settings=SETTINGS)
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token, "NO_COLOR": ""}
    emu.clear_request_log()
    code, output = run_in_terminal(["apply", str(repo)], env, answer="no")
    assert (
        code == 1
        and "Apply these 2 change(s)?" in output
        and "Apply cancelled: nothing was written." in output
    )
    assert writes(emu) == []
    plain = ANSI.sub("", output)
    assert plain.index("+ create    pattern 'Alpha'") < plain.index("Apply these 2 change(s)?")

    code, output = run_in_terminal(["apply", str(repo)], env, answer="yes")
    assert code == 0, output
    assert len(writes(emu)) == 2 and "Apply complete" in output

    (repo / "patterns" / "a.json").unlink()
    code, output = run_in_terminal(["apply", str(repo), "--prune", "--auto-approve"], env, answer=None)
    assert code == 0 and "Only 'yes' applies" not in output and "moved to the recycle bin" in output


def test_no_color_removes_every_escape_on_a_terminal(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    _, coloured = run_in_terminal(["plan", str(repo)], {**env, "NO_COLOR": ""}, answer=None)
    assert ANSI.search(coloured)  # a terminal gets colour by default
    _, plain = run_in_terminal(["plan", str(repo)], {**env, "NO_COLOR": "1"}, answer=None)
    assert "+ create" in plain and not ANSI.search(plain)
    _, flag = run_in_terminal(["plan", str(repo), "--no-color"], env, answer=None)
    assert "+ create" in flag and not ANSI.search(flag)


def test_shell_completion_is_produced() -> None:
    env = {**os.environ, "_DRAGOPS_SYNC_COMPLETE": "bash_source"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dragops-sync"))],  # the installed console script
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "_dragops_sync_completion" in done.stdout and "complete " in done.stdout
    listed = run_cli(["--help"])
    assert {"plan", "apply", "watch", "suspend", "resume"} <= set(
        re.findall(r"^  (\w+)", listed.output, re.M)
    )
