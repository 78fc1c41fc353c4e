"""`dragops-sync export`: write live patterns as pattern files (bootstraps a repository).

Each pattern's export document (`GET /api/patterns/:id/export`) goes to `DIR/patterns/<slug>.json`
(or `.yaml`) in the canonical form of `files.dump_pattern`, so exporting twice gives identical bytes.

* The ownership tags are stripped (they are the sync's bookkeeping, not content).
* The deployment intent is written as it is live: a `sync` block with `deploy: false` for a pattern
  that is not deployed, and its `environmentId` when it has one, so `plan` right after an export of
  managed patterns shows no changes. A `sync` block already in the file being replaced is kept.
* A pattern whose name a file already declares is written to that file (renamed files stay put);
  other names get a slug of the name, collisions resolved deterministically (`-2`, `-3`, ... in order
  of creation, then id).
* Ids of live connections and patterns in `connectionId`/`patternId` node properties are written as
  `${connection:NAME}` / `${pattern:NAME}` references (see `refs`), so the files are portable.
* `dragops-sync.yaml` is never overwritten; when absent a minimal one is written, naming the owner
  when every exported pattern carries the same ownership mark.

Secrets cannot reach the files: export documents carry no credentials (connections are not part of
them) and webhook secrets are not pattern content.
"""

from __future__ import annotations

import fnmatch
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dragops_sync.api import Client
from dragops_sync.directory import PATTERNS_DIR, SETTINGS_FILE, outside_directory
from dragops_sync.files import (
    PATTERN_SUFFIXES,
    PatternFileError,
    dump_pattern,
    load_pattern_file,
    read_document,
)
from dragops_sync.key_registry import is_key_registry
from dragops_sync.live import LiveConnection, LivePattern, LiveState
from dragops_sync.models import Deployment, PatternSummary
from dragops_sync.ownership import ownership_mark, strip_ownership_tags
from dragops_sync.refs import reference_ids
from dragops_sync.variables import reverse

__all__ = ["ExportFormat", "ExportResult", "ExportedFile", "export_patterns", "slugify"]

ExportFormat = Literal["json", "yaml"]

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A file-name slug: ASCII lowercase letters, digits and dashes ("Webhook Logger" -> "webhook-logger")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:80].rstrip("-") or "pattern"


@dataclass(frozen=True)
class ExportedFile:
    """One written file: the pattern's name and id, and the path relative to the directory."""

    name: str
    pattern_id: str
    path: str
    changed: bool


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    directory: Path
    files: tuple[ExportedFile, ...]
    settings_written: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "settingsWritten": self.settings_written,
            "files": [
                {"name": f.name, "patternId": f.pattern_id, "path": f.path, "changed": f.changed}
                for f in self.files
            ],
        }


