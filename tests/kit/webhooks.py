"""Webhook deliveries signed independently of the emulator's code, and deployed webhook patterns."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from kit.emulator import ApiSession
from kit.graphs import webhook_graph


def sign(secret: str, body: bytes) -> str:
    """The X-Webhook-Signature of `body`, computed independently of the emulator's code."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    base_url: str,
    path: str,
    payload: Any = None,
    *,
    secret: str | None = None,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one webhook request without a bearer token, signed with `secret` when given.

    `payload` is JSON-encoded (none: empty body); `raw` sends exact bytes instead.
    """
    body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
    all_headers = {"Content-Type": "application/json"} if body else {}
    if secret is not None:
        all_headers["X-Webhook-Signature"] = sign(secret, body)
    all_headers.update(headers or {})
    with httpx.Client(base_url=base_url, timeout=30) as http:
        return http.request(method, path, content=body, headers=all_headers, params=params)


def deploy_webhook(
    api: ApiSession, graph: dict[str, Any] | None = None, *, name: str = "Webhook Logger"
) -> dict[str, Any]:
    """Create and deploy a pattern with one On Webhook node; its pattern, deployment id, endpoint,
    ingestion path and secret."""
    pattern = api.create_pattern(graph if graph is not None else webhook_graph(), name=name)
    deployment = api.deploy(pattern["id"])
    endpoint = api.only_endpoint(pattern["id"])
    return {
        "pattern": pattern,
        "deploymentId": deployment["deploymentId"],
        "endpoint": endpoint,
        "path": f"/webhooks/{endpoint['id']}",
        "secret": api.secret(endpoint["id"]),
    }


def newest_log_entry(api: ApiSession, webhook_id: str) -> dict[str, Any]:
    """The most recent record of an endpoint's request log."""
    return dict(api.request_log(webhook_id)["data"][0])
