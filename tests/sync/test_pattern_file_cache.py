"""The pattern-file cache: a directory re-read every cycle parses only the files whose bytes changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.daemon import Daemon, DaemonSettings
from dragops_sync.directory import load_directory
from dragops_sync.files import PatternFileCache, PatternFileError, load_pattern_file
from kit.clients import client_for
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.sync_dirs import write_pattern, write_settings


def test_an_unchanged_file_is_handed_out_again_without_parsing(tmp_path: Path) -> None:
    path = write_pattern(tmp_path, "logger.json", webhook_logger())
    cache = PatternFileCache()
    first = cache.load(path)
    assert cache.load(path) is first
    assert first == load_pattern_file(path)
    assert repr(cache) == "PatternFileCache(files=1)"


def test_an_edit_is_seen_even_when_size_and_timestamps_stay_the_same(tmp_path: Path) -> None:
    path = write_pattern(tmp_path, "logger.json", webhook_logger(message="aaaa"))
    cache = PatternFileCache()
    before = cache.load(path)
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("aaaa", "bbbb"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the content alone differs
    after = cache.load(path)
    assert after is not before
    assert after.graph_data.nodes[1].model_extra == {
        "position": {"x": 320, "y": 0},
        "data": {"pinDefaults": {"message": "bbbb"}},
    }


def test_an_invalid_file_is_reported_every_time_and_its_fix_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "patterns" / "broken.json"
    path.parent.mkdir()
    path.write_text(
        '{"name": "Broken", "graphData": {"nodes": [], "edges": []}, "colour": 1}', encoding="utf-8"
    )
    cache = PatternFileCache()
    for _ in range(2):
        with pytest.raises(PatternFileError) as caught:
            cache.load(path)
        assert [issue.field for issue in caught.value.issues] == ["colour"]
    assert len(cache) == 0
    path.write_text(json.dumps(webhook_logger("Fixed")), encoding="utf-8")
    assert cache.load(path).name == "Fixed"


def test_a_file_that_cannot_be_read_is_an_issue_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="cannot read the file"):
        PatternFileCache().load(tmp_path / "patterns" / "missing.json")


def test_reading_a_directory_through_the_cache_gives_the_same_state_and_forgets_deleted_files(
    tmp_path: Path,
) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\n")
    write_pattern(tmp_path, "logger.json", webhook_logger())
    gone = write_pattern(tmp_path, "report.yaml", scheduled_report())
    cache = PatternFileCache()
    assert load_directory(tmp_path, files=cache) == load_directory(tmp_path)
    assert len(cache) == 2
    gone.unlink()
    state = load_directory(tmp_path, files=cache)
    assert [dp.name for dp in state.patterns] == ["Webhook Logger"]
    assert len(cache) == 1


def test_daemon_cycles_share_the_parsed_files_of_unchanged_pattern_files(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    write_pattern(tmp_path, "logger.json", webhook_logger())
    write_pattern(tmp_path, "report.yaml", scheduled_report())
    with client_for(emu, user) as client:
        daemon = Daemon(DaemonSettings(directory=tmp_path, status_addr=None, watch=False), client=client)
        first = daemon.run_once()
        write_pattern(tmp_path, "report.yaml", scheduled_report("Weekly Report"))
        second = daemon.run_once()
    assert first.cycle is not None and second.cycle is not None
    before = {dp.path: dp.pattern for dp in first.cycle.desired.patterns}
    after = {dp.path: dp.pattern for dp in second.cycle.desired.patterns}
    assert after["patterns/logger.json"] is before["patterns/logger.json"]
    assert after["patterns/report.yaml"].name == "Weekly Report"
    assert second.result == "degraded"  # the renamed pattern's old name is orphaned (prune is off)
