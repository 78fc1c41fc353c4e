"""The pattern file format: strict loading, and the canonical dump.

A pattern file is a DRAGOPS export document as it is (`formatVersion`, `name`, `description`, `tags`,
`isPublic`, `isTemplate`, `createdAt`, `graphData`) plus an optional `sync` block carrying the
deployment intent (README "The directory"). JSON or YAML, chosen by the file's suffix. Loading is strict
(unknown fields are errors, types are not coerced) except inside the graph, which stays opaque JSON
beyond the shape every graph must have: `nodes` with string `id` and `type`, `edges` with string `id`,
`source` and `target`. Every problem in a file is reported at once, each naming the field.

The file is untrusted input: besides what `_documents` bounds (size, depth, YAML aliases), the name,
description and tags are held to the server's rules (length, control characters, a name or tag not
blank) and the graph to `MAX_NODES` nodes and `MAX_EDGES` edges (`limits`), so nothing that loads is
refused by the server for its size or its characters.

`dump_pattern` writes the canonical form: important keys first, the rest sorted, two-space JSON (or
block YAML), a trailing newline, so exporting twice gives identical bytes.

Pure apart from reading the one file it is asked to load: no network, no clock, no writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dragops_sync._documents import (
    DOCUMENT_FIELD,
    FileFormatError,
    FileIssue,
    format_location,
    issues_from_validation,
    place_issues,
    read_document,
    read_limited,
    read_located,
    reads_as_string,
)
from dragops_sync.limits import (
    MAX_DESCRIPTION_CHARS,
    MAX_EDGES,
    MAX_NAME_CHARS,
    MAX_NODES,
    MAX_TAG_CHARS,
    control_characters,
)
from dragops_sync.ownership import is_ownership_tag
from dragops_sync.smoke_settings import SmokeSettings
from dragops_sync.variables import Variables, substitute

__all__ = [
    "DOCUMENT_FIELD",
    "PATTERN_SUFFIXES",
    "SUPPORTED_FORMAT_VERSIONS",
    "DriftMode",
    "FileFormatError",
    "FileIssue",
    "GraphData",
    "GraphEdge",
    "GraphNode",
    "PatternFile",
    "PatternFileCache",
    "PatternFileError",
    "SyncIntent",
    "dump_pattern",
    "format_location",
    "load_pattern_file",
    "parse_pattern",
    "read_document",
]

PATTERN_SUFFIXES = (".json", ".yaml", ".yml")
SUPPORTED_FORMAT_VERSIONS = (1,)

DriftMode = Literal["observe", "warn", "enforce"]


class PatternFileError(FileFormatError):
    """A pattern file is unreadable or invalid; `issues` lists every problem, `path` names the file.

    `graph` is the file's `graphData` when that part alone is well-formed (the problems are elsewhere,
    say a misspelt top-level key), and `deploy` its `sync.deploy` when readable: the graph checks still
    run on them, so one `validate` reports a dangling edge along with the unknown field.
    """

    def __init__(
        self,
        path: str | Path,
        issues: Sequence[FileIssue],
        *,
        graph: GraphData | None = None,
        deploy: bool | None = None,
    ) -> None:
        super().__init__(path, issues)
        self.graph = graph
        self.deploy = deploy


class SyncIntent(BaseModel):
    """The optional `sync` block: per-file deployment intent; None means "use dragops-sync.yaml"."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    deploy: bool | None = None
    environment_id: str | None = Field(default=None, alias="environmentId")
    prune: bool | None = None
    drift: DriftMode | None = None
    # Leave the pattern alone entirely: no write, no drift revert, no prune (someone is debugging it).
    suspend: bool | None = None
    # Check every deploy with a test event; roll back when it fails (smoke.py).
    smoke: SmokeSettings | None = None


