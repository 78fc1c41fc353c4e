"""Plain lookup functions for Pulumi programs: read DRAGOPS objects the program does not manage.

They run in the program process (not in the provider host) with the credentials of the stack config
(`dragops:*`) or the DRAGOPS_* environment variables, and return plain values, so a program can branch
on them (`if "OnWebhook" in get_node_definitions(): ...`). The `_output` variants take and return
Pulumi `Output`s (e.g. a name computed from another resource), as generated Pulumi SDKs offer; during a
preview they stay unknown while their inputs are. `provider` reads another instance's credentials (the
stack config under a `Provider`'s namespace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from dragops_sync.api import DragopsError
from dragops_sync.essence import essence_hash
from dragops_sync.operations import AmbiguousNameError, find_pattern
from dragops_sync.spec import PatternSpec

from ._common import DragopsProviderError, text
from ._config import NAMESPACE, credentials_from_program
from ._shape import Provider


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


def _namespace(provider: Provider | None) -> str:
    return provider.config_namespace if provider is not None else NAMESPACE


def get_pattern(*, name: str, provider: Provider | None = None) -> PatternInfo:
    """The pattern called exactly `name`; raises `DragopsProviderError` when none or several exist."""
    if not isinstance(name, str) or not name.strip():
        raise DragopsProviderError("get_pattern(name=...) needs a non-empty pattern name")
    try:
        with credentials_from_program(_namespace(provider)).open_client() as client:
            try:
                found = find_pattern(client, name)
            except AmbiguousNameError as exc:
                raise DragopsProviderError(f"{exc}; a lookup needs exactly one") from exc
            if found is None:
                raise DragopsProviderError(f"no pattern named {name!r} exists")
            live = client.patterns.get(found.id).to_api()
    except DragopsError as exc:
        raise DragopsProviderError(f"looking up pattern {name!r} failed: {exc}") from exc
    spec = PatternSpec.from_live(live)
    return PatternInfo(
        id=live["id"],
        name=spec.name,
        description=spec.description,
        tags=list(spec.tags),
        is_public=spec.is_public,
        is_template=spec.is_template,
        graph=dict(spec.graph_data),
        version_number=int(live.get("versionNumber") or 0),
        created_at=text(live.get("createdAt")),
        updated_at=text(live.get("updatedAt")),
        content_hash=essence_hash(spec.essence().value),
    )


def get_node_definitions(*, provider: Provider | None = None) -> dict[str, dict[str, Any]]:
    """The instance's node library, keyed by node type id (`"OnWebhook"`, `"Log"`, ...), as API dicts."""
    try:
        with credentials_from_program(_namespace(provider)).open_client() as client:
            return {node.id: node.to_api() for node in client.nodes.list()}
    except DragopsError as exc:
        raise DragopsProviderError(f"listing the node definitions failed: {exc}") from exc


def get_pattern_output(
    *, name: pulumi.Input[str], provider: Provider | None = None
) -> pulumi.Output[PatternInfo]:
    """`get_pattern` for a name that is an `Output` (or a plain string): an `Output` of the pattern."""
    return pulumi.Output.from_input(name).apply(lambda known: get_pattern(name=known, provider=provider))


def get_node_definitions_output(
    *, provider: Provider | None = None
) -> pulumi.Output[dict[str, dict[str, Any]]]:
    """`get_node_definitions` as an `Output`, to combine with other outputs."""
    return pulumi.Output.from_input(None).apply(lambda _: get_node_definitions(provider=provider))
