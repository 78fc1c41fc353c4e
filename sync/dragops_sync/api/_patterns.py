"""``client.patterns``: create, read, list, update, delete, export, import, versions and clone.

Creates (create, import, clone) are not idempotent, and pattern names are not unique on the server
(D8), so a create whose answer was lost is never simply repeated: the transport first asks
`_find_twin` for a pattern with the exact name and identical content, and uses it when there is one.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..models import Pattern, PatternSummary, PatternVersion
from ..spec import PatternSpec
from ._envelope import unwrap, unwrap_list
from ._pagination import Paginator
from ._paths import segment
from ._transport import Transport

__all__ = ["PatternsAPI"]

_EMPTY_GRAPH: dict[str, Any] = {"nodes": [], "edges": []}
_SORT_FIELDS = ("name", "createdAt", "updatedAt")


class PatternsAPI:
    """The pattern endpoints (``/api/patterns``)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return "PatternsAPI()"

    def list(
        self,
        *,
        search: str | None = None,
        tags: Sequence[str] | None = None,
        is_public: bool | None = None,
        is_template: bool | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        page_size: int = 100,
    ) -> Paginator[PatternSummary]:
        """A lazy iterator over the caller's patterns (offset pagination; nothing fetched yet).

        `search` matches part of the name; several `tags` must all be present (D5); `sort_by` is one of
        ``name``, ``createdAt``, ``updatedAt`` and `sort_order` ``asc`` or ``desc``.
        """
        if isinstance(tags, str):
            raise TypeError("tags must be a list of strings, not a single string")
        if sort_by is not None and sort_by not in _SORT_FIELDS:
            raise ValueError(f"sort_by must be one of {', '.join(_SORT_FIELDS)}; got {sort_by!r}")
        if sort_order is not None and sort_order not in ("asc", "desc"):
            raise ValueError(f"sort_order must be 'asc' or 'desc'; got {sort_order!r}")
        params: dict[str, Any] = {
            "search": search,
            "tags": list(tags) if tags else None,
            "isPublic": is_public,
            "isTemplate": is_template,
            "sortBy": sort_by,
            "sortOrder": sort_order,
        }
        return Paginator(
            lambda query: self._transport.request("GET", "/patterns", params=query).body,
            PatternSummary.model_validate,
            style="offset",
            page_size=page_size,
            params=params,
        )

    def find_by_name(self, name: str) -> builtins.list[PatternSummary]:
        """Every pattern whose name is exactly `name` (names are not unique on the server)."""
        return [p for p in self.list(search=name) if p.name == name]

    def get(self, pattern_id: str) -> Pattern:
        """One pattern with its graph."""
        response = self._transport.request("GET", f"/patterns/{segment(pattern_id, 'pattern_id')}")
        return Pattern.model_validate(unwrap(response.body))

    def create(
        self,
        spec: PatternSpec | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        graph_data: Mapping[str, Any] | None = None,
        is_public: bool | None = None,
        is_template: bool | None = None,
    ) -> Pattern:
        """Create the pattern `spec` describes (or, as a convenience, the one the keyword fields do).

        A lost answer is recovered by finding the created pattern, never duplicated.
        """
        keywords = _Keywords(name, description, tags, graph_data, is_public, is_template)
        body = _request_body(spec, None, keywords)
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            raise ValueError("name must be a non-empty string")
        response = self._transport.request(
            "POST", "/patterns", json_body=body, recover=lambda: self._find_twin(body)
        )
        return Pattern.model_validate(unwrap(response.body))

    def update(
        self,
        pattern_id: str,
        spec: PatternSpec | None = None,
        /,
        *,
        fields: Iterable[str] | None = None,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        graph_data: Mapping[str, Any] | None = None,
        is_public: bool | None = None,
        is_template: bool | None = None,
    ) -> Pattern:
        """Write `spec` over a pattern: every field, or only the API keys in `fields` (a partial
        update, D6). The keyword form sends the fields that are not None."""
        keywords = _Keywords(name, description, tags, graph_data, is_public, is_template)
        body = _request_body(spec, fields, keywords)
        if not body:
            raise ValueError("update needs at least one field to change")
        response = self._transport.request(
            "PUT", f"/patterns/{segment(pattern_id, 'pattern_id')}", json_body=body
        )
        return Pattern.model_validate(unwrap(response.body))

    def delete(self, pattern_id: str) -> None:
        """Delete a pattern (the server refuses a deployed one with `ConflictError`; undeploy first)."""
        self._transport.request("DELETE", f"/patterns/{segment(pattern_id, 'pattern_id')}")

    def export(self, pattern_id: str) -> dict[str, Any]:
        """The pattern's export document (the format of pattern files), as plain JSON."""
        response = self._transport.request("GET", f"/patterns/{segment(pattern_id, 'pattern_id')}/export")
        document = unwrap(response.body)
        if not isinstance(document, dict):
            raise TypeError(f"the export of {pattern_id} is not a JSON object")
        return document

    def import_(self, document: Mapping[str, Any]) -> Pattern:
        """Import an export document as a new, undeployed pattern (recovered by name on a lost answer)."""
        if not isinstance(document, Mapping) or not isinstance(document.get("name"), str):
            raise ValueError("an import document must be a JSON object with a string 'name'")
        doc = dict(document)
        response = self._transport.request(
            "POST", "/patterns/import", json_body=doc, recover=lambda: self._find_twin(doc)
        )
        return Pattern.model_validate(unwrap(response.body))

    def versions(self, pattern_id: str) -> builtins.list[PatternVersion]:
        """The pattern's deploy snapshots, newest first."""
        response = self._transport.request("GET", f"/patterns/{segment(pattern_id, 'pattern_id')}/versions")
        items, _ = unwrap_list(response.body, "versions")
        return [PatternVersion.model_validate(item) for item in items]

    def version(self, pattern_id: str, version_number: int) -> PatternVersion:
        """One deploy snapshot of the pattern."""
        if not isinstance(version_number, int) or version_number < 1:
            raise ValueError(f"version_number must be a positive integer, got {version_number!r}")
        response = self._transport.request(
            "GET", f"/patterns/{segment(pattern_id, 'pattern_id')}/versions/{version_number}"
        )
        return PatternVersion.model_validate(unwrap(response.body))

    def clone(self, pattern_id: str, *, name: str | None = None) -> Pattern:
        """Copy a pattern (undeployed). With a `name`, a lost answer is recovered by finding the copy;
        without one the server picks the name, so an unknown outcome is reported, not retried."""
        path = f"/patterns/{segment(pattern_id, 'pattern_id')}/clone"
        recover: Callable[[], Any] | None = None
        if name is not None:

            def recover() -> Any:
                source = self.get(pattern_id)
                return self._find_twin({"name": name, "graphData": source.graph_data})

        response = self._transport.request(
            "POST", path, json_body={"name": name} if name is not None else {}, recover=recover
        )
        return Pattern.model_validate(unwrap(response.body))

    def _find_twin(self, sent: Mapping[str, Any]) -> Any:
        """The newest pattern with `sent`'s exact name and identical content, as raw JSON, or None.

        Used only after a create whose outcome is unknown. An older identical pattern also counts: its
        content is exactly what was asked for, and making another would be the duplicate we avoid.
        """
        name = sent["name"]
        candidates = [s for s in self.find_by_name(name) if _summary_matches(s, sent)]
        candidates.sort(key=_created_key, reverse=True)
        for summary in candidates:
            response = self._transport.request("GET", f"/patterns/{segment(summary.id, 'pattern_id')}")
            live = unwrap(response.body)
            if isinstance(live, dict) and _graph_matches(sent.get("graphData"), live.get("graphData")):
                return live
        return None


