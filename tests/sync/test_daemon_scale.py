"""No-op reconciles are cheap (docs/decisions.md D28): on a warm daemon, a cycle over 1,000 unchanged patterns
makes no per-pattern GET; only the list calls. Counted in the emulator's request log."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from kit.git import commit, init_repo
from kit.sync_dirs import SETTINGS, pattern_file

PATTERNS = 1000
_ONE_PATTERN = re.compile(r"^/api/patterns/[^/]+$")


def test_a_warm_no_op_cycle_over_1000_patterns_makes_no_per_pattern_get(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "dragops-sync.yaml").write_text(SETTINGS + "concurrency: 16\n", encoding="utf-8")
    for index in range(PATTERNS):
        pattern_file(repo, f"p{index:04d}", f"Pattern {index:04d}", message=f"message {index}")
    commit(repo, "1,000 patterns")

    with Client(base_url=emu.url, token=user.token) as client:
        settings = DaemonSettings(directory=repo, status_addr=None, watch=False)
        daemon = Daemon(settings, client=client)
        first = daemon.run_once()
        assert first.result == "ok"
        assert first.report is not None
        assert sum(1 for r in first.report.results if r.item.kind == "create" and r.ok) == PATTERNS

        emu.clear_request_log()
        second = daemon.run_once()
        log = emu.request_log()

    assert second.result == "ok"
    assert second.cycle is not None
    assert {item.kind for item in second.cycle.plan.items} == {"noop"}
    assert len(second.cycle.plan.items) == PATTERNS
    per_pattern = [r for r in log if r["method"] == "GET" and _ONE_PATTERN.match(r["path"])]
    assert per_pattern == []
    assert all(r["method"] == "GET" for r in log)  # and no write either
    calls = Counter(r["path"] for r in log)
    assert set(calls) <= {"/api/patterns", "/api/deployments", "/api/connections", "/api/nodes"}
    assert calls["/api/patterns"] == PATTERNS // 100  # the list itself, 100 per page
