"""Every public module's `__all__` is exact: each listed name exists, and each public name the module
defines (or, for a package, re-exports from its own submodules) is listed.

As httpx's tests/test_exported_members.py does: a name added without updating `__all__` (or a stale
entry left behind) fails here, so `from package import *` and the documented surface stay in step.
"""

from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest

import dragops_sync


def _public_sync_modules() -> list[str]:
    """The modules of dragops_sync whose names do not start with `_` and that declare `__all__`."""
    names = []
    for info in pkgutil.iter_modules(dragops_sync.__path__, "dragops_sync."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.ispkg:
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            names.append(info.name)
    return names


MODULES = ["dragops_sync.api", "pulumi_dragops", "dragops_emulator", *_public_sync_modules()]


def _defined_names(module: ModuleType) -> set[str]:
    """The public names bound at the top level of the module's source: its functions, classes and
    assignments, and (in a package's `__init__`) what it imports from the package's own modules.

    A module's logger and its type variables are plumbing, not members, whatever their names.
    """
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    is_package = Path(module.__file__).name == "__init__.py"
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.ImportFrom) and is_package:
            own = statement.level > 0 or (statement.module or "").startswith(module.__name__ + ".")
            if own:
                names.update(alias.asname or alias.name for alias in statement.names)
    return {
        name
        for name in names
        if not name.startswith("_") and not isinstance(getattr(module, name), logging.Logger | TypeVar)
    }


def test_the_public_modules_are_found() -> None:
    # Guards the discovery above: an empty or short list would make the checks below vacuous.
    assert {"dragops_sync.plan", "dragops_sync.spec", "dragops_sync.operations"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    missing = [member for member in module.__all__ if not hasattr(module, member)]
    assert missing == []
    assert len(module.__all__) == len(set(module.__all__)), "a name is listed twice"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_defined_is_in_all(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(_defined_names(module) - set(module.__all__)) == []
