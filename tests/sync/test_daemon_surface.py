"""The watch daemon's modules: each says what it is for, exports a sorted `__all__` of names it defines,
and only `dragops_sync.watch` imports watchfiles."""

from __future__ import annotations

import importlib
import sys

import pytest

MODULES = [
    "dragops_sync.backoff",
    "dragops_sync.daemon",
    "dragops_sync.gitpull",
    "dragops_sync.reconciler",
    "dragops_sync.daemon_http",
    "dragops_sync.tracking",
    "dragops_sync.watch",
]


@pytest.mark.parametrize("module", MODULES)
def test_each_daemon_module_documents_itself_and_exports_a_sorted_all(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__doc__ and len(mod.__doc__.strip()) > 80
    assert mod.__all__ == sorted(mod.__all__, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(mod, name) for name in mod.__all__)


def test_only_the_watch_module_holds_watchfiles() -> None:
    for module in MODULES:
        importlib.import_module(module)
    importers = [
        name
        for name, mod in sys.modules.items()
        if name.startswith("dragops_sync.") and "watchfiles" in getattr(mod, "__dict__", {})
    ]
    assert importers == ["dragops_sync.watch"]
