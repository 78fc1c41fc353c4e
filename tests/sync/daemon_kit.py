"""Transitional: the daemon tests' helpers now live in the `kit` package; this module re-exports them
until the imports of tests/sync are rewritten (see the kit package's docstring)."""

from __future__ import annotations

from kit.git import commit as commit_all
from kit.git import git, init_repo
from kit.live import live_message, live_names
from kit.sync_dirs import SETTINGS, pattern_file, sync_repo
from kit.sync_runs import DaemonThread, running_daemon
from kit.waiting import wait_for

__all__ = [
    "SETTINGS",
    "DaemonThread",
    "commit_all",
    "git",
    "init_repo",
    "live_message",
    "live_names",
    "pattern_file",
    "running_daemon",
    "sync_repo",
    "wait_for",
]
