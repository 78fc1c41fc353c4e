"""Small helpers for the emulator's own tests: an httpx client bound to an emulator and a user."""

from __future__ import annotations

from typing import Any

import httpx

from dragops_emulator import Emulator, SeededUser


def api_client(emu: Emulator, user: SeededUser | None = None, *, token: str | None = None) -> httpx.Client:
    """A client for ``emu.url`` that sends the user's (or the given) bearer token; close it after use."""
    headers = {}
    bearer = token if token is not None else (user.token if user is not None else None)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    # trust_env=False: never route test traffic through a proxy from the environment.
    return httpx.Client(base_url=emu.url, headers=headers, trust_env=False, timeout=30)


def create_pattern(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    """Create a pattern (name defaults to "P") and return the pattern object."""
    fields.setdefault("name", "P")
    response = client.post("/api/patterns", json=fields)
    assert response.status_code == 201, response.text
    pattern: dict[str, Any] = response.json()["data"]
    return pattern


def webhook_graph(*node_ids: str) -> dict[str, Any]:
    """A graph with one On Webhook node per id, wired to nothing."""
    return {
        "nodes": [{"id": node_id, "type": "OnWebhook", "position": {"x": 0, "y": 0}} for node_id in node_ids],
        "edges": [],
    }


def form_a(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of a form-A error body."""
    body = response.json()
    assert isinstance(body["error"], str), body
    return body["code"], body["error"]


def form_b(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of a form-B error body."""
    body = response.json()
    assert body["success"] is False, body
    return body["error"]["code"], body["error"]["message"]
