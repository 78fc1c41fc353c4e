"""`validate`/`plan`/`apply DIR --ref REF`: DIR as committed at REF in its own repository. A rollback is
one command naming a commit, the plan shows exactly the difference, the owner is DIR's own (so nothing
is duplicated or pruned), and the working tree — uncommitted edits included — is left byte-identical."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.local_ref import LocalRefError, directory_at_ref
from kit.emulator import writes
from kit.git import commit, git, init_repo
from kit.live import live_message
from kit.sync_dirs import FAST_RATE, pattern_file, write_settings
from kit.sync_runs import run_cli

# No `owner:` in the settings: the owner is git's default, `acme/flows:gitops`, read from `origin`.
REMOTE = "https://github.com/acme/flows.git"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, str, str]:
    """(DIR = <repo>/gitops, the commit where Alpha says "old", the next one where it says "new")."""
    repo = init_repo(tmp_path / "repo", remote=REMOTE)
    directory = repo / "gitops"
    write_settings(directory, FAST_RATE + "defaults: {deploy: false}\n")
    pattern_file(directory, "alpha", "Alpha", "old")
    pattern_file(directory, "beta", "Beta", "steady")
    old = commit(repo, "old")
    pattern_file(directory, "alpha", "Alpha", "new")
    new = commit(repo, "new")
    return directory, old, new


def tree_fingerprint(repo: Path) -> str:
    """Every file under the repository's work tree (not .git), names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_apply_at_an_older_commit_rolls_back_exactly_that_difference(
    history: tuple[Path, str, str], emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory, old, _ = history
    repo = directory.parent
    assert run_cli(["apply", str(directory)], emu=emu, user=user).exit_code == 0
    assert live_message(client, "Alpha") == "new"
    # An uncommitted edit in the working tree: --ref must neither read nor touch it.
    pattern_file(directory, "beta", "Beta", "uncommitted edit")
    before = (tree_fingerprint(repo), git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"))

    planned = run_cli(["plan", str(directory), "--ref", old[:10], "-o", "json"], emu=emu, user=user)
    assert planned.exit_code == 0, planned.output
    changed = [(i["kind"], i["name"]) for i in json.loads(planned.stdout)["items"] if i["kind"] != "noop"]
    assert changed == [("update", "Alpha")]

    emu.clear_request_log()
    applied = run_cli(["apply", str(directory), "--ref", "HEAD~1"], emu=emu, user=user)
    assert applied.exit_code == 0, applied.output
    assert live_message(client, "Alpha") == "old"
    assert live_message(client, "Beta") == "steady"  # as committed, not the working tree's edit
    # The same owner as DIR's: nothing created twice, nothing pruned, one write.
    assert sorted(p.name for p in client.patterns.list()) == ["Alpha", "Beta"]
    (alpha,) = client.patterns.find_by_name("Alpha")
    assert [(w["method"], w["path"]) for w in writes(emu)] == [("PUT", f"/api/patterns/{alpha.id}")]
    after = (tree_fingerprint(repo), git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"))
    assert after == before
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # the temporary worktree is gone


def test_validate_reads_the_commit_not_the_working_tree(
    history: tuple[Path, str, str], tmp_path: Path
) -> None:
    directory, _, _ = history
    (directory / "patterns" / "broken.json").write_text("{ not json", encoding="utf-8")
    broken = commit(directory.parent, "a broken file")
    (directory / "patterns" / "broken.json").unlink()  # fixed in the working tree only

    assert run_cli(["validate", str(directory)]).exit_code == 0
    at_ref = run_cli(["validate", str(directory), "--ref", broken])
    assert at_ref.exit_code == 1
    assert "broken.json" in at_ref.output
    assert run_cli(["validate", str(directory), "--ref", "HEAD~1"]).exit_code == 0


@pytest.mark.parametrize(
    ("make", "ref", "message"),
    [
        ("repo", "no-such-branch", "'no-such-branch' is not a commit"),
        ("plain", "HEAD", "needs DIR inside a git repository"),
        ("later", "HEAD~1", "gitops did not exist at HEAD~1"),
    ],
)
def test_a_ref_that_cannot_be_read_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, emu: Emulator, user: SeededUser, make: str, ref: str, message: str
) -> None:
    if make == "plain":
        directory = tmp_path / "plain"
        pattern_file(directory, "alpha", "Alpha")
    else:
        repo = init_repo(tmp_path / "repo", remote=REMOTE)
        directory = repo / "gitops"
        pattern_file(directory, "alpha", "Alpha")
        commit(repo, "gitops added")
    emu.clear_request_log()
    result = run_cli(["apply", str(directory), "--ref", ref], emu=emu, user=user)
    assert result.exit_code == 1
    assert message in result.output
    assert writes(emu) == []


def test_local_does_not_go_with_ref(history: tuple[Path, str, str]) -> None:
    directory, old, _ = history
    for command in ("plan", "apply", "validate"):
        result = run_cli([command, str(directory), "--ref", old, "--local"])
        assert result.exit_code == 1
        assert "--local keeps its state inside DIR" in result.output


def test_directory_at_ref_is_removed_even_when_the_work_fails(history: tuple[Path, str, str]) -> None:
    directory, old, _ = history
    with pytest.raises(RuntimeError), directory_at_ref(directory, old) as at_ref:
        assert json.loads((at_ref / "patterns" / "alpha.json").read_text())["name"] == "Alpha"
        raise RuntimeError("the command failed")
    assert not at_ref.exists()
    assert len(git(directory.parent, "worktree", "list").splitlines()) == 1
    with pytest.raises(LocalRefError, match="not a commit"):
        directory_at_ref(directory, "--orphan").__enter__()
