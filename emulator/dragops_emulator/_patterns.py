"""Pattern routes (docs/api-contract.md#patterns; D5-D8, D11): list, get, create, update, delete,
export, import, versions and clone. Every route checks ownership: another user's pattern is "not found" (D3).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._http import (
    ApiError,
    Fields,
    bare,
    current_user,
    envelope,
    load_pattern,
    new_id,
    no_content,
    offset_list,
    offset_params,
    query_bool,
    query_choice,
    read_json,
    read_optional_json,
    state,
)
from dragops_emulator._pattern_docs import (
    WRITABLE_FIELDS,
    check_name,
    export_document,
    full_pattern,
    import_issues,
    new_pattern_doc,
    parse_writable,
    pattern_summary,
)
from dragops_emulator._state import EmulatorState
from dragops_emulator._store import Where
from dragops_emulator._webhook_endpoints import delete_webhook_endpoints, sync_webhook_endpoints

__all__ = ["routes"]

_SORT_FIELDS = ("name", "createdAt", "updatedAt")
# Deployment statuses that make a pattern undeletable (D7).
_LIVE_STATUSES = frozenset({"active", "paused", "pending"})


def _store_new(emulator: EmulatorState, pattern: dict[str, Any], owner_id: str) -> dict[str, Any]:
    with emulator.store.transaction():
        emulator.store.insert("patterns", pattern, owner_id=owner_id)
        sync_webhook_endpoints(
            emulator.store,
            pattern,
            pattern["createdAt"],
            require_signature=emulator.settings.require_webhook_signature,
        )
    return pattern


async def list_patterns(request: Request) -> Response:
    """The caller's patterns, filtered, sorted and paged (offset style, no graphData)."""
    user = current_user(request)
    offset, limit = offset_params(request)
    search = request.query_params.get("search") or ""
    is_public = query_bool(request, "isPublic")
    is_template = query_bool(request, "isTemplate")
    tags = [tag for tag in request.query_params.getlist("tags") if tag]
    sort_by = query_choice(request, "sortBy", _SORT_FIELDS, "updatedAt")
    sort_order = query_choice(request, "sortOrder", ("asc", "desc"), "desc")
    where = [Where("tags", "has", tag) for tag in tags]  # D5: every given tag
    if search:
        where.append(Where("name", "icontains", search))
    if is_public is not None:
        where.append(Where("isPublic", "eq", is_public))
    if is_template is not None:
        where.append(Where("isTemplate", "eq", is_template))
    # Filtered and sorted in SQLite on the pattern heads (no graphs); only the page is parsed.
    found, total = state(request).store.page(
        "patterns",
        owner_id=user["id"],
        where=where,
        order_by=sort_by,
        descending=sort_order == "desc",
        casefold_order=sort_by == "name",
        offset=offset,
        limit=limit,
    )
    return offset_list(
        [pattern_summary(pattern) for pattern in found], offset=offset, limit=limit, total=total
    )


async def get_pattern(request: Request) -> Response:
    """One pattern with its graph (bare object)."""
    user = current_user(request)
    return bare(full_pattern(load_pattern(request, user)))


async def create_pattern(request: Request) -> Response:
    """A new, never deployed pattern (201)."""
    user = current_user(request)
    values = parse_writable(await read_json(request), partial=False)
    emulator = state(request)
    pattern = new_pattern_doc(new_id("pat"), values, emulator.clock.iso())
    _store_new(emulator, pattern, user["id"])
    return envelope(full_pattern(pattern), 201)


async def update_pattern(request: Request) -> Response:
    """Change any subset of the writable fields (PUT and PATCH, D6)."""
    user = current_user(request)
    body = await read_json(request)
    values = parse_writable(body, partial=True)
    emulator = state(request)
    with emulator.store.transaction():
        pattern = load_pattern(request, user)
        changed = {key: value for key, value in values.items() if pattern[key] != value}
        if changed:
            # updatedAt moves only when content really changes, so a no-op write is not drift.
            pattern.update(changed)
            pattern["updatedAt"] = emulator.clock.iso()
            emulator.store.replace("patterns", pattern)
            if "graphData" in changed:
                sync_webhook_endpoints(
                    emulator.store,
                    pattern,
                    pattern["updatedAt"],
                    require_signature=emulator.settings.require_webhook_signature,
                )
    # D6 prints the update answer as {success, data} (no timestamp, unlike create).
    return envelope(full_pattern(pattern), timestamp=False)


