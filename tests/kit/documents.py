"""Pattern files' contents: the design's example patterns, and the owner the sync tests claim."""

from __future__ import annotations

from typing import Any

from kit.graphs import scheduled_graph, webhook_graph

OWNER = "platform/automations"


def webhook_logger(name: str = "Webhook Logger", message: str = "got it") -> dict[str, Any]:
    """The design's example pattern file: an On Webhook node wired to a Log node."""
    return {
        "formatVersion": 1,
        "name": name,
        "description": "Logs incoming webhook payloads",
        "tags": ["webhooks", "logging"],
        "graphData": webhook_graph(message),
    }


def scheduled_report(name: str = "Nightly Report") -> dict[str, Any]:
    """A pattern file that logs a report every night (On Schedule -> Log)."""
    return {
        "formatVersion": 1,
        "name": name,
        "description": "Logs a report every night",
        "tags": ["reports"],
        "graphData": scheduled_graph(),
    }
