"""export: live patterns as canonical files; stable bytes, no ownership tags, a plan with no changes after."""

from __future__ import annotations

import json
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.export import export_patterns, slugify
from dragops_sync.files import load_pattern_file
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.git import init_repo
from kit.live import live_snapshot
from kit.sync_dirs import copy_example, write_file
from kit.sync_runs import cycle

EMPTY_GRAPH = {"nodes": [], "edges": []}


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def test_exporting_twice_gives_identical_bytes(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    with client_for(emu, user) as client:
        client.patterns.create(
            name="Webhook Logger", tags=["b", "a"], graph_data=webhook_logger()["graphData"]
        )
        client.patterns.create(name="Nightly Report", graph_data=scheduled_report()["graphData"])
        first = export_patterns(client, tmp_path / "out")
        snapshot = _tree(tmp_path / "out")
        second = export_patterns(client, tmp_path / "out")

    assert _tree(tmp_path / "out") == snapshot
    assert [f.changed for f in first.files] == [True, True]
    assert [f.changed for f in second.files] == [False, False]
    assert sorted(snapshot) == [
        "dragops-sync.yaml",
        "patterns/nightly-report.json",
        "patterns/webhook-logger.json",
    ]


def test_an_exported_file_is_a_valid_pattern_file_without_ownership_tags(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n")
    write_file(repo, "patterns/logger.json", webhook_logger())
    with client_for(emu, user) as client:
        cycle(client, repo)
        export_patterns(client, tmp_path / "out", fmt="yaml")

    exported = load_pattern_file(tmp_path / "out" / "patterns" / "webhook-logger.yaml")
    assert exported.tags == ["logging", "webhooks"]
    assert exported.graph_data.document()["edges"] == webhook_logger()["graphData"]["edges"]
    assert exported.sync is None  # deployed, no environment: nothing to say beyond the defaults


def test_a_plan_right_after_exporting_managed_patterns_shows_no_changes(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n")
    write_file(repo, "patterns/logger.json", webhook_logger())
    write_file(repo, "patterns/draft.json", scheduled_report() | {"sync": {"deploy": False}})
    with client_for(emu, user) as client:
        cycle(client, repo)
        bootstrap = tmp_path / "bootstrap"
        export_patterns(client, bootstrap)
        init_repo(bootstrap)
        result = cycle(client, bootstrap, dry_run=True)

    assert result.owner == "acme/flows"  # the single owner of the exported patterns went into the settings
    assert result.exit_code(detailed=True) == 0, [(i.kind, i.name, i.reason) for i in result.plan.items]
    draft = json.loads((bootstrap / "patterns" / "nightly-report.json").read_text())
    assert draft["sync"] == {"deploy": False}


def test_export_then_adopt_then_apply_round_trips_hand_made_patterns(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    with client_for(emu, user) as client:
        client.patterns.create(name="Webhook Logger", graph_data=webhook_logger()["graphData"])
        made = client.patterns.create(name="Nightly Report", graph_data=scheduled_report()["graphData"])
        client.deployments.deploy(made.id)
        repo = tmp_path / "repo"
        export_patterns(client, repo)
        init_repo(repo, remote="git@github.com:acme/flows.git")  # adopt needs an owner nobody else guesses
        before = live_snapshot(client)
        first = cycle(client, repo, dry_run=True)
        adopted = cycle(client, repo, adopt=True)
        settled = cycle(client, repo, dry_run=True)
        after = live_snapshot(client)

    # Not ours until adopted: the plan names them, with no content difference.
    assert {i.kind.value for i in first.plan.items if i.resource.value == "pattern"} == {"unmanaged"}
    assert adopted.ok
    assert not settled.plan.has_changes
    # Adoption wrote only the ownership mark: the content is what it was.
    for pattern_id, pattern in before["patterns"].items():
        mine = [t for t in after["patterns"][pattern_id]["tags"] if not t.startswith("dragops-sync:")]
        assert mine == pattern["tags"]
        assert after["patterns"][pattern_id]["graphData"] == pattern["graphData"]


def test_export_never_overwrites_settings_and_keeps_a_files_sync_block(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    write_file(repo, "dragops-sync.yaml", "owner: mine/keep\nconcurrency: 3\n")
    write_file(repo, "patterns/my-name-for-it.json", webhook_logger() | {"sync": {"drift": "enforce"}})
    with client_for(emu, user) as client:
        client.patterns.create(
            name="Webhook Logger", description="live words", graph_data=webhook_logger()["graphData"]
        )
        result = export_patterns(client, repo)

    assert not result.settings_written
    assert (repo / "dragops-sync.yaml").read_text() == "owner: mine/keep\nconcurrency: 3\n"
    assert [f.path for f in result.files] == ["patterns/my-name-for-it.json"]  # the existing file is reused
    written = json.loads((repo / "patterns" / "my-name-for-it.json").read_text())
    assert written["description"] == "live words"
    assert written["sync"] == {"drift": "enforce"}  # the intent is the file's: kept as written


def test_slug_collisions_are_resolved_in_a_stable_order(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    with client_for(emu, user) as client:
        first = client.patterns.create(name="Order: Created!", graph_data=EMPTY_GRAPH)
        second = client.patterns.create(name="order created", graph_data=EMPTY_GRAPH)
        result = export_patterns(client, tmp_path / "a")
        again = export_patterns(client, tmp_path / "b")

    paths = {f.pattern_id: f.path for f in result.files}
    assert paths == {first.id: "patterns/order-created.json", second.id: "patterns/order-created-2.json"}
    assert {f.pattern_id: f.path for f in again.files} == paths


def test_an_invalid_file_in_the_way_is_never_overwritten(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    write_file(repo, "patterns/webhook-logger.json", "{ half written")
    with client_for(emu, user) as client:
        client.patterns.create(name="Webhook Logger", graph_data=webhook_logger()["graphData"])
        result = export_patterns(client, repo)

    assert (repo / "patterns" / "webhook-logger.json").read_text() == "{ half written"
    assert [f.path for f in result.files] == ["patterns/webhook-logger-2.json"]


def test_tag_and_name_filters_choose_what_is_exported(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    with client_for(emu, user) as client:
        client.patterns.create(name="Billing: invoices", tags=["billing"], graph_data=EMPTY_GRAPH)
        client.patterns.create(name="Billing: refunds", tags=["billing", "legacy"], graph_data=EMPTY_GRAPH)
        client.patterns.create(name="Support inbox", tags=["support"], graph_data=EMPTY_GRAPH)
        by_tag = export_patterns(client, tmp_path / "tag", tag="billing")
        by_glob = export_patterns(client, tmp_path / "glob", name_glob="*refunds")

    assert sorted(f.name for f in by_tag.files) == ["Billing: invoices", "Billing: refunds"]
    assert [f.name for f in by_glob.files] == ["Billing: refunds"]


def test_the_example_repository_round_trips_through_export(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "example")
    env = {"SLACK_TOKEN": "xoxb-sentinel-1234", "GITHUB_TRIAGE_TOKEN": "ghp-sentinel-5678"}
    with client_for(emu, user) as client:
        applied = cycle(client, repo, env=env)
        out = tmp_path / "exported"
        export_patterns(client, out, fmt="yaml")
        (out / "connections.yaml").write_text((repo / "connections.yaml").read_text())
        init_repo(out)
        replanned = cycle(client, out, dry_run=True)

    assert applied.ok, [(r.item.name, r.message) for r in applied.report.results]  # type: ignore[union-attr]
    assert replanned.exit_code(detailed=True) == 0, [(i.kind, i.name) for i in replanned.plan.items]
    notifier = (out / "patterns" / "slack-notifier.yaml").read_text()
    alert = (out / "patterns" / "deploy-failure-alert.yaml").read_text()
    assert "connectionId: ${connection:slack-alerts}" in notifier
    assert "patternId: ${pattern:Slack Notifier}" in alert
    for text in _tree(out).values():
        assert b"sentinel" not in text


def test_slugs_are_ascii_lowercase_and_never_empty() -> None:
    assert slugify("Webhook Logger") == "webhook-logger"
    assert slugify("Café — Größe") == "cafe-groe"
    assert slugify("!!!") == "pattern"
    assert slugify("x" * 200) == "x" * 80
