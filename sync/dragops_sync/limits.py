"""The caps on what a sync directory may hold: a pattern repository is untrusted input.

A pull request can add any file to `patterns/`; the daemon, the CLI and `Pattern.from_file` must read
it without hanging, crashing, reading outside the directory, or sending something the server would
refuse. Each cap below is the one place its number lives; README.md ("Limits") and docs/limits.md list
them with their reasons. The emulator enforces the same numbers with its own code (it shares none).

A leaf: imports nothing of the sync. Pure: no I/O.
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_DEPTH",
    "MAX_DESCRIPTION_CHARS",
    "MAX_EDGES",
    "MAX_FILE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_NODES",
    "MAX_TAG_CHARS",
    "control_characters",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""The largest file read: the API refuses request bodies above 5 MiB with 413 (D2),
and a pattern's body is about the size of its file, so a larger file could never be written. Checked
with `stat` before reading, and the read itself stops one byte past it."""

MAX_DEPTH = 64
"""Levels of nested mappings/lists in a document, the document itself being level 1. A pattern
needs about ten (document, graphData, nodes, a node, data, properties, a value...); the cap keeps the
recursive code that copies, validates and encodes documents far from Python's recursion limit."""

MAX_NODES = 500
"""Nodes in one pattern's graph: far above any pattern drawn by hand (the examples have under ten),
low enough that validation, diffing and a deploy of one file stay quick."""

MAX_EDGES = 2_000
"""Edges in one pattern's graph: four per node at the node cap, more than any real graph wires."""

MAX_NAME_CHARS = 200
"""Characters in a pattern name (as written, before surrounding whitespace is stripped): the
server's limit (the emulator's `clone` and create refuse longer names)."""

MAX_DESCRIPTION_CHARS = 10_000
"""Characters in a pattern description: the server's limit."""

MAX_TAG_CHARS = 100
"""Characters in one tag: the server's limit."""

# Unicode's control characters (category Cc) are exactly C0, DEL and C1. Line breaks and tabs are
# ordinary in a description; anywhere else a control character is a mistake, or an attempt to make a
# name look like another one in a terminal or a log.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters (Unicode category Cc) in `text`, as `U+XXXX`, without repeats.

    `multiline` allows tab, line feed and carriage return (descriptions). Messages quote these code
    points, never the text itself.
    """
    pattern = _CONTROLS_BUT_LINES if multiline else _CONTROLS
    found = dict.fromkeys(f"U+{ord(char):04X}" for char in pattern.findall(text))
    return list(found)