class GraphNode(BaseModel):
    """A graph node: `id` and `type` are checked, everything else is kept verbatim."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    id: str = Field(min_length=1)
    type: str = Field(min_length=1)


class GraphEdge(BaseModel):
    """A graph edge (a wire): `id`, `source`, `target` and the handles are checked, the rest kept."""

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True, frozen=True)

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    source_handle: str | None = Field(default=None, alias="sourceHandle")
    target_handle: str | None = Field(default=None, alias="targetHandle")


def _at_most(items: object, limit: int, noun: str, constant: str) -> object:
    """`items` unchanged, or ValueError when it is a list longer than `limit` (checked before the
    items themselves are validated, so an oversized graph costs one `len`)."""
    if isinstance(items, list) and len(items) > limit:
        raise ValueError(f"{len(items):,} {noun}; the limit is {limit:,} (limits.{constant})")
    return items


def _text_problem(value: str, what: str, limit: int, constant: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a name, description or tag as the server sees it (never quoting it), or None."""
    if len(value) > limit:
        return f"{what} is {len(value):,} characters; the limit is {limit:,} (limits.{constant})"
    controls = control_characters(value, multiline=multiline)
    if controls:
        shown = ", ".join(controls[:5]) + (", ..." if len(controls) > 5 else "")
        return f"{what} holds control characters ({shown}); remove them"
    return None


class GraphData(BaseModel):
    """`graphData`: opaque JSON with the shape every graph must have (other keys pass through)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    variables: list[dict[str, Any]] | None = None

    @field_validator("nodes", mode="before")
    @classmethod
    def _node_cap(cls, value: object) -> object:
        return _at_most(value, MAX_NODES, "nodes", "MAX_NODES")

    @field_validator("edges", mode="before")
    @classmethod
    def _edge_cap(cls, value: object) -> object:
        return _at_most(value, MAX_EDGES, "edges", "MAX_EDGES")

    def document(self) -> dict[str, Any]:
        """The graph as it was written (unset optional keys stay absent)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="python")


