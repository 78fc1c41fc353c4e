"""Moving a checkout forward for `watch --git-pull`, and naming the commit a cycle reconciled.

`fast_forward(directory)` runs `git fetch` then `git merge --ff-only` on the checkout holding the
directory, so the daemon follows its branch's upstream. It never rewrites local history: a diverged
checkout, a fetch error (network, credentials) or a missing upstream gives a `PullResult` with
`ok=False` and a one-line reason, and the caller reconciles the checkout as it is. `head_commit`
returns `git rev-parse HEAD` (None outside a git checkout).

Git's own output may echo a remote URL carrying credentials (https://user:token@host/...); every line
reported is passed through `redact_url_credentials` first.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GIT_TIMEOUT",
    "PullResult",
    "current_branch",
    "fast_forward",
    "has_uncommitted_changes",
    "head_commit",
    "redact_url_credentials",
]

# Seconds a git command may take before it is abandoned (a fetch over a dead network hangs otherwise).
GIT_TIMEOUT = 120.0

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url_credentials(text: str) -> str:
    """Replace the `user:password@` part of every URL in `text` with `***@`."""
    return _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)


@dataclass(frozen=True)
class PullResult:
    """The outcome of one fast-forward: `ok`, the commits before and after, and why when not ok."""

    ok: bool
    before: str | None
    after: str | None
    reason: str = ""
    behind: int | None = None  # commits of the upstream the checkout lacks (when git could tell)

    @property
    def moved(self) -> bool:
        return self.ok and self.before != self.after


def _git(directory: Path, *args: str, timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    # GIT_TERMINAL_PROMPT=0: a fetch needing credentials fails instead of waiting for a human.
    return subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=_git_env(),
    )


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _message(done: subprocess.CompletedProcess[str]) -> str:
    """Git's whole error output on one line (its last line alone often says nothing: "and the
    repository exists."), with URL credentials removed."""
    lines = [line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
    return redact_url_credentials(" / ".join(lines)) if lines else f"git exited with {done.returncode}"


def _behind(directory: Path, upstream: str) -> int | None:
    """How many commits of `upstream` HEAD lacks (None when git cannot tell)."""
    try:
        done = _git(directory, "rev-list", "--count", f"HEAD..{upstream}", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return int(text) if done.returncode == 0 and text.isdigit() else None


def head_commit(directory: Path) -> str | None:
    """The full sha of HEAD of the checkout holding `directory`, or None (not a checkout, no git)."""
    try:
        done = _git(Path(directory), "rev-parse", "HEAD", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def current_branch(directory: Path) -> str | None:
    """The branch checked out in the repository holding `directory` (None: detached, or not git)."""
    try:
        done = _git(Path(directory), "symbolic-ref", "--quiet", "--short", "HEAD", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    branch = done.stdout.strip()
    return branch if done.returncode == 0 and branch else None


def has_uncommitted_changes(directory: Path) -> bool:
    """Whether files under `directory` differ from HEAD (edited, added or deleted); False outside git.

    The sync reads the working tree, so a cycle over uncommitted edits reconciles more than HEAD.
    """
    try:
        done = _git(Path(directory), "status", "--porcelain", "--", ".", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def fast_forward(directory: Path) -> PullResult:
    """`git fetch` + `git merge --ff-only` of the current branch's upstream; never raises."""
    directory = Path(directory)
    before = head_commit(directory)
    if before is None:
        return PullResult(False, None, None, f"{directory} is not in a git checkout with a commit")
    try:
        fetched = _git(directory, "fetch", "--quiet")
        if fetched.returncode != 0:
            return PullResult(False, before, before, f"git fetch failed: {_message(fetched)}")
        upstream = _git(directory, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        if upstream.returncode != 0:
            reason = "the current branch has no upstream to follow (git branch --set-upstream-to)"
            return PullResult(False, before, before, reason)
        merged = _git(directory, "merge", "--ff-only", "--quiet", upstream.stdout.strip())
    except subprocess.TimeoutExpired as exc:
        return PullResult(False, before, before, f"git {exc.cmd[3]} timed out after {exc.timeout:g} s")
    except (OSError, subprocess.SubprocessError) as exc:
        return PullResult(False, before, before, f"git could not run: {exc}")
    if merged.returncode != 0:
        branch = upstream.stdout.strip()
        reason = (
            f"the checkout has diverged from {branch} (local commits, or a force push upstream), so it "
            f"cannot follow it; the commit reconciled stays {before[:12]}: {_message(merged)}"
        )
        return PullResult(False, before, before, reason, behind=_behind(directory, branch))
    return PullResult(True, before, head_commit(directory), behind=0)
