"""Reading JSON and YAML documents that people write, and reporting what is wrong with them.

Shared by the pattern files, `dragops-sync.yaml` and `connections.yaml`: a strict reader (duplicate
keys, tabs, bad encoding and syntax errors become `FileIssue`s with a line number, YAML timestamps stay
strings) and the translation of pydantic errors into `FileIssue`s whose field is a readable path such as
`graphData.nodes[2].type`. Every problem is collected, not just the first.

The files are untrusted (a pull request can add any of them), so reading is bounded (`limits`): a
file larger than `MAX_FILE_BYTES` is refused from its size before it is read, anything but a regular
file is refused unread, nesting deeper than `MAX_DEPTH` is refused naming the field where it went too
deep (without ever reaching Python's recursion limit), and YAML anchors and aliases are refused while
the document is composed, before anything is constructed, so an alias bomb costs nothing.

Reads only the one file it is given; no network, no clock. Messages never quote input values, so a
secret written in the wrong place is not echoed back.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dragops_sync.errors import DragopsError
from dragops_sync.limits import MAX_DEPTH, MAX_FILE_BYTES

__all__ = [
    "DOCUMENT_FIELD",
    "FileFormatError",
    "FileIssue",
    "format_location",
    "issues_from_validation",
    "read_document",
    "read_limited",
]

# The `field` of an issue about the document as a whole (syntax, root type, encoding).
DOCUMENT_FIELD = "(document)"

_YAML_SUFFIXES = (".yaml", ".yml")
_JSON_SUFFIXES = (".json",)


@dataclass(frozen=True)
class FileIssue:
    """One problem in a file: which field (a dotted path) and what is wrong.

    `file` is set when the issue is reported outside its file's own error (directory loads,
    validation), so every record stands on its own.
    """

    field: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.field}: {self.message}"

    def in_file(self, file: str | Path) -> FileIssue:
        """This issue, naming `file`."""
        return FileIssue(self.field, self.message, str(file))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "field": self.field, "message": self.message}


class FileFormatError(DragopsError):
    """A file could not be read or does not follow its format; `issues` lists every problem."""

    def __init__(self, path: str | Path, issues: Sequence[FileIssue]) -> None:
        self.path = Path(path)
        self.issues = [issue.in_file(path) if issue.file is None else issue for issue in issues]
        lines = "\n".join(f"  {issue.field}: {issue.message}" for issue in self.issues)
        super().__init__(f"{path}: {len(self.issues)} problem(s)\n{lines}")


class _StrictYAMLLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate keys and leaves timestamps as strings.

    Timestamps stay strings because pattern files are JSON documents: `createdAt: 2026-02-20T10:00:00Z`
    must round-trip as the string the export wrote, not as a datetime.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[FileIssue] = []
        self._path: list[int | str] = []  # where the node being composed sits
        self._depth = 0  # mappings and sequences open around it

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # Called for every node before any is constructed: an alias is refused here, so a
        # "billion laughs" file costs no more than its own few hundred bytes.
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if parent is not None:
            self._path.append(_yaml_label(index))
        where = f" (line {event.start_mark.line + 1})" if event.start_mark else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            message = (
                f"YAML anchors and aliases (&name, *name) are not allowed in this file{where}; "
                "write the value out in full"
            )
            raise _Refused(FileIssue(_field(self._path), message))
        opens = isinstance(event, yaml.CollectionStartEvent)
        if opens:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(_too_deep(self._path, where))
        node = super().compose_node(parent, index)
        if opens:
            self._depth -= 1
        if parent is not None:
            self._path.pop()
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<` merges may override keys; that is not a duplicate
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    line = key_node.start_mark.line + 1
                    self.duplicates.append(FileIssue(str(key), f"duplicate key (line {line})"))
                seen.add(key)
            except TypeError:
                pass  # an unhashable key: SafeLoader reports it below
        return super().construct_mapping(node, deep=deep)


_StrictYAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Refused(yaml.YAMLError):
    """The YAML composer met something refused outright (an alias, too deep a nesting)."""

    def __init__(self, issue: FileIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _yaml_label(index: Any) -> int | str:
    """The path step of a node composed with this `index` (PyYAML: a sequence position, the key
    node of a mapping value, None for a mapping key)."""
    if isinstance(index, int):
        return index
    if isinstance(index, yaml.ScalarNode):
        return str(index.value)
    return "(key)"


# Longer field paths are cut in the middle: a path 64 levels deep is still one readable line.
_FIELD_CHARS = 160


def _field(path: Sequence[int | str]) -> str:
    text = format_location(path)
    if len(text) <= _FIELD_CHARS:
        return text
    return f"{text[: _FIELD_CHARS - 50]}...{text[-47:]}"


def _too_deep(path: Sequence[int | str], where: str = "") -> FileIssue:
    message = f"nested deeper than {MAX_DEPTH} levels{where}; the limit is {MAX_DEPTH} (limits.MAX_DEPTH)"
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


def read_document(path: Path, *, raw: bytes | None = None) -> tuple[Any, list[FileIssue]]:
    """Read a JSON (`.json`) or YAML (`.yaml`, `.yml`) file: (data, issues).

    `data` is None when the file could not be parsed at all (or is refused by a limit); duplicate keys
    are issues next to data. `raw` is the file's content when the caller has already read it (the
    format is still `path`'s).
    """
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES + _JSON_SUFFIXES:
        message = f"unsupported file type {suffix!r} (use .json, .yaml or .yml)"
        return None, [FileIssue(DOCUMENT_FIELD, message)]
    if raw is None:
        raw, problems = read_limited(path)
        if raw is None:
            return None, problems
    elif len(raw) > MAX_FILE_BYTES:
        return None, [_too_large(len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [FileIssue(DOCUMENT_FIELD, f"not UTF-8 text (invalid byte at offset {exc.start})")]
    if suffix in _JSON_SUFFIXES:
        return _read_json(text)
    return _read_yaml(text)


def _read_json(text: str) -> tuple[Any, list[FileIssue]]:
    issues: list[FileIssue] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                issues.append(FileIssue(key, "duplicate key"))
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        return None, [FileIssue(DOCUMENT_FIELD, message)]
    except ValueError as exc:
        return None, [FileIssue(DOCUMENT_FIELD, f"invalid JSON: {exc}")]
    except RecursionError:
        # The json module recurses once per level: far too deep a document never parses; find
        # where it crossed the limit in the text instead.
        return None, [_too_deep(_json_text_depth_path(text))]
    # At most MAX_DEPTH brackets cannot nest deeper; the walk runs only when they might.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        deep = _too_deep_path(data)
        if deep is not None:
            return None, [_too_deep(deep)]
    return data, issues


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


def _read_yaml(text: str) -> tuple[Any, list[FileIssue]]:
    loader = _StrictYAMLLoader(text)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        return None, [exc.issue]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        return None, [FileIssue(DOCUMENT_FIELD, f"invalid YAML: {problem}{where}")]
    except yaml.YAMLError as exc:
        return None, [FileIssue(DOCUMENT_FIELD, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    return data, loader.duplicates


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
