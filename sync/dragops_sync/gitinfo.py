"""What git says about a sync directory: the default owner id (design.md §4).

`default_owner(directory)` is `<org>/<repo>` of the git remote `origin` when the directory is in a git
checkout that has one, else the directory's name. Runs `git` read-only; a missing git is not an error.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

__all__ = ["default_owner", "owner_from_remote_url", "remote_origin_url"]

# The last two path segments of a remote URL: https://host/org/repo(.git), git@host:org/repo(.git),
# ssh://git@host:22/group/sub/repo.git (only the last two segments are kept).
_REMOTE = re.compile(r"[:/](?P<org>[^/:]+)/(?P<repo>[^/]+?)(?:\.git)?/?$")


def remote_origin_url(directory: Path) -> str | None:
    """The URL of the `origin` remote of the checkout holding `directory`, or None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git installed, or it hung: fall back to the directory name
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def owner_from_remote_url(url: str) -> str | None:
    """`<org>/<repo>` from a remote URL (credentials in it are never part of the result)."""
    match = _REMOTE.search(url.strip())
    if match is None:
        return None
    return f"{match.group('org')}/{match.group('repo')}"


def default_owner(directory: Path) -> str:
    """The owner id used when neither the command line nor `dragops-sync.yaml` sets one."""
    path = Path(directory).resolve()
    url = remote_origin_url(path)
    owner = owner_from_remote_url(url) if url else None
    return owner or path.name
