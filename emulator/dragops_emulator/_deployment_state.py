"""Deployment documents: the current deployment of a pattern, its lazy activation, its public form.

Shared by the deployment routes, the engine (Call Pattern) and webhook ingestion. A deployment made
while the emulator has an activation delay (D9) is stored `pending` with `activatesAt`; whoever reads
it after that moment (by the emulator's shifted clock) finds it `active` with `confirmedAt` set. The
transition is written back, so every reader sees the same status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dragops_emulator._clock import format_iso, parse_iso
from dragops_emulator._http import current_clock
from dragops_emulator._store import Store

__all__ = ["current_deployment", "deployed_graph", "public_deployment", "refresh_deployment"]

# Kept in the stored document, left out of every response.
_INTERNAL_KEYS = frozenset({"activatesAt", "ownerId", "scheduleCursor"})


def _now() -> datetime:
    # The request's emulator clock (set by the app's middleware), so callers that only hold a store
    # (webhook ingestion) see the same activation moment as the deployment routes.
    clock = current_clock.get()
    return clock.now() if clock is not None else datetime.now(UTC)


def refresh_deployment(
    store: Store, deployment: dict[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Apply a due pending -> active transition to `deployment` (and the store); returns it."""
    if deployment.get("status") != "pending" or not deployment.get("activatesAt"):
        return deployment
    moment = now or _now()
    activates_at = parse_iso(str(deployment["activatesAt"]))
    if moment < activates_at:
        return deployment
    deployment["status"] = "active"
    deployment["confirmedAt"] = format_iso(activates_at)
    deployment["updatedAt"] = deployment["confirmedAt"]
    deployment.pop("activatesAt", None)
    store.replace("deployments", deployment)
    return deployment


def current_deployment(
    store: Store, pattern_id: str, *, now: datetime | None = None
) -> dict[str, Any] | None:
    """The pattern's deployment (kept after undeploy as `undeployed`); None if never deployed."""
    docs = store.list("deployments", parent_id=pattern_id)
    if not docs:
        return None
    return refresh_deployment(store, docs[-1], now=now)


def deployed_graph(store: Store, deployment: dict[str, Any]) -> dict[str, Any]:
    """The graph of the deployed version (its snapshot), not the pattern's current, possibly edited, one."""
    for version in store.list("versions", parent_id=str(deployment["patternId"])):
        if version.get("versionNumber") == deployment.get("versionNumber"):
            graph = version.get("graphData")
            return graph if isinstance(graph, dict) else {}
    return {}


def public_deployment(deployment: dict[str, Any], *, pattern_name: str | None = None) -> dict[str, Any]:
    """The deployment as responses show it: `id` and `deploymentId` both, internal keys removed."""
    doc = {key: value for key, value in deployment.items() if key not in _INTERNAL_KEYS}
    doc["deploymentId"] = deployment["id"]
    if pattern_name is not None:
        doc["patternName"] = pattern_name
    return doc
