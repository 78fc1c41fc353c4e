"""A table of malformed directories: each problem is reported naming its file, its field and what is wrong.

Every case writes real files into a temporary directory, loads it with `load_directory` and runs the
offline validation, exactly as `dragops-sync validate` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dragops_sync.directory import load_directory
from dragops_sync.validate import validate_desired
from kit.documents import webhook_logger
from kit.sync_dirs import write_pattern, write_settings


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Path], None]
    file: str
    field: str
    message: str  # a fragment the message must contain


def _raw(name: str, text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / "patterns").mkdir(parents=True, exist_ok=True)
        (root / "patterns" / name).write_text(text, encoding="utf-8")

    return setup


def _doc(mutate: Callable[[dict], None], name: str = "p.json") -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        doc = webhook_logger()
        mutate(doc)
        write_pattern(root, name, doc)

    return setup


def _file(name: str, text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        write_pattern(root, "ok.json", webhook_logger("Fine"))
        (root / name).write_text(text, encoding="utf-8")

    return setup


def _two_files_one_name(root: Path) -> None:
    write_pattern(root, "a.json", webhook_logger("Same"))
    write_pattern(root, "b.yaml", webhook_logger("Same"))


def _set(path: str, value: object) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _delete(key: str) -> Callable[[dict], None]:
    return lambda doc: doc.pop(key)


CASES = [
    Case("bad YAML", _raw("p.yaml", "name: [unclosed\n"), "patterns/p.yaml", "(document)", "invalid YAML"),
    Case(
        "tab indentation",
        _raw("p.yaml", "name: x\n\tgraphData: {}\n"),
        "patterns/p.yaml",
        "(document)",
        "cannot start any token",
    ),
    Case("bad JSON", _raw("p.json", '{"name": "x",}'), "patterns/p.json", "(document)", "invalid JSON"),
    Case(
        "non-mapping root",
        _raw("p.yaml", "- a\n- b\n"),
        "patterns/p.yaml",
        "(document)",
        "expected a mapping",
    ),
    Case("empty file", _raw("p.yaml", ""), "patterns/p.yaml", "(document)", "got empty"),
    Case(
        "duplicate key",
        _raw("p.yaml", "name: a\nname: b\ngraphData: {nodes: [], edges: []}\n"),
        "patterns/p.yaml",
        "name",
        "duplicate key",
    ),
    Case("wrong type", _doc(_set("isPublic", "yes")), "patterns/p.json", "isPublic", "valid boolean"),
    Case("unknown field", _doc(_set("colour", "red")), "patterns/p.json", "colour", "unknown field"),
    Case("missing name", _doc(_delete("name")), "patterns/p.json", "name", "required field is missing"),
    Case("blank name", _doc(_set("name", "   ")), "patterns/p.json", "name", "must not be empty"),
    Case("missing graph", _doc(_delete("graphData")), "patterns/p.json", "graphData", "required"),
    Case(
        "node type not a string",
        _doc(_set("graphData.nodes.1.type", 5)),
        "patterns/p.json",
        "graphData.nodes[1].type",
        "valid string",
    ),
    Case(
        "edge without target",
        _doc(lambda d: d["graphData"]["edges"][0].pop("target")),
        "patterns/p.json",
        "graphData.edges[0].target",
        "required",
    ),
    Case(
        "unsupported formatVersion",
        _doc(_set("formatVersion", 2)),
        "patterns/p.json",
        "formatVersion",
        "unsupported formatVersion 2",
    ),
    Case(
        "unknown drift mode",
        _doc(_set("sync", {"drift": "sometimes"})),
        "patterns/p.json",
        "sync.drift",
        "enforce",
    ),
    Case(
        "unknown sync field",
        _doc(_set("sync", {"deploy": True, "deploi": False})),
        "patterns/p.json",
        "sync.deploi",
        "unknown field (allowed: deploy, environmentId, prune, drift, suspend, smoke)",
    ),
    Case(
        "ownership tag written by hand",
        _doc(_set("tags", ["dragops-sync:owner=me"])),
        "patterns/p.json",
        "tags",
        "written by dragops-sync",
    ),
    Case(
        "missing trigger",
        _doc(lambda d: d["graphData"]["nodes"].pop(0)),
        "patterns/p.json",
        "graphData.nodes",
        "no trigger node",
    ),
    Case(
        "dangling edge",
        _doc(_set("graphData.edges.0.target", "node_9")),
        "patterns/p.json",
        "graphData.edges[0].target",
        "unknown node 'node_9'",
    ),
    Case(
        "duplicate node ids",
        _doc(_set("graphData.nodes.1.id", "node_1")),
        "patterns/p.json",
        "graphData.nodes[1].id",
        "duplicate node id 'node_1'",
    ),
    Case(
        "duplicate edge ids",
        _doc(lambda d: d["graphData"]["edges"].append(dict(d["graphData"]["edges"][0]))),
        "patterns/p.json",
        "graphData.edges[1].id",
        "duplicate edge id 'edge_1'",
    ),
    Case(
        "duplicate names across files",
        _two_files_one_name,
        "patterns/a.json",
        "name",
        "also in patterns/b.yaml",
    ),
    Case(
        "stray file in patterns/",
        _raw("notes.txt", "hello"),
        "patterns/notes.txt",
        "(document)",
        "not a pattern file",
    ),
    Case(
        "literal secret in connections.yaml",
        _file("connections.yaml", "connections:\n  - {name: slack, provider: slack, apiKey: xoxb-123}\n"),
        "connections.yaml",
        "connections[0].apiKey",
        "literal secrets are not allowed",
    ),
    Case(
        "unknown field in a connection",
        _file("connections.yaml", "connections:\n  - {name: s, provider: slack, apiKey: '${K}', scope: x}\n"),
        "connections.yaml",
        "connections[0].scope",
        "unknown field (allowed: name, provider, apiKey, displayName)",
    ),
    Case(
        "bad prune budget",
        _file("dragops-sync.yaml", "prune: {enabled: true, budget: lots}\n"),
        "dragops-sync.yaml",
        "prune.budget",
        'percentage ("20%")',
    ),
    Case(
        "unknown default drift mode",
        _file("dragops-sync.yaml", "defaults: {drift: revert}\n"),
        "dragops-sync.yaml",
        "defaults.drift",
        "'observe', 'warn' or 'enforce'",
    ),
    Case(
        "settings root is a list",
        _file("dragops-sync.yaml", "- owner\n"),
        "dragops-sync.yaml",
        "(document)",
        "expected a mapping",
    ),
    Case(
        "ignore entry is not a pointer",
        _file("dragops-sync.yaml", "ignore: [graphData]\n"),
        "dragops-sync.yaml",
        "ignore",
        "JSON pointer",
    ),
    Case(
        "concurrency of zero",
        _file("dragops-sync.yaml", "concurrency: 0\n"),
        "dragops-sync.yaml",
        "concurrency",
        "greater than or equal to 1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_malformed_input_is_reported_with_its_file_field_and_problem(tmp_path: Path, case: Case) -> None:
    case.setup(tmp_path)
    desired = load_directory(tmp_path)
    issues = validate_desired(desired)
    matching = [i for i in issues if i.file == case.file and i.field == case.field]
    assert matching, f"no issue for {case.file} {case.field}; got: {[str(i) for i in issues]}"
    assert any(case.message in i.message for i in matching), [i.message for i in matching]
    # file:line:col when the place is known (every issue of a file that could be read)
    assert re.match(rf"{re.escape(case.file)}(:\d+:\d+)?: {re.escape(case.field)}: ", str(matching[0]))


def test_every_problem_of_a_file_is_reported_in_one_run(tmp_path: Path) -> None:
    doc = webhook_logger()
    doc["isPublic"] = "no"
    doc["extra"] = 1
    doc["graphData"]["nodes"][1]["type"] = 3
    doc["sync"] = {"drift": "loud"}
    write_pattern(tmp_path, "p.json", doc)
    write_settings(tmp_path, "prune: {budget: -1}\n")
    fields = {(i.file, i.field) for i in load_directory(tmp_path).issues}
    assert fields == {
        ("patterns/p.json", "isPublic"),
        ("patterns/p.json", "extra"),
        ("patterns/p.json", "graphData.nodes[1].type"),
        ("patterns/p.json", "sync.drift"),
        ("dragops-sync.yaml", "prune.budget"),
    }


def test_a_literal_secret_never_appears_in_any_message(tmp_path: Path) -> None:
    sentinel = "xoxb-SENTINEL-4242"
    (tmp_path / "connections.yaml").write_text(
        json.dumps({"connections": [{"name": "slack", "provider": "slack", "apiKey": sentinel}]}),
        encoding="utf-8",
    )
    issues = load_directory(tmp_path).issues
    assert issues
    assert all(sentinel not in str(i) for i in issues)
    assert "'slack'" in issues[0].message  # the entry is named instead
