"""Deployment routes (docs/api-contract.md#deployments; D9, D10, D11): deploy, undeploy, status, list, pause,
resume and manual execution of a pattern's deployment.

One deployment document per pattern (`deployments`, parent = pattern id), kept after undeploy with
status `undeployed`, so a redeploy keeps the deployment id. Every successful deploy increments the
pattern's `versionNumber` (never its `updatedAt`) and stores a snapshot `{versionNumber, createdAt,
graphData}` in `versions`; runs execute the snapshot, not later edits. Another user's pattern or
deployment is "not found" (D3).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._clock import format_iso
from dragops_emulator._deployment_state import (
    current_deployment,
    deployed_graph,
    public_deployment,
    refresh_deployment,
)
from dragops_emulator._engine import run_pattern
from dragops_emulator._graph import find_triggers, validate_graph
from dragops_emulator._http import (
    ApiError,
    Fields,
    current_user,
    envelope,
    load_owned,
    load_pattern,
    new_id,
    page_list,
    page_params,
    query_choice,
    read_json,
    read_optional_json,
    state,
)
from dragops_emulator._schedules import fire_due_schedules
from dragops_emulator._state import EmulatorState
from dragops_emulator._store import Store

__all__ = ["DEPLOYMENT_STATUSES", "current_deployment", "load_deployment", "routes"]

DEPLOYMENT_STATUSES: tuple[str, ...] = ("pending", "active", "paused", "undeployed")


def load_deployment(request: Request, user: dict[str, Any]) -> dict[str, Any]:
    """The caller's deployment named by the `{id}` path parameter, brought up to date (pending ->
    active, due schedule ticks run); 404 DEPLOYMENT_NOT_FOUND when it is not theirs."""
    deployment = load_owned(
        request,
        "deployments",
        request.path_params["id"],
        user,
        code="DEPLOYMENT_NOT_FOUND",
        label="Deployment",
    )
    emulator = state(request)
    deployment = refresh_deployment(emulator.store, deployment, now=emulator.clock.now())
    return fire_due_schedules(emulator, deployment)


def _pattern_name(store: Store, deployment: dict[str, Any]) -> str | None:
    # Read at answer time: a renamed pattern shows its new name in its deployment.
    pattern = store.get("patterns", str(deployment["patternId"]))
    return str(pattern["name"]) if pattern is not None else deployment.get("patternName")


def _last_run(store: Store, deployment_id: str) -> dict[str, Any] | None:
    runs = store.list("runs", parent_id=deployment_id)
    if not runs:
        return None
    last = max(enumerate(runs), key=lambda pair: (pair[1]["startedAt"], pair[0]))[1]
    return {"id": last["id"], "status": last["status"], "startedAt": last["startedAt"]}


async def deploy(request: Request) -> Response:
    """Validate the graph, snapshot it as the next version and (re)activate the deployment (201)."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    body = await read_json(request)
    fields = Fields(body)
    if body.get("nodeDefinitions") is None:
        raise ApiError(400, "VALIDATION", "nodeDefinitions is required")
    node_definitions = fields.optional_object("nodeDefinitions") or {}
    environment_id = fields.optional_str("environmentId")

    raw_graph = pattern.get("graphData")
    graph: dict[str, Any] = raw_graph if isinstance(raw_graph, dict) else {}
    details = validate_graph(graph, node_definitions)
    if details:
        count = f"{len(details)} problem{'s' if len(details) != 1 else ''}"
        raise ApiError(
            422, "TRANSPILATION_FAILED", f"The pattern graph cannot be deployed: {count}", details=details
        )

    deployment = _record_deploy(state(request), pattern["id"], graph, str(user["id"]), environment_id)
    data = {
        "deploymentId": deployment["id"],
        "status": deployment["status"],
        "versionNumber": deployment["versionNumber"],
        "triggers": deployment["triggers"],
    }
    return envelope(data, 201, timestamp=False)


def _record_deploy(
    emulator: EmulatorState, pattern_id: str, graph: dict[str, Any], owner_id: str, environment_id: str | None
) -> dict[str, Any]:
    """Store a validated deploy: the next version snapshot and the (re)activated deployment document."""
    now = emulator.clock.now()
    now_iso = format_iso(now)
    delay = emulator.settings.activation_delay_seconds
    triggers = find_triggers(graph)
    with emulator.store.transaction() as store:
        # Read under the lock, so two concurrent deploys get distinct version numbers.
        pattern = store.get("patterns", pattern_id)
        if pattern is None:  # deleted while this request was being validated
            raise ApiError(404, "PATTERN_NOT_FOUND", "Pattern not found")
        version_number = int(pattern.get("versionNumber") or 0) + 1
        pattern["versionNumber"] = version_number  # a deploy does not touch updatedAt (D28)
        store.replace("patterns", pattern)
        store.insert(
            "versions",
            {
                "id": new_id("ver"),
                "patternId": pattern_id,
                "versionNumber": version_number,
                "createdAt": now_iso,
                "graphData": graph,
            },
            owner_id=owner_id,
            parent_id=pattern_id,
        )
        deployment = current_deployment(store, pattern_id, now=now)
        if deployment is not None:
            # Ticks due under the old version run with it; the new version starts its own schedule.
            deployment = fire_due_schedules(emulator, deployment)
            deployment.pop("scheduleCursor", None)
        else:
            deployment = {"id": new_id("dep"), "patternId": pattern_id, "createdAt": now_iso}
            store.insert("deployments", deployment, owner_id=owner_id, parent_id=pattern_id)
        deployment.pop("activatesAt", None)
        deployment.update(
            {
                "patternName": pattern["name"],
                "versionNumber": version_number,
                "environmentId": environment_id,
                "triggers": triggers,
                "updatedAt": now_iso,
            }
        )
        if delay > 0:
            deployment.update(status="pending", confirmedAt=None)
            deployment["activatesAt"] = format_iso(now + timedelta(seconds=delay))
        else:
            deployment.update(status="active", confirmedAt=now_iso)
        store.replace("deployments", deployment)
    return deployment


