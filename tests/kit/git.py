"""Real git repositories in temp dirs (the tests' git identity comes from tests/conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    """Run `git -C repo ARGS`; its stdout without surrounding whitespace (fails on a non-zero exit)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def init_repo(path: Path, *, remote: str | None = None) -> Path:
    """A real git repository (one commit of whatever is there), optionally with an `origin` remote."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "tests@example.test")
    git(path, "config", "user.name", "tests")
    git(path, "config", "commit.gpgsign", "false")
    if remote:
        git(path, "remote", "add", "origin", remote)
    commit(path, "initial")
    return path


def commit(repo: Path, message: str) -> str:
    """Commit everything in the work tree (an empty commit when nothing changed); the new HEAD."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")
