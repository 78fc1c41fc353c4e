"""Sync directories on disk: settings, pattern files, other files, a copy of the example repository."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kit.documents import OWNER, webhook_logger
from kit.git import commit, init_repo

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"

# What tests that are not about the request rate put in dragops-sync.yaml: the CLI paces its client
# at the settings' rate (default 10 requests/s, no burst), which would only slow them down.
FAST_RATE = "rate: 1000\n"

# The daemon tests' settings: our owner, and no deploys (so a cycle only writes patterns).
SETTINGS = f"owner: {OWNER}\ndefaults: {{deploy: false}}\n"


def write_pattern(root: Path, filename: str, document: dict[str, Any]) -> Path:
    """Write `document` under root/patterns/ as JSON or YAML by suffix."""
    path = root / "patterns" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    if filename.endswith(".json"):
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def pattern_file(root: Path, slug: str, name: str, message: str = "got it", **sync: Any) -> Path:
    """Write patterns/<slug>.json: a webhook logger named `name` whose Log node says `message`."""
    document = webhook_logger(name, message)
    if sync:
        document["sync"] = sync
    return write_pattern(root, f"{slug}.json", document)


def write_settings(root: Path, text: str) -> Path:
    """Write root/dragops-sync.yaml."""
    path = root / "dragops-sync.yaml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_file(repo: Path, relative: str, content: str | Mapping[str, Any]) -> Path:
    """Write a file under `repo`: text as is, a mapping as indented JSON."""
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def sync_repo(root: Path, names: dict[str, str], settings: str = SETTINGS) -> Path:
    """A committed sync directory: `dragops-sync.yaml` and one pattern file per slug -> name."""
    init_repo(root)
    write_settings(root, settings)
    for slug, name in names.items():
        pattern_file(root, slug, name)
    commit(root, "initial patterns")
    return root


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
