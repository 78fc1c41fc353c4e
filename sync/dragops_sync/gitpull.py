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


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
    return redact_url_credentials(lines[-1]) if lines else f"git exited with {done.returncode}"


def head_commit(directory: Path) -> str | None:
    """The full sha of HEAD of the checkout holding `directory`, or None (not a checkout, no git)."""
    try:
        done = _git(Path(directory), "rev-parse", "HEAD", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


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
            return PullResult(False, before, before, f"git fetch failed: {_last_line(fetched)}")
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
        reason = f"not a fast-forward of {upstream.stdout.strip()}: {_last_line(merged)}"
        return PullResult(False, before, before, reason)
    return PullResult(True, before, head_commit(directory))
