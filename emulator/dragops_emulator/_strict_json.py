"""Parsing request bodies as strict JSON: no NaN, no Infinity, no lone surrogates, no stack-deep nesting.

Python's `json.loads` accepts the non-standard constants `NaN`, `Infinity` and `-Infinity`. A document
holding one can be stored but never served again (the response encoder refuses non-finite numbers),
so every body the emulator parses goes through :func:`loads`, which refuses them at the door with a
message the caller turns into a 400. The same holds for a string escape of half a surrogate pair
(`"\\ud800"`): Python decodes it, but such a string cannot be encoded as UTF-8 again. And for
nesting deeper than :data:`MAX_DEPTH`: the recursive code that later copies, stores and encodes a
document (the response encoder included) would run out of stack on it.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

__all__ = ["MAX_DEPTH", "JSONBodyError", "loads"]

# Levels of arrays/objects a body may nest; a pattern document needs about ten.
MAX_DEPTH = 100


# A \uD800-\uDFFF escape: only then can a decoded string hold a lone surrogate (raw UTF-8 cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class JSONBodyError(ValueError):
    """The bytes are not strict JSON; the message says why and is safe to send back to the client."""


def _reject_constant(constant: str) -> NoReturn:
    raise JSONBodyError(f"{constant} is not allowed (JSON numbers must be finite)")


def loads(raw: bytes | str) -> Any:
    """The JSON value of ``raw`` (bytes are UTF-8); raises :class:`JSONBodyError` naming the problem."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise JSONBodyError(f"body is not valid UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise JSONBodyError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise JSONBodyError("nested too deeply") from exc
    # The walk costs more than the parse, so it runs only when the cheap counts say it might matter:
    # a body with at most MAX_DEPTH brackets cannot nest deeper, and without a surrogate escape no
    # string can hold a lone surrogate (paired escapes, an emoji written as two, are fine).
    may_nest = text.count("[") + text.count("{") > MAX_DEPTH
    may_hold_surrogate = _SURROGATE_ESCAPE.search(text) is not None
    if may_nest or may_hold_surrogate:
        _check(value)
    return value


def _check(value: Any) -> None:
    # Iterative, so the check itself cannot run out of stack on the documents it refuses.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise JSONBodyError(f"nested deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise JSONBodyError("a string holds an unpaired UTF-16 surrogate escape") from None
