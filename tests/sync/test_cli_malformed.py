"""Malformed input through `dragops-sync apply`: a message naming file and field, nothing live changed."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.git import init_repo
from kit.live import live_snapshot
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import run_cli


def _doc(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(webhook_logger("Broken"))
    change(document)
    return document


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda document: document.pop(key)


_CONNECTION = "connections:\n  - {name: alerts, provider: slack, apiKey: %s}\n"

# (id, file, content, field named in the message, words of the message)
CASES: list[tuple[str, str, Any, str, str]] = [
    ("invalid-json", "patterns/bad.json", '{"name": "Broken",', "(document)", "invalid JSON"),
    ("invalid-yaml", "patterns/bad.yaml", "name: [unclosed\ngraphData: {}\n", "(document)", "invalid YAML"),
    ("top-level-list", "patterns/bad.json", "[1, 2]", "(document)", "expected a mapping"),
    ("missing-name", "patterns/bad.json", _doc(_drop("name")), "name", "required field is missing"),
    ("blank-name", "patterns/bad.json", _doc(_set("name", "   ")), "name", "must not be empty"),
    ("unknown-field", "patterns/bad.json", _doc(_set("colour", "red")), "colour", "unknown field"),
    (
        "missing-graph",
        "patterns/bad.json",
        _doc(_drop("graphData")),
        "graphData",
        "required field is missing",
    ),
    ("nodes-not-a-list", "patterns/bad.json", _doc(_set("graphData.nodes", {})), "graphData.nodes", "list"),
    (
        "node-without-type",
        "patterns/bad.json",
        _doc(lambda d: d["graphData"]["nodes"][1].pop("type")),
        "graphData.nodes[1].type",
        "required field is missing",
    ),
    ("is-public-a-string", "patterns/bad.json", _doc(_set("isPublic", "yes")), "isPublic", "boolean"),
    ("format-version-2", "patterns/bad.json", _doc(_set("formatVersion", 2)), "formatVersion", "unsupported"),
    (
        "bad-drift-mode",
        "patterns/bad.json",
        _doc(_set("sync", {"drift": "sometimes"})),
        "sync.drift",
        "observe",
    ),
    (
        "ownership-tag-in-file",
        "patterns/bad.json",
        _doc(_set("tags", ["dragops-sync:owner=me/x"])),
        "tags",
        "written by dragops-sync",
    ),
    (
        "edge-to-unknown-node",
        "patterns/bad.json",
        _doc(_set("graphData.edges.0.target", "node_9")),
        "graphData.edges[0].target",
        "unknown node 'node_9'",
    ),
    (
        "duplicate-node-id",
        "patterns/bad.json",
        _doc(_set("graphData.nodes.1.id", "node_1")),
        "graphData.nodes[1].id",
        "duplicate node id",
    ),
    (
        "no-trigger",
        "patterns/bad.json",
        _doc(_set("graphData.nodes.0.type", "Log")),
        "graphData.nodes",
        "no trigger node",
    ),
    (
        "unknown-node-type",
        "patterns/bad.json",
        _doc(_set("graphData.nodes.1.type", "Logg")),
        "graphData.nodes[1].type",
        "did you mean 'Log'",
    ),
    (
        "not-a-pin",
        "patterns/bad.json",
        _doc(_set("graphData.edges.0.sourceHandle", "payload")),
        "graphData.edges[0].sourceHandle",
        "is not an output pin of OnWebhook",
    ),
    (
        "unknown-reference",
        "patterns/bad.json",
        _doc(
            _set(
                "graphData.nodes.1",
                {
                    "id": "node_2",
                    "type": "CallPattern",
                    "data": {"properties": {"patternId": "${pattern:Nowhere}"}},
                },
            )
        ),
        "graphData.nodes[1].data.properties.patternId",
        "neither live nor declared",
    ),
    (
        "duplicate-yaml-key",
        "patterns/bad.yaml",
        "name: A\nname: B\ngraphData: {nodes: [], edges: []}\n",
        "name",
        "duplicate key",
    ),
    ("not-a-pattern-file", "patterns/notes.txt", "remember the milk", "(document)", "not a pattern file"),
    ("settings-bad-budget", "dragops-sync.yaml", "prune: {budget: lots}\n", "prune.budget", "whole number"),
    ("settings-unknown-key", "dragops-sync.yaml", "colour: red\n", "colour", "unknown field"),
    (
        "settings-bad-concurrency",
        "dragops-sync.yaml",
        "concurrency: 0\n",
        "concurrency",
        "greater than or equal",
    ),
    (
        "literal-api-key",
        "connections.yaml",
        _CONNECTION % "xoxb-literal-secret-4242",
        "connections[0].apiKey",
        "literal secrets are not allowed",
    ),
    (
        "unset-api-key-variable",
        "connections.yaml",
        _CONNECTION % "'${DRAGOPS_TEST_UNSET_VARIABLE}'",
        "connections[0].apiKey",
        "DRAGOPS_TEST_UNSET_VARIABLE is not set",
    ),
]


@pytest.mark.parametrize(
    ("file", "content", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_malformed_input_is_named_by_file_and_field_and_changes_nothing_live(
    emu: Emulator, user: SeededUser, tmp_path: Path, file: str, content: Any, field: str, words: str
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    write_file(repo, "patterns/good.json", webhook_logger())
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    with client_for(emu, user) as client:
        before = live_snapshot(client)

    write_file(repo, file, content)
    result = run_cli(["apply", str(repo)], emu=emu, user=user)

    with client_for(emu, user) as client:
        after = live_snapshot(client)
    assert result.exit_code == 1, result.output
    assert re.search(rf"{re.escape(file)}(:\d+:\d+)?: {re.escape(field)}: ", result.output), result.output
    assert words in result.output
    assert after == before
    assert "Traceback" not in result.output
    assert "xoxb-literal-secret-4242" not in result.output


def test_more_than_fifteen_malformed_inputs_are_covered() -> None:
    assert len(CASES) >= 15
    assert len({c[0] for c in CASES}) == len(CASES)
