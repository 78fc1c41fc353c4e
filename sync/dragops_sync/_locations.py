"""Where a field sits in a JSON or YAML text: the line and column people see in their editor.

A `FileIssue` names its field as a path (`graphData.nodes[2].type`); these indexes turn that path back
into a place in the file, so every problem can be reported as `file:line:col` (and as a GitHub
annotation on that line). A path that does not exist in the file (a missing field) is placed on the
deepest part that does: the mapping the field is missing from.

`YamlPositions` reads the marks ruamel.yaml keeps on the composed node tree; `JsonPositions` scans
the text once, on the first question, so a file without problems never pays for it. Lines and columns
are 1-based, columns counted in characters. Pure: no I/O.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["JsonPositions", "Position", "Positions", "YamlPositions", "parse_field"]


@dataclass(frozen=True)
class Position:
    """A place in a text file: 1-based line and column."""

    line: int
    column: int


class Positions(Protocol):
    """Answers where a field path sits in one parsed document."""

    def find(self, path: Sequence[int | str]) -> Position | None:
        """The place of `path`, else of its deepest existing parent; None when nothing is known."""
        ...


# One step of a field path as `format_location` writes it: a name, or `[index]`.
_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_field(field: str) -> list[int | str]:
    """'graphData.nodes[2].type' -> ['graphData', 'nodes', 2, 'type']; [] (the root) for '(document)'."""
    if field.startswith("("):
        return []
    return [int(index) if index else name for index, name in _STEP.findall(field)]


def _node_position(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


class YamlPositions:
    """Positions in a YAML document, from its composed node tree (keys point at the key's place)."""

    def __init__(self, root: Node) -> None:
        self._root = root

    def find(self, path: Sequence[int | str]) -> Position | None:
        node = self._root
        best = _node_position(node)
        for step in path:
            if isinstance(node, MappingNode):
                for key_node, value_node in reversed(node.value):  # a repeated key: the last one counts
                    if isinstance(key_node, ScalarNode) and key_node.value == str(step):
                        best, node = _node_position(key_node), value_node
                        break
                else:
                    return best
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                best = _node_position(node)
            else:
                return best
        return best


# A JSON string (escapes included), one structural character, or a bare literal (number, true, ...).
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+')


def _json_key(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        return str(json.loads(token))
    except ValueError:
        return token[1:-1]


@dataclass
class _Frame:
    """An open JSON object or array while scanning: its path and the child being read."""

    path: tuple[int | str, ...]
    is_object: bool
    child: int | str = 0
    expecting_key: bool = True
    started: bool = False  # arrays: the current element has begun


class JsonPositions:
    """Positions in a JSON text, indexed by one scan of its tokens on the first `find`.

    A repeated key points at its last occurrence (the one the parser keeps); `duplicates` lists
    every repetition with its place.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._index: dict[tuple[int | str, ...], int] | None = None
        self._duplicates: list[tuple[tuple[int | str, ...], int]] = []
        self._line_starts: list[int] = []

    def find(self, path: Sequence[int | str]) -> Position | None:
        index = self._scan()
        key = tuple(path)
        while key not in index:
            if not key:
                return None
            key = key[:-1]
        return self._position(index[key])

    def duplicates(self) -> list[tuple[tuple[int | str, ...], Position]]:
        """Each key written again in the same object: its path and the place of the repetition."""
        self._scan()
        return [(path, self._position(offset)) for path, offset in self._duplicates]

    def _position(self, offset: int) -> Position:
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)

    def _scan(self) -> dict[tuple[int | str, ...], int]:
        if self._index is not None:
            return self._index
        index: dict[tuple[int | str, ...], int] = {}
        seen_keys: list[set[str]] = []
        frames: list[_Frame] = []
        for match in _JSON_TOKEN.finditer(self._text):
            token, offset = match.group(), match.start()
            frame = frames[-1] if frames else None
            if frame is not None and not frame.is_object and not frame.started and token not in "],":
                frame.started = True
                index[(*frame.path, frame.child)] = offset
            if token in ("[", "{"):
                if frame is None:
                    path: tuple[int | str, ...] = ()
                    index.setdefault((), offset)
                else:
                    path = (*frame.path, frame.child)
                frames.append(_Frame(path, token == "{"))
                seen_keys.append(set())
            elif token in ("]", "}"):
                if frames:
                    frames.pop()
                    seen_keys.pop()
            elif frame is None:
                index.setdefault((), offset)
            elif token == ",":
                if frame.is_object:
                    frame.expecting_key = True
                else:
                    frame.child = int(frame.child) + 1
                    frame.started = False
            elif token == ":":
                frame.expecting_key = False
            elif frame.is_object and frame.expecting_key and token.startswith('"'):
                frame.child = _json_key(token)
                index[(*frame.path, frame.child)] = offset
                if frame.child in seen_keys[-1]:
                    self._duplicates.append(((*frame.path, frame.child), offset))
                seen_keys[-1].add(frame.child)
        self._index = index
        return index
