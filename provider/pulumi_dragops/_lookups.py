"""Plain lookup functions for Pulumi programs: read DRAGOPS objects the program does not manage.

They run in the program process (not in the provider host) with the credentials of the stack config
(`dragops:*`) or the DRAGOPS_* environment variables, and return plain values, so a program can branch
on them (`if "OnWebhook" in get_node_definitions(): ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dragops_sync.api import DragopsError
from dragops_sync.essence import essence, essence_hash

from ._common import DragopsProviderError, text
from ._config import credentials_from_program


@dataclass(frozen=True)
class PatternInfo:
    """A live pattern, as `get_pattern` found it."""

    id: str
    name: str
    description: str
    tags: list[str]
    is_public: bool
    is_template: bool
    graph: dict[str, Any]
    version_number: int
    created_at: str | None
    updated_at: str | None
    content_hash: str


def get_pattern(*, name: str) -> PatternInfo:
    """The pattern called exactly `name`; raises `DragopsProviderError` when none or several exist."""
    if not isinstance(name, str) or not name.strip():
        raise DragopsProviderError("get_pattern(name=...) needs a non-empty pattern name")
    try:
        with credentials_from_program().open_client() as client:
            ids = [p.id for p in client.patterns.find_by_name(name)]
            if not ids:
                raise DragopsProviderError(f"no pattern named {name!r} exists")
            if len(ids) > 1:
                raise DragopsProviderError(
                    f"{len(ids)} patterns are named {name!r} ({', '.join(ids)}); a lookup needs exactly one"
                )
            live = client.patterns.get(ids[0]).to_api()
    except DragopsError as exc:
        raise DragopsProviderError(f"looking up pattern {name!r} failed: {exc}") from exc
    return PatternInfo(
        id=live["id"],
        name=live["name"],
        description=live.get("description") or "",
        tags=list(live.get("tags") or []),
        is_public=bool(live.get("isPublic")),
        is_template=bool(live.get("isTemplate")),
        graph=live.get("graphData") or {"nodes": [], "edges": []},
        version_number=int(live.get("versionNumber") or 0),
        created_at=text(live.get("createdAt")),
        updated_at=text(live.get("updatedAt")),
        content_hash=essence_hash(essence(live)),
    )


def get_node_definitions() -> dict[str, dict[str, Any]]:
    """The instance's node library, keyed by node type id (`"OnWebhook"`, `"Log"`, ...), as API dicts."""
    try:
        with credentials_from_program().open_client() as client:
            return {node.id: node.to_api() for node in client.nodes.list()}
    except DragopsError as exc:
        raise DragopsProviderError(f"listing the node definitions failed: {exc}") from exc
