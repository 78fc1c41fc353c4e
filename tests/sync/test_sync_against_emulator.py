"""The pure core against real server data: exports, round trips and the emulator's node library.

The client talks real HTTP to the emulator; the core then reads what the server really returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.directory import load_directory
from dragops_sync.essence import essence
from dragops_sync.files import dump_pattern, load_pattern_file
from dragops_sync.live import LiveDeployment, LivePattern, LiveState
from dragops_sync.plan import ActionKind, PatternCreate, PlanOptions
from dragops_sync.planner import build_plan
from dragops_sync.validate import NodeLibrary, validate_pattern
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.sync_dirs import write_pattern, write_settings


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token, env={}) as c:
        yield c


def _live(client: Client) -> LiveState:
    """What a caller gathers: every pattern with its full document, and the deployments."""
    patterns, deployments = [], []
    for summary in client.patterns.list():
        full = client.patterns.get(summary.id).to_api()
        patterns.append(LivePattern.from_api(summary.to_api(), full))
        if full.get("versionNumber"):
            dep = client.deployments.get(summary.id).to_api()
            deployments.append(LiveDeployment.from_api(summary.id, dep))
    return LiveState.of(patterns, deployments)


def _apply_writes(client: Client, plan: Any) -> None:
    """The few writes these tests need (apply itself is built elsewhere)."""
    for item in plan.items:
        if isinstance(item.operation, PatternCreate):
            body = item.operation.spec.to_api()
            client.patterns.create(
                name=body["name"],
                description=body["description"],
                tags=body["tags"],
                graph_data=body["graphData"],
                is_public=body["isPublic"],
                is_template=body["isTemplate"],
            )


def test_an_exported_document_loads_as_a_pattern_file_with_the_live_essence(
    client: Client, tmp_path: Path
) -> None:
    doc = webhook_logger()
    created = client.patterns.create(
        name=doc["name"], description=doc["description"], graph_data=doc["graphData"]
    )
    exported = client.patterns.export(created.id)
    path = tmp_path / "patterns" / "logger.json"
    path.parent.mkdir()
    path.write_text(dump_pattern(exported), encoding="utf-8")
    pattern = load_pattern_file(path)
    assert essence(pattern.document()) == essence(client.patterns.get(created.id).to_api())
    assert path.read_text(encoding="utf-8") == dump_pattern(client.patterns.export(created.id))


def test_after_creating_what_the_plan_wrote_the_next_plan_is_in_sync(client: Client, tmp_path: Path) -> None:
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    write_pattern(tmp_path, "logger.yaml", webhook_logger())
    write_pattern(tmp_path, "report.json", scheduled_report())
    desired = load_directory(tmp_path)

    first = build_plan(desired, _live(client))
    assert [i.kind for i in first.items] == [ActionKind.CREATE, ActionKind.CREATE]
    _apply_writes(client, first)

    second = build_plan(desired, _live(client))
    assert [(i.kind, i.refresh_mark) for i in second.items] == [(ActionKind.NOOP, False)] * 2
    assert not second.has_changes


def test_an_unmanaged_live_pattern_of_the_same_name_is_left_alone_unless_adopted(
    client: Client, tmp_path: Path
) -> None:
    doc = webhook_logger()
    client.patterns.create(
        name=doc["name"], description=doc["description"], tags=doc["tags"], graph_data=doc["graphData"]
    )
    write_settings(tmp_path, f"owner: {OWNER}\ndefaults: {{deploy: false}}\n")
    write_pattern(tmp_path, "logger.yaml", doc)
    desired = load_directory(tmp_path)
    live = _live(client)
    assert [i.kind for i in build_plan(desired, live).items] == [ActionKind.UNMANAGED]
    adopt = build_plan(desired, live, PlanOptions(adopt=True))
    assert [(i.kind, i.changes) for i in adopt.items] == [(ActionKind.ADOPT, ())]


def test_validation_with_the_emulators_node_library(client: Client, tmp_path: Path) -> None:
    library = NodeLibrary([definition.to_api() for definition in client.nodes.list()])
    good = load_pattern_file(write_pattern(tmp_path, "good.json", webhook_logger()))
    assert validate_pattern(good, file="good.json", library=library) == []

    bad_doc = webhook_logger()
    bad_doc["graphData"]["nodes"][1]["type"] = "Logg"
    bad_doc["graphData"]["edges"][0]["sourceHandle"] = "exit"
    bad_doc["graphData"]["edges"].append(
        {
            "id": "edge_2",
            "source": "node_1",
            "sourceHandle": "body",
            "target": "node_1",
            "targetHandle": "nope",
        }
    )
    bad = load_pattern_file(write_pattern(tmp_path, "bad.json", bad_doc))
    issues = {i.field: i.message for i in validate_pattern(bad, file="bad.json", library=library)}
    assert issues["graphData.nodes[1].type"] == "unknown node type 'Logg'; did you mean 'Log'?"
    assert issues["graphData.edges[0].sourceHandle"].startswith("'exit' is not an output pin of OnWebhook")
    assert "'nope' is not an input pin of OnWebhook" in issues["graphData.edges[1].targetHandle"]
    assert set(issues) == {
        "graphData.nodes[1].type",
        "graphData.edges[0].sourceHandle",
        "graphData.edges[1].targetHandle",
    }


def test_every_trigger_of_the_emulators_library_counts_as_a_trigger(client: Client) -> None:
    definitions = [d.to_api() for d in client.nodes.list()]
    library = NodeLibrary(definitions)
    flagged = {d["id"] for d in definitions if d.get("isTrigger")}
    assert flagged <= library.trigger_types
    assert {"OnWebhook", "OnSchedule"} <= library.trigger_types
