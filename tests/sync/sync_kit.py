"""Helpers for the sync core tests: realistic pattern documents and sync directories on disk."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from dragops_sync.essence import essence, short_hash
from dragops_sync.live import LiveDeployment, LivePattern
from dragops_sync.ownership import APPLIED_TAG_PREFIX, OWNER_TAG_PREFIX

OWNER = "platform/automations"


def webhook_logger(name: str = "Webhook Logger", message: str = "got it") -> dict[str, Any]:
    """The design.md example: an On Webhook node wired to a Log node."""
    return {
        "formatVersion": 1,
        "name": name,
        "description": "Logs incoming webhook payloads",
        "tags": ["webhooks", "logging"],
        "graphData": {
            "nodes": [
                {
                    "id": "node_1",
                    "type": "OnWebhook",
                    "position": {"x": 0, "y": 0},
                    "data": {"properties": {"responseMode": "immediate"}},
                },
                {
                    "id": "node_2",
                    "type": "Log",
                    "position": {"x": 320, "y": 0},
                    "data": {"pinDefaults": {"message": message}},
                },
            ],
            "edges": [
                {
                    "id": "edge_1",
                    "source": "node_1",
                    "sourceHandle": "exec",
                    "target": "node_2",
                    "targetHandle": "exec",
                }
            ],
        },
    }


def scheduled_report(name: str = "Nightly Report") -> dict[str, Any]:
    return {
        "formatVersion": 1,
        "name": name,
        "description": "Logs a report every night",
        "tags": ["reports"],
        "graphData": {
            "nodes": [
                {
                    "id": "n1",
                    "type": "OnSchedule",
                    "position": {"x": 0, "y": 0},
                    "data": {"properties": {"cron": "0 2 * * *"}},
                },
                {
                    "id": "n2",
                    "type": "Log",
                    "position": {"x": 300, "y": 0},
                    "data": {"pinDefaults": {"message": "report"}},
                },
            ],
            "edges": [
                {"id": "e1", "source": "n1", "sourceHandle": "exec", "target": "n2", "targetHandle": "exec"}
            ],
        },
    }


def write_pattern(root: Path, filename: str, document: dict[str, Any]) -> Path:
    """Write `document` under root/patterns/ as JSON or YAML by suffix."""
    path = root / "patterns" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    if filename.endswith(".json"):
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def write_settings(root: Path, text: str) -> Path:
    path = root / "dragops-sync.yaml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def applied_of(document: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    return short_hash(essence(document, ignore=ignore))


def live_pattern(
    document: dict[str, Any],
    *,
    pattern_id: str = "pat_1",
    owner: str | None = OWNER,
    applied: str | None = "same",
    version: int = 1,
) -> LivePattern:
    """A live pattern as the API returns it, carrying an ownership mark.

    `applied="same"` records the hash of `document` itself (the state right after an apply).
    """
    doc = copy.deepcopy(document)
    doc.pop("formatVersion", None)
    tags = list(doc.get("tags", []))
    if owner is not None:
        tags.append(f"{OWNER_TAG_PREFIX}{owner}")
    if applied is not None:
        tags.append(f"{APPLIED_TAG_PREFIX}{applied_of(document) if applied == 'same' else applied}")
    doc.update(
        id=pattern_id,
        tags=tags,
        isPublic=False,
        isTemplate=False,
        versionNumber=version,
        createdAt="2026-02-20T10:00:00.000Z",
        updatedAt="2026-03-01T14:30:00.000Z",
    )
    return LivePattern.from_api(doc, doc)


def active(pattern_id: str = "pat_1", version: int = 1, **kw: Any) -> LiveDeployment:
    return LiveDeployment(
        pattern_id=pattern_id, status="active", deployment_id="dep_1", version_number=version, **kw
    )
