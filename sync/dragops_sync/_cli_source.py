"""The `--repo` options of the command line: which directory a command works on when it is a remote
repository rather than DIR.

`plan` and `apply` take `--repo URL [--ref REF] [--path SUBDIR]` (a one-shot shallow clone into a
temporary directory, removed afterwards: `source.one_shot_checkout`), or `DIR --ref REF` (DIR as
committed at REF in its local repository, the working tree untouched: `local_ref.directory_at_ref`;
`validate` takes that form too); `watch` takes `--repo URL
[--branch B] [--path SUBDIR] [--workdir DIR]` (the daemon's own clone: `source.GitSource`). Both take
`--ssh-key FILE` and `--known-hosts FILE`; HTTPS credentials come only from the environment
(`DRAGOPS_SYNC_GIT_TOKEN`, or `DRAGOPS_SYNC_GIT_USERNAME`/`DRAGOPS_SYNC_GIT_PASSWORD`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from dragops_sync.local_ref import directory_at_ref
from dragops_sync.source import GitCredentials, GitSource, RemoteRepo, one_shot_checkout

__all__ = [
    "RepoArgs",
    "checkout_options",
    "follow_options",
    "local_ref_option",
    "one_shot_directory",
    "remote_source",
]

F = TypeVar("F", bound=Callable[..., Any])

_REPO_HELP = (
    "Work on this git repository instead of DIR (https://, ssh://, user@host:path or file://; "
    "credentials from DRAGOPS_SYNC_GIT_TOKEN or DRAGOPS_SYNC_GIT_USERNAME/_PASSWORD, or --ssh-key)."
)

RepoArgs = dict[str, Any]


def _shared() -> list[Callable[[Any], Any]]:
    return [
        click.option("--repo", "repo_url", metavar="URL", help=_REPO_HELP),
        click.option(
            "--path", "repo_path", metavar="SUBDIR", default="", help="The sync directory inside --repo."
        ),
        click.option(
            "--ssh-key", type=click.Path(exists=True, dir_okay=False), help="SSH private key for --repo."
        ),
        click.option(
            "--known-hosts",
            type=click.Path(exists=True, dir_okay=False),
            help="known_hosts file for --repo over SSH (host keys are always checked).",
        ),
    ]


def _gather(func: F, extra: list[Callable[[Any], Any]], names: tuple[str, ...]) -> F:
    @functools.wraps(func)
    def gather(*args: Any, **kwargs: Any) -> Any:
        remote: RepoArgs = {
            name: kwargs.pop(name) for name in ("repo_url", "repo_path", "ssh_key", "known_hosts", *names)
        }
        return func(*args, remote=remote, **kwargs)

    command: Callable[..., Any] = gather
    for option in reversed([*_shared(), *extra]):
        command = option(command)
    return cast(F, command)


def checkout_options(func: F) -> F:
    """`--repo`, `--ref`, `--path`, `--ssh-key`, `--known-hosts` of `plan` and `apply` (as `remote`)."""
    ref = click.option(
        "--ref",
        metavar="REF",
        help="Branch, tag or commit of --repo (default: its default branch); with DIR, DIR as committed "
        "at REF in its local repository (the working tree is not touched).",
    )
    return _gather(func, [ref], ("ref",))


def local_ref_option(func: F) -> F:
    """`--ref REF` of `validate`: DIR as committed at REF (as `ref`)."""
    return click.option(
        "--ref",
        metavar="REF",
        help="Validate DIR as committed at this branch, tag or commit (the working tree is not touched).",
    )(func)


def follow_options(func: F) -> F:
    """`--repo`, `--branch`, `--path`, `--workdir`, `--ssh-key`, `--known-hosts` of `watch`."""
    extra = [
        click.option("--branch", default="main", show_default=True, help="The branch of --repo to follow."),
        click.option(
            "--workdir",
            type=click.Path(file_okay=False),
            help="Where the daemon keeps its clone of --repo (default: ~/.cache/dragops-sync/<hash>).",
        ),
    ]
    return _gather(func, extra, ("branch", "workdir"))


def _repo(remote: RepoArgs, *, branch: str = "main") -> RemoteRepo:
    return RemoteRepo(
        remote["repo_url"],
        branch=branch,
        path=remote["repo_path"] or "",
        ssh_key=Path(remote["ssh_key"]) if remote["ssh_key"] else None,
        known_hosts=Path(remote["known_hosts"]) if remote["known_hosts"] else None,
        credentials=GitCredentials.from_env(os.environ),
    )


def _check_exclusive(directory: str | None, remote: RepoArgs, flags: tuple[str, ...]) -> None:
    """DIR or --repo, and the --repo-only flags only with --repo (`ref` is read with DIR too)."""
    if remote["repo_url"] and directory:
        raise click.UsageError("give DIR or --repo, not both")
    if not remote["repo_url"]:
        if not directory:
            raise click.UsageError("give DIR, or --repo URL")
        given = [f"--{flag.replace('_', '-')}" for flag in flags if remote.get(flag)]
        if given:
            raise click.UsageError(f"{', '.join(given)} only go with --repo")


@contextmanager
def one_shot_directory(directory: str | None, remote: RepoArgs) -> Iterator[Path | None]:
    """The directory `plan`/`apply` work on: None when DIR is given without `--ref` (the caller checks
    it), else a temporary checkout — of DIR's repository or of `--repo` — at `--ref`, removed on exit."""
    _check_exclusive(directory, remote, ("repo_path", "ssh_key", "known_hosts"))
    if not remote["repo_url"]:
        if remote["ref"] and directory:
            with directory_at_ref(Path(directory), remote["ref"]) as at_ref:
                yield at_ref
            return
        yield None
        return
    with one_shot_checkout(_repo(remote), ref=remote["ref"]) as checkout:
        yield checkout


def remote_source(directory: str | None, remote: RepoArgs) -> GitSource | None:
    """The daemon's prepared clone of `--repo` (None when DIR is given); raises `SourceError` when it
    cannot be cloned."""
    _check_exclusive(directory, remote, ("repo_path", "ssh_key", "known_hosts", "workdir"))
    if not remote["repo_url"]:
        return None
    workdir = Path(remote["workdir"]) if remote["workdir"] else None
    source = GitSource(_repo(remote, branch=remote["branch"]), workdir=workdir)
    source.prepare()
    return source
