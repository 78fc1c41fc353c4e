"""Webhook endpoint management for the endpoint's owner (bearer auth; D12, docs/api-contract.md#webhooks).

* `GET /api/patterns/:id/webhooks` — a pattern's endpoints with their URLs (never their secrets);
* `GET /api/webhooks/:id/secret` — reveal the current signing secret;
* `POST /api/webhooks/:id/rotate-secret` — replace it (the old one stops working at once);
* `PATCH /api/webhooks/:id` `{requireSignature}` — switch the signature check (D29; lets a
  sender that cannot sign our way, such as GitHub with its own header, be pointed at the URL);
  routed here by `_webhooks.api_webhooks`, which shares the path with ingestion by pattern id;
* `GET /api/webhooks/:id/requests` — the request log, page style, newest first.

Another user's endpoint or pattern is answered 404, as if it did not exist (D3). The secret appears
only in the two secret responses.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._http import (
    ApiError,
    Fields,
    base_url,
    current_user,
    envelope,
    load_pattern,
    page_list,
    page_params,
    read_json,
    state,
)
from dragops_emulator._webhook_records import endpoints_of_pattern, public_endpoint, requests_newest_first
from dragops_emulator._webhook_signing import new_webhook_secret

__all__ = ["routes", "update_endpoint"]

_UPDATABLE = frozenset({"requireSignature"})


def _owned_endpoint(request: Request, webhook_id: str) -> dict[str, Any]:
    """The endpoint if the caller owns its pattern; 404 `WEBHOOK_NOT_FOUND` otherwise (D3)."""
    user = current_user(request)
    store = state(request).store
    endpoint = store.get("webhooks", webhook_id)
    # Ownership follows the pattern: the endpoint belongs to whoever owns the pattern it serves.
    if endpoint is None or store.get("patterns", endpoint["patternId"], owner_id=str(user["id"])) is None:
        raise ApiError(404, "WEBHOOK_NOT_FOUND", "Webhook not found")
    return endpoint


async def list_pattern_webhooks(request: Request) -> Response:
    """`GET /api/patterns/:id/webhooks`: the endpoints of one of the caller's patterns."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    base = base_url(request)
    items = [public_endpoint(ep, base) for ep in endpoints_of_pattern(state(request).store, pattern)]
    return envelope(items, timestamp=False)


async def reveal_secret(request: Request) -> Response:
    """`GET /api/webhooks/:id/secret`: the current signing secret, to its owner only."""
    endpoint = _owned_endpoint(request, request.path_params["id"])
    return envelope({"secret": endpoint["secret"]}, timestamp=False)


async def rotate_secret(request: Request) -> Response:
    """`POST /api/webhooks/:id/rotate-secret`: a new secret; requests signed with the old one now fail."""
    endpoint = _owned_endpoint(request, request.path_params["id"])
    endpoint["secret"] = new_webhook_secret()
    endpoint["secretRotatedAt"] = state(request).clock.iso()
    state(request).store.replace("webhooks", endpoint)
    return envelope({"secret": endpoint["secret"]}, timestamp=False)


async def update_endpoint(request: Request) -> Response:
    """`PATCH /api/webhooks/:id` `{requireSignature?: bool}`: the endpoint's settings."""
    endpoint = _owned_endpoint(request, request.path_params["id"])
    fields = Fields(await read_json(request))
    fields.reject_unknown(_UPDATABLE)
    require = fields.optional_bool("requireSignature")
    if require is not None:
        endpoint["requireSignature"] = require
        state(request).store.replace("webhooks", endpoint)
    return envelope(public_endpoint(endpoint, base_url(request)), timestamp=False)


async def list_requests(request: Request) -> Response:
    """`GET /api/webhooks/:id/requests?page&limit`: what the endpoint received, newest first."""
    endpoint = _owned_endpoint(request, request.path_params["id"])
    page, limit = page_params(request)
    records = requests_newest_first(state(request).store, endpoint["id"])
    start = (page - 1) * limit
    return page_list(records[start : start + limit], page=page, limit=limit, total=len(records))


routes: list[Route] = [
    Route("/api/patterns/{id}/webhooks", list_pattern_webhooks, methods=["GET"]),
    Route("/api/webhooks/{id}/secret", reveal_secret, methods=["GET"]),
    Route("/api/webhooks/{id}/rotate-secret", rotate_secret, methods=["POST"]),
    Route("/api/webhooks/{id}/requests", list_requests, methods=["GET"]),
]