async def delete_pattern(request: Request) -> Response:
    """Delete a pattern that is not deployed, with its versions, webhooks and history (204, D7)."""
    user = current_user(request)
    emulator = state(request)
    store = emulator.store
    with store.transaction():
        pattern = load_pattern(request, user)
        deployments = store.list("deployments", parent_id=pattern["id"])
        if any(dep.get("status") in _LIVE_STATUSES for dep in deployments):
            raise ApiError(409, "PATTERN_DEPLOYED", "Pattern is deployed; undeploy it before deleting it")
        for deployment in deployments:
            store.delete_children("runs", str(deployment["id"]))
            store.delete("deployments", str(deployment["id"]))
        store.delete_children("versions", pattern["id"])
        store.delete_children("captured_events", pattern["id"])
        delete_webhook_endpoints(store, pattern["id"])
        store.delete("patterns", pattern["id"])
    return no_content()


async def export_pattern(request: Request) -> Response:
    """The export document of a pattern (bare)."""
    user = current_user(request)
    return bare(export_document(load_pattern(request, user)))


async def import_pattern(request: Request) -> Response:
    """A new, undeployed pattern from an export document (201); 422 INVALID_DOCUMENT listing every problem."""
    user = current_user(request)
    document = await read_json(request)
    issues = import_issues(document)
    if issues:
        summary = "; ".join(issue["message"] for issue in issues)
        raise ApiError(422, "INVALID_DOCUMENT", f"Not a valid pattern document: {summary}", details=issues)
    values = parse_writable({key: document[key] for key in WRITABLE_FIELDS if key in document}, partial=False)
    emulator = state(request)
    pattern = new_pattern_doc(new_id("pat"), values, emulator.clock.iso())
    _store_new(emulator, pattern, user["id"])
    return envelope(full_pattern(pattern), 201, timestamp=False)


async def clone_pattern(request: Request) -> Response:
    """An undeployed copy of a pattern, named ``{name}`` or "<name> (copy)" (201)."""
    user = current_user(request)
    fields = Fields(await read_optional_json(request))
    fields.reject_unknown({"name"})
    name = fields.optional_str("name", max_length=200)
    if name is not None:
        check_name(name)
    emulator = state(request)
    source = load_pattern(request, user)
    values = {key: source[key] for key in WRITABLE_FIELDS}
    values["name"] = name.strip() if name is not None else f"{source['name']} (copy)"[:200]
    pattern = new_pattern_doc(new_id("pat"), values, emulator.clock.iso())
    _store_new(emulator, pattern, user["id"])
    return envelope(full_pattern(pattern), 201, timestamp=False)


def _version_json(version: dict[str, Any]) -> dict[str, Any]:
    return {
        "versionNumber": version["versionNumber"],
        "createdAt": version["createdAt"],
        "graphData": version["graphData"],
    }


async def list_versions(request: Request) -> Response:
    """The deploy snapshots of a pattern, newest first (D11)."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    versions = state(request).store.list("versions", parent_id=pattern["id"])
    versions.sort(key=lambda version: int(version["versionNumber"]), reverse=True)
    return envelope([_version_json(version) for version in versions], timestamp=False)


async def get_version(request: Request) -> Response:
    """One deploy snapshot; 404 VERSION_NOT_FOUND when there is no such version."""
    user = current_user(request)
    pattern = load_pattern(request, user)
    raw = request.path_params["number"]
    try:
        number = int(raw)
    except ValueError:
        raise ApiError(400, "VALIDATION", "versionNumber must be an integer") from None
    for version in state(request).store.list("versions", parent_id=pattern["id"]):
        if int(version["versionNumber"]) == number:
            return envelope(_version_json(version), timestamp=False)
    raise ApiError(404, "VERSION_NOT_FOUND", f"Pattern has no version {number}")


routes = [
    Route("/api/patterns", list_patterns, methods=["GET"]),
    Route("/api/patterns", create_pattern, methods=["POST"]),
    Route("/api/patterns/import", import_pattern, methods=["POST"]),
    Route("/api/patterns/{id}", get_pattern, methods=["GET"]),
    Route("/api/patterns/{id}", update_pattern, methods=["PUT", "PATCH"]),
    Route("/api/patterns/{id}", delete_pattern, methods=["DELETE"]),
    Route("/api/patterns/{id}/export", export_pattern, methods=["GET"]),
    Route("/api/patterns/{id}/clone", clone_pattern, methods=["POST"]),
    Route("/api/patterns/{id}/versions", list_versions, methods=["GET"]),
    Route("/api/patterns/{id}/versions/{number}", get_version, methods=["GET"]),
]
