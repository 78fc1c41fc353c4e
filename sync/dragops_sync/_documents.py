"""Reading JSON and YAML documents that people write, and reporting what is wrong with them.

Shared by the pattern files, `dragops-sync.yaml` and `connections.yaml`: a strict reader (duplicate
keys, tabs, bad encoding and syntax errors become `FileIssue`s with a line number, YAML timestamps stay
strings) and the translation of pydantic errors into `FileIssue`s whose field is a readable path such as
`graphData.nodes[2].type`. Every problem is collected, not just the first.

Reads only the one file it is given; no network, no clock. Messages never quote input values, so a
secret written in the wrong place is not echoed back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dragops_sync.errors import DragopsError

__all__ = [
    "DOCUMENT_FIELD",
    "FileFormatError",
    "FileIssue",
    "format_location",
    "issues_from_validation",
    "read_document",
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


def read_document(path: Path, *, raw: bytes | None = None) -> tuple[Any, list[FileIssue]]:
    """Read a JSON (`.json`) or YAML (`.yaml`, `.yml`) file: (data, issues).

    `data` is None when the file could not be parsed at all; duplicate keys are issues next to data.
    `raw` is the file's content when the caller has already read it (the format is still `path`'s).
    """
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES + _JSON_SUFFIXES:
        message = f"unsupported file type {suffix!r} (use .json, .yaml or .yml)"
        return None, [FileIssue(DOCUMENT_FIELD, message)]
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return None, [FileIssue(DOCUMENT_FIELD, f"cannot read the file: {exc.strerror or exc}")]
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
    return data, issues


def _read_yaml(text: str) -> tuple[Any, list[FileIssue]]:
    loader = _StrictYAMLLoader(text)
    try:
        data = loader.get_single_data()
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
