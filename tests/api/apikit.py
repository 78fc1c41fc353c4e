"""Helpers for the API client tests: a sleep recorder, a fake clock, graphs, and client factories.

The tests talk real HTTP to the emulator (the `emu` / `user` fixtures of tests/conftest.py); these
helpers only build inputs and record what the client did.
"""

from __future__ import annotations

import threading
from typing import Any

from dragops_sync.api import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)

__all__ = [
    "STATUS_CLASSES",
    "FakeClock",
    "SleepRecorder",
    "exec_edge",
    "log_node",
    "start_graph",
    "webhook_graph",
]


class SleepRecorder:
    """An injectable `sleep` that records each requested delay instead of waiting (thread-safe)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.delays.append(seconds)


class FakeClock:
    """A manual clock; `sleep` advances it, so rate-limiter waits cost no wall-clock time."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


def log_node(node_id: str, message: str, x: int = 300) -> dict[str, Any]:
    """A Log node writing a fixed message."""
    return {
        "id": node_id,
        "type": "Log",
        "position": {"x": x, "y": 0},
        "data": {"pinDefaults": {"message": message}},
    }


def exec_edge(edge_id: str, source: str, target: str) -> dict[str, Any]:
    """An execution wire from `source` to `target`."""
    return {
        "id": edge_id,
        "source": source,
        "sourceHandle": "exec",
        "target": target,
        "targetHandle": "exec",
    }


def webhook_graph(message: str = "got it") -> dict[str, Any]:
    """On Webhook -> Log: the smallest deployable pattern with a webhook endpoint."""
    return {
        "nodes": [
            {"id": "node_1", "type": "OnWebhook", "position": {"x": 0, "y": 0}, "data": {"properties": {}}},
            log_node("node_2", message),
        ],
        "edges": [exec_edge("edge_1", "node_1", "node_2")],
    }


def start_graph(message: str = "manual run") -> dict[str, Any]:
    """On Start -> Log: a pattern that runs when executed through the API."""
    return {
        "nodes": [
            {"id": "node_1", "type": "OnStart", "position": {"x": 0, "y": 0}, "data": {}},
            log_node("node_2", message),
        ],
        "edges": [exec_edge("edge_1", "node_1", "node_2")],
    }


# Every status the client maps, with the exception class it raises; both error forms use this one table.
STATUS_CLASSES: list[tuple[int, type[APIError]]] = [
    (400, ValidationError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (413, ValidationError),
    (422, ValidationError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
]
