"""The watch daemon's modules: only `dragops_sync.watch` imports watchfiles."""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "dragops_sync.backoff",
    "dragops_sync.daemon",
    "dragops_sync.gitpull",
    "dragops_sync.reconciler",
    "dragops_sync.daemon_http",
    "dragops_sync.tracking",
    "dragops_sync.watch",
]


def test_only_the_watch_module_holds_watchfiles() -> None:
    for module in MODULES:
        importlib.import_module(module)
    importers = [
        name
        for name, mod in sys.modules.items()
        if name.startswith("dragops_sync.") and "watchfiles" in getattr(mod, "__dict__", {})
    ]
    assert importers == ["dragops_sync.watch"]
