"""Helpers for the sync I/O tests: real git repositories in temp dirs, clients, the CLI, live snapshots."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions
from dragops_sync.cli import cli
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import PlanOptions

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Environment variables that must not leak from the machine running the tests into the CLI.
_CLEAN_ENV = {
    "DRAGOPS_URL": None,
    "DRAGOPS_TOKEN": None,
    "DRAGOPS_EMAIL": None,
    "DRAGOPS_PASSWORD": None,
    "DRAGOPS_CA_BUNDLE": None,
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


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


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def write_file(repo: Path, relative: str, content: str | Mapping[str, Any]) -> Path:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


# What CLI tests that are not about the request rate put in dragops-sync.yaml: the CLI paces its
# client at the settings' rate (default 10 requests/s, no burst), which would only slow them down.
FAST_RATE = "rate: 1000\n"


def copy_example(target: Path) -> Path:
    """A git repository holding a copy of examples/gitops-repo (without any local state), its rate
    raised to `FAST_RATE` (the example's 10 requests/s suits a real instance, not a test run)."""
    shutil.copytree(EXAMPLE_REPO, target, ignore=shutil.ignore_patterns(".dragops-local"))
    raise_rate(target)
    return init_repo(target)


def raise_rate(directory: Path) -> None:
    """Set `FAST_RATE` in the `dragops-sync.yaml` of a copy of the example (which sets a rate)."""
    settings = directory / "dragops-sync.yaml"
    text = settings.read_text(encoding="utf-8")
    faster = re.sub(r"(?m)^rate: .*$", FAST_RATE.strip(), text)
    assert faster != text, "the example's dragops-sync.yaml no longer sets a rate"
    settings.write_text(faster, encoding="utf-8")


@contextmanager
def client_for(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token, env={}) as client:
        yield client


def cycle(
    client: Client,
    repo: Path,
    observer: LiveObserver | None = None,
    *,
    owner: str | None = None,
    prune: bool | None = None,
    force: bool = False,
    adopt: bool = False,
    concurrency: int | None = None,
    **rest: Any,
) -> CycleResult:
    """`run_cycle` with the plan and apply options as the CLI's flags (gathered into their objects)."""
    return run_cycle(
        client,
        repo,
        observer=observer or LiveObserver(client),
        planning=PlanOptions(owner=owner, prune=prune, force=force, adopt=adopt),
        applying=ApplyOptions(concurrency=concurrency),
        **rest,
    )


def writes(emu: Emulator) -> list[dict[str, Any]]:
    """The write requests in the emulator's request log."""
    return [r for r in emu.request_log() if r["method"] in WRITE_METHODS]


def live_snapshot(client: Client) -> dict[str, Any]:
    """Everything a user could see: full patterns, deployments and connections (ids included)."""
    patterns = {}
    for summary in client.patterns.list():
        pattern = client.patterns.get(summary.id).to_api()
        pattern.pop("updatedAt", None)
        patterns[summary.id] = pattern
    deployments = {d.pattern_id: (d.status, d.version_number) for d in client.deployments.list()}
    connections = sorted((c.id, c.provider, c.display_name) for c in client.connections.list())
    return {"patterns": patterns, "deployments": deployments, "connections": connections}


def run_cli(
    args: Sequence[str],
    *,
    emu: Emulator | None = None,
    user: SeededUser | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Result:
    """Run `dragops-sync ARGS` in-process; DRAGOPS_URL/TOKEN point at the emulator when given."""
    environment: dict[str, str | None] = dict(_CLEAN_ENV)
    if emu is not None:
        environment["DRAGOPS_URL"] = emu.url
    if user is not None:
        environment["DRAGOPS_TOKEN"] = user.token
    environment.update(env or {})
    runner = CliRunner()
    return runner.invoke(cli, list(args), env=environment, catch_exceptions=False)