class PatternFile(BaseModel):
    """One pattern file: the export document plus the optional `sync` block."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    format_version: int = Field(default=1, alias="formatVersion")
    name: str
    description: str | None = ""
    tags: list[str] = Field(default_factory=list)
    is_public: bool = Field(default=False, alias="isPublic")
    is_template: bool = Field(default=False, alias="isTemplate")
    created_at: str | None = Field(default=None, alias="createdAt")  # kept from exports, never compared
    graph_data: GraphData = Field(alias="graphData")
    sync: SyncIntent | None = None

    @field_validator("format_version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value not in SUPPORTED_FORMAT_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_FORMAT_VERSIONS)
            raise ValueError(f"unsupported formatVersion {value} (this dragops-sync reads {supported})")
        return value

    @field_validator("name")
    @classmethod
    def _name_as_the_server_takes_it(cls, value: str) -> str:
        # Surrounding whitespace is the server's to strip (names are compared stripped); a name
        # with nothing else is refused, as the server refuses it.
        if not value.strip():
            raise ValueError("name must not be empty")
        problem = _text_problem(value, "name", MAX_NAME_CHARS, "MAX_NAME_CHARS")
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("description")
    @classmethod
    def _description_as_the_server_takes_it(cls, value: str | None) -> str | None:
        if value is not None:
            limit, constant = MAX_DESCRIPTION_CHARS, "MAX_DESCRIPTION_CHARS"
            problem = _text_problem(value, "description", limit, constant, multiline=True)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("tags")
    @classmethod
    def _tags_as_the_server_takes_them(cls, value: list[str]) -> list[str]:
        if any(is_ownership_tag(tag) for tag in value):
            raise ValueError("dragops-sync:owner=/applied= tags are written by dragops-sync; remove them")
        for index, tag in enumerate(value):
            if not tag.strip():
                raise ValueError(f"tags[{index}] must not be empty")
            problem = _text_problem(tag, f"tags[{index}]", MAX_TAG_CHARS, "MAX_TAG_CHARS")
            if problem:
                raise ValueError(problem)
        return value

    def document(self) -> dict[str, Any]:
        """The camelCase export/API document, without `sync` (what import and create accept)."""
        doc: dict[str, Any] = {
            "formatVersion": self.format_version,
            "name": self.name,
            "description": self.description or "",
            "tags": list(self.tags),
            "isPublic": self.is_public,
            "isTemplate": self.is_template,
        }
        if self.created_at is not None:
            doc["createdAt"] = self.created_at
        doc["graphData"] = self.graph_data.document()
        return doc


# Field names accepted at each level, for "unknown field" messages.
_ALLOWED = {
    "": [f.alias or n for n, f in PatternFile.model_fields.items()],
    "sync": [f.alias or n for n, f in SyncIntent.model_fields.items()],
}


def parse_pattern(data: Any, *, source: str | Path) -> PatternFile:
    """Validate an already-parsed document; raise `PatternFileError` naming `source` and each field."""
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else type(data).__name__
        issue = FileIssue(DOCUMENT_FIELD, f"expected a mapping at the top level, got {kind}")
        raise PatternFileError(source, [issue])
    try:
        return PatternFile.model_validate(dict(data))
    except ValidationError as exc:
        raise PatternFileError(source, issues_from_validation(exc, allowed=_ALLOWED)) from None


def load_pattern_file(
    path: Path, *, raw: bytes | None = None, variables: Variables | None = None
) -> PatternFile:
    """Read and validate one pattern file (JSON or YAML by suffix); raise `PatternFileError` on any issue.

    `raw` is the file's content when the caller has already read it. `variables` are the selected
    environment's, put in for each `${var:NAME}` before validation (None: no environment; a file
    that uses a variable then gets an issue).
    """
    path = Path(path)
    read = read_located(path, raw=raw)
    data, issues = read.data, read.issues
    if data is None and issues:  # unparseable; an empty file (None, no issues) is reported below
        raise PatternFileError(path, issues)
    data, unresolved = substitute(data, variables)
    if unresolved:
        raise PatternFileError(path, [*issues, *place_issues(unresolved, read.positions)])
    try:
        pattern = parse_pattern(data, source=path)
    except PatternFileError as exc:
        graph, deploy = _salvage_graph(data, exc.issues)
        placed = place_issues(exc.issues, read.positions)
        raise PatternFileError(path, [*issues, *placed], graph=graph, deploy=deploy) from None
    if issues:  # duplicate keys: the document parsed, but what the author meant is ambiguous
        graph, deploy = _salvage_graph(data, issues)
        raise PatternFileError(path, issues, graph=graph, deploy=deploy)
    return pattern


class PatternFileCache:
    """Valid pattern files parsed before, by path and exact content (thread-safe).

    The watch daemon re-reads its whole directory every cycle; an unchanged file (the same bytes)
    is then neither parsed nor validated again. Reading the bytes is the only cost, so an edit is
    always seen. `PatternFile` is frozen, so one can be handed out many times. Invalid files are
    not kept (they are re-read, and reported, every time), and `retain` drops the files gone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # By path: (the file's bytes and the variables' identity, the parsed file).
        self._entries: dict[Path, tuple[tuple[bytes, Any], PatternFile]] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        return f"PatternFileCache(files={len(self)})"

    def load(self, path: Path, *, variables: Variables | None = None) -> PatternFile:
        """`load_pattern_file(path, variables=...)`, from memory when the file's bytes (and the
        variables) have not changed."""
        path = path if isinstance(path, Path) else Path(path)  # Path(path) would parse it again
        raw, problems = read_limited(path)
        if raw is None:
            with self._lock:
                self._entries.pop(path, None)
            raise PatternFileError(path, problems)
        identity = (raw, variables.key() if variables is not None else None)
        with self._lock:
            entry = self._entries.get(path)
        if entry is not None and entry[0] == identity:
            return entry[1]
        try:
            pattern = load_pattern_file(path, raw=raw, variables=variables)
        except PatternFileError:
            with self._lock:
                self._entries.pop(path, None)
            raise
        with self._lock:
            self._entries[path] = (identity, pattern)
        return pattern

    def retain(self, paths: Iterable[Path]) -> None:
        """Forget every file but `paths` (those of the directory as last read)."""
        keep = {p if isinstance(p, Path) else Path(p) for p in paths}
        with self._lock:
            self._entries = {p: e for p, e in self._entries.items() if p in keep}


