"""`dragops-sync suspend DIR NAME` / `resume DIR NAME`: set or clear `sync.suspend` in the pattern file
that declares NAME, editing only that key.

A suspended pattern is left alone entirely — no write, no drift revert, no prune — while someone works
on it in the DRAGOPS editor; the plan shows it as `suspended`. The change is an edit of the file like
any other: commit it so every writer (CI, the daemon on another machine) sees it.

YAML files are edited round-trip (`ruamel.yaml`): comments, key order and quoting stay as written.
JSON files are rewritten with two-space indentation, key order kept. Only files under `patterns/` are
read, and a file that does not parse is skipped (`validate` reports it), never rewritten.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from dragops_sync.directory import PATTERNS_DIR, outside_directory
from dragops_sync.errors import DragopsError
from dragops_sync.files import PATTERN_SUFFIXES
from dragops_sync.names import server_name

__all__ = ["SuspendError", "set_suspended"]


class SuspendError(DragopsError):
    """No pattern file of DIR declares that name, or several do."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long strings
    return yaml


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return _yaml().load(text)


def _dump(path: Path, document: Any) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _declaring(root: Path, name: str) -> list[tuple[Path, Any]]:
    folder = root / PATTERNS_DIR
    if not folder.is_dir() or outside_directory(root, folder):
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in PATTERN_SUFFIXES or path.name.startswith(".") or not path.is_file():
            continue
        if outside_directory(root, path):
            continue
        try:
            document = _load(path)
        except (ValueError, YAMLError, OSError, UnicodeDecodeError):
            continue  # not ours to rewrite; validate names what is wrong with it
        declared = document.get("name") if isinstance(document, dict) else None
        if isinstance(declared, str) and server_name(declared) == server_name(name):
            found.append((path, document))
    return found


def set_suspended(root: Path, name: str, suspended: bool) -> tuple[Path, bool]:
    """Set (`suspended`) or clear `sync.suspend` in the file declaring `name`; returns the file and
    whether it changed. Raises `SuspendError` when no file, or more than one, declares it."""
    found = _declaring(Path(root), name)
    if not found:
        raise SuspendError(
            f"no pattern file under {Path(root) / PATTERNS_DIR} declares a pattern named {name!r}"
        )
    if len(found) > 1:
        files = ", ".join(str(path.relative_to(root)) for path, _ in found)
        raise SuspendError(f"several files declare {name!r} ({files}); fix that first (validate says so too)")
    path, document = found[0]
    sync = document.get("sync")
    current = isinstance(sync, dict) and sync.get("suspend") is True
    if current == suspended:
        return path, False
    if suspended:
        if not isinstance(sync, dict):
            document["sync"] = sync = {}
        sync["suspend"] = True
    else:
        assert isinstance(sync, dict)
        del sync["suspend"]
        if not sync:
            del document["sync"]
    _dump(path, document)
    return path, True
