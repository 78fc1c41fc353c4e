"""Push webhooks over HTTP to a running daemon: GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token)
and generic (X-Dragops-Signature-256). A verified push to the watched branch reaches the instance long
before the interval; wrong, missing or oversized requests trigger nothing; other branches, tags and
pings are ignored; the hooks are off without a secret; the secret appears nowhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from dragops_sync.source import GitSource, RemoteRepo
from dragops_sync.states import Trigger
from kit.git import commit, git
from kit.live import live_message
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import DaemonThread
from kit.waiting import wait_for

SECRET = "sentinel-webhook-secret-8c1a55"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Path]:
    bare = tmp_path / "served" / "remote.git"
    bare.parent.mkdir()
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    author = sync_repo(tmp_path / "author", {"a": "Alpha"})
    git(author, "remote", "add", "origin", str(bare))
    git(author, "push", "-q", "-u", "origin", "main")
    return author, bare


def push(author: Path, message: str) -> str:
    pattern_file(author, "a", "Alpha", message=message)
    sha = commit(author, f"Log {message}")
    git(author, "push", "-q", "origin", "main")
    return sha


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def signed(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github(url: str, payload: dict, *, event: str = "push", signature: str | None = None) -> tuple[int, str]:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event}
    headers["X-Hub-Signature-256"] = signature if signature is not None else "sha256=" + signed(body)
    return post(f"{url}/hooks/github", body, headers)


@pytest.fixture
def daemon(origin: tuple[Path, Path], client: Client, tmp_path: Path) -> Iterator[DaemonThread]:
    _, bare = origin
    source = GitSource(RemoteRepo(bare.as_uri()), workdir=tmp_path / "work")
    source.prepare()
    settings = DaemonSettings(
        source.directory, interval=300, status_addr="127.0.0.1:0", source=source, webhook_secret=SECRET
    )
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    runner.wait_settled()
    try:
        yield runner
    finally:
        runner.stop()


def test_a_verified_github_push_reaches_the_instance_at_once(
    daemon: DaemonThread, origin: tuple[Path, Path], client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dragops_sync")
    author, _ = origin
    url = daemon.daemon.status_url
    assert url is not None
    seen = daemon.cycles
    pushed = push(author, "pushed and hooked")
    code, body = github(url, {"ref": "refs/heads/main", "after": pushed})
    assert code == 202 and json.loads(body) == {"accepted": True}
    outcome = daemon.wait_cycle_after(seen, lambda o: o.commit == pushed, "the pushed commit reconciled")
    assert outcome.trigger == Trigger.PUSH
    wait_for(lambda: live_message(client, "Alpha") == "pushed and hooked", timeout=30, what="the push live")

    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    assert 'dragops_sync_webhook_requests_total{endpoint="github",outcome="accepted"} 1.0' in metrics
    with urllib.request.urlopen(f"{url}/status", timeout=10) as answer:
        status = answer.read().decode()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (metrics, status, logged):
        assert SECRET not in text


def test_refused_and_ignored_requests_trigger_nothing(
    daemon: DaemonThread, origin: tuple[Path, Path]
) -> None:
    url = daemon.daemon.status_url
    assert url is not None
    before = daemon.cycles
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    assert github(url, {"ref": "refs/heads/main"}, signature="sha256=" + signed(body, "wrong"))[0] == 401
    assert github(url, {"ref": "refs/heads/main"}, signature="")[0] == 401
    assert post(f"{url}/hooks/github", body, {"X-GitHub-Event": "push"})[0] == 401
    assert github(url, {"ref": "refs/heads/feature"})[0] == 200  # another branch
    assert github(url, {"ref": "refs/tags/v1.0"})[0] == 200  # a tag
    code, answer = github(url, {"zen": "Keep it logically awesome."}, event="ping")
    assert code == 200 and "ping" in answer
    oversize = b"x" * (1024 * 1024 + 1)
    assert post(f"{url}/hooks/generic", oversize, {"X-Dragops-Signature-256": signed(oversize)})[0] == 413
    # GitLab: the token; a tag push is ignored.
    gitlab = {"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook"}
    assert post(f"{url}/hooks/gitlab", body, {**gitlab, "X-Gitlab-Token": "wrong"})[0] == 401
    tag = {**gitlab, "X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": SECRET}
    assert post(f"{url}/hooks/gitlab", json.dumps({"ref": "refs/tags/v2"}).encode(), tag)[0] == 200
    assert (
        post(f"{url}/hooks/generic", b"{not json", {"X-Dragops-Signature-256": signed(b"{not json")})[0]
        == 400
    )
    assert daemon.cycles == before  # nothing triggered a cycle


@pytest.mark.parametrize("provider", ["gitlab", "generic"])
def test_gitlab_and_generic_pushes_trigger_a_cycle(
    daemon: DaemonThread, origin: tuple[Path, Path], provider: str
) -> None:
    author, _ = origin
    url = daemon.daemon.status_url
    seen = daemon.cycles
    pushed = push(author, f"via {provider}")
    if provider == "gitlab":
        body = json.dumps({"ref": "refs/heads/main", "after": pushed}).encode()
        headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}
    else:
        body = json.dumps({"branch": "main"}).encode()
        headers = {"X-Dragops-Signature-256": "sha256=" + signed(body)}
    assert post(f"{url}/hooks/{provider}", body, headers)[0] == 202
    daemon.wait_cycle_after(seen, lambda o: o.commit == pushed, f"the {provider} push reconciled")


def test_hooks_are_off_without_a_secret_and_work_for_a_git_pull_checkout(
    origin: tuple[Path, Path], client: Client, tmp_path: Path
) -> None:
    author, bare = origin
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(bare), str(checkout))
    settings = DaemonSettings(checkout, interval=300, status_addr="127.0.0.1:0", git_pull=True, watch=False)
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    try:
        runner.wait_settled()
        url = runner.daemon.status_url
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        assert post(f"{url}/hooks/github", body, {"X-Hub-Signature-256": "sha256=" + signed(body)})[0] == 404
    finally:
        runner.stop()

    settings = DaemonSettings(
        checkout, interval=300, status_addr="127.0.0.1:0", git_pull=True, watch=False, webhook_secret=SECRET
    )
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    try:
        seen = runner.wait_settled()
        pushed = push(author, "pulled on a push")
        assert github(runner.daemon.status_url or "", {"ref": "refs/heads/main"})[0] == 202
        outcome = runner.wait_cycle_after(seen, lambda o: o.commit == pushed, "the fast-forwarded commit")
        assert outcome.trigger == Trigger.PUSH
    finally:
        runner.stop()
