"""A sync directory as committed at a git ref of the local repository: `validate`/`plan`/`apply DIR
--ref REF`.

    with directory_at_ref(Path("gitops/prod"), "v1.4") as directory:   # .../checkout/gitops/prod
        ...

Rolling an instance back is `apply DIR --ref <last good commit>`: the plan shows exactly what differs
between that commit and the instance, and the working tree is never touched (no checkout, no stash).

The commit is checked out into a temporary *linked worktree* of the same repository (`git worktree add
--detach`), removed on exit. A worktree, rather than an archive of the files, because everything the
sync reads from git then answers as it would for DIR itself: the `origin` remote and the path inside the
repository (the default owner, `org/repo:path`, so the plan is made for the same owner) and the commit
(named in the plan and the cycle log). Repository hooks are switched off for the checkout: reading a
commit must not run code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dragops_sync.errors import DragopsError

__all__ = ["LocalRefError", "directory_at_ref"]

# Seconds a local git command may take (a checkout of a large repository on a slow disk).
_GIT_TIMEOUT = 120.0


class LocalRefError(DragopsError):
    """DIR is not in a git repository, REF is not a commit there, or DIR did not exist at REF."""


def _git(cwd: Path, *args: str) -> str:
    """`git -C cwd ARGS` without hooks or prompts; its stdout. Raises LocalRefError with git's message."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
            env=_git_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalRefError(f"git {args[0]} failed: {exc}") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise LocalRefError(message)
    return done.stdout.strip()


def _git_env() -> dict[str, str]:
    """The environment for git: the user's, without DRAGOPS credentials, never prompting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAGOPS_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


@contextmanager
def directory_at_ref(directory: Path, ref: str) -> Iterator[Path]:
    """`directory` as committed at `ref` (a branch, a tag, a commit, `HEAD~2`...) in the repository
    holding it, checked out in a temporary worktree removed on exit.

    Raises `LocalRefError` naming what is wrong: no repository, an unknown ref, or a directory that
    did not exist at that commit."""
    directory = directory.resolve()
    if not directory.is_dir():
        raise LocalRefError(f"{directory} is not a directory")
    try:
        top = Path(_git(directory, "rev-parse", "--show-toplevel"))
    except LocalRefError:
        raise LocalRefError(f"--ref needs DIR inside a git repository; {directory} is not") from None
    prefix = _git(directory, "rev-parse", "--show-prefix")
    try:
        commit = _git(top, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
    except LocalRefError:
        raise LocalRefError(f"--ref {ref!r} is not a commit of the repository at {top}") from None
    holder = Path(tempfile.mkdtemp(prefix="dragops-sync-ref-"))
    checkout = holder / "checkout"
    try:
        _git(top, "worktree", "add", "--quiet", "--detach", str(checkout), commit)
        at_ref = checkout / prefix
        if not at_ref.is_dir():
            shown = prefix.rstrip("/") or "."
            raise LocalRefError(f"{shown} did not exist at {ref} ({commit[:12]})")
        yield at_ref
    finally:
        _remove_worktree(top, checkout)
        shutil.rmtree(holder, ignore_errors=True)


def _remove_worktree(top: Path, checkout: Path) -> None:
    """Remove the temporary worktree and its bookkeeping in the repository's `.git/worktrees`."""
    if checkout.exists():
        try:
            _git(top, "worktree", "remove", "--force", str(checkout))
            return
        except LocalRefError:
            shutil.rmtree(checkout, ignore_errors=True)
    # Bookkeeping only: git prunes stale worktrees itself later.
    with suppress(LocalRefError):
        _git(top, "worktree", "prune")
