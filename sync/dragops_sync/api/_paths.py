"""Safe path segments: ids are opaque strings, quoted so that an odd id cannot change the route."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["segment"]


def segment(value: str, what: str) -> str:
    """Return `value` quoted as one URL path segment; `what` names the argument in the error."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return quote(value, safe="")
