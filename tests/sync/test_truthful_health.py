"""The daemon never says "ok" while git and the instance differ (issue: truthful health). Each case
failed before: an invalid file pushed to the watched branch, a fetch that fails (git's whole message,
no credential), a pattern whose file was deleted with prune off; /status, /readyz and the metrics say
so, and recover when it is fixed. Real git repositories, the emulator, the status server over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.gitpull import fast_forward
from kit.git import commit, git
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import run_cli, running_daemon

SENTINEL = "sentinel-git-secret-31b7"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text: str, name: str) -> float:
    (line,) = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[-1])


def test_an_invalid_file_is_never_ok_and_recovers(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    with running_daemon(repo, client, interval=3600) as runner:
        seen = runner.wait_settled()
        url = runner.daemon.status_url
        assert get(f"{url}/readyz")[0] == 200
        (repo / "patterns" / "broken.yaml").write_text("name: Broken\ngraphData: {nodes: [], edges: []\n")
        commit(repo, "a broken file")
        degraded = runner.wait_cycle_after(seen, lambda o: o.result == "degraded", "a degraded cycle")
        status = json.loads(get(f"{url}/status")[1])
        assert status["lastCycle"]["result"] == "degraded"
        (blocker,) = status["blockers"]
        assert blocker["kind"] == "invalid" and blocker["file"] == "patterns/broken.yaml"
        assert "patterns/broken.yaml:" in blocker["message"]
        invalid = [p for p in status["patterns"] if p["state"] == "invalid"]
        assert invalid and invalid[0]["lastError"]  # never null for an invalid file
        code, body = get(f"{url}/readyz")
        assert code == 503 and "invalid: patterns/broken.yaml" in body
        assert get(f"{url}/healthz")[0] == 200  # the process is alive: liveness is not readiness
        assert metric(get(f"{url}/metrics")[1], "dragops_sync_invalid_files") == 1.0

        (repo / "patterns" / "broken.yaml").unlink()
        commit(repo, "fixed")
        runner.wait_cycle_after(degraded.number, lambda o: o.result == "ok", "an ok cycle")
        assert get(f"{url}/readyz")[0] == 200
        assert metric(get(f"{url}/metrics")[1], "dragops_sync_invalid_files") == 0.0


def test_a_deleted_file_with_prune_off_is_orphaned_in_plan_and_status(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    (repo / "patterns" / "b.json").unlink()
    planned = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    assert planned.exit_code == 2  # live no longer matches git
    assert "? orphaned  pattern 'Beta'" in planned.output
    status = json.loads(run_cli(["status", str(repo), "-o", "json"], emu=emu, user=user).stdout)
    assert {p["name"]: p["state"] for p in status["patterns"]}["Beta"] == "no file"


def test_a_failing_fetch_reports_gits_whole_message_without_credentials(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    git(repo, "remote", "add", "origin", str(tmp_path / "gone.git"))
    result = fast_forward(repo)
    assert not result.ok
    # Not just git's last line ("and the repository exists."): what is wrong, first.
    assert "does not appear to be a git repository" in result.reason
    assert "and the repository exists" in result.reason
    git(repo, "remote", "set-url", "origin", f"http://ops:{SENTINEL}@127.0.0.1:9/gitops.git")
    refused = fast_forward(repo)
    assert not refused.ok and SENTINEL not in refused.reason and "git fetch failed" in refused.reason


def test_a_force_pushed_branch_under_git_pull_is_reported_and_counted(tmp_path: Path, client: Client) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    author = sync_repo(tmp_path / "author", {"a": "Alpha"})
    git(author, "remote", "add", "origin", str(bare))
    git(author, "push", "-q", "-u", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "checkout"))
    checkout = tmp_path / "checkout"
    # Rewrite history upstream: the checkout can no longer fast-forward.
    pattern_file(author, "a", "Alpha", message="rewritten")
    git(author, "commit", "-q", "--amend", "-a", "-m", "rewritten history")
    git(author, "push", "-q", "--force", "origin", "main")
    with running_daemon(checkout, client, interval=3600, watch=False, git_pull=True) as runner:
        outcome = runner.wait_cycles(1)
        url = runner.daemon.status_url
        status = json.loads(get(f"{url}/status")[1])
        metrics = get(f"{url}/metrics")[1]
    assert outcome.result == "degraded"
    assert status["blockers"][0]["kind"] == "git" and "diverged" in status["blockers"][0]["message"]
    assert metric(metrics, "dragops_sync_git_fetch_failures_total") == 1.0
    assert metric(metrics, "dragops_sync_commit_lag") == 1.0


def test_a_restarted_daemon_reads_only_what_changed_with_its_cache(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    from kit.emulator import requests_to_api

    # Deployed patterns: the cache keeps a pattern with its deployment (live_cache).
    settings = "rate: 1000\nowner: acme/flows\n"
    repo = sync_repo(tmp_path / "repo", {f"p{i}": f"Pattern {i}" for i in range(5)}, settings=settings)
    cache = tmp_path / "cache"
    with running_daemon(repo, client, interval=3600, cache_dir=cache) as runner:
        runner.wait_settled()
    emu.clear_request_log()
    with running_daemon(repo, client, interval=3600, cache_dir=cache) as runner:
        runner.wait_cycles(1)
    per_pattern = [
        path
        for method, path in requests_to_api(emu)
        if method == "GET" and path.count("/") == 3 and "/api/patterns/" in path
    ]
    assert per_pattern == []  # every pattern's content came from the cache
