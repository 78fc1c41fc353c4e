"""Pattern documents: validation of what clients write, and the shapes the API answers.

Request bodies are checked strictly (400 ``VALIDATION`` naming the field); import documents are checked
completely and every problem is reported at once (422 ``INVALID_DOCUMENT`` with ``details``). The graph
is checked only structurally here; whether it can run is decided at deploy time.

Limits (docs/limits.md; the sync enforces the same numbers with its own code): a name of at most 200
characters and a tag of at most 100, neither blank nor holding a control character; a description of
at most 10,000 characters without control characters but tab and line breaks; at most 500 nodes and
2,000 edges; a document nested at most 64 levels deep (the document itself is level 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dragops_emulator._http import ApiError

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "READ_ONLY_FIELDS",
    "WRITABLE_FIELDS",
    "check_name",
    "export_document",
    "full_pattern",
    "import_issues",
    "new_pattern_doc",
    "parse_writable",
    "pattern_summary",
]

EXPORT_FORMAT_VERSION = 1
WRITABLE_FIELDS = ("name", "description", "tags", "isPublic", "isTemplate", "graphData")
# Server-set fields a client may send back unchanged (e.g. a whole fetched pattern); they are ignored.
READ_ONLY_FIELDS = frozenset({"id", "createdAt", "updatedAt", "versionNumber"})
_NAME_MAX = 200
_DESCRIPTION_MAX = 10_000
_TAG_MAX = 100
_NODES_MAX = 500
_EDGES_MAX = 2_000
# Levels of objects/arrays in a pattern document; graphData is level 2.
_DEPTH_MAX = 64
# Unicode's control characters (category Cc): C0, DEL and C1. A description may hold tabs and line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Issue = dict[str, str]


def _issue(field: str, message: str) -> Issue:
    return {"field": field, "message": f"{field} {message}"}


def _too_deep(value: Any, level: int) -> bool:
    """Whether `value`, sitting at `level` of its document, nests deeper than `_DEPTH_MAX` (iterative)."""
    pending = [(value, level)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > _DEPTH_MAX:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _graph_issues(graph: Any, field: str = "graphData") -> list[Issue]:
    if not isinstance(graph, dict):
        return [_issue(field, "must be an object with nodes and edges arrays")]
    if _too_deep(graph, 2):
        return [_issue(field, f"must not nest deeper than {_DEPTH_MAX} levels")]
    issues: list[Issue] = []
    specs = (("nodes", ("id", "type"), _NODES_MAX), ("edges", ("id", "source", "target"), _EDGES_MAX))
    for key, required, most in specs:
        items = graph.get(key, [])
        if not isinstance(items, list):
            issues.append(_issue(f"{field}.{key}", "must be an array"))
            continue
        if len(items) > most:
            issues.append(_issue(f"{field}.{key}", f"must hold at most {most} items"))
            continue
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = f"{field}.{key}[{index}]"
            if not isinstance(item, dict):
                issues.append(_issue(where, "must be an object"))
                continue
            for name in required:
                value = item.get(name)
                if not isinstance(value, str) or not value:
                    issues.append(_issue(f"{where}.{name}", "must be a non-empty string"))
            item_id = item.get("id")
            if isinstance(item_id, str) and item_id:
                if item_id in seen:
                    issues.append(_issue(f"{where}.id", f"duplicates the id {item_id!r}"))
                seen.add(item_id)
    return issues


def _field_issues(body: Mapping[str, Any], *, name_required: bool) -> list[Issue]:
    issues: list[Issue] = []
    if "name" in body or name_required:
        name = body.get("name")
        if name is None:
            issues.append({"field": "name", "message": "name is required"})
        elif not isinstance(name, str):
            issues.append(_issue("name", "must be a string"))
        elif not name.strip():
            issues.append(_issue("name", "must not be empty"))
        elif len(name) > _NAME_MAX:
            issues.append(_issue("name", f"must be at most {_NAME_MAX} characters"))
        elif _CONTROL.search(name):
            issues.append(_issue("name", "must not contain control characters"))
    description = body.get("description")
    if description is not None:
        if not isinstance(description, str):
            issues.append(_issue("description", "must be a string"))
        elif len(description) > _DESCRIPTION_MAX:
            issues.append(_issue("description", f"must be at most {_DESCRIPTION_MAX} characters"))
        elif _CONTROL_IN_TEXT.search(description):
            issues.append(_issue("description", "must not contain control characters"))
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            issues.append(_issue("tags", "must be an array of strings"))
        elif any(not tag.strip() or len(tag) > _TAG_MAX for tag in tags):
            issues.append(_issue("tags", f"must hold non-empty strings of at most {_TAG_MAX} characters"))
        elif any(_CONTROL.search(tag) for tag in tags):
            issues.append(_issue("tags", "must not contain control characters"))
    for flag in ("isPublic", "isTemplate"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            issues.append(_issue(flag, "must be a boolean"))
    if body.get("graphData") is not None:
        issues.extend(_graph_issues(body["graphData"]))
    return issues


def check_name(name: str) -> None:
    """Raise 400 ``VALIDATION`` unless ``name`` is a name the API accepts (clone's ``name``)."""
    issues = _field_issues({"name": name}, name_required=True)
    if issues:
        raise ApiError(400, "VALIDATION", issues[0]["message"], details=issues)


def _normal_graph(value: Any) -> dict[str, Any]:
    graph: dict[str, Any] = dict(value) if isinstance(value, dict) else {}
    graph.setdefault("nodes", [])
    graph.setdefault("edges", [])
    return graph


def parse_writable(body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The writable fields of a create (``partial=False``) or update body, validated.

    Unknown keys are refused; server-set keys (id, timestamps, versionNumber) are ignored. Nulls mean
    "not given". Raises 400 ``VALIDATION`` naming the first bad field.
    """
    unknown = sorted(set(body) - set(WRITABLE_FIELDS) - READ_ONLY_FIELDS)
    if unknown:
        raise ApiError(400, "VALIDATION", f"Unknown field(s): {', '.join(unknown)}")
    issues = _field_issues(body, name_required=not partial)
    if issues:
        raise ApiError(400, "VALIDATION", issues[0]["message"], details=issues)
    values = {key: body[key] for key in WRITABLE_FIELDS if body.get(key) is not None}
    if "graphData" in values:
        values["graphData"] = _normal_graph(values["graphData"])
    if "name" in values:
        values["name"] = values["name"].strip()
    return values


def import_issues(document: Mapping[str, Any]) -> list[Issue]:
    """Every problem of an import document (empty when it can be imported).

    Keys this format does not know are ignored, so documents exported by a newer server still import.
    """
    issues: list[Issue] = []
    version = document.get("formatVersion", EXPORT_FORMAT_VERSION)
    if isinstance(version, bool) or version != EXPORT_FORMAT_VERSION:
        issues.append(_issue("formatVersion", f"must be {EXPORT_FORMAT_VERSION}"))
    issues.extend(_field_issues(document, name_required=True))
    if "graphData" in document and document["graphData"] is None:
        issues.append(_issue("graphData", "must be an object with nodes and edges arrays"))
    created_at = document.get("createdAt")
    if created_at is not None and not isinstance(created_at, str):
        issues.append(_issue("createdAt", "must be a string"))
    return issues


def pattern_summary(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """A list item: the pattern without ``graphData`` and ``versionNumber``."""
    return {
        "id": pattern["id"],
        "name": pattern["name"],
        "description": pattern["description"],
        "isPublic": pattern["isPublic"],
        "isTemplate": pattern["isTemplate"],
        "tags": pattern["tags"],
        "createdAt": pattern["createdAt"],
        "updatedAt": pattern["updatedAt"],
    }


def full_pattern(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """The whole pattern as ``GET /api/patterns/:id`` shows it."""
    return {
        **pattern_summary(pattern),
        "graphData": pattern["graphData"],
        "versionNumber": pattern["versionNumber"],
    }


def export_document(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """The export document: content only, no server ids, deployment state, webhook URLs or secrets.

    Shape: docs/api-contract.md#export-and-import-documents.
    """
    return {
        "formatVersion": EXPORT_FORMAT_VERSION,
        "name": pattern["name"],
        "description": pattern["description"],
        "tags": pattern["tags"],
        "isPublic": pattern["isPublic"],
        "isTemplate": pattern["isTemplate"],
        "createdAt": pattern["createdAt"],
        "graphData": pattern["graphData"],
    }


def new_pattern_doc(pattern_id: str, values: Mapping[str, Any], now_iso: str) -> dict[str, Any]:
    """A stored pattern from validated writable values (defaults filled), never deployed."""
    return {
        "id": pattern_id,
        "name": values["name"],
        "description": values.get("description", ""),
        "tags": list(values.get("tags", [])),
        "isPublic": values.get("isPublic", False),
        "isTemplate": values.get("isTemplate", False),
        "graphData": _normal_graph(values.get("graphData")),
        "versionNumber": 0,
        "createdAt": now_iso,
        "updatedAt": now_iso,
    }
