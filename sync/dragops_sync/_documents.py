"""Reading JSON and YAML documents that people write, and reporting what is wrong with them.

Shared by the pattern files, `dragops-sync.yaml` and `connections.yaml`: a strict reader (duplicate
keys, tabs, bad encoding and syntax errors become `FileIssue`s with their line and column) and the
translation of pydantic errors into `FileIssue`s whose field is a readable path such as
`graphData.nodes[2].type`, placed on the line that field is written on (`_locations`). Every problem
is collected, not just the first.

YAML is read as YAML 1.2 (ruamel.yaml, safe and pure-Python, core schema): `off`, `no` and `NO` are
strings, as in JSON, not the booleans YAML 1.1 made of them; timestamps stay strings too, and tags
beyond the standard ones are refused.

The files are untrusted (a pull request can add any of them), so reading is bounded (`limits`): a
file larger than `MAX_FILE_BYTES` is refused from its size before it is read, anything but a regular
file is refused unread, nesting deeper than `MAX_DEPTH` is refused naming the field where it went too
deep (without ever reaching Python's recursion limit), and YAML anchors and aliases are refused while
the document is composed, before anything is constructed, so an alias bomb costs nothing.

Reads only the one file it is given; no network, no clock. Messages never quote input values, so a
secret written in the wrong place is not echoed back.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from dragops_sync._locations import JsonPositions, Position, Positions, YamlPositions, parse_field
from dragops_sync.errors import DragopsError
from dragops_sync.limits import MAX_DEPTH, MAX_FILE_BYTES

__all__ = [
    "DOCUMENT_FIELD",
    "FileFormatError",
    "FileIssue",
    "ReadDocument",
    "format_location",
    "issues_from_validation",
    "locate_issues",
    "place_issues",
    "read_document",
    "read_limited",
    "read_located",
    "reads_as_string",
]

# The `field` of an issue about the document as a whole (syntax, root type, encoding).
DOCUMENT_FIELD = "(document)"

_YAML_SUFFIXES = (".yaml", ".yml")
_JSON_SUFFIXES = (".json",)
_ALL_SUFFIXES = _YAML_SUFFIXES + _JSON_SUFFIXES


@dataclass(frozen=True)
class FileIssue:
    """One problem in a file: which field (a dotted path), what is wrong, and where it is written.

    `file` is set when the issue is reported outside its file's own error (directory loads,
    validation), so every record stands on its own. `line` and `column` (1-based) are the place of
    the field in the file when known (not for a file that could not be read at all).
    """

    field: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return (
            f"{self.where()}: {self.field}: {self.message}"
            if self.where()
            else f"{self.field}: {self.message}"
        )

    def where(self) -> str:
        """`file:line:col` (the compiler form editors and CI link), as much of it as is known."""
        place = f"{self.line}:{self.column}" if self.line is not None else ""
        if self.file and place:
            return f"{self.file}:{place}"
        return self.file or place

    def in_file(self, file: str | Path) -> FileIssue:
        """This issue, naming `file`."""
        return dataclasses.replace(self, file=str(file))

    def at(self, position: Position | None) -> FileIssue:
        """This issue placed at `position` (unchanged when None)."""
        if position is None:
            return self
        return dataclasses.replace(self, line=position.line, column=position.column)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


class FileFormatError(DragopsError):
    """A file could not be read or does not follow its format; `issues` lists every problem."""

    def __init__(self, path: str | Path, issues: Sequence[FileIssue]) -> None:
        self.path = Path(path)
        self.issues = [issue.in_file(path) if issue.file is None else issue for issue in issues]
        lines = "\n".join(f"  {_line_text(issue)}" for issue in self.issues)
        super().__init__(f"{path}: {len(self.issues)} problem(s)\n{lines}")


def _line_text(issue: FileIssue) -> str:
    place = f"{issue.line}:{issue.column}: " if issue.line is not None else ""
    return f"{place}{issue.field}: {issue.message}"


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _StrictComposer(Composer):
    """ruamel's composer, refusing anchors, aliases and too deep a nesting as it meets them.

    Called for every node before any is constructed: an alias is refused here, so a "billion
    laughs" file costs no more than its own few hundred bytes.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self._path: list[int | str] = []  # where the node being composed sits
        self._open = 0  # mappings and sequences open around it

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if parent is not None:
            self._path.append(_yaml_label(index))
        position = Position(event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            message = (
                "YAML anchors and aliases (&name, *name) are not allowed in this file; "
                "write the value out in full"
            )
            raise _Refused(FileIssue(_field(self._path), message).at(position))
        opens = isinstance(event, CollectionStartEvent)
        if opens:
            self._open += 1
            if self._open > MAX_DEPTH:
                raise _Refused(_too_deep(self._path).at(position))
        node = super().compose_node(parent, index)
        if opens:
            self._open -= 1
        if parent is not None:
            self._path.pop()
        return node


class _Refused(YAMLError):
    """The YAML composer met something refused outright (an alias, too deep a nesting)."""

    def __init__(self, issue: FileIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _yaml_label(index: Any) -> int | str:
    """The path step of a node composed with this `index` (a sequence position, the key node of a
    mapping value, None for a mapping key)."""
    if isinstance(index, int):
        return index
    if isinstance(index, ScalarNode):
        return str(index.value)
    return "(key)"


class _StrictConstructor(SafeConstructor):
    """The safe constructor (standard tags only), where a repeated key keeps its last value, as in
    JSON; the repetition itself is reported by `_inspect`."""

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        return True


# Resolves plain scalars as `_read_yaml` does (YAML 1.2 core schema); only its tables are read.
_PLAIN_RESOLVER = VersionedResolver(version=(1, 2))


def reads_as_string(text: str) -> bool:
    """Whether `text` written as a plain (unquoted) YAML scalar is read back as this same string.

    For writers of YAML: `0o17`, `1e3`, `true` or `null` must be quoted to stay strings.
    """
    tag = str(_PLAIN_RESOLVER.resolve(ScalarNode, text, (True, False)))
    return tag in (_STR, _TIMESTAMP)  # timestamps are read as strings


def _yaml_reader() -> YAML:
    """A fresh safe, pure-Python YAML 1.2 reader (one per document: readers keep state)."""
    reader = YAML(typ="safe", pure=True)
    reader.version = (1, 2)
    reader.Composer = _StrictComposer
    reader.Constructor = _StrictConstructor
    # Repeated keys are reported by `_inspect` (all of them, with their places), not raised one by one.
    reader.allow_duplicate_keys = True
    return reader


def _inspect(root: Node) -> list[FileIssue]:
    """Walk the composed tree once: report repeated keys, and keep timestamps as plain strings.

    Timestamps stay strings because pattern files are JSON documents: `createdAt: 2026-02-20T10:00:00Z`
    must round-trip as the string the export wrote, not as a datetime. (Iterative: the depth is
    already capped, but nothing here needs the call stack.)
    """
    duplicates: list[FileIssue] = []
    pending: list[tuple[Node, tuple[int | str, ...]]] = [(root, ())]
    while pending:
        node, path = pending.pop()
        if isinstance(node, ScalarNode):
            if node.tag == _TIMESTAMP:
                node.tag = _STR
        elif isinstance(node, SequenceNode):
            pending.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, value_node in node.value:
                pending.append((key_node, path))
                if not isinstance(key_node, ScalarNode):
                    pending.append((value_node, (*path, "(key)")))
                    continue
                pending.append((value_node, (*path, str(key_node.value))))
                if key_node.tag == _MERGE:
                    continue  # `<<` merges may override keys; that is not a duplicate
                key = (str(key_node.tag), str(key_node.value))
                if key in seen:
                    issue = FileIssue(_field((*path, key_node.value)), "duplicate key")
                    duplicates.append(
                        issue.at(Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                    )
                seen.add(key)
    return sorted(duplicates, key=lambda i: (i.line or 0, i.column or 0))


# Longer field paths are cut in the middle: a path 64 levels deep is still one readable line.
_FIELD_CHARS = 160


def _field(path: Sequence[int | str]) -> str:
    text = format_location(path)
    if len(text) <= _FIELD_CHARS:
        return text
    return f"{text[: _FIELD_CHARS - 50]}...{text[-47:]}"


def _too_deep(path: Sequence[int | str]) -> FileIssue:
    message = f"nested deeper than {MAX_DEPTH} levels; the limit is {MAX_DEPTH} (limits.MAX_DEPTH)"
    return FileIssue(_field(path), message)


def _too_large(size: int) -> FileIssue:
    message = (
        f"the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (5 MiB, the largest request "
        "body the DRAGOPS API accepts)"
    )
    return FileIssue(DOCUMENT_FIELD, message)


def read_limited(path: Path) -> tuple[bytes | None, list[FileIssue]]:
    """The bytes of a regular file of at most `MAX_FILE_BYTES`: (raw, []) or (None, issues).

    The size is taken from `stat` first, so a larger file is refused unread; the read stops one byte
    past the limit, so a file growing meanwhile is refused too. Devices, FIFOs and folders are never
    opened (a FIFO would block, /dev/zero never ends).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [FileIssue(DOCUMENT_FIELD, "not a regular file; not read")]
        if info.st_size > MAX_FILE_BYTES:
            return None, [_too_large(info.st_size)]
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None, [FileIssue(DOCUMENT_FIELD, "not a regular file; not read")]
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [FileIssue(DOCUMENT_FIELD, f"cannot read the file: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [_too_large(len(raw))]
    return raw, []


@dataclass(frozen=True)
class ReadDocument:
    """A file read by `read_located`: its data (None when unreadable), the problems found reading
    it, and where each field sits (None when the text never parsed)."""

    data: Any
    issues: list[FileIssue]
    positions: Positions | None = None


def read_document(path: Path, *, raw: bytes | None = None) -> tuple[Any, list[FileIssue]]:
    """Read a JSON (`.json`) or YAML (`.yml`, `.yaml`) file: (data, issues).

    `data` is None when the file could not be parsed at all (or is refused by a limit); duplicate keys
    are issues next to data. `raw` is the file's content when the caller has already read it (the
    format is still `path`'s).
    """
    read = read_located(path, raw=raw)
    return read.data, read.issues


def read_located(path: Path, *, raw: bytes | None = None) -> ReadDocument:
    """`read_document`, keeping where each field is written (`ReadDocument.positions`)."""
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES + _JSON_SUFFIXES:
        message = f"unsupported file type {suffix!r} (use .json, .yaml or .yml)"
        return ReadDocument(None, [FileIssue(DOCUMENT_FIELD, message)])
    if raw is None:
        raw, problems = read_limited(path)
        if raw is None:
            return ReadDocument(None, problems)
    elif len(raw) > MAX_FILE_BYTES:
        return ReadDocument(None, [_too_large(len(raw))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issue = FileIssue(DOCUMENT_FIELD, f"not UTF-8 text (invalid byte at offset {exc.start})")
        return ReadDocument(None, [issue.at(_byte_position(raw, exc.start))])
    if suffix in _JSON_SUFFIXES:
        return _read_json(text)
    return _read_yaml(text)


def _byte_position(raw: bytes, offset: int) -> Position:
    start = raw.rfind(b"\n", 0, offset) + 1
    return Position(raw.count(b"\n", 0, offset) + 1, len(raw[start:offset].decode("utf-8", "replace")) + 1)


def _read_json(text: str) -> ReadDocument:
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        out: dict[str, Any] = {}
        for key, value in items:
            repeated = repeated or key in out
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        issue = FileIssue(DOCUMENT_FIELD, f"invalid JSON: {exc.msg}")
        return ReadDocument(None, [issue.at(Position(exc.lineno, exc.colno))])
    except ValueError as exc:
        return ReadDocument(None, [FileIssue(DOCUMENT_FIELD, f"invalid JSON: {exc}")])
    except RecursionError:
        # The json module recurses once per level: far too deep a document never parses; find
        # where it crossed the limit in the text instead.
        path = _json_text_depth_path(text)
        return ReadDocument(None, [_too_deep(path).at(JsonPositions(text).find(path))])
    positions = JsonPositions(text)
    # At most MAX_DEPTH brackets cannot nest deeper; the walk runs only when they might.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        deep = _too_deep_path(data)
        if deep is not None:
            return ReadDocument(None, [_too_deep(deep).at(positions.find(deep))], positions)
    issues: list[FileIssue] = []
    if repeated:  # rare: only then is the text scanned for where each repetition is
        issues = [
            FileIssue(_field(path), "duplicate key").at(place) for path, place in positions.duplicates()
        ]
    return ReadDocument(data, issues, positions)


def _too_deep_path(data: Any) -> list[int | str] | None:
    """The path of the first mapping/list nested deeper than `MAX_DEPTH`, or None (iterative)."""
    if not isinstance(data, dict | list):
        return None
    pending: list[tuple[Any, int, tuple[int | str, ...]]] = [(data, 1, ())]
    while pending:
        value, depth, path = pending.pop()
        if depth > MAX_DEPTH:
            return list(path)
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            if isinstance(child, dict | list):
                pending.append((child, depth + 1, (*path, key)))
    return None


# A JSON string (the whole of it: escapes included) or one structural character.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


def _json_key(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return str(json.loads(token))
    except ValueError:
        return token[1:-1]


def _json_text_depth_path(text: str) -> list[int | str]:
    """Where a JSON text first nests deeper than `MAX_DEPTH`, read from its tokens without parsing.

    Used only when the parser gave up on the depth, which means the text up to that point was
    well-formed; the scan stops at the limit.
    """
    # One frame per open container: [key or index, expecting a key (objects only)].
    frames: list[list[Any]] = []
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            if len(frames) >= MAX_DEPTH:
                return [frame[0] for frame in frames]
            frames.append(["(key)", True] if token == "{" else [0, False])
        elif token in "]}":
            if frames:
                frames.pop()
        elif not frames:
            continue
        elif token == ",":
            frame = frames[-1]
            if isinstance(frame[0], int):
                frame[0] += 1
            else:
                frame[1] = True
        elif token == ":":
            frames[-1][1] = False
        elif frames[-1][1]:  # a string in key position
            frames[-1][0] = _json_key(token)
    return [frame[0] for frame in frames]


def _read_yaml(text: str) -> ReadDocument:
    reader = _yaml_reader()
    try:
        root = reader.compose(text)
        if root is None:
            return ReadDocument(None, [])
        issues = _inspect(root)
        data = reader.constructor.construct_document(root)
    except _Refused as exc:
        return ReadDocument(None, [exc.issue])
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        issue = FileIssue(DOCUMENT_FIELD, f"invalid YAML: {problem}")
        return ReadDocument(None, [issue.at(Position(mark.line + 1, mark.column + 1) if mark else None)])
    except YAMLError as exc:
        return ReadDocument(None, [FileIssue(DOCUMENT_FIELD, f"invalid YAML: {exc}")])
    return ReadDocument(data, issues, YamlPositions(root))


def format_location(loc: Sequence[int | str]) -> str:
    """('graphData', 'nodes', 2, 'type') -> 'graphData.nodes[2].type'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or DOCUMENT_FIELD


def issues_from_validation(
    exc: ValidationError, *, allowed: Mapping[str, Sequence[str]] | None = None
) -> list[FileIssue]:
    """Pydantic errors as `FileIssue`s, without ever quoting the offending input value.

    `allowed` maps a location (as `format_location` writes it with list indices as `[]`, "" for the
    root) to the field names accepted there, so an unknown field's message can list the right ones.
    """
    issues: list[FileIssue] = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = re.sub(r"\[\d+\]", "[]", format_location(loc[:-1])) if loc[:-1] else ""
            names = (allowed or {}).get(parent)
            hint = f" (allowed: {', '.join(names)})" if names else ""
            message = f"unknown field{hint}"
        elif kind == "missing":
            message = "required field is missing"
        elif kind.startswith("value_error"):
            # Our own validators: pydantic prefixes "Value error, "; keep our sentence.
            message = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            message = error["msg"][:1].lower() + error["msg"][1:]
        issues.append(FileIssue(format_location(loc), message))
    return issues


def place_issues(issues: Iterable[FileIssue], positions: Positions | None) -> list[FileIssue]:
    """`issues`, each not yet placed put on the line of its field in the document `positions` indexes."""
    if positions is None:
        return list(issues)
    return [
        issue if issue.line is not None else issue.at(positions.find(parse_field(issue.field)))
        for issue in issues
    ]


def locate_issues(issues: Iterable[FileIssue], root: Path) -> list[FileIssue]:
    """`issues` with each one naming a file under `root` but no line placed on its field's line.

    For the problems found after loading (graph checks, references): the files they name are read
    again, each once and only when it has such an issue, so a clean directory costs nothing.
    """
    issues = list(issues)
    files = {
        i.file for i in issues if i.line is None and i.file and Path(i.file).suffix.lower() in _ALL_SUFFIXES
    }
    positions: dict[str, Positions | None] = {}
    for file in sorted(files):
        path = root / file
        if not path.is_file() or not path.resolve().is_relative_to(root.resolve()):
            continue  # gone, or a link out of the directory: reported elsewhere, never read
        positions[file] = read_located(path).positions
    return [
        place_issues([issue], positions.get(issue.file))[0] if issue.file and issue.line is None else issue
        for issue in issues
    ]
