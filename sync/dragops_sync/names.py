"""Pattern names as the server stores them, so the sync compares what the server will hold.

The server strips surrounding whitespace from a pattern's name (a create of `"Alerts "` makes a
pattern called `"Alerts"`). A name compared as written would never find the pattern its own create
made, and every apply would create another copy; so every name is normalised here before it is
compared, looked up or sent. Pure.
"""

from __future__ import annotations

__all__ = ["server_name"]


def server_name(name: str) -> str:
    """`name` as the server stores it: surrounding whitespace (as Python's `str.strip` sees it) removed."""
    return name.strip()
