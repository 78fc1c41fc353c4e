"""`--log-format json` and `--log-level` for every command: one JSON object per line with the time,
level, event and the fields that apply; levels filter; no secret in any line."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.logs import FIELDS, JsonFormatter, configure_logs
from kit.sync_dirs import sync_repo, write_pattern
from kit.sync_runs import run_cli

_CLI = "import sys; from dragops_sync.cli import main; main(sys.argv[1:])"
SENTINEL = "xoxb-sentinel-logs-9d3e"


def lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_the_daemon_logs_one_json_object_per_line(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    write_pattern(repo, "broken.json", {"formatVersion": 1})  # an invalid file: a warning event
    (repo / "connections.yaml").write_text(
        "connections:\n  - {name: slack, provider: slack, apiKey: '${SLACK_TOKEN}'}\n", encoding="utf-8"
    )
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token, "SLACK_TOKEN": SENTINEL}
    command = ["--log-format", "json", "--log-level", "info", "watch", str(repo), "--interval", "3600"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *command, "--status-addr", "127.0.0.1:0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if '"event": "cycle_done"' in line:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    text = "".join(seen) + (rest or "")
    records = lines(text)
    assert len(records) == len(text.strip().splitlines()), text  # nothing but JSON objects
    for record in records:
        assert {"time", "level", "event", "message"} <= set(record)
        assert record["time"].endswith("Z") and record["level"] in ("debug", "info", "warning", "error")
        assert set(record) <= {"time", "level", "event", "message", *FIELDS}
    events = {r["event"] for r in records}
    assert {"cycle_started", "item_written", "cycle_done", "pattern_invalid"} <= events, events
    done = next(r for r in records if r["event"] == "cycle_done")
    assert done["result"] == "degraded" and done["cycle"] == 1 and "duration" in done and "commit" in done
    written = next(r for r in records if r["event"] == "item_written")
    assert written["pattern"] in ("Alpha", "slack") and written["action"]
    assert SENTINEL not in text and user.token not in text


def test_events_carry_their_fields_and_levels_filter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord("dragops_sync.daemon", logging.INFO, __file__, 1, "cycle %d done", (3,), None)
    record.event, record.cycle, record.duration, record.commit = "cycle_done", 3, 0.123456, "abc123"
    doc = json.loads(formatter.format(record))
    assert doc["event"] == "cycle_done" and doc["cycle"] == 3 and doc["duration"] == 0.123
    assert doc["message"] == "cycle 3 done" and doc["commit"] == "abc123"
    plain = logging.LogRecord("dragops_sync.apply", logging.WARNING, __file__, 1, "hello", (), None)
    assert json.loads(formatter.format(plain))["event"] == "apply_log"
    with pytest.raises(ValueError, match="log level must be one of"):
        configure_logs("json", "chatty")


def test_every_command_takes_the_options(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    (repo / "patterns" / "b.json").write_text("{broken", encoding="utf-8")
    result = run_cli(["--log-format", "json", "--log-level", "error", "validate", str(repo)])
    assert result.exit_code == 1
    bad = run_cli(["validate", str(repo), "--log-level", "chatty"])
    assert bad.exit_code == 1 and "chatty" in bad.output
    daemon = run_cli(["watch", "--help"])
    assert "--log-format" in daemon.output and "--log-level" in daemon.output
    logging.getLogger("dragops_sync").handlers.clear()  # leave no handler to later tests
