"""References by name (`${connection:NAME}`, `${pattern:NAME}`): resolved against live ids, end to end."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from dragops_emulator import Emulator, SeededUser
from dragops_sync.apply import ResultStatus
from dragops_sync.directory import load_directory
from dragops_sync.live import LiveConnection, LivePattern, LiveState
from dragops_sync.refs import graph_references, reference_ids, reference_targets, resolve_references
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.emulator import writes
from kit.git import init_repo
from kit.live import live_snapshot
from kit.sync_dirs import write_file
from kit.sync_runs import cycle

SLACK_ENV = {"SLACK_TOKEN": "xoxb-test-token-0000"}


def _notifier(connection: str = "${connection:alerts}") -> dict[str, Any]:
    return {
        "name": "Notifier",
        "graphData": {
            "nodes": [
                {
                    "id": "called",
                    "type": "OnPatternCall",
                    "data": {"properties": {"parameters": [{"name": "text", "type": "string"}]}},
                },
                {
                    "id": "post",
                    "type": "SlackSendMessage",
                    "data": {"properties": {"connectionId": connection}, "pinDefaults": {"channel": "#ops"}},
                },
            ],
            "edges": [
                {
                    "id": "e1",
                    "source": "called",
                    "sourceHandle": "exec",
                    "target": "post",
                    "targetHandle": "exec",
                },
                {
                    "id": "e2",
                    "source": "called",
                    "sourceHandle": "text",
                    "target": "post",
                    "targetHandle": "text",
                },
            ],
        },
    }


def _caller(target: str = "${pattern:Notifier}") -> dict[str, Any]:
    caller = copy.deepcopy(webhook_logger("Caller"))
    caller["graphData"]["nodes"][1] = {
        "id": "node_2",
        "type": "CallPattern",
        "data": {"properties": {"patternId": target}},
    }
    return caller


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(
        repo,
        "connections.yaml",
        "connections:\n  - {name: alerts, provider: slack, apiKey: '${SLACK_TOKEN}'}\n",
    )
    write_file(repo, "patterns/notifier.json", _notifier())
    write_file(repo, "patterns/caller.json", _caller())
    return repo


def test_references_to_objects_the_same_apply_creates_are_resolved_in_a_second_round(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        result = cycle(client, repo, env=SLACK_ENV)
        connection = client.connections.list()[0]
        patterns = {p.name: client.patterns.get(p.id) for p in client.patterns.list()}
        deployments = {d.pattern_name: d.status for d in client.deployments.list()}
        again = cycle(client, repo, dry_run=True)

    assert result.ok and result.follow_up is not None
    post = next(n for n in patterns["Notifier"].graph_data["nodes"] if n["id"] == "post")
    assert post["data"]["properties"]["connectionId"] == connection.id
    call = next(n for n in patterns["Caller"].graph_data["nodes"] if n["id"] == "node_2")
    assert call["data"]["properties"]["patternId"] == patterns["Notifier"].id
    assert deployments == {"Notifier": "active", "Caller": "active"}
    assert not again.plan.has_changes
    # Nothing was deployed with an unresolved reference: one deploy each.
    assert all(r.status == ResultStatus.OK for r in result.report.results if r.item.writes)  # type: ignore[union-attr]
    assert sorted(d.version_number for d in client_versions(emu, user)) == [1, 1]


def client_versions(emu: Emulator, user: SeededUser) -> list[Any]:
    with client_for(emu, user) as client:
        return list(client.deployments.list())


def test_a_reference_to_nothing_known_is_an_invalid_file_naming_the_field_and_nothing_is_written(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/caller.json", _caller("${pattern:Does Not Exist}"))
    write_file(repo, "patterns/logger.json", webhook_logger())
    with client_for(emu, user) as client:
        emu.clear_request_log()
        result = cycle(client, repo)
        names = [p.name for p in client.patterns.list()]

    (issue,) = result.plan.issues
    assert issue.file == "patterns/caller.json"
    assert issue.field == "graphData.nodes[1].data.properties.patternId"
    assert "'Does Not Exist'" in issue.message
    assert names == ["Webhook Logger"]  # the valid file is applied, the invalid one is not
    assert [w["path"] for w in writes(emu) if w["method"] == "POST" and w["path"] == "/api/patterns"] == [
        "/api/patterns"
    ]
    assert result.exit_code() == 1


def test_a_reference_to_a_live_pattern_of_another_repository_resolves_without_a_second_round(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/caller.json", _caller("${pattern:Shared Helper}"))
    with client_for(emu, user) as client:
        helper = client.patterns.create(name="Shared Helper", graph_data={"nodes": [], "edges": []})
        before = live_snapshot(client)["patterns"][helper.id]
        result = cycle(client, repo)
        after = live_snapshot(client)["patterns"][helper.id]
        caller = next(p for p in client.patterns.list() if p.name == "Caller")
        node = client.patterns.get(caller.id).graph_data["nodes"][1]

    assert result.ok and result.follow_up is None
    assert node["data"]["properties"]["patternId"] == helper.id
    assert before == after  # referenced, never touched


def test_resolution_and_export_are_inverse_on_live_ids() -> None:
    live = LiveState.of(
        [LivePattern(id="pat_9", name="Notifier")],
        connections=[LiveConnection(id="conn_1", provider="slack", display_name="alerts")],
    )
    document = {"name": "X", "graphData": _notifier("conn_1")["graphData"]}
    document["graphData"]["nodes"].append(
        {"id": "c", "type": "CallPattern", "data": {"properties": {"patternId": "pat_9"}}}
    )

    referenced = reference_ids(document, live)
    properties = [n["data"]["properties"] for n in referenced["graphData"]["nodes"][1:]]
    assert properties == [{"connectionId": "${connection:alerts}"}, {"patternId": "${pattern:Notifier}"}]
    assert (
        document["graphData"]["nodes"][1]["data"]["properties"]["connectionId"] == "conn_1"
    )  # input untouched


def test_an_ambiguous_connection_name_is_an_issue(tmp_path: Path) -> None:
    write_file(tmp_path, "patterns/notifier.json", _notifier())
    desired = load_directory(tmp_path)
    live = LiveState.of(
        connections=[
            LiveConnection(id="conn_1", provider="slack", display_name="alerts"),
            LiveConnection(id="conn_2", provider="slack", display_name="alerts"),
        ]
    )
    resolved, waiting = resolve_references(desired, reference_targets(live))
    assert waiting == []
    assert [(i.field, "ambiguous" in i.message) for i in resolved.issues] == [
        ("graphData.nodes[1].data.properties.connectionId", True)
    ]


def test_a_reference_to_a_declared_connection_waits_for_it_and_the_file_stays_valid(tmp_path: Path) -> None:
    write_file(
        tmp_path,
        "connections.yaml",
        "connections:\n  - {name: alerts, provider: slack, apiKey: '${SLACK_TOKEN}'}\n",
    )
    write_file(tmp_path, "patterns/notifier.json", _notifier())
    desired = load_directory(tmp_path)

    resolved, waiting = resolve_references(desired, reference_targets(LiveState()))

    assert resolved.issues == ()
    assert [str(w) for w in waiting] == [
        "pattern 'Notifier' references connection 'alerts', created by this apply"
    ]


def test_a_reference_to_a_connection_whose_key_is_missing_is_an_issue_and_nothing_is_half_written(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        result = cycle(client, repo, env={})
        names = sorted(p.name for p in client.patterns.list())

    fields = sorted((i.file, i.field) for i in result.plan.issues)
    assert fields == [
        ("connections.yaml", "connections[0].apiKey"),
        ("patterns/caller.json", "graphData.nodes[1].data.properties.patternId"),
        ("patterns/notifier.json", "graphData.nodes[1].data.properties.connectionId"),
    ]
    # The notifier cannot be bound to its connection, and the caller would call nothing: neither is
    # written with a reference left unresolved.
    assert names == []
    assert result.exit_code() == 1


def test_patterns_that_reference_each_other_before_either_exists_are_skipped_not_half_written(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    ping = _caller("${pattern:Pong}") | {"name": "Ping"}
    pong = _caller("${pattern:Ping}") | {"name": "Pong"}
    write_file(repo, "patterns/ping.json", ping)
    write_file(repo, "patterns/pong.json", pong)
    write_file(repo, "patterns/logger.json", webhook_logger())
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        names = [p.name for p in client.patterns.list()]

    assert names == ["Webhook Logger"]
    skipped = {r.item.name for r in result.report.results if r.status == ResultStatus.SKIPPED}  # type: ignore[union-attr]
    assert skipped == {"Ping", "Pong"}
    assert result.exit_code() == 1
    assert any(
        "waits for a reference this apply could not create" in r.message for r in result.report.results
    )  # type: ignore[union-attr]


def test_graph_references_lists_each_reference_with_its_node_and_field() -> None:
    graph = {
        "nodes": [
            {"id": "hook", "type": "OnWebhook", "data": {"properties": {"webhookAlias": "${connection:x"}}},
            {
                "id": "post",
                "type": "SlackSendMessage",
                "data": {"properties": {"connectionId": "${connection: a }"}},
            },
            {"id": "call", "type": "CallPattern", "data": {"properties": {"patternId": "${pattern:Enrich}"}}},
            "not a node",
        ],
        "edges": [],
    }
    found = graph_references(graph)
    assert [(r.node_id, r.kind, r.name, r.field) for r in found] == [
        ("post", "connection", "a", "graphData.nodes[1].data.properties.connectionId"),
        ("call", "pattern", "Enrich", "graphData.nodes[2].data.properties.patternId"),
    ]
    assert graph_references({"nodes": None}) == []
