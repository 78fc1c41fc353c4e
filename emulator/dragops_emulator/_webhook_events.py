"""What an incoming webhook request becomes: its event data, its logged form, its response mode.

Pure helpers for the ingestion route (`_webhooks.py`): they take the parts of a request that were
already read (method, headers, query pairs, raw body) and return plain JSON values. No store, no
clock, no Starlette objects, so every rule here is easy to read in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from dragops_emulator import _strict_json as strict_json
from dragops_emulator._webhook_signing import SIGNATURE_HEADER

__all__ = [
    "INGESTION_METHODS",
    "BodyError",
    "ResponseMode",
    "event_data",
    "idempotency_key",
    "logged_body",
    "logged_headers",
    "lowercase_headers",
    "parse_body",
    "query_object",
    "response_mode",
]

# Methods a webhook URL accepts (Triggers page); the method is passed on to the pattern.
INGESTION_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Headers kept out of the request log: the signature (which would let anyone replay the logged body
# against the endpoint) and the usual credential carriers a sender might add. The run's event data
# keeps them, since the pattern receives the whole request (docs/api-contract.md#trigger-nodes).
_UNLOGGED_HEADERS = frozenset(
    {
        SIGNATURE_HEADER,
        "x-hub-signature",
        "x-hub-signature-256",
        "authorization",
        "proxy-authorization",
        "cookie",
    }
)

# A request log keeps an unparseable body as text, cut to this many characters (the log is for
# debugging a sender, not for archiving payloads that were refused anyway).
_MAX_LOGGED_TEXT = 4096


class BodyError(ValueError):
    """The body is not acceptable JSON; the message says why and is safe to send back."""


class ResponseMode(enum.StrEnum):
    """The On Webhook node's Response Mode property (node library: Immediate / Last Node / Response Node)."""

    IMMEDIATE = "immediate"
    LAST_NODE = "lastNode"
    RESPONSE_NODE = "responseNode"


def parse_body(raw: bytes, content_type: str | None) -> Any:
    """The JSON value of a request body, `{}` when the body is empty (the On Webhook Body pin's default).

    A non-empty body must be declared `application/json` (parameters such as `charset` allowed) and
    must parse; anything else raises `BodyError` naming the problem.
    """
    if not raw:
        return {}
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        shown = media_type or "none"
        raise BodyError(f"Content-Type must be application/json for a webhook body (got {shown})")
    try:
        return strict_json.loads(raw)
    except strict_json.JSONBodyError as exc:
        raise BodyError(f"Malformed JSON body: {exc}") from exc


def query_object(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The query string as an object: one value per name, or a list when a name repeats."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name not in result:
            result[name] = value
        elif isinstance(result[name], list):
            result[name].append(value)
        else:
            result[name] = [result[name], value]
    return result


def lowercase_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with lowercase names (the On Webhook Headers pin); repeated headers joined by ", "."""
    result: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


def event_data(
    *, method: str, headers: Mapping[str, str], query: Mapping[str, Any], body: Any
) -> dict[str, Any]:
    """A run's `eventData` for a webhook trigger, with the field names of the editor's test dialog."""
    return {"headers": dict(headers), "body": body, "query": dict(query), "method": method}


def logged_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as the request log shows them: without the signature and credential headers."""
    return {name: value for name, value in headers.items() if name not in _UNLOGGED_HEADERS}


def logged_body(raw: bytes, value: Any, *, parsed: bool) -> Any:
    """The body as the request log shows it: the parsed JSON, or the (cut) text of a refused body."""
    if parsed:
        return value
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    return text if len(text) <= _MAX_LOGGED_TEXT else text[:_MAX_LOGGED_TEXT] + "...[truncated]"


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """`X-Idempotency-Key`, else `X-Request-Id`, else None (blank values count as absent)."""
    for name in ("x-idempotency-key", "x-request-id"):
        value = headers.get(name, "").strip()
        if value:
            return value
    return None


def response_mode(trigger_node: Mapping[str, Any] | None) -> ResponseMode:
    """The Response Mode of an On Webhook node; Immediate when unset.

    Accepts the spellings a hand-written or exported graph may use ("lastNode", "last_node",
    "Last Node", ...). An unknown value falls back to Immediate: the deploy-time validator, not the
    ingestion path, is where a graph gets judged.
    """
    data = (trigger_node or {}).get("data")
    properties = data.get("properties") if isinstance(data, dict) else None
    value = properties.get("responseMode") if isinstance(properties, dict) else None
    if not isinstance(value, str):
        return ResponseMode.IMMEDIATE
    folded = "".join(ch for ch in value.lower() if ch.isalnum())
    return {
        "lastnode": ResponseMode.LAST_NODE,
        "responsenode": ResponseMode.RESPONSE_NODE,
    }.get(folded, ResponseMode.IMMEDIATE)
