"""apply over typed plan steps, on the real emulator: phases run in order, and an item is skipped when
an item it depends on failed or was skipped (decided from the results of earlier phases)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions, ItemResult, ResultStatus, apply_plan
from dragops_sync.desired import DesiredState
from dragops_sync.directory import load_directory
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import ActionKind, Plan, PlanOptions, Resource
from dragops_sync.planner import build_plan
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.emulator import writes
from kit.git import init_repo
from kit.live import unbinned_names
from kit.sync_dirs import write_file
from kit.sync_runs import cycle

OWNER = "acme/automations"
K = ActionKind


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", f"owner: {OWNER}\n")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    write_file(repo, "patterns/nightly.json", scheduled_report())
    return repo


def _plan(client: Client, repo: Path, *, prune: bool = False) -> tuple[Plan, DesiredState]:
    desired = load_directory(repo)
    return build_plan(desired, LiveObserver(client).observe(), PlanOptions(owner=OWNER, prune=prune)), desired


def _changed_both(repo: Path) -> None:
    write_file(repo, "patterns/webhook-logger.json", webhook_logger(message="changed"))
    nightly = scheduled_report()
    nightly["graphData"]["nodes"][0]["data"]["properties"]["cron"] = "0 3 * * *"
    write_file(repo, "patterns/nightly.json", nightly)


def test_a_failed_update_skips_its_redeploy_and_not_the_other_patterns(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _changed_both(repo)
        plan, desired = _plan(client, repo)
        # Non-retryable: the first update ("Nightly Report", first in plan order) fails once.
        emu.inject_fault(method="PUT", path="/api/patterns/*", kind="status", status=400, count=1)
        report = apply_plan(client, plan, desired, ApplyOptions(concurrency=1))

    outcome = {(r.item.kind, r.item.name): (r.status, r.message) for r in report.results}
    assert outcome[(K.UPDATE, "Nightly Report")][0] == ResultStatus.FAILED
    assert outcome[(K.REDEPLOY, "Nightly Report")] == (
        ResultStatus.SKIPPED,
        "the write of pattern 'Nightly Report' did not succeed",
    )
    assert outcome[(K.UPDATE, "Webhook Logger")][0] == ResultStatus.OK
    assert outcome[(K.REDEPLOY, "Webhook Logger")] == (ResultStatus.OK, "active at version 2")


def test_a_failed_prune_undeploy_skips_the_bin_and_the_pattern_stays(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        cycle(client, repo)
        (repo / "patterns" / "webhook-logger.json").unlink()
        plan, desired = _plan(client, repo, prune=True)
        emu.inject_fault(method="DELETE", path="/api/patterns/*/deploy", kind="status", status=400, count=1)
        report = apply_plan(client, plan, desired)
        names = unbinned_names(client)

    done = [(r.item.kind, r.status, r.message) for r in report.results if r.item.name == "Webhook Logger"]
    assert [(kind, status) for kind, status, _ in done] == [
        (K.UNDEPLOY, ResultStatus.FAILED),
        (K.BIN, ResultStatus.SKIPPED),
    ]
    assert (
        done[1][2]
        == "pattern 'Webhook Logger' could not be undeployed, so it is not moved to the recycle bin"
    )
    assert names == ["Nightly Report", "Webhook Logger"] and not report.ok


def test_results_arrive_phase_by_phase_and_are_reported_in_plan_order(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/old.json", webhook_logger("Old"))
    with client_for(emu, user) as client:
        cycle(client, repo)
        _changed_both(repo)
        (repo / "patterns" / "old.json").unlink()
        plan, desired = _plan(client, repo, prune=True)
        seen: list[ItemResult] = []
        report = apply_plan(client, plan, desired, ApplyOptions(concurrency=8), on_result=seen.append)

    assert report.ok
    phases = [r.item.phase for r in seen]
    assert phases == sorted(phases)  # type: ignore[type-var]
    assert [r.item for r in report.results] == list(plan.items)
    assert [(r.item.kind, r.item.name) for r in report.results if r.item.writes] == [
        (K.UPDATE, "Nightly Report"),
        (K.UPDATE, "Webhook Logger"),
        (K.REDEPLOY, "Nightly Report"),
        (K.REDEPLOY, "Webhook Logger"),
        (K.UNDEPLOY, "Old"),
        (K.BIN, "Old"),
    ]


def test_a_dependency_left_out_of_the_plan_is_no_obstacle(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        cycle(client, repo)
        _changed_both(repo)
        plan, desired = _plan(client, repo)
        # A caller holding back the writes of one pattern (as the daemon does during a backoff).
        held = replace(
            plan, items=tuple(i for i in plan.items if (i.kind, i.name) != (K.UPDATE, "Nightly Report"))
        )
        report = apply_plan(client, held, desired)

    statuses = {(r.item.kind, r.item.name): r.status for r in report.results}
    assert statuses[(K.REDEPLOY, "Nightly Report")] == ResultStatus.OK


def test_a_deploy_of_a_pattern_the_same_apply_creates_takes_the_id_from_the_create(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        plan, desired = _plan(client, repo)
        report = apply_plan(client, plan, desired)
        live = {p.name: p.id for p in client.patterns.list()}

    deploys = {r.item.name: r for r in report.results if r.item.resource == Resource.DEPLOYMENT}
    assert all(r.item.pattern_id is None for r in deploys.values())
    assert {name: r.pattern_id for name, r in deploys.items()} == live


def test_an_item_without_a_phase_is_refused_before_anything_is_written(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        plan, desired = _plan(client, repo)
        unphased = replace(plan, items=(replace(plan.items[0], phase=None), *plan.items[1:]))
        emu.clear_request_log()
        with pytest.raises(ValueError, match="has no phase"):
            apply_plan(client, unphased, desired)

    assert writes(emu) == []
