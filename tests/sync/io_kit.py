"""Transitional: the sync I/O tests' helpers now live in the `kit` package; this module re-exports
them until the imports of tests/sync are rewritten (see the kit package's docstring)."""

from __future__ import annotations

from kit.clients import client_for
from kit.emulator import WRITE_METHODS, writes
from kit.git import commit, git, init_repo
from kit.live import live_snapshot
from kit.sync_dirs import EXAMPLE_REPO, FAST_RATE, copy_example, raise_rate, write_file
from kit.sync_runs import cycle, run_cli

__all__ = [
    "EXAMPLE_REPO",
    "FAST_RATE",
    "WRITE_METHODS",
    "client_for",
    "commit",
    "copy_example",
    "cycle",
    "git",
    "init_repo",
    "live_snapshot",
    "raise_rate",
    "run_cli",
    "write_file",
    "writes",
]