async def undeploy(request: Request) -> Response:
    """Stop the pattern's triggers; history and graph stay (idempotent 200)."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    emulator = state(request)
    with emulator.store.transaction() as store:
        deployment = current_deployment(store, pattern["id"], now=emulator.clock.now())
        if deployment is not None and deployment["status"] != "undeployed":
            deployment = fire_due_schedules(emulator, deployment)
            deployment.pop("activatesAt", None)
            deployment.update(status="undeployed", updatedAt=emulator.clock.iso())
            store.replace("deployments", deployment)
    return envelope({"status": "undeployed"}, timestamp=False)


async def pattern_deployment(request: Request) -> Response:
    """The current deployment of a pattern; 404 DEPLOYMENT_NOT_FOUND when it was never deployed (D10)."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    emulator = state(request)
    deployment = current_deployment(emulator.store, pattern["id"], now=emulator.clock.now())
    if deployment is None:
        raise ApiError(404, "DEPLOYMENT_NOT_FOUND", "Pattern has never been deployed")
    deployment = fire_due_schedules(emulator, deployment)
    return envelope(public_deployment(deployment, pattern_name=pattern["name"]), timestamp=False)


async def list_deployments(request: Request) -> Response:
    """The caller's deployments, most recently changed first (page style; filters status, patternId)."""
    user = current_user(request)
    page, limit = page_params(request)
    status = query_choice(request, "status", DEPLOYMENT_STATUSES)
    pattern_id = request.query_params.get("patternId")
    emulator = state(request)
    now = emulator.clock.now()
    items = []
    for stored in emulator.store.list("deployments", owner_id=str(user["id"])):
        deployment = fire_due_schedules(emulator, refresh_deployment(emulator.store, stored, now=now))
        if status is not None and deployment["status"] != status:
            continue
        if pattern_id is not None and deployment["patternId"] != pattern_id:
            continue
        items.append(deployment)
    items.sort(key=lambda doc: (doc["updatedAt"], doc["id"]), reverse=True)
    chosen = items[(page - 1) * limit : page * limit]
    data = [
        {
            **public_deployment(doc, pattern_name=_pattern_name(emulator.store, doc)),
            "lastRun": _last_run(emulator.store, doc["id"]),
        }
        for doc in chosen
    ]
    return page_list(data, page=page, limit=limit, total=len(items))


async def get_deployment(request: Request) -> Response:
    """One deployment by id, with its last run."""
    user = current_user(request)
    deployment = load_deployment(request, user)
    store = state(request).store
    data = {
        **public_deployment(deployment, pattern_name=_pattern_name(store, deployment)),
        "lastRun": _last_run(store, deployment["id"]),
    }
    return envelope(data, timestamp=False)


def _not_active(deployment: dict[str, Any], action: str) -> ApiError:
    return ApiError(
        409, "DEPLOYMENT_NOT_ACTIVE", f"Cannot {action} a deployment that is {deployment['status']}"
    )


async def pause(request: Request) -> Response:
    """Pause an active deployment: triggers stay registered but start no runs (200; idempotent)."""
    return _switch(request, "pause", to="paused")


async def resume(request: Request) -> Response:
    """Resume a paused deployment (200; idempotent on an active one)."""
    # Ticks that fell due while paused are skipped: the schedule starts again from now.
    return _switch(request, "resume", to="active", restart_schedule=True)


def _switch(request: Request, action: str, *, to: str, restart_schedule: bool = False) -> Response:
    """Move an active or paused deployment to status `to`; one already there is left as it is."""
    user = current_user(request)
    emulator = state(request)
    with emulator.store.transaction() as store:
        deployment = load_deployment(request, user)
        if deployment["status"] not in ("active", "paused"):
            raise _not_active(deployment, action)
        if deployment["status"] != to:
            now_iso = emulator.clock.iso()
            deployment.update(status=to, updatedAt=now_iso)
            if restart_schedule:
                deployment["scheduleCursor"] = now_iso
            store.replace("deployments", deployment)
    return envelope({"status": deployment["status"]}, timestamp=False)


async def execute(request: Request) -> Response:
    """Run the deployed version now with the body as event data (`triggeredBy: manual`), 202."""
    user = current_user(request)
    event = await read_optional_json(request)
    deployment = load_deployment(request, user)
    if deployment["status"] != "active":
        raise _not_active(deployment, "execute")
    emulator = state(request)
    outcome = run_pattern(
        emulator,
        deployment=deployment,
        pattern_graph=deployed_graph(emulator.store, deployment),
        triggered_by="manual",
        event_data=event,
    )
    return envelope({"runId": outcome.run["id"], "status": outcome.run["status"]}, 202, timestamp=False)


routes: list[Route] = [
    Route("/api/patterns/{id}/deploy", deploy, methods=["POST"]),
    Route("/api/patterns/{id}/deploy", undeploy, methods=["DELETE"]),
    Route("/api/patterns/{id}/deployment", pattern_deployment, methods=["GET"]),
    Route("/api/deployments", list_deployments, methods=["GET"]),
    Route("/api/deployments/{id}", get_deployment, methods=["GET"]),
    Route("/api/deployments/{id}/pause", pause, methods=["POST"]),
    Route("/api/deployments/{id}/resume", resume, methods=["POST"]),
    Route("/api/deployments/{id}/execute", execute, methods=["POST"]),
]
