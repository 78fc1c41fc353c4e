"""Webhook ingestion: what happens when an HTTP request reaches a webhook URL.

Two public paths (no bearer token; authenticity comes from the HMAC signature), any of the methods
GET/POST/PUT/PATCH/DELETE (two documentation pages disagree; docs/api-contract.md#webhooks):

* `/webhooks/{webhookId}` — the endpoint of one On Webhook node (API page);
* `/api/webhooks/{patternId}` — the pattern's first On Webhook endpoint (Triggers page).

Checks, in this order: unknown endpoint 404 `WEBHOOK_NOT_FOUND`; body over the size limit 413;
signature 401 `INVALID_SIGNATURE` (when the endpoint requires one); body 400 `VALIDATION` (a
non-empty body must be JSON); a repeated idempotency key within 24 h 202 with the original run;
then the deployment decides: not deployed 202 `captured` (the event is kept for editor testing),
paused 202 `paused`, pending 202 `pending` (none of them start a run), active runs the deployed
graph and answers by the trigger node's Response Mode. Every request that found its endpoint is
logged in the endpoint's request log with the status it was answered.

This module also assembles `routes` for the management endpoints of `_webhook_admin`, so the app
imports one list for everything webhook-related.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dragops_emulator import _webhook_admin
from dragops_emulator._deployment_state import current_deployment, deployed_graph
from dragops_emulator._engine import run_pattern
from dragops_emulator._http import ApiError, state
from dragops_emulator._state import EmulatorState
from dragops_emulator._store import Store
from dragops_emulator._webhook_events import (
    INGESTION_METHODS,
    BodyError,
    ResponseMode,
    event_data,
    idempotency_key,
    logged_body,
    logged_headers,
    lowercase_headers,
    parse_body,
    query_object,
    response_mode,
)
from dragops_emulator._webhook_records import (
    append_request,
    capture_event,
    find_duplicate,
    first_endpoint_of_pattern,
    remember_idempotency_key,
)
from dragops_emulator._webhook_signing import SIGNATURE_HEADER, signature_matches

__all__ = ["routes"]


@dataclass
class _Delivery:
    """One received request to a known endpoint, and what has been learnt about it so far."""

    endpoint: dict[str, Any]
    owner_id: str | None
    method: str
    headers: dict[str, str]
    query: dict[str, Any]
    received_at: str
    raw: bytes = b""
    body: Any = None
    body_parsed: bool = False
    signature_valid: bool | None = None
    run_id: str | None = None


async def _ingest(request: Request, find_endpoint: Callable[[Store], dict[str, Any] | None]) -> Response:
    emulator = state(request)
    method = request.method.upper()
    if method not in INGESTION_METHODS:
        # Starlette adds HEAD to every GET route; a webhook URL does not accept it (Triggers page).
        raise ApiError(
            405, "METHOD_NOT_ALLOWED", f"Webhooks accept {', '.join(INGESTION_METHODS)}, not {method}"
        )
    # The body is read before anything is looked up: from here on the handler never yields to the
    # event loop, so no rotation, settings change or repeated delivery can interleave with the checks
    # (which is what makes the idempotency check-then-record safe).
    raw = await request.body()
    endpoint = find_endpoint(emulator.store)
    if endpoint is None:
        raise ApiError(404, "WEBHOOK_NOT_FOUND", "Webhook not found")
    delivery = _Delivery(
        endpoint=endpoint,
        owner_id=emulator.store.owner_of("patterns", endpoint["patternId"]),
        method=method,
        headers=lowercase_headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
        query=query_object(request.query_params.multi_items()),
        received_at=emulator.clock.iso(),
        raw=raw,
    )
    try:
        response = _answer(emulator, delivery)
    except ApiError as exc:
        _log(emulator.store, delivery, exc.status)
        raise
    except Exception:
        # A bug in a later stage: the sender still got an answer (500), so the log shows one.
        _log(emulator.store, delivery, 500)
        raise
    _log(emulator.store, delivery, response.status_code)
    return response


def _answer(emulator: EmulatorState, delivery: _Delivery) -> Response:
    limit = emulator.settings.max_body_bytes
    # Bodies announced with a Content-Length were already refused by the middleware; this catches
    # chunked ones.
    if len(delivery.raw) > limit:
        raise ApiError(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")
    _check_signature(delivery)
    try:
        delivery.body = parse_body(delivery.raw, delivery.headers.get("content-type"))
    except BodyError as exc:
        raise ApiError(400, "VALIDATION", str(exc)) from None
    delivery.body_parsed = True

    endpoint = delivery.endpoint
    key = idempotency_key(delivery.headers)
    if key is not None:
        duplicate = find_duplicate(emulator.store, endpoint["id"], key, now=emulator.clock.now())
        if duplicate is not None:
            delivery.run_id = duplicate["runId"]
            return JSONResponse({"status": "accepted", "runId": duplicate["runId"], "duplicate": True}, 202)

    deployment = current_deployment(emulator.store, endpoint["patternId"], now=emulator.clock.now())
    status = deployment.get("status") if deployment is not None else None
    if deployment is None or status == "undeployed":
        return _capture(emulator, delivery, "Event captured for testing")
    if status == "paused":
        return JSONResponse({"status": "paused", "message": "Deployment is paused; no run was started"}, 202)
    if status == "pending":
        return JSONResponse(
            {"status": "pending", "message": "Deployment is not active yet; no run was started"}, 202
        )

    graph = deployed_graph(emulator.store, deployment)
    trigger = _node(graph, endpoint["nodeId"])
    if trigger is None:
        # The On Webhook node was added after the last deploy: the running version has no such trigger.
        return _capture(
            emulator, delivery, "Event captured for testing: this webhook is not in the deployed version"
        )
    return _run(emulator, delivery, deployment=deployment, graph=graph, trigger=trigger, key=key)


def _check_signature(delivery: _Delivery) -> None:
    endpoint = delivery.endpoint
    header = delivery.headers.get(SIGNATURE_HEADER)
    required = bool(endpoint.get("requireSignature", True))
    if header is None and not required:
        return  # nothing to check and nothing asked for: signatureValid stays null in the log
    delivery.signature_valid = signature_matches(endpoint["secret"], delivery.raw, header)
    if required and not delivery.signature_valid:
        message = "Missing X-Webhook-Signature header" if header is None else "Invalid webhook signature"
        raise ApiError(401, "INVALID_SIGNATURE", message)


def _capture(emulator: EmulatorState, delivery: _Delivery, message: str) -> Response:
    endpoint = delivery.endpoint
    event = {
        "patternId": endpoint["patternId"],
        "webhookId": endpoint["id"],
        "nodeId": endpoint["nodeId"],
        "receivedAt": delivery.received_at,
        "eventData": _event_data(delivery),
    }
    capture_event(emulator.store, event, owner_id=delivery.owner_id)
    return JSONResponse({"status": "captured", "message": message}, 202)


def _run(
    emulator: EmulatorState,
    delivery: _Delivery,
    *,
    deployment: dict[str, Any],
    graph: dict[str, Any],
    trigger: dict[str, Any],
    key: str | None,
) -> Response:
    outcome = run_pattern(
        emulator,
        deployment=deployment,
        pattern_graph=graph,
        triggered_by="webhook",
        event_data=_event_data(delivery),
        trigger_node_id=str(trigger["id"]),
    )
    run_id = str(outcome.run["id"])
    delivery.run_id = run_id
    if key is not None:
        remember_idempotency_key(
            emulator.store,
            delivery.endpoint["id"],
            key,
            run_id,
            owner_id=delivery.owner_id,
            now=emulator.clock.now(),
        )
    mode = response_mode(trigger)
    if mode is ResponseMode.IMMEDIATE:
        return JSONResponse({"status": "accepted", "runId": run_id}, 202)
    if outcome.webhook_response is not None:
        status, headers, body = outcome.webhook_response
        return _custom_response(status, headers, body)
    if mode is ResponseMode.LAST_NODE:
        return JSONResponse({"status": outcome.run.get("status"), "runId": run_id}, 200)
    # Response Node mode and the run ended without reaching a Respond To Webhook node: a real engine
    # would hold the connection until its timeout; the simulated run is already over, so say so now.
    raise ApiError(504, "WEBHOOK_TIMEOUT", "Webhook response timed out: no Respond To Webhook node ran")


# Headers the server computes itself; a Respond To Webhook node cannot set them.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


def _custom_response(status: int, headers: dict[str, Any], body: Any) -> Response:
    """The HTTP response a Respond To Webhook node described (defaults 200 / {} / "")."""
    clean = {str(k): str(v) for k, v in (headers or {}).items() if str(k).lower() not in _HOP_BY_HOP}
    declared = {k.lower() for k in clean}
    if body is None:
        body = ""
    if isinstance(body, str | bytes):
        content = body.encode("utf-8") if isinstance(body, str) else body
        media_type = None if "content-type" in declared else "text/plain; charset=utf-8"
    else:
        content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        media_type = None if "content-type" in declared else "application/json"
    code = status if isinstance(status, int) and 100 <= status <= 599 else 200
    return Response(content=content, status_code=code, headers=clean, media_type=media_type)


def _event_data(delivery: _Delivery) -> dict[str, Any]:
    return event_data(
        method=delivery.method, headers=delivery.headers, query=delivery.query, body=delivery.body
    )


def _node(graph: dict[str, Any], node_id: str) -> dict[str, Any] | None:
    nodes = graph.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and node.get("id") == node_id:
            return node
    return None


def _log(store: Store, delivery: _Delivery, status: int) -> None:
    record = {
        "webhookId": delivery.endpoint["id"],
        "receivedAt": delivery.received_at,
        "method": delivery.method,
        "headers": logged_headers(delivery.headers),
        "query": delivery.query,
        "body": logged_body(delivery.raw, delivery.body, parsed=delivery.body_parsed),
        "status": status,
        "runId": delivery.run_id,
        "signatureValid": delivery.signature_valid,
    }
    append_request(store, record, owner_id=delivery.owner_id)


async def ingest_by_webhook_id(request: Request) -> Response:
    """`/webhooks/{webhookId}`: the endpoint of one On Webhook node."""
    webhook_id = request.path_params["webhookId"]
    return await _ingest(request, lambda store: store.get("webhooks", webhook_id))


async def api_webhooks(request: Request) -> Response:
    """`/api/webhooks/{id}`: ingestion by pattern id, or (PATCH on an endpoint id) the endpoint's settings.

    The two uses share a path shape because the contract gives ingestion by pattern id this URL and
    the endpoint update `PATCH /api/webhooks/:webhookId`. Ids are unique across collections
    (`pat_...` vs `wh_...`), so an id that names an endpoint can only mean the management call.
    """
    target = request.path_params["id"]
    if request.method == "PATCH" and state(request).store.get("webhooks", target) is not None:
        return await _webhook_admin.update_endpoint(request)
    return await _ingest(request, lambda store: first_endpoint_of_pattern(store, target))


_METHODS = list(INGESTION_METHODS)

routes: list[Route] = [
    Route("/webhooks/{webhookId}", ingest_by_webhook_id, methods=_METHODS),
    Route("/api/webhooks/{id}", api_webhooks, methods=_METHODS),
    *_webhook_admin.routes,
]
