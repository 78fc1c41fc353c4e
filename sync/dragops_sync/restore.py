"""`dragops-sync restore DIR NAME`: a pattern from the recycle bin, back as a file.

Its file is written into `DIR/patterns/` exactly as `export` writes one (deploying again when it was
deployed before prune undeployed it) and its bin tag is taken off, so the pattern is this directory's
again with its id, versions, run history and webhook ids; committing the file makes the next apply
deploy it. The caller finds the pattern (a `binned` item of a plan of DIR, so the owner is the plan's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dragops_sync.api import Client
from dragops_sync.export import ExportFormat, export_patterns
from dragops_sync.ownership import BINNED_TAG_PREFIX, ownership_mark
from dragops_sync.recycle_bin import read_bin

__all__ = ["Restored", "restore_from_bin"]


@dataclass(frozen=True)
class Restored:
    """What restore did: the file written (relative to DIR) and whether that file deploys it."""

    name: str
    pattern_id: str
    file: str
    deploys: bool


def restore_from_bin(
    client: Client,
    directory: Path,
    pattern_id: str,
    *,
    fmt: ExportFormat = "json",
    variables: Mapping[str, str] | None = None,
) -> Restored:
    """Write the binned pattern `pattern_id` into `directory` and take it out of the bin."""
    pattern = client.patterns.get(pattern_id)
    mark = read_bin(ownership_mark(pattern.tags).binned)
    deploys = mark is not None and mark.deployed
    result = export_patterns(client, directory, fmt=fmt, variables=variables, restoring={pattern_id: deploys})
    (written,) = result.files
    # The file first, then the tag: a failure between them leaves the pattern in the bin, with its file.
    kept = [t for t in pattern.tags if not str(t).startswith(BINNED_TAG_PREFIX)]
    client.patterns.update(pattern_id, tags=kept)
    return Restored(pattern.name, pattern_id, written.path, deploys)
