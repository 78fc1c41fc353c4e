"""The core install (what the container gets): `pip install` of the Dockerfile's build context, no extras.

In a throwaway venv (the machine's pip cache and configured index make it a matter of a minute):
the Pulumi SDK and the emulator's web stack are absent, `dragops-sync validate` works, and each way
into a missing extra stops with one line that names it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops-repo"

pytestmark = pytest.mark.timeout(900)


@dataclass(frozen=True)
class CoreVenv:
    """A venv holding only the core distribution, and a clean environment to run its commands in."""

    bin: Path
    env: dict[str, str]
    cwd: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=300, check=False
        )


def _pip_works() -> bool:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "--version"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _build_context(target: Path) -> Path:
    """What `docker build` sends for the build stage: the sources of the Dockerfile's COPYs."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    for line in text.splitlines():
        words = line.split()
        if words[:1] != ["COPY"] or words[1].startswith("--from="):
            continue
        for source in words[1:-1]:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, target / source, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                (target / source).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / source)
    return target


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreVenv]:
    if not _pip_works():
        pytest.skip("pip is not available to this interpreter")
    root = tmp_path_factory.mktemp("core-install")
    context = _build_context(root / "context")
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DRAGOPS_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    work = root / "work"
    work.mkdir()
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(context)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    yield CoreVenv(bin=bin_dir, env=env, cwd=work)


def test_the_core_brings_neither_pulumi_nor_the_emulators_web_stack(core: CoreVenv) -> None:
    listed = core.run(str(core.bin / "python"), "-m", "pip", "list", "--format=freeze")
    assert listed.returncode == 0, listed.stderr
    installed = {line.split("==")[0].lower() for line in listed.stdout.splitlines()}
    assert "dragops-iac" in installed and "httpx" in installed
    assert installed.isdisjoint({"pulumi", "starlette", "uvicorn", "pyjwt", "grpcio"})


def test_validate_works_without_the_extras(core: CoreVenv) -> None:
    result = core.run(str(core.bin / "dragops-sync"), "validate", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_says_which_extra_is_missing(core: CoreVenv) -> None:
    directory = shutil.copytree(
        EXAMPLE, core.cwd / "gitops-repo", ignore=shutil.ignore_patterns(".dragops-local")
    )
    result = core.run(str(core.bin / "dragops-sync"), "plan", "--local", str(directory))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    assert 'pip install "dragops-iac[emulator]"' in result.stderr
    assert not (directory / ".dragops-local").exists()  # stopped before anything was written


def test_the_emulator_command_says_which_extra_is_missing(core: CoreVenv) -> None:
    result = core.run(str(core.bin / "dragops-emulator"), "--port", "0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("dragops-emulator: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert 'pip install "dragops-iac[emulator]"' in result.stderr
    assert core.run(str(core.bin / "dragops-emulator"), "--version").returncode == 0


def test_importing_the_provider_says_which_extra_is_missing(core: CoreVenv) -> None:
    result = core.run(str(core.bin / "python"), "-c", "import pulumi_dragops")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: ")
    assert 'pip install "dragops-iac[pulumi]"' in last