def _existing_files(patterns_dir: Path) -> dict[str, Path]:
    """Pattern name -> file, for the valid pattern files already in the directory."""
    found: dict[str, Path] = {}
    if not patterns_dir.is_dir():
        return found
    for path in sorted(patterns_dir.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in PATTERN_SUFFIXES or not path.is_file():
            continue
        if outside_directory(patterns_dir.parent, path):
            continue  # never read, nor written through: it leads out of the directory
        try:
            found.setdefault(load_pattern_file(path).name, path)
        except PatternFileError:
            continue  # an invalid file is neither reused nor overwritten
    return found


def _sync_block(
    path: Path | None, deployment: Deployment | None, default_env: str | None, *, deployed: bool | None = None
) -> dict[str, Any] | None:
    """The file's `sync` block: the existing file's, else what the live deployment says (`deployed`,
    when given, says whether it counts as deployed: a restored pattern was undeployed by prune)."""
    if path is not None and path.exists():
        try:
            kept = load_pattern_file(path).sync
        except PatternFileError:
            kept = None
        if kept is not None:
            return kept.model_dump(by_alias=True, exclude_none=True)
    block: dict[str, Any] = {}
    if deployed is None:
        deployed = deployment is not None and deployment.status in ("active", "pending", "paused")
    if not deployed:
        block["deploy"] = False
    elif deployment is not None and deployment.environment_id and deployment.environment_id != default_env:
        block["environmentId"] = deployment.environment_id
    return block or None


def _choose_paths(
    chosen: list[PatternSummary], existing: dict[str, Path], root: Path, fmt: ExportFormat
) -> dict[str, Path]:
    """Pattern id -> target file; deterministic for the same live set."""
    patterns_dir = root / PATTERNS_DIR
    # Every file already there is taken, valid or not: an invalid file is never overwritten.
    taken = {p.name for p in patterns_dir.iterdir()} if patterns_dir.is_dir() else set()
    targets: dict[str, Path] = {}
    ordered = sorted(chosen, key=lambda s: (slugify(s.name), s.created_at is None, s.created_at or 0, s.id))
    claimed_names: set[str] = set()
    for summary in ordered:
        if summary.name in existing and summary.name not in claimed_names:
            targets[summary.id] = existing[summary.name]
            claimed_names.add(summary.name)
            continue
        base, n = slugify(summary.name), 1
        while True:
            candidate = f"{base}.{fmt}" if n == 1 else f"{base}-{n}.{fmt}"
            stem_taken = any(Path(t).stem == Path(candidate).stem for t in taken)
            if not stem_taken:
                break
            n += 1
        taken.add(candidate)
        targets[summary.id] = patterns_dir / candidate
    return targets


def export_patterns(
    client: Client,
    directory: Path,
    *,
    tag: str | None = None,
    name_glob: str | None = None,
    fmt: ExportFormat = "json",
    variables: Mapping[str, str] | None = None,
    restoring: Mapping[str, bool] | None = None,
) -> ExportResult:
    """Write the caller's live patterns (those with `tag`, whose name matches `name_glob`) as files;
    patterns in the recycle bin are left out (prune put them there: their files were removed).

    `variables` (an environment's, `export --env`): a string equal to exactly one variable's value is
    written as its `${var:NAME}` reference (`variables.reverse`), so the file serves every environment
    and `plan --env` after the export is clean. `restoring` (`restore`): only these pattern ids, from
    the bin, each with whether it was deployed when binned (its file then deploys it again)."""
    if fmt not in ("json", "yaml"):
        raise ValueError(f"unknown format {fmt!r} (use json or yaml)")
    root = Path(directory)
    summaries = list(client.patterns.list(tags=[tag] if tag else None))
    chosen = [
        s
        for s in summaries
        if (name_glob is None or fnmatch.fnmatchcase(s.name, name_glob))
        and not is_key_registry(s.tags)  # the sync's own key registry
        and (s.id in restoring if restoring is not None else ownership_mark(s.tags).binned is None)
    ]
    deployments = {d.pattern_id: d for d in client.deployments.list() if d.pattern_id is not None}
    # Ids of live connections and patterns in node properties become `${kind:NAME}` references.
    live = LiveState.of(
        (LivePattern.from_api(s.to_api()) for s in summaries),
        connections=(LiveConnection.from_api(c.to_api()) for c in client.connections.list()),
    )
    settings_path = root / SETTINGS_FILE
    default_env = _default_environment(settings_path)

    patterns_dir = root / PATTERNS_DIR
    existing = _existing_files(patterns_dir)
    targets = _choose_paths(chosen, existing, root, fmt)
    patterns_dir.mkdir(parents=True, exist_ok=True)

    written: list[ExportedFile] = []
    owners: set[str | None] = set()
    for summary in sorted(chosen, key=lambda s: str(targets[s.id])):
        owners.add(ownership_mark(summary.tags).owner)
        target = targets[summary.id]
        document = reference_ids(client.patterns.export(summary.id), live)
        if variables:
            document = reverse(document, variables)
        document["tags"] = strip_ownership_tags(document.get("tags") or [])
        deployed = restoring[summary.id] if restoring is not None else None
        sync = _sync_block(target, deployments.get(summary.id), default_env, deployed=deployed)
        if sync is not None:
            document["sync"] = sync
        suffix = target.suffix.lower()
        text = dump_pattern(document, "yaml" if suffix in (".yaml", ".yml") else "json")
        before = target.read_text(encoding="utf-8") if target.exists() else None
        if before != text:
            target.write_text(text, encoding="utf-8")
        rel = target.relative_to(root).as_posix()
        written.append(ExportedFile(summary.name, summary.id, rel, before != text))

    settings_written = False
    if not settings_path.exists():
        owner = next(iter(owners)) if len(owners) == 1 else None
        settings_path.write_text(_minimal_settings(owner), encoding="utf-8")
        settings_written = True
    return ExportResult(root, tuple(written), settings_written)


def _default_environment(settings_path: Path) -> str | None:
    if not settings_path.exists() or outside_directory(settings_path.parent, settings_path):
        return None
    # The bounded reader: an alias bomb or a huge file in dragops-sync.yaml must not hang export.
    data, _ = read_document(settings_path)
    defaults = data.get("defaults") if isinstance(data, Mapping) else None
    env = defaults.get("environmentId") if isinstance(defaults, Mapping) else None
    return env if isinstance(env, str) else None


def _minimal_settings(owner: str | None) -> str:
    lines = [
        "# dragops-sync settings (all optional; see `dragops-sync schema settings`).",
        "# Written by `dragops-sync export`; never overwritten by it.",
    ]
    if owner:
        lines.append(f"owner: {json.dumps(owner)}")  # a JSON string is a valid YAML scalar
    else:
        # Without a git remote the default is guessed, and prune and adopt refuse it: say so here.
        lines.append("# owner: <team>/<name>   # default: <org>/<repo>:<path> from git origin; without one,")
        lines.append("#                          this folder's name, guessed (prune and adopt need an owner)")
    lines += [
        "defaults:",
        "  deploy: true",
        "  drift: warn",
        "prune:",
        "  enabled: false",
        "  budget: 10",
    ]
    return "\n".join(lines) + "\n"
