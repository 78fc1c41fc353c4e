"""The live state: what the caller found on the DRAGOPS instance, as plain data for the planner.

The planner never talks to the server; whoever calls it (apply, the daemon, status) gathers this data
with the client and hands it over. `LivePattern.document` is the full pattern (`GET /api/patterns/:id`)
and is needed only for patterns whose name the directory declares: a warm daemon fills it from its
cache when the list's `updatedAt` is unchanged, so a no-op reconcile costs no per-pattern GET.

`from_api` constructors accept the camelCase dicts the API returns (or pydantic models dumped by
alias). Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dragops_sync.models import DEPLOYED_STATUSES
from dragops_sync.ownership import OwnershipMark, ownership_mark

__all__ = ["DEPLOYED_STATUSES", "LiveConnection", "LiveDeployment", "LivePattern", "LiveState"]


@dataclass(frozen=True)
class LivePattern:
    """A live pattern: the list summary, plus the full document when it was fetched."""

    id: str
    name: str
    tags: tuple[str, ...] = ()
    updated_at: str | None = None
    document: Mapping[str, Any] | None = None

    @cached_property
    def mark(self) -> OwnershipMark:
        # Read several times per pattern by every plan; `tags` never changes (frozen).
        return ownership_mark(self.tags)

    @property
    def version_number(self) -> int | None:
        value = self.document.get("versionNumber") if self.document is not None else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @classmethod
    def from_api(cls, summary: Mapping[str, Any], document: Mapping[str, Any] | None = None) -> LivePattern:
        """From a list item (and optionally the full pattern); the full pattern alone also works."""
        source = document if document is not None else summary
        tags = source.get("tags") or summary.get("tags") or ()
        return cls(
            id=str(summary.get("id") or source.get("id")),
            name=str(source.get("name") or summary.get("name") or ""),
            tags=tuple(t for t in tags if isinstance(t, str)),
            updated_at=source.get("updatedAt") or summary.get("updatedAt"),
            document=document if document is not None else (summary if "graphData" in summary else None),
        )


@dataclass(frozen=True)
class LiveDeployment:
    """The deployment of one pattern (`GET /api/patterns/:id/deployment`).

    `graph_data` is the deployed version's graph when the caller fetched it (the versions endpoint);
    without it, staleness is judged from version numbers only.
    """

    pattern_id: str
    status: str
    deployment_id: str | None = None
    version_number: int | None = None
    environment_id: str | None = None
    graph_data: Mapping[str, Any] | None = None

    @property
    def deployed(self) -> bool:
        return self.status in DEPLOYED_STATUSES

    @classmethod
    def from_api(
        cls, pattern_id: str, data: Mapping[str, Any], graph_data: Mapping[str, Any] | None = None
    ) -> LiveDeployment:
        version = data.get("versionNumber")
        return cls(
            pattern_id=pattern_id,
            status=str(data.get("status") or "undeployed"),
            deployment_id=data.get("deploymentId") or data.get("id"),
            version_number=version if isinstance(version, int) and not isinstance(version, bool) else None,
            environment_id=data.get("environmentId"),
            graph_data=graph_data,
        )


@dataclass(frozen=True)
class LiveConnection:
    """A live connection (no secret: the API never returns keys)."""

    id: str
    provider: str
    display_name: str
    type: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> LiveConnection:
        return cls(
            id=str(data.get("id")),
            provider=str(data.get("provider") or ""),
            display_name=str(data.get("displayName") or ""),
            type=data.get("type"),
        )


@dataclass(frozen=True)
class LiveState:
    """Everything the planner needs to know about the instance."""

    patterns: tuple[LivePattern, ...] = ()
    deployments: Mapping[str, LiveDeployment] = field(default_factory=dict)
    connections: tuple[LiveConnection, ...] = ()

    @classmethod
    def of(
        cls,
        patterns: Iterable[LivePattern] = (),
        deployments: Iterable[LiveDeployment] = (),
        connections: Iterable[LiveConnection] = (),
    ) -> LiveState:
        """Build from iterables; deployments are keyed by their pattern id."""
        return cls(
            patterns=tuple(patterns),
            deployments={d.pattern_id: d for d in deployments},
            connections=tuple(connections),
        )