class _Keywords(NamedTuple):
    """The keyword form of a pattern's fields (None: not given), as `create`/`update` take them."""

    name: str | None
    description: str | None
    tags: Sequence[str] | None
    graph_data: Mapping[str, Any] | None
    is_public: bool | None
    is_template: bool | None


def _request_body(
    spec: PatternSpec | None, fields: Iterable[str] | None, keywords: _Keywords
) -> dict[str, Any]:
    """The JSON body of a create or update: `spec`'s fields (all, or `fields`), else the keywords given."""
    if spec is not None:
        if not isinstance(spec, PatternSpec):
            raise TypeError(f"expected a PatternSpec, got {type(spec).__name__}")
        if any(value is not None for value in keywords):
            raise TypeError("pass either a PatternSpec or keyword fields, not both")
        return spec.to_api(fields)
    if fields is not None:
        raise TypeError("fields= selects fields of a PatternSpec; pass one")
    if isinstance(keywords.tags, str):
        raise TypeError("tags must be a list of strings, not a single string")
    if keywords.graph_data is not None and not isinstance(keywords.graph_data, Mapping):
        raise TypeError(f"graph_data must be a JSON object, got {type(keywords.graph_data).__name__}")
    given = {
        "name": keywords.name,
        "description": keywords.description,
        "tags": list(keywords.tags) if keywords.tags is not None else None,
        "graphData": dict(keywords.graph_data) if keywords.graph_data is not None else None,
        "isPublic": keywords.is_public,
        "isTemplate": keywords.is_template,
    }
    return {key: value for key, value in given.items() if value is not None}


def _summary_matches(summary: PatternSummary, sent: Mapping[str, Any]) -> bool:
    if "description" in sent and (summary.description or "") != (sent["description"] or ""):
        return False
    if "tags" in sent and sorted(summary.tags) != sorted(sent["tags"] or []):
        return False
    if "isPublic" in sent and summary.is_public != bool(sent["isPublic"]):
        return False
    return not ("isTemplate" in sent and summary.is_template != bool(sent["isTemplate"]))


def _graph_matches(sent: Any, live: Any) -> bool:
    """Whether the live graph is the one sent; keys the server adds (e.g. defaults) are tolerated."""
    sent = _EMPTY_GRAPH if sent is None else sent
    if not isinstance(sent, Mapping) or not isinstance(live, Mapping):
        return False
    for key in ("nodes", "edges"):
        if sent.get(key, []) != live.get(key, []):
            return False
    return all(live.get(key) == value for key, value in sent.items() if key not in ("nodes", "edges"))


def _created_key(summary: PatternSummary) -> datetime:
    return summary.created_at or datetime.min.replace(tzinfo=UTC)
