"""The live side: live models as the API returns them (for planner tests), and what an emulator holds
as read through the project's client."""

from __future__ import annotations

import copy
from typing import Any

from dragops_sync.api import Client
from dragops_sync.essence import essence, short_hash
from dragops_sync.key_registry import is_key_registry
from dragops_sync.live import LiveDeployment, LivePattern
from dragops_sync.ownership import APPLIED_TAG_PREFIX, OWNER_TAG_PREFIX, ownership_mark
from kit.documents import OWNER


def applied_of(document: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """The applied mark the sync records for `document`."""
    return short_hash(essence(document, ignore=ignore))


def live_pattern(
    document: dict[str, Any],
    *,
    pattern_id: str = "pat_1",
    owner: str | None = OWNER,
    applied: str | None = "same",
    version: int = 1,
) -> LivePattern:
    """A live pattern as the API returns it, carrying an ownership mark.

    `applied="same"` records the hash of `document` itself (the state right after an apply).
    """
    doc = copy.deepcopy(document)
    doc.pop("formatVersion", None)
    tags = list(doc.get("tags", []))
    if owner is not None:
        tags.append(f"{OWNER_TAG_PREFIX}{owner}")
    if applied is not None:
        tags.append(f"{APPLIED_TAG_PREFIX}{applied_of(document) if applied == 'same' else applied}")
    doc.update(
        id=pattern_id,
        tags=tags,
        isPublic=False,
        isTemplate=False,
        versionNumber=version,
        createdAt="2026-02-20T10:00:00.000Z",
        updatedAt="2026-03-01T14:30:00.000Z",
    )
    return LivePattern.from_api(doc, doc)


def active(pattern_id: str = "pat_1", version: int = 1, **kw: Any) -> LiveDeployment:
    """An active live deployment of `pattern_id` at `version`."""
    return LiveDeployment(
        pattern_id=pattern_id, status="active", deployment_id="dep_1", version_number=version, **kw
    )


def live_snapshot(client: Client) -> dict[str, Any]:
    """Everything a user could see: full patterns, deployments and connections (ids included)."""
    patterns = {}
    for summary in client.patterns.list():
        pattern = client.patterns.get(summary.id).to_api()
        pattern.pop("updatedAt", None)
        patterns[summary.id] = pattern
    deployments = {d.pattern_id: (d.status, d.version_number) for d in client.deployments.list()}
    connections = sorted((c.id, c.provider, c.display_name) for c in client.connections.list())
    return {"patterns": patterns, "deployments": deployments, "connections": connections}


def live_message(client: Client, name: str) -> str | None:
    """The Log message of the live pattern `name`, or None when there is no such pattern."""
    for summary in client.patterns.list(search=name):
        if summary.name == name:
            graph = client.patterns.get(summary.id).graph_data
            for node in graph.get("nodes", []):
                if node.get("type") == "Log":
                    return str(node["data"]["pinDefaults"]["message"])
    return None


def live_names(client: Client) -> set[str]:
    """The names of every live pattern."""
    return {p.name for p in client.patterns.list()}


def user_patterns(client: Client) -> list[Any]:
    """The live pattern summaries a user made or the sync applied, without the sync's key registry."""
    return [s for s in client.patterns.list() if not is_key_registry(s.tags)]


def unbinned_names(client: Client) -> list[str]:
    """The sorted names of the user's live patterns outside the recycle bin (prune bins, not deletes)."""
    return sorted(s.name for s in user_patterns(client) if ownership_mark(s.tags).binned is None)
