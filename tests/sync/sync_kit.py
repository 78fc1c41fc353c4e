"""Transitional: the sync core tests' helpers now live in the `kit` package; this module re-exports
them until the imports of tests/sync are rewritten (see the kit package's docstring)."""

from __future__ import annotations

from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.live import active, applied_of, live_pattern
from kit.sync_dirs import write_pattern, write_settings

__all__ = [
    "OWNER",
    "active",
    "applied_of",
    "live_pattern",
    "scheduled_report",
    "webhook_logger",
    "write_pattern",
    "write_settings",
]
