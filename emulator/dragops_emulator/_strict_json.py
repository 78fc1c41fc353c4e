"""Parsing request bodies as strict JSON: no NaN, no Infinity, no stack-deep nesting.

Python's `json.loads` accepts the non-standard constants `NaN`, `Infinity` and `-Infinity`. A document
holding one can be stored but never served again (the response encoder refuses non-finite numbers),
so every body the emulator parses goes through :func:`loads`, which refuses them at the door with a
message the caller turns into a 400.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

__all__ = ["JSONBodyError", "loads"]


class JSONBodyError(ValueError):
    """The bytes are not strict JSON; the message says why and is safe to send back to the client."""


def _reject_constant(constant: str) -> NoReturn:
    raise JSONBodyError(f"{constant} is not allowed (JSON numbers must be finite)")


def loads(raw: bytes | str) -> Any:
    """The JSON value of ``raw`` (bytes are UTF-8); raises :class:`JSONBodyError` naming the problem."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise JSONBodyError(f"body is not valid UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise JSONBodyError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise JSONBodyError("nested too deeply") from exc
