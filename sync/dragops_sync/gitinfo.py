"""What git says about a sync directory: the default owner id (docs/decisions.md D27, README "Owners").

`default_owner(directory)` names the repository and the directory's place in it, so no two sync
directories share a default: `<org>/<repo>:<path>`, with `org/repo` from the git remote `origin` and
`path` the directory relative to the top of the checkout, in POSIX form (`.` for the top itself:
`acme/flows:.`, `acme/flows:teams/billing`).

A directory outside git, or in a checkout without an `origin` remote, has no name that another
directory could not also have: its default is the directory's name, marked *guessed*. A guessed owner
still plans and applies creates and updates (as before), but prune and adopt refuse to run on it
(they would delete or take over patterns of any other directory of that name).

`legacy` is the default owner of earlier versions (`<org>/<repo>`, or the directory's name), used to
recognise marks written before the owner named the path (the migration in README "Owners").

Runs `git` read-only; a missing git is not an error.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["ROOT_PATH", "DefaultOwner", "default_owner", "owner_from_remote_url", "remote_origin_url"]

# The last two path segments of a remote URL: https://host/org/repo(.git), git@host:org/repo(.git),
# ssh://git@host:22/group/sub/repo.git (only the last two segments are kept).
_REMOTE = re.compile(r"[:/](?P<org>[^/:]+)/(?P<repo>[^/]+?)(?:\.git)?/?$")

# How the top of the checkout is spelled in an owner id (`acme/flows:.`).
ROOT_PATH = "."


@dataclass(frozen=True)
class DefaultOwner:
    """The owner id a directory gets when neither the command line nor `dragops-sync.yaml` sets one.

    `guessed`: no git remote names the directory, so another directory may derive the same id.
    `legacy`: the default earlier versions derived for this directory (equal to `owner` when guessed).
    """

    owner: str
    guessed: bool
    legacy: str


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git installed, or it hung: as if outside git
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def remote_origin_url(directory: Path) -> str | None:
    """The URL of the `origin` remote of the checkout holding `directory`, or None."""
    return _git(directory, "remote", "get-url", "origin")


def _path_in_checkout(directory: Path) -> str | None:
    """`directory` relative to the top of its checkout, POSIX form, `.` for the top; None outside git."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    try:
        relative = directory.resolve().relative_to(Path(top).resolve())
    except ValueError:
        return None
    posix = PurePosixPath(*relative.parts).as_posix()
    return ROOT_PATH if posix in ("", ".") else posix


def owner_from_remote_url(url: str) -> str | None:
    """`<org>/<repo>` from a remote URL (credentials in it are never part of the result)."""
    match = _REMOTE.search(url.strip())
    if match is None:
        return None
    return f"{match.group('org')}/{match.group('repo')}"


def default_owner(directory: Path) -> DefaultOwner:
    """The default owner of `directory`: `<org>/<repo>:<path>`, else its name (guessed)."""
    path = Path(directory).resolve()
    url = remote_origin_url(path)
    repo = owner_from_remote_url(url) if url else None
    where = _path_in_checkout(path) if repo else None
    if repo is None or where is None:
        return DefaultOwner(path.name, guessed=True, legacy=path.name)
    return DefaultOwner(f"{repo}:{where}", guessed=False, legacy=repo)
