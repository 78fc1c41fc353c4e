"""`--git-pull`: each interval cycle fast-forwards the checkout from its remote, and every cycle logs
the commit it reconciled. The remote is a real bare repository; the pushes are real git pushes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from dragops_sync.gitpull import fast_forward, has_uncommitted_changes, head_commit, redact_url_credentials
from dragops_sync.states import Trigger
from kit.git import commit, git
from kit.live import live_message
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import running_daemon


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path]:
    """(author's working copy, the daemon's checkout), both cloned from one bare remote."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    author = sync_repo(tmp_path / "author", {"a": "Alpha"})
    git(author, "remote", "add", "origin", str(bare))
    git(author, "push", "-q", "-u", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "checkout"))
    return author, tmp_path / "checkout"


def test_a_commit_pushed_to_the_remote_is_pulled_applied_and_its_sha_logged(
    remote: tuple[Path, Path], client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dragops_sync")
    author, checkout = remote
    with running_daemon(checkout, client, interval=0.5, watch=False, git_pull=True) as runner:
        runner.wait_settled()
        pattern_file(author, "a", "Alpha", message="from a pushed commit")
        pushed = commit(author, "change the Log message")
        git(author, "push", "-q", "origin", "main")
        outcome = runner.wait_cycle_after(0, lambda o: o.commit == pushed, "a cycle at the pushed commit")
    assert outcome.result == "ok"
    assert head_commit(checkout) == pushed
    assert live_message(client, "Alpha") == "from a pushed commit"
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"reconciling commit {pushed[:12]}" in m for m in messages)
    assert any("fast-forwarded" in m and pushed[:12] in m for m in messages)


def test_a_diverged_checkout_is_not_pulled_and_the_cycle_runs_on_it(
    remote: tuple[Path, Path], client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    author, checkout = remote
    git(checkout, "config", "user.email", "ops@example.com")
    git(checkout, "config", "user.name", "Ops")
    pattern_file(checkout, "b", "Beta")
    local = commit(checkout, "a local commit the remote does not have")
    pattern_file(author, "a", "Alpha", message="remote only")
    commit(author, "a remote commit")
    git(author, "push", "-q", "origin", "main")

    daemon = Daemon(
        DaemonSettings(directory=checkout, status_addr=None, watch=False, git_pull=True), client=client
    )
    outcome = daemon.run_once(trigger=Trigger.INTERVAL, pull=True)
    assert outcome.result == "degraded"  # reconciled, but git's branch is not followed: never "ok"
    (blocker,) = daemon.status.blockers()
    assert blocker.kind == "git" and "has diverged from origin/main" in blocker.message
    assert not daemon.status.ready()[0] and "keep git from being live" in daemon.status.ready()[1]
    assert "dragops_sync_commit_lag 1.0" in daemon.metrics.render().decode()
    assert outcome.commit == local
    assert live_message(client, "Beta") == "got it"
    assert live_message(client, "Alpha") == "got it"  # the remote's change was not merged
    assert any(
        "git pull skipped" in r.getMessage() and "has diverged" in r.getMessage() for r in caplog.records
    )


def test_a_fetch_error_is_reported_without_raising(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    git(repo, "remote", "add", "origin", str(tmp_path / "no-such-remote.git"))
    before = head_commit(repo)
    result = fast_forward(repo)
    assert not result.ok
    assert result.before == result.after == before
    assert result.reason.startswith("git fetch failed")


def test_a_branch_without_upstream_is_reported(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    result = fast_forward(repo)
    assert not result.ok
    assert "no upstream" in result.reason


def test_outside_a_git_checkout_there_is_no_commit_and_no_pull(tmp_path: Path) -> None:
    assert head_commit(tmp_path) is None
    result = fast_forward(tmp_path)
    assert not result.ok
    assert "not in a git checkout" in result.reason


def test_uncommitted_edits_under_the_directory_are_noticed(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    assert not has_uncommitted_changes(repo)
    pattern_file(repo, "alpha", "Alpha", message="edited, not committed")
    assert has_uncommitted_changes(repo)
    commit(repo, "edit")
    pattern_file(repo, "beta", "Beta")  # a new file, not yet added
    assert has_uncommitted_changes(repo)
    outside = tmp_path / "not-a-checkout"
    outside.mkdir()
    assert not has_uncommitted_changes(outside)


def test_a_cycle_over_uncommitted_edits_says_so_in_its_log(
    tmp_path: Path, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dragops_sync")
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    pattern_file(repo, "alpha", "Alpha", message="edited, not committed")
    with running_daemon(repo, client, interval=60, watch=False) as runner:
        runner.wait_settled()
    head = git(repo, "rev-parse", "HEAD")[:12]
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"reconciling commit {head} plus uncommitted changes" in m for m in messages)
    assert live_message(client, "Alpha") == "edited, not committed"


def test_credentials_in_remote_urls_are_redacted_from_git_messages() -> None:
    line = "fatal: unable to access 'https://deploy:s3cr3t-SENTINEL@git.example.com/org/repo.git/'"
    redacted = redact_url_credentials(line)
    assert "s3cr3t-SENTINEL" not in redacted
    assert "https://***@git.example.com/org/repo.git/" in redacted
