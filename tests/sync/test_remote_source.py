"""`--repo`: the daemon clones a remote repository itself, fetches it, follows force pushes, reclones a
broken clone, and never lets the git token out. The server is real: `git http-backend` behind a WSGI
server with HTTP Basic auth on loopback (kit.git_server), or a `file://` URL; the pushes are real."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from dragops_sync.source import (
    GitCredentials,
    GitSource,
    RemoteRepo,
    SourceError,
    one_shot_checkout,
    public_url,
)
from dragops_sync.states import Trigger
from kit.git import commit, git
from kit.git_server import GitHttpServer
from kit.live import live_message
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import DaemonThread, run_cli
from kit.waiting import wait_for

TOKEN = "sentinel-git-token-6f1d93"  # must never appear anywhere the daemon writes or says


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Path]:
    """(the author's working copy, the bare repository it pushes to: served/remote.git)."""
    served = tmp_path / "served"
    served.mkdir()
    bare = served / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    author = sync_repo(tmp_path / "author", {"a": "Alpha"})
    git(author, "remote", "add", "origin", str(bare))
    git(author, "push", "-q", "-u", "origin", "main")
    return author, bare


@pytest.fixture
def server(origin: tuple[Path, Path]) -> Iterator[GitHttpServer]:
    with GitHttpServer(origin[1].parent, token=TOKEN) as served:
        yield served


def push(author: Path, message: str, *, force: bool = False) -> str:
    pattern_file(author, "a", "Alpha", message=message)
    sha = commit(author, f"Log {message}")
    git(author, "push", "-q", *(["--force"] if force else []), "origin", "main")
    return sha


def http_repo(server: GitHttpServer, token: str = TOKEN, **fields: object) -> RemoteRepo:
    return RemoteRepo(
        server.url("remote.git"),
        credentials=GitCredentials("x-access-token", token),
        **fields,  # type: ignore[arg-type]
    )


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_daemon_clones_over_https_with_a_token_and_a_pushed_commit_reaches_the_instance(
    origin: tuple[Path, Path],
    server: GitHttpServer,
    client: Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    author, _ = origin
    # A `git` first on PATH records every command line and every environment it is started with.
    recorded, bin_dir, temp = tmp_path / "git-runs", tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    temp.mkdir()
    wrapper = bin_dir / "git"
    real_git = shutil.which("git")
    wrapper.write_text(
        f'#!/bin/sh\necho "argv: $*" >> "{recorded}"\nenv >> "{recorded}"\nexec {real_git} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(temp)}
    env["DRAGOPS_SYNC_GIT_TOKEN"] = env["DRAGOPS_TOKEN"] = TOKEN  # the parent's secrets: not for git
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    source = GitSource(http_repo(server), workdir=tmp_path / "work", env=env)
    source.prepare()
    assert git(source.checkout, "rev-parse", "HEAD") == git(author, "rev-parse", "HEAD")
    assert git(source.checkout, "rev-parse", "--is-shallow-repository") == "true"
    settings = DaemonSettings(source.directory, interval=0.5, status_addr="127.0.0.1:0", source=source)
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    try:
        runner.wait_settled()
        pushed = push(author, "from a pushed commit")
        outcome = runner.wait_cycle_after(0, lambda o: o.commit == pushed, "a cycle at the pushed commit")
        assert outcome.result == "ok"
        assert live_message(client, "Alpha") == "from a pushed commit"
        url = runner.daemon.status_url
        assert url is not None
        status_code, status = get(f"{url}/status")
        _, metrics = get(f"{url}/metrics")
        health, _ = get(f"{url}/healthz")
    finally:
        runner.stop()
    assert status_code == 200 and health == 200
    doc = json.loads(status)
    assert doc["source"]["url"] == server.url("remote.git")
    assert doc["source"]["commit"] == pushed
    assert doc["source"]["lastFetchError"] is None
    assert 'dragops_sync_source_fetches_total{result="ok"}' in metrics
    assert 401 in server.statuses  # git really was asked for credentials, and gave them via askpass
    config = (source.checkout / ".git" / "config").read_text()
    assert git(source.checkout, "remote", "get-url", "origin") == server.url("remote.git")
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert f"fetched {server.url('remote.git')}" in logs
    for text in (config, status, metrics, logs):
        assert TOKEN not in text
    runs = recorded.read_text()
    assert runs.count("argv: ") >= 4  # clone, rev-parse, fetch, ...
    for line in runs.splitlines():
        if line.startswith("argv: "):
            assert TOKEN not in line  # never on a command line
        elif TOKEN in line:  # in the environment only as the askpass helper's variable
            assert line == f"DRAGOPS_SYNC_ASKPASS_SECRET={TOKEN}"
    assert "GIT_ASKPASS=" in runs and "credential.helper=" in runs
    assert list(temp.iterdir()) == []  # the askpass helper's directory is removed after each command


def test_a_wrong_token_is_a_clear_error_naming_the_url_without_any_secret(
    origin: tuple[Path, Path], server: GitHttpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sentinel-wrong-token-0a7c55"
    source = GitSource(http_repo(server, token=wrong), workdir=tmp_path / "work")
    with pytest.raises(SourceError) as raised:
        source.prepare()
    message = str(raised.value)
    assert message.startswith(f"cannot clone {server.url('remote.git')} (branch main): ")
    assert "Authentication failed" in message  # git's own words, whole
    assert wrong not in message and wrong not in repr(raised.value)
    assert not (tmp_path / "work" / "checkout").exists()

    # The command line: exit 1, the URL without the token that was put in it, nothing secret.
    with_user = server.url("remote.git").replace("http://", "http://deploy@")
    result = run_cli(
        ["watch", "--repo", with_user, "--workdir", str(tmp_path / "cli"), "--status-addr", "127.0.0.1:0"],
        env={"DRAGOPS_SYNC_GIT_TOKEN": wrong, "DRAGOPS_URL": "http://127.0.0.1:9", "DRAGOPS_TOKEN": "x"},
    )
    assert result.exit_code == 1
    assert f"Error: cannot clone {server.url('remote.git')} (branch main)" in result.output
    assert "Authentication failed" in result.output
    assert wrong not in result.output
    assert all(wrong not in r.getMessage() for r in caplog.records)


def test_a_url_with_a_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(SourceError) as raised:
        RemoteRepo(f"https://deploy:{TOKEN}@git.example.com/org/gitops.git")
    assert TOKEN not in str(raised.value)
    assert "https://git.example.com/org/gitops.git" in str(raised.value)
    assert public_url(f"fatal: unable to access 'https://u:{TOKEN}@h/r.git/'") == (
        "fatal: unable to access 'https://h/r.git/'"
    )


def test_a_force_push_is_followed_and_logged(
    origin: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dragops_sync")
    author, bare = origin
    first = push(author, "first")
    source = GitSource(RemoteRepo(bare.as_uri()), workdir=tmp_path / "work")
    source.prepare()
    assert git(source.checkout, "rev-parse", "HEAD") == first
    ahead = push(author, "fast-forward")
    moved = source.sync()
    assert moved.ok and moved.after == ahead and not moved.forced
    git(author, "reset", "-q", "--hard", "HEAD~2")
    rewritten = push(author, "rewritten", force=True)
    followed = source.sync()
    assert followed.ok and followed.forced
    assert (followed.before, followed.after) == (ahead, rewritten)
    assert git(source.checkout, "rev-parse", "HEAD") == rewritten
    assert "rewritten" in (source.checkout / "patterns" / "a.json").read_text()
    assert any(
        "force-pushed" in r.getMessage() and ahead[:12] in r.getMessage() and rewritten[:12] in r.getMessage()
        for r in caplog.records
    )


def test_a_kept_clone_is_reused_and_a_broken_one_is_cloned_again(
    origin: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dragops_sync")
    author, bare = origin
    repo = RemoteRepo(bare.as_uri())
    GitSource(repo, workdir=tmp_path / "work").prepare()
    caplog.clear()
    newer = push(author, "while stopped")
    restarted = GitSource(repo, workdir=tmp_path / "work")
    restarted.prepare()  # re-validated and fetched, not cloned
    assert git(restarted.checkout, "rev-parse", "HEAD") == newer
    assert not any("cloning" in r.getMessage() for r in caplog.records)

    shutil.rmtree(restarted.checkout / ".git" / "objects")
    (restarted.checkout / "patterns" / "a.json").write_text("garbage")
    again = GitSource(repo, workdir=tmp_path / "work")
    again.prepare()
    assert git(again.checkout, "rev-parse", "HEAD") == newer
    assert "while stopped" in (again.checkout / "patterns" / "a.json").read_text()
    assert any("not usable" in r.getMessage() and "cloning again" in r.getMessage() for r in caplog.records)

    # Broken while running: the next fetch clones again.
    shutil.rmtree(again.checkout / ".git" / "objects")
    latest = push(author, "while running")
    synced = again.sync()
    assert synced.ok and synced.recloned and synced.after == latest
    assert git(again.checkout, "rev-parse", "HEAD") == latest


def test_a_workdir_that_is_not_ours_is_never_wiped(origin: tuple[Path, Path], tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(SourceError, match="not made by dragops-sync"):
        GitSource(RemoteRepo(origin[1].as_uri()), workdir=precious).prepare()
    assert (precious / "notes.txt").read_text() == "keep me"


def test_a_failing_fetch_keeps_the_last_commit_and_turns_healthz_unhealthy_after_3_intervals(
    origin: tuple[Path, Path], client: Client, tmp_path: Path
) -> None:
    _, bare = origin
    source = GitSource(RemoteRepo(bare.as_uri()), workdir=tmp_path / "work")
    source.prepare()
    kept = git(source.checkout, "rev-parse", "HEAD")
    bare.rename(bare.with_name("moved.git"))  # the remote is gone
    settings = DaemonSettings(source.directory, interval=0.3, status_addr="127.0.0.1:0", source=source)
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    try:
        url = runner.daemon.status_url
        assert url is not None
        wait_for(lambda: get(f"{url}/healthz")[0] == 503, timeout=20, what="/healthz to turn 503")
        health = get(f"{url}/healthz")[1]
        doc = json.loads(get(f"{url}/status")[1])
        outcomes = list(runner.outcomes)
    finally:
        runner.stop()
    assert "fetching the repository has failed" in health
    # The last commit, still reconciled; but git is not followed, so never "ok".
    assert all(o.commit == kept and o.result == "degraded" for o in outcomes)
    assert (
        doc["blockers"][0]["kind"] == "git"
        and "fetching the repository failed" in doc["blockers"][0]["message"]
    )
    error = doc["source"]["lastFetchError"]
    assert "does not appear to be a git repository" in error and "Could not read from remote" in error
    assert doc["source"]["fetchFailingForSeconds"] > 0.9


def test_a_push_request_fetches_and_reconciles_at_once(
    origin: tuple[Path, Path], client: Client, tmp_path: Path
) -> None:
    author, bare = origin
    source = GitSource(RemoteRepo(bare.as_uri()), workdir=tmp_path / "work")
    source.prepare()
    settings = DaemonSettings(source.directory, interval=3600, status_addr=None, source=source)
    runner = DaemonThread(Daemon(settings, client=client))
    runner.start()
    try:
        seen = runner.wait_settled()
        pushed = push(author, "pushed, then nudged")
        source.request_fetch()  # what a verified push webhook calls
        outcome = runner.wait_cycle_after(seen, lambda o: o.commit == pushed, "a push cycle")
    finally:
        runner.stop()
    assert outcome.trigger == Trigger.PUSH
    assert live_message(client, "Alpha") == "pushed, then nudged"


def test_plan_and_apply_take_a_repository_url_and_a_ref(
    origin: tuple[Path, Path],
    emu: Emulator,
    user: SeededUser,
    client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    author, bare = origin
    old = push(author, "old")
    push(author, "new")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    url = bare.as_uri()

    planned = run_cli(["plan", "--repo", url, "-o", "json"], emu=emu, user=user)
    assert planned.exit_code == 0, planned.output
    creates = [i for i in json.loads(planned.output)["items"] if i["kind"] == "create"]
    assert [i["name"] for i in creates] == ["Alpha"]

    applied = run_cli(["apply", "--repo", url, "--ref", old[:10]], emu=emu, user=user)
    assert applied.exit_code == 0, applied.output
    assert live_message(client, "Alpha") == "old"
    assert list(temp.iterdir()) == []  # the one-shot clones are gone

    usage = run_cli(["plan", str(author), "--repo", url], emu=emu, user=user)
    assert usage.exit_code == 1 and "DIR or --repo, not both" in usage.output


def test_one_shot_checkout_of_a_subdirectory_at_a_branch(origin: tuple[Path, Path]) -> None:
    _, bare = origin
    with one_shot_checkout(RemoteRepo(bare.as_uri(), path="patterns"), ref="main") as directory:
        assert directory.name == "patterns" and (directory / "a.json").is_file()
        top = directory.parent
    assert not top.exists()
    with (
        pytest.raises(SourceError, match="no-such-branch"),
        one_shot_checkout(RemoteRepo(bare.as_uri()), ref="no-such-branch"),
    ):
        pass


def test_ssh_urls_go_through_ssh_with_the_key_known_hosts_and_strict_host_checking(
    tmp_path: Path,
) -> None:
    """A real SSH server is not started here (no sshd on this machine): a recording `ssh` on PATH
    shows what git runs, and that the failure is reported as git's error."""
    key, known = tmp_path / "id key", tmp_path / "known_hosts"
    key.write_text("not a real key\n")
    known.write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "ssh-args"
    fake = bin_dir / "ssh"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\necho "Host key verification failed." >&2\nexit 255\n'
    )
    fake.chmod(0o755)
    repo = RemoteRepo("git@git.example.com:org/gitops.git", ssh_key=key, known_hosts=known)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    with pytest.raises(SourceError) as raised:
        GitSource(repo, workdir=tmp_path / "work", env=env).prepare()
    assert "cannot clone git@git.example.com:org/gitops.git" in str(raised.value)
    assert "Host key verification failed." in str(raised.value)
    args = record.read_text().splitlines()
    assert args[args.index("StrictHostKeyChecking=yes") - 1] == "-o"
    assert "IdentitiesOnly=yes" in args and "BatchMode=yes" in args
    assert args[args.index("-i") + 1] == str(key)
    assert f"UserKnownHostsFile={known}" in args
    assert "git@git.example.com" in args


def test_watch_repo_as_a_process_clones_into_the_cache_reconciles_and_keeps_the_token_out(
    origin: tuple[Path, Path],
    server: GitHttpServer,
    emu: Emulator,
    user: SeededUser,
    client: Client,
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a free port for the status server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "DRAGOPS_URL": emu.url,
        "DRAGOPS_TOKEN": user.token,
        "DRAGOPS_SYNC_GIT_TOKEN": TOKEN,
        "XDG_CACHE_HOME": str(cache),
    }
    command = [str(Path(sys.executable).parent / "dragops-sync"), "watch", "--repo", server.url("remote.git")]
    proc = subprocess.Popen(
        [*command, "--interval", "1", "--status-addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(
            lambda: (
                live_message(client, "Alpha") == "got it"
                and get(f"http://127.0.0.1:{port}/healthz")[0] == 200
            ),
            timeout=60,
            what="the daemon's first cycle",
        )
        status = get(f"http://127.0.0.1:{port}/status")[1]
        metrics = get(f"http://127.0.0.1:{port}/metrics")[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert json.loads(status)["source"]["url"] == server.url("remote.git")
    clones = list(cache.glob("dragops-sync/*/checkout"))
    assert len(clones) == 1
    config = (clones[0] / ".git" / "config").read_text()
    assert server.url("remote.git") in config
    for text in (output, status, metrics, config):
        assert TOKEN not in text
    assert f"cloning {server.url('remote.git')} (branch main)" in output


def test_a_real_ssh_server_is_followed_with_key_and_known_hosts(
    origin: tuple[Path, Path], client: Client, tmp_path: Path
) -> None:
    """`--repo ssh://...` against a real OpenSSH server on loopback (skipped, saying why, where sshd
    cannot run): clone with the key, strict host checking against known_hosts, a pushed change
    fetched; an unknown host key is refused."""
    from kit.ssh_server import SshUnavailable, start_sshd

    author, bare = origin
    try:
        server_context = start_sshd(tmp_path / "sshd")
        server = server_context.__enter__()
    except SshUnavailable as exc:
        pytest.skip(str(exc))
    try:
        repo = RemoteRepo(server.url(bare), ssh_key=server.client_key, known_hosts=server.known_hosts)
        source = GitSource(repo, workdir=tmp_path / "work")
        source.prepare()
        assert (source.directory / "patterns" / "a.json").is_file()
        pushed = push(author, "over ssh")
        result = source.sync()
        assert result.ok and result.after == pushed

        stranger = tmp_path / "other_known_hosts"  # another key for that host: a man in the middle
        other_key = " ".join(Path(f"{server.client_key}.pub").read_text().split()[:2])
        stranger.write_text(f"[127.0.0.1]:{server.port} {other_key}\n")
        wrong = RemoteRepo(server.url(bare), ssh_key=server.client_key, known_hosts=stranger)
        with pytest.raises(SourceError) as refused:
            GitSource(wrong, workdir=tmp_path / "work2").prepare()
        assert "cannot clone" in str(refused.value)
    finally:
        server_context.__exit__(None, None, None)
