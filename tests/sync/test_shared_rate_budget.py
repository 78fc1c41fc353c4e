"""Runs sharing one account share the server's rate limits: three applies at once under one user, with
the emulator's limits on, finish with every item written, no duplicate, and exit 0 (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.sync_dirs import write_pattern, write_settings

PATTERNS_PER_RUN = 20


def test_three_concurrent_applies_under_one_user_all_succeed_despite_the_servers_limits(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    # The emulator's limits, with writes lowered from 300 to 100 a minute so that 120 writes (a create
    # and a deploy per pattern) spend the bucket within a short test: the last 20 wait for it to refill.
    emu.update_settings(rate_limits_enabled=True, write_per_minute=100)
    directories = []
    for team in ("alpha", "beta", "gamma"):
        root = tmp_path / team
        write_settings(root, f"owner: acme/{team}\n")  # the default rate: {read: 20, write: 5} each
        for index in range(PATTERNS_PER_RUN):
            write_pattern(root, f"p{index:02d}.yaml", webhook_logger(f"{team} {index:02d}"))
        directories.append(root)
    env = os.environ | {
        "DRAGOPS_URL": emu.url,
        "DRAGOPS_EMAIL": user.email,
        "DRAGOPS_PASSWORD": user.password,
    }
    env.pop("DRAGOPS_TOKEN", None)
    code = "from dragops_sync.cli import main; main()"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "apply", str(root), "--output", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for root in directories
    ]
    outputs = [run.communicate(timeout=240) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr[-2000:]
        report = json.loads(stdout)["apply"]
        assert report["summary"]["failed"] == 0
        assert report["summary"]["ok"] == 2 * PATTERNS_PER_RUN  # a create and a deploy each
    statuses = Counter(r["status"] for r in emu.request_log())
    assert statuses[429] > 0  # the server did refuse: the runs waited it out
    emu.update_settings(rate_limits_enabled=False)
    with client_for(emu, user) as client:
        names = Counter(summary.name for summary in client.patterns.list())
        deployed = [d for d in client.deployments.list() if d.deployed]
    assert len(names) == 3 * PATTERNS_PER_RUN and set(names.values()) == {1}  # no duplicate
    assert len(deployed) == 3 * PATTERNS_PER_RUN
