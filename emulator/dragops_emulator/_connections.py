"""Connection routes (docs/api-contract.md#connections, D16): list, get, create (API key), update, delete.

The API key is write-only: it is kept only as a salted SHA-256 fingerprint (enough to know that a key
was given and whether an update changed it) and no response, log line or repr ever contains it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._http import (
    ApiError,
    Fields,
    bare,
    current_user,
    load_owned,
    new_id,
    no_content,
    read_json,
    state,
)

__all__ = ["routes"]

_PUBLIC_FIELDS = ("id", "provider", "displayName", "type", "status", "createdAt", "updatedAt")
_NAME_MAX = 200
_KEY_MAX = 10_000


def _fingerprint(api_key: str) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + api_key.encode()).hexdigest()
    return {"salt": salt.hex(), "sha256": digest}


def _same_key(api_key: str, fingerprint: dict[str, str]) -> bool:
    digest = hashlib.sha256(bytes.fromhex(fingerprint["salt"]) + api_key.encode()).hexdigest()
    return hmac.compare_digest(digest, fingerprint["sha256"])


def _public(connection: dict[str, Any]) -> dict[str, Any]:
    return {key: connection[key] for key in _PUBLIC_FIELDS}


def _api_key(fields: Fields, *, required: bool) -> str | None:
    if required and fields.body.get("apiKey") is None:
        raise ApiError(400, "VALIDATION", "apiKey is required")
    # Validation messages name the field but never echo the value.
    value = fields.body.get("apiKey")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "VALIDATION", "apiKey must be a string")
    if not value.strip():
        raise ApiError(400, "VALIDATION", "apiKey must not be empty")
    if len(value) > _KEY_MAX:
        raise ApiError(400, "VALIDATION", f"apiKey must be at most {_KEY_MAX} characters")
    return value


def _display_name(fields: Fields) -> str | None:
    name = fields.optional_str("displayName", max_length=_NAME_MAX)
    if name is not None and not name.strip():
        raise ApiError(400, "VALIDATION", "displayName must not be empty")
    return name.strip() if name is not None else None


def _load(request: Request, user: dict[str, Any]) -> dict[str, Any]:
    return load_owned(
        request,
        "connections",
        request.path_params["id"],
        user,
        code="CONNECTION_NOT_FOUND",
        label="Connection",
    )


async def list_connections(request: Request) -> Response:
    """The caller's connections (bare ``{connections: [...]}``, no paging)."""
    user = current_user(request)
    connections = state(request).store.list("connections", owner_id=user["id"])
    return bare({"connections": [_public(connection) for connection in connections]})


async def get_connection(request: Request) -> Response:
    """One connection (bare, never the key)."""
    user = current_user(request)
    return bare(_public(_load(request, user)))


async def create_api_key_connection(request: Request) -> Response:
    """A new ``api_key`` connection (201, bare)."""
    user = current_user(request)
    fields = Fields(await read_json(request))
    fields.reject_unknown({"provider", "apiKey", "displayName"})
    provider = fields.required_str("provider", max_length=100).strip()
    api_key = _api_key(fields, required=True)
    assert api_key is not None
    display_name = _display_name(fields) or f"{provider[:1].upper()}{provider[1:]} API key"
    emulator = state(request)
    now = emulator.clock.iso()
    connection = {
        "id": new_id("conn"),
        "provider": provider,
        "displayName": display_name,
        "type": "api_key",
        "status": "active",
        "createdAt": now,
        "updatedAt": now,
        "apiKeyFingerprint": _fingerprint(api_key),
    }
    emulator.store.insert("connections", connection, owner_id=user["id"])
    return bare(_public(connection), 201)


async def update_connection(request: Request) -> Response:
    """Rename a connection and/or replace its key (200, bare); ``updatedAt`` moves when something changes."""
    user = current_user(request)
    fields = Fields(await read_json(request))
    fields.reject_unknown({"displayName", "apiKey"})
    display_name = _display_name(fields)
    api_key = _api_key(fields, required=False)
    emulator = state(request)
    with emulator.store.transaction():
        connection = _load(request, user)
        changed = False
        if display_name is not None and display_name != connection["displayName"]:
            connection["displayName"] = display_name
            changed = True
        if api_key is not None and not _same_key(api_key, connection["apiKeyFingerprint"]):
            connection["apiKeyFingerprint"] = _fingerprint(api_key)
            changed = True
        if changed:
            connection["updatedAt"] = emulator.clock.iso()
            emulator.store.replace("connections", connection)
    return bare(_public(connection))


async def delete_connection(request: Request) -> Response:
    """Delete a connection (204)."""
    user = current_user(request)
    emulator = state(request)
    with emulator.store.transaction():
        connection = _load(request, user)
        emulator.store.delete("connections", connection["id"])
    return no_content()


routes = [
    Route("/api/connections", list_connections, methods=["GET"]),
    Route("/api/connections/api-key", create_api_key_connection, methods=["POST"]),
    Route("/api/connections/{id}", get_connection, methods=["GET"]),
    Route("/api/connections/{id}", update_connection, methods=["PUT", "PATCH"]),
    Route("/api/connections/{id}", delete_connection, methods=["DELETE"]),
]
