"""The observer's disk cache: a fresh process plans unchanged patterns with the list calls only."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.cycle import CycleResult
from dragops_sync.live_cache import LiveCache
from dragops_sync.observe import LiveObserver
from kit.clients import client_for, http_client
from kit.documents import OWNER, webhook_logger
from kit.emulator import deploy
from kit.git import init_repo
from kit.sync_dirs import write_file
from kit.sync_runs import cycle, run_cli

SENTINEL_KEY = "xoxb-SENTINEL-cache-key-51c0"


def _repo(tmp_path: Path, count: int) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", f"owner: {OWNER}\n")
    for i in range(count):
        write_file(repo, f"patterns/p{i:03}.json", webhook_logger(f"Pattern {i:03}", message=f"got {i}"))
    return repo


def _cache(tmp_path: Path, emu: Emulator) -> LiveCache:
    return LiveCache(tmp_path / "cache", emu.url)


def _plan(client: Client, repo: Path, cache: LiveCache | None) -> CycleResult:
    """A plan as a fresh process makes it: a new observer (with the disk cache, or none)."""
    return cycle(client, repo, LiveObserver(client, cache=cache), dry_run=True)


def _plan_json(result: CycleResult) -> dict[str, Any]:
    return result.plan.to_dict()


def test_a_fresh_process_with_a_warm_cache_plans_unchanged_patterns_with_the_list_calls_only(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    count = 150
    repo = _repo(tmp_path, count)
    cache = _cache(tmp_path, emu)
    with client_for(emu, user) as client:
        cycle(client, repo)  # creates and deploys them all
        warming = _plan(client, repo, cache)
        uncached = _plan(client, repo, None)
        emu.clear_request_log()

        cached = _plan(client, repo, _cache(tmp_path, emu))

    requests = [(r["method"], r["path"]) for r in emu.request_log()]
    assert warming.observation.fetched == count
    assert (cached.observation.fetched, cached.observation.cached) == (0, count)
    # The pattern list's pages, the deployments and connections lists, and the node library.
    assert all(method == "GET" for method, _ in requests)
    assert len(requests) <= math.ceil(count / 100) + 3, requests
    assert not any(path.startswith("/api/patterns/") for _, path in requests)
    assert _plan_json(cached) == _plan_json(uncached)
    assert not cached.plan.has_changes


def test_a_pattern_changed_in_the_dashboard_is_read_again_and_its_drift_planned(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, 3)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _plan(client, repo, _cache(tmp_path, emu))
        edited = next(p for p in client.patterns.list() if p.name == "Pattern 001")
        client.patterns.update(edited.id, description="edited in the dashboard")
        emu.clear_request_log()

        cached = _plan(client, repo, _cache(tmp_path, emu))
        uncached = _plan(client, repo, None)

    assert (cached.observation.fetched, cached.observation.cached) == (1, 2)
    gets = [r["path"] for r in emu.request_log() if r["path"].startswith("/api/patterns/")]
    assert f"/api/patterns/{edited.id}" in gets
    assert cached.plan.has_changes
    assert _plan_json(cached) == _plan_json(uncached)


def test_a_deploy_made_elsewhere_is_not_hidden_by_the_cached_version_number(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, 2)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _plan(client, repo, _cache(tmp_path, emu))
        target = next(p for p in client.patterns.list() if p.name == "Pattern 000")
        with http_client(emu, user) as http:
            assert deploy(http, target.id).status_code == 201  # version + 1, updatedAt unchanged (D28)
        updated_at = client.patterns.get(target.id).updated_at

        cached = _plan(client, repo, _cache(tmp_path, emu))
        uncached = _plan(client, repo, None)

    assert updated_at == target.updated_at
    assert (cached.observation.fetched, cached.observation.cached) == (1, 1)
    live = next(p for p in cached.observation.state.patterns if p.id == target.id)
    assert live.version_number == cached.observation.state.deployments[target.id].version_number
    assert _plan_json(cached) == _plan_json(uncached)


def test_a_corrupt_cache_file_is_ignored_with_one_log_line(
    emu: Emulator, user: SeededUser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = _repo(tmp_path, 3)
    cache = _cache(tmp_path, emu)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _plan(client, repo, cache)
        path = cache.path(OWNER)
        path.write_text('{"format": "dragops-sync live cache 1", "patterns": {"x": ', encoding="utf-8")
        observer = LiveObserver(client, cache=_cache(tmp_path, emu))
        with caplog.at_level(logging.WARNING, logger="dragops_sync"):
            broken = cycle(client, repo, observer, dry_run=True)
            again = cycle(client, repo, LiveObserver(client, cache=_cache(tmp_path, emu)), dry_run=True)
        uncached = _plan(client, repo, None)

    lines = [r for r in caplog.records if r.name == "dragops_sync.live_cache"]
    assert len(lines) == 1 and "ignored" in lines[0].getMessage()
    assert broken.observation.fetched == 3
    assert _plan_json(broken) == _plan_json(uncached)
    assert (again.observation.fetched, again.observation.cached) == (0, 3)  # rewritten whole


def test_a_cache_file_of_another_instance_or_owner_is_refused_even_under_the_right_name(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, 2)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _plan(client, repo, _cache(tmp_path, emu))
    ours = _cache(tmp_path, emu)
    other = LiveCache(tmp_path / "cache", "http://other.example:8080/")
    assert len(ours.load(OWNER)) == 2
    assert ours.path(OWNER) not in (other.path(OWNER), ours.path("someone/else"))

    ours.path(OWNER).rename(other.path(OWNER))  # e.g. a cache restored under a shared key

    assert other.load(OWNER) == {}
    assert ours.load(OWNER) == {}


def test_the_cache_file_holds_no_secret_and_is_replaced_atomically(
    emu: Emulator, user: SeededUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, 2)
    write_file(
        repo,
        "connections.yaml",
        "connections:\n  - name: alerts\n    provider: slack\n    displayName: Alerts\n"
        "    apiKey: ${SLACK_KEY}\n",
    )
    cache_dir = tmp_path / "cache"
    env = {"SLACK_KEY": SENTINEL_KEY}
    applied = run_cli(["apply", str(repo), "--cache-dir", str(cache_dir)], emu=emu, user=user, env=env)
    assert applied.exit_code == 0, applied.output

    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any) -> None:
        renames.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    planned = run_cli(["plan", str(repo), "--cache-dir", str(cache_dir)], emu=emu, user=user, env=env)
    assert planned.exit_code == 0, planned.output

    files = sorted(cache_dir.iterdir())
    assert [f.name for f in files] == [LiveCache(cache_dir, emu.url).path(OWNER).name]
    text = files[0].read_text(encoding="utf-8")
    assert "Pattern 000" in text and "graphData" in text
    for secret in (SENTINEL_KEY, user.token):
        assert secret not in text
    # Written to a temporary file in the same directory, then renamed over the cache file.
    assert len(renames) == 1
    temporary, final = renames[0]
    assert Path(temporary).parent == cache_dir and final == str(files[0])


def test_no_cache_writes_nothing_and_the_default_is_the_user_cache_dir(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, 1)
    home = tmp_path / "xdg"
    env = {"XDG_CACHE_HOME": str(home)}
    assert run_cli(["apply", str(repo), "--no-cache"], emu=emu, user=user, env=env).exit_code == 0
    assert run_cli(["plan", str(repo), "--no-cache"], emu=emu, user=user, env=env).exit_code == 0
    assert not home.exists()
    assert run_cli(["status", str(repo)], emu=emu, user=user, env=env).exit_code == 0
    assert [f.name for f in (home / "dragops-sync").iterdir()] == [LiveCache(home, emu.url).path(OWNER).name]