def _salvage_graph(data: Any, issues: Sequence[FileIssue]) -> tuple[GraphData | None, bool | None]:
    """The graph (and `sync.deploy`) of a document whose problems lie outside `graphData`, if any."""
    if not isinstance(data, Mapping) or any(i.field.startswith("graphData") for i in issues):
        return None, None  # no document, or the graph is itself reported as broken
    try:
        graph = GraphData.model_validate(data.get("graphData"))
    except ValidationError:
        return None, None
    intent = data.get("sync")
    deploy = intent.get("deploy") if isinstance(intent, Mapping) else None
    return graph, deploy if isinstance(deploy, bool) else None


# Canonical key order: the keys a reader looks for first, then the rest sorted.
_TOP_ORDER = (
    "formatVersion",
    "name",
    "description",
    "tags",
    "isPublic",
    "isTemplate",
    "createdAt",
    "graphData",
    "sync",
)
_GRAPH_ORDER = ("nodes", "edges", "variables")
_NODE_ORDER = ("id", "type", "position", "data")
_EDGE_ORDER = ("id", "source", "sourceHandle", "target", "targetHandle")
_SYNC_ORDER = ("deploy", "environmentId", "prune", "drift")


def _ordered(value: Any, first: tuple[str, ...] = ()) -> Any:
    if isinstance(value, Mapping):
        keys = [k for k in first if k in value]
        keys += sorted((k for k in value if k not in first), key=str)
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list | tuple):
        return [_ordered(v) for v in value]
    return value


def _canonical_document(document: Mapping[str, Any]) -> dict[str, Any]:
    doc = _ordered(document, _TOP_ORDER)
    graph = document.get("graphData")
    if isinstance(graph, Mapping):
        ordered_graph = _ordered(graph, _GRAPH_ORDER)
        for key, order in (("nodes", _NODE_ORDER), ("edges", _EDGE_ORDER)):
            items = graph.get(key)
            if isinstance(items, list):
                ordered_graph[key] = [_ordered(item, order) for item in items]
        doc["graphData"] = ordered_graph
    sync = document.get("sync")
    if isinstance(sync, Mapping):
        doc["sync"] = _ordered(sync, _SYNC_ORDER)
    return doc  # type: ignore[no-any-return]


class _CanonicalDumper(yaml.SafeDumper):
    """Block-style YAML without anchors: a node shared in memory is written out in full each time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# YAML reads NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks, and PyYAML (with
# allow_unicode) writes them raw inside single quotes, where they fold into a space on reload.
# Double quotes make it escape them (\N, \L, \P), so such strings survive a round trip.
_YAML_LINE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PyYAML quotes what YAML 1.1 would read as another type (`off`, `2026-01-01`); files are read as
    # YAML 1.2, where `0o17` and `1e3` are numbers though 1.1 left them strings: quote those too.
    style = '"' if _YAML_LINE_BREAKS.intersection(text) else None if reads_as_string(text) else "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_CanonicalDumper.add_representer(str, _represent_str)


def dump_pattern(document: Mapping[str, Any], fmt: Literal["json", "yaml"] = "json") -> str:
    """The canonical text of a pattern document: stable key order, trailing newline.

    Content is written as given (list order kept, nothing added or dropped); only key order and
    layout are fixed, so the same document always gives the same bytes.
    """
    doc = _canonical_document(document)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        text = yaml.dump(
            doc,
            Dumper=_CanonicalDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=4096,
        )
        return text if text.endswith("\n") else text + "\n"
    raise ValueError(f"unknown format {fmt!r} (use 'json' or 'yaml')")
