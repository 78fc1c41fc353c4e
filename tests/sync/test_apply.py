"""apply: creates, updates, prunes and redeploys through the real emulator, one result per item."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync import apply
from dragops_sync.apply import ApplyOptions, ResultStatus, apply_plan
from dragops_sync.directory import load_directory
from dragops_sync.essence import essence, short_hash
from dragops_sync.observe import LiveObserver
from dragops_sync.ownership import APPLIED_TAG_PREFIX, OWNER_TAG_PREFIX
from dragops_sync.plan import ActionKind, PlanOptions
from dragops_sync.planner import build_plan
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.emulator import writes
from kit.git import init_repo
from kit.live import live_snapshot, unbinned_names
from kit.sync_dirs import write_file
from kit.sync_runs import cycle

OWNER = "acme/automations"


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", f"owner: {OWNER}\n")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    write_file(repo, "patterns/nightly.json", scheduled_report())
    return repo


def test_a_first_apply_creates_marks_and_deploys_every_pattern(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        live = {p.name: client.patterns.get(p.id) for p in client.patterns.list()}
        deployments = {d.pattern_id: d for d in client.deployments.list()}

    assert result.ok and result.exit_code() == 0
    assert [r.status for r in result.report.results] == [ResultStatus.OK] * 4  # type: ignore[union-attr]
    logger = live["Webhook Logger"]
    expected_hash = short_hash(essence(webhook_logger()))
    assert f"{OWNER_TAG_PREFIX}{OWNER}" in logger.tags
    assert f"{APPLIED_TAG_PREFIX}{expected_hash}" in logger.tags
    assert sorted(t for t in logger.tags if not t.startswith("dragops-sync:")) == ["logging", "webhooks"]
    assert logger.graph_data["edges"] == webhook_logger()["graphData"]["edges"]
    assert {d.status for d in deployments.values()} == {"active"}
    assert {deployments[p.id].version_number for p in live.values()} == {1}


def test_a_changed_file_updates_the_pattern_and_redeploys_it(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, repo, observer)
        write_file(repo, "patterns/webhook-logger.json", webhook_logger(message="payload received"))
        result = cycle(client, repo, observer)
        logger = next(p for p in client.patterns.list() if p.name == "Webhook Logger")
        full = client.patterns.get(logger.id)
        deployment = client.deployments.get(logger.id)
        again = cycle(client, repo, observer, dry_run=True)

    kinds = [(r.item.kind, r.status) for r in result.report.results if r.status != ResultStatus.UNCHANGED]  # type: ignore[union-attr]
    assert kinds == [(ActionKind.UPDATE, ResultStatus.OK), (ActionKind.REDEPLOY, ResultStatus.OK)]
    assert full.graph_data["nodes"][1]["data"]["pinDefaults"]["message"] == "payload received"
    assert (deployment.status, deployment.version_number) == ("active", 2)
    assert not again.plan.has_changes


def test_deploy_false_undeploys_and_a_deleted_file_is_pruned_only_with_prune(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        cycle(client, repo)
        nightly = {**scheduled_report(), "sync": {"deploy": False}}
        write_file(repo, "patterns/nightly.json", nightly)
        undeployed = cycle(client, repo)
        (repo / "patterns" / "webhook-logger.json").unlink()
        without_prune = cycle(client, repo)
        names_after_no_prune = sorted(p.name for p in client.patterns.list())
        pruned = cycle(client, repo, prune=True)
        names_after_prune = unbinned_names(client)
        nightly_id = next(p.id for p in client.patterns.list() if p.name == "Nightly Report")
        nightly_status = client.deployments.get(nightly_id).status

    assert [r.item.kind for r in undeployed.report.results if r.status == ResultStatus.OK] == [
        ActionKind.UNDEPLOY
    ]  # type: ignore[union-attr]
    assert nightly_status == "undeployed"
    assert without_prune.ok and names_after_no_prune == ["Nightly Report", "Webhook Logger"]
    assert any(
        "--prune would move them to the recycle bin: Webhook Logger" in n for n in without_prune.plan.notes
    )
    done = [(r.item.kind, r.status) for r in pruned.report.results if r.status != ResultStatus.UNCHANGED]  # type: ignore[union-attr]
    # the deployed pattern is undeployed first, then moved to the recycle bin (tests/sync/test_recycle_bin.py)
    assert done == [(ActionKind.UNDEPLOY, ResultStatus.OK), (ActionKind.BIN, ResultStatus.OK)]
    assert names_after_prune == ["Nightly Report"]


def test_duplicate_names_in_two_files_stop_the_apply_before_any_write(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/copy.json", webhook_logger())
    with client_for(emu, user) as client:
        emu.clear_request_log()
        result = cycle(client, repo)

    assert writes(emu) == []
    assert result.exit_code() == 1
    assert result.report is not None
    assert all(
        r.status in (ResultStatus.SKIPPED, ResultStatus.UNCHANGED, ResultStatus.REFUSED)
        for r in result.report.results
    )


def test_two_live_managed_patterns_with_one_name_stop_the_apply_before_any_write(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        cycle(client, repo)
        original = next(p for p in client.patterns.list() if p.name == "Webhook Logger")
        client.patterns.create(
            name="Webhook Logger", tags=list(original.tags), graph_data={"nodes": [], "edges": []}
        )
        write_file(repo, "patterns/nightly.json", scheduled_report() | {"description": "changed"})
        emu.clear_request_log()
        result = cycle(client, repo)

    assert writes(emu) == []
    assert result.report is not None and result.report.blocked
    assert any(e.code == "duplicate_live_names" for e in result.plan.errors)


def test_a_create_committed_then_failed_is_not_duplicated(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=503, count=1)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        names = sorted(p.name for p in client.patterns.list())
        again = cycle(client, repo, dry_run=True)

    assert result.ok, [r.message for r in result.report.results]  # type: ignore[union-attr]
    assert names == ["Nightly Report", "Webhook Logger"]
    assert not again.plan.has_changes


def test_a_dropped_deploy_answer_is_not_deployed_twice(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    emu.inject_fault(method="POST", path="/api/patterns/*/deploy", kind="commit_then_fail", status=0, count=1)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        versions = sorted(d.version_number or 0 for d in client.deployments.list())

    assert result.ok, [r.message for r in result.report.results]  # type: ignore[union-attr]
    assert versions == [1, 1]


def test_a_deploy_rejected_with_422_fails_that_item_naming_the_node_and_the_others_succeed(
    emu: Emulator, user: SeededUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    broken = scheduled_report("Broken Schedule")
    # An On Schedule node without its cron. `validate` refuses that when the node library says the
    # property is required (docs/deploy-checks.md), so the sync here reads a library in which nothing
    # is required: a server whose rules changed after the sync read them. The deploy stays the judge.
    del broken["graphData"]["nodes"][0]["data"]["properties"]["cron"]
    write_file(repo, "patterns/broken.json", broken)
    with client_for(emu, user) as client:
        stale = {
            type_id: {
                **definition,
                "inputs": [{k: v for k, v in pin.items() if k != "required"} for pin in definition["inputs"]],
                "properties": [
                    {k: v for k, v in prop.items() if k != "required"}
                    for prop in definition.get("properties", [])
                ],
            }
            for type_id, definition in client.nodes.library().items()
        }
        monkeypatch.setattr(client.nodes, "library", lambda: stale)
        result = cycle(client, repo)
        deployed = {d.pattern_name for d in client.deployments.list() if d.status == "active"}

    failed = [r for r in result.report.results if r.status == ResultStatus.FAILED]  # type: ignore[union-attr]
    assert [(r.item.kind, r.item.name) for r in failed] == [(ActionKind.DEPLOY, "Broken Schedule")]
    assert "422" in failed[0].message and "node n1" in failed[0].message
    assert deployed == {"Nightly Report", "Webhook Logger"}
    assert result.exit_code() == 1


def test_a_pending_deployment_is_polled_until_active(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    emu.update_settings(activation_delay_seconds=0.6)
    with client_for(emu, user) as client:
        result = cycle(client, repo)

    (deploy,) = [r for r in result.report.results if r.item.kind == ActionKind.DEPLOY]  # type: ignore[union-attr]
    assert deploy.status == ResultStatus.OK and deploy.message == "active at version 1"
    polls = [r for r in emu.request_log() if r["path"].endswith("/deployment")]
    assert len(polls) >= 2  # answered pending at least once, then active


def test_a_deployment_that_never_becomes_active_is_a_failed_item(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    emu.update_settings(activation_delay_seconds=3600)
    with client_for(emu, user) as client:
        desired = load_directory(repo)
        observer = LiveObserver(client)
        plan = build_plan(desired, observer.observe(), PlanOptions(owner=OWNER))
        report = apply_plan(client, plan, desired, ApplyOptions(deploy_wait=1.0), observer=observer)

    (deploy,) = [r for r in report.results if r.item.kind == ActionKind.DEPLOY]
    assert deploy.status == ResultStatus.FAILED
    assert "still pending" in deploy.message
    assert not report.ok


def test_a_stop_request_skips_every_item_not_yet_started(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    stop = threading.Event()
    stop.set()
    with client_for(emu, user) as client:
        before = live_snapshot(client)
        emu.clear_request_log()
        result = cycle(client, repo, stop_event=stop)
        after = live_snapshot(client)

    assert writes(emu) == []
    assert before == after
    assert result.report is not None and result.report.stopped
    assert {r.status for r in result.report.results} == {ResultStatus.SKIPPED}
    assert result.exit_code() == 1


def test_a_failed_create_skips_that_patterns_deploy_and_not_the_others(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        desired = load_directory(repo)
        plan = build_plan(desired, LiveObserver(client).observe(), PlanOptions(owner=OWNER))
        # Every retry of the first create fails with a non-retryable error.
        emu.inject_fault(method="POST", path="/api/patterns", kind="status", status=400, count=1)
        report = apply_plan(client, plan, desired, ApplyOptions(concurrency=1))

    statuses = {(r.item.kind, r.item.name): r.status for r in report.results}
    assert statuses[(ActionKind.CREATE, "Nightly Report")] == ResultStatus.FAILED
    assert statuses[(ActionKind.DEPLOY, "Nightly Report")] == ResultStatus.SKIPPED
    assert statuses[(ActionKind.CREATE, "Webhook Logger")] == ResultStatus.OK
    assert statuses[(ActionKind.DEPLOY, "Webhook Logger")] == ResultStatus.OK


@pytest.mark.parametrize("concurrency", [1, 8])
def test_many_patterns_are_applied_in_parallel_without_losing_any(
    emu: Emulator, user: SeededUser, tmp_path: Path, concurrency: int
) -> None:
    repo = init_repo(tmp_path / "repo")
    for index in range(12):
        write_file(repo, f"patterns/p{index:02}.json", webhook_logger(f"Logger {index:02}"))
    with client_for(emu, user) as client:
        result = cycle(client, repo, concurrency=concurrency)
        live = sorted(p.name for p in client.patterns.list())

    assert result.ok
    assert live == [f"Logger {i:02}" for i in range(12)]
    assert result.report is not None and result.report.count(ResultStatus.OK) == 24


def test_a_deploy_whose_read_back_failed_is_read_again_and_reported_deployed(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    # The deploys are accepted; the first read-back GET of each answers 500 (not retried by the client).
    emu.inject_fault(method="GET", path="/api/patterns/*/deployment", kind="status", status=500, count=2)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        deployments = [d for d in client.deployments.list() if d.status == "active"]

    assert result.ok, [r.message for r in result.report.results]  # type: ignore[union-attr]
    assert len(deployments) == 2
    failed_reads = [r for r in emu.request_log() if r["method"] == "GET" and r["status"] == 500]
    assert len(failed_reads) == 2


def test_a_deploy_that_can_never_be_read_back_still_fails(
    emu: Emulator, user: SeededUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply, "_READ_BACK_RETRIES", (0.05, 0.05))  # the reads, not their waits, matter
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", f"owner: {OWNER}\n")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    emu.inject_fault(method="GET", path="/api/patterns/*/deployment", kind="status", status=500, count=100)
    with client_for(emu, user) as client:
        result = cycle(client, repo)

    assert result.report is not None
    deploys = [r for r in result.report.results if r.item.kind == ActionKind.DEPLOY]
    assert [r.status for r in deploys] == [ResultStatus.FAILED]  # never claimed without a read-back
