"""A disk copy of the live patterns an observer has read, so a fresh process plans without a GET each.

A CI job is always a fresh process: without this file its plan GETs every declared pattern. With it
(`--cache-dir`, restored by `actions/cache`), a plan of N unchanged patterns costs the list calls only.

What an entry holds, per pattern id: the list's `updatedAt` the document was read at, the deployment it
was read beside (deployment id and version number), and the fields of `GET /api/patterns/:id` the
planner reads (`KEPT_FIELDS`: the pattern's content, its version number and its name and tags). An entry
is used only while both keys still match the lists: `updatedAt` moves on every real change (D28), and a
deploy, which raises the pattern's version without touching `updatedAt`, gives the pattern a new
deployment id, so a cached version number is never trusted after a deploy or a roll back made elsewhere.

It is a cache and safe to lose: a missing, unreadable, corrupt or foreign-format file is ignored (one log
line) and the observer reads the patterns again; a failed write is logged, never raised. Files are
written atomically (a temporary file in the same directory, then a rename), so a job killed mid-write
leaves the old file or the new one. One file per instance URL and owner (a hash of both in its name),
holding only the patterns listed at the last observation, so it never outgrows the instance.

It never holds a secret: pattern content only (the same content the pattern files in git hold). No
token, password, connection key or header reaches it. Pure file I/O; it talks to no server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "KEPT_FIELDS",
    "CachedPattern",
    "DeploymentKey",
    "LiveCache",
    "default_cache_dir",
    "kept",
]

log = logging.getLogger(__name__)

FORMAT = "dragops-sync live cache 1"
# What the planner reads of a full pattern (essence, version, ownership tags, and the creation time
# that decides which of two identical twins is kept); nothing else is kept.
KEPT_FIELDS = (
    "id",
    "name",
    "description",
    "tags",
    "isPublic",
    "isTemplate",
    "graphData",
    "versionNumber",
    "createdAt",
    "updatedAt",
)

# (deployment id, version number) of the pattern's deployment in the list; (None, None) when none.
DeploymentKey = tuple[str | None, int | None]


@dataclass(frozen=True)
class CachedPattern:
    """One pattern as read: valid while the list shows the same `updated_at` and `deployment`."""

    updated_at: str | None
    deployment: DeploymentKey
    document: Mapping[str, Any]


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/dragops-sync`, else `~/.cache/dragops-sync`."""
    source = os.environ if env is None else env
    base = source.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dragops-sync"


def kept(document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a full pattern document the cache keeps."""
    return {key: document[key] for key in KEPT_FIELDS if key in document}


class LiveCache:
    """The cache files of one instance in `directory`; one file per owner."""

    def __init__(self, directory: Path, instance_url: str) -> None:
        self.directory = Path(directory)
        self.instance_url = instance_url.rstrip("/")
        self._warned = False

    def __repr__(self) -> str:
        return f"LiveCache({str(self.directory)!r}, {self.instance_url!r})"

    def path(self, owner: str) -> Path:
        digest = hashlib.sha256(f"{self.instance_url}\n{owner}".encode()).hexdigest()[:24]
        return self.directory / f"live-{digest}.json"

    def _warn(self, message: str, *args: object) -> None:
        # One line per cache, however many observations find the same broken file.
        if not self._warned:
            self._warned = True
            log.warning(message, *args)

    def load(self, owner: str) -> dict[str, CachedPattern]:
        """The entries of `owner`'s file; empty when there is none or it cannot be used."""
        path = self.path(owner)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self._warn("live cache %s ignored: cannot read it (%s)", path, exc.strerror or exc)
            return {}
        try:
            return _parse(json.loads(text), self.instance_url, owner)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self._warn("live cache %s ignored: %s", path, exc)
            return {}

    def save(self, owner: str, entries: Mapping[str, CachedPattern]) -> None:
        """Replace `owner`'s file with `entries`, atomically; a failure is logged, not raised."""
        path = self.path(owner)
        body = {
            "format": FORMAT,
            "instance": self.instance_url,
            "owner": owner,
            "patterns": {
                pid: {
                    "updatedAt": entry.updated_at,
                    "deployment": list(entry.deployment),
                    "document": kept(entry.document),
                }
                for pid, entry in sorted(entries.items())
            },
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".live-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(body, handle, ensure_ascii=False, separators=(",", ":"))
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self._warn("live cache %s not written: %s", path, exc.strerror or exc)


def _parse(body: Any, instance_url: str, owner: str) -> dict[str, CachedPattern]:
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError("not a live cache of this version of dragops-sync")
    if body.get("instance") != instance_url or body.get("owner") != owner:
        raise ValueError("written for another instance or owner")
    entries: dict[str, CachedPattern] = {}
    for pid, item in body["patterns"].items():
        document = item["document"]
        deployment_id, version = item["deployment"]
        stamp = item["updatedAt"]
        if (
            not isinstance(document, dict)
            or not isinstance(stamp, (str, type(None)))
            or not isinstance(deployment_id, (str, type(None)))
            or not (version is None or (isinstance(version, int) and not isinstance(version, bool)))
        ):
            raise ValueError(f"malformed entry for pattern {pid}")
        entries[str(pid)] = CachedPattern(stamp, (deployment_id, version), document)
    return entries
