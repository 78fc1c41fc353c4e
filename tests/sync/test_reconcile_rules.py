"""The sync's rules end to end: drift, conflicts, --force, ownership, adoption, prune safeguards, owner."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ResultStatus
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import ActionKind, RefusalReason
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.emulator import writes
from kit.git import commit, init_repo
from kit.live import live_snapshot
from kit.sync_dirs import write_file
from kit.sync_runs import cycle


def _repo(tmp_path: Path, drift: str = "warn", extra: str = "") -> Path:
    repo = init_repo(tmp_path / "repo", remote="git@github.com:acme/automations.git")
    write_file(repo, "dragops-sync.yaml", f"defaults: {{drift: {drift}}}\n{extra}")
    write_file(repo, "patterns/webhook-logger.json", webhook_logger())
    write_file(repo, "patterns/nightly.json", scheduled_report())
    commit(repo, "patterns")
    return repo


def _id(client: Client, name: str) -> str:
    return next(p.id for p in client.patterns.list() if p.name == name)


def _kinds(result: object) -> dict[str, str]:
    plan = result.plan  # type: ignore[attr-defined]
    return {i.name: i.kind.value for i in plan.items if i.resource.value == "pattern"}


def test_the_owner_defaults_to_org_repo_and_path_of_the_git_remote(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        result = cycle(client, repo)
        tags = client.patterns.get(_id(client, "Webhook Logger")).tags

    assert result.owner == "acme/automations:."  # the directory is the top of the checkout
    assert "dragops-sync:owner=acme/automations:." in tags


def test_without_a_remote_the_owner_is_the_directory_name(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "billing-flows")
    write_file(repo, "patterns/a.json", webhook_logger())
    with client_for(emu, user) as client:
        result = cycle(client, repo, dry_run=True)

    assert result.owner == "billing-flows"


@pytest.mark.parametrize("mode", ["observe", "warn"])
def test_a_live_edit_is_reported_as_drift_and_not_reverted_outside_enforce_mode(
    emu: Emulator, user: SeededUser, tmp_path: Path, mode: str
) -> None:
    repo = _repo(tmp_path, drift=mode)
    with client_for(emu, user) as client:
        cycle(client, repo)
        client.patterns.update(_id(client, "Webhook Logger"), description="edited in the dashboard")
        emu.clear_request_log()
        result = cycle(client, repo)
        description = client.patterns.get(_id(client, "Webhook Logger")).description

    assert _kinds(result)["Webhook Logger"] == "drift"
    assert writes(emu) == []
    assert description == "edited in the dashboard"
    assert result.exit_code() == 0  # drift that is only reported is not a failure
    assert result.plan.has_changes is (mode == "warn")


def test_enforce_mode_reverts_a_live_edit_and_redeploys_a_changed_graph(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, drift="enforce")
    with client_for(emu, user) as client:
        cycle(client, repo)
        pattern_id = _id(client, "Webhook Logger")
        graph = client.patterns.get(pattern_id).graph_data
        graph["nodes"][1]["data"]["pinDefaults"]["message"] = "hacked live"
        client.patterns.update(pattern_id, graph_data=graph)
        result = cycle(client, repo)
        reverted = client.patterns.get(pattern_id).graph_data["nodes"][1]["data"]["pinDefaults"]["message"]
        deployment = client.deployments.get(pattern_id)

    done = {(r.item.kind, r.item.name) for r in result.report.results if r.status == ResultStatus.OK}  # type: ignore[union-attr]
    assert done == {(ActionKind.UPDATE, "Webhook Logger"), (ActionKind.REDEPLOY, "Webhook Logger")}
    assert reverted == "got it"
    assert deployment.version_number == 2


def test_edits_on_both_sides_are_a_conflict_that_only_force_overwrites(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, drift="enforce")
    with client_for(emu, user) as client:
        cycle(client, repo)
        pattern_id = _id(client, "Webhook Logger")
        client.patterns.update(pattern_id, description="live edit")
        write_file(repo, "patterns/webhook-logger.json", webhook_logger() | {"description": "git edit"})
        emu.clear_request_log()
        refused = cycle(client, repo)
        after_refusal = client.patterns.get(pattern_id).description
        forced = cycle(client, repo, force=True)
        after_force = client.patterns.get(pattern_id).description
        settled = cycle(client, repo, dry_run=True)

    assert _kinds(refused)["Webhook Logger"] == "conflict"
    assert after_refusal == "live edit"
    assert refused.exit_code() == 1  # a change was wanted and not made
    statuses = {r.item.name: r.status for r in refused.report.results}  # type: ignore[union-attr]
    assert statuses["Webhook Logger"] == ResultStatus.REFUSED
    forced_items = [
        i for i in forced.plan.items if i.name == "Webhook Logger" and i.kind == ActionKind.UPDATE
    ]
    assert forced_items and forced_items[0].forced
    assert after_force == "git edit"
    assert not settled.plan.has_changes


def test_an_unmanaged_pattern_of_the_same_name_is_left_alone_until_adopted(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        handmade = client.patterns.create(
            name="Webhook Logger", description="made by hand", graph_data={"nodes": [], "edges": []}
        )
        left_alone = cycle(client, repo)
        untouched = client.patterns.get(handmade.id)
        adopted = cycle(client, repo, adopt=True)
        after = client.patterns.get(handmade.id)
        count = sum(1 for p in client.patterns.list() if p.name == "Webhook Logger")

    assert _kinds(left_alone)["Webhook Logger"] == "unmanaged"
    assert untouched.description == "made by hand" and not any(
        t.startswith("dragops-sync:") for t in untouched.tags
    )
    assert _kinds(adopted)["Webhook Logger"] == "adopt"
    assert after.description == "Logs incoming webhook payloads"
    assert "dragops-sync:owner=acme/automations:." in after.tags
    assert count == 1


def test_a_pattern_of_another_owner_is_never_changed_or_pruned(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        theirs = client.patterns.create(
            name="Their Pattern",
            tags=["dragops-sync:owner=other/team"],
            graph_data={"nodes": [], "edges": []},
        )
        result = cycle(client, repo, prune=True, adopt=True)
        still = client.patterns.get(theirs.id)

    assert result.ok
    assert still.tags == ["dragops-sync:owner=other/team"]


def _managed_three(client: Client, repo: Path) -> dict[str, object]:
    write_file(repo, "patterns/third.json", webhook_logger("Third Logger"))
    cycle(client, repo)
    return live_snapshot(client)


def test_prune_is_refused_when_any_file_is_invalid(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        before = _managed_three(client, repo)
        (repo / "patterns" / "third.json").unlink()
        write_file(repo, "patterns/nightly.json", "{ not json")
        result = cycle(client, repo, prune=True)
        after = live_snapshot(client)

    assert [r.reason for r in result.plan.refusals] == [RefusalReason.INVALID_FILES]
    assert before == after
    assert result.exit_code() == 1


def test_prune_is_refused_when_the_directory_declares_no_pattern(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        before = _managed_three(client, repo)
        for path in (repo / "patterns").iterdir():
            path.unlink()
        result = cycle(client, repo, prune=True)
        after = live_snapshot(client)

    assert RefusalReason.EMPTY_DESIRED in [r.reason for r in result.plan.refusals]
    assert before == after


def test_prune_is_refused_over_the_budget(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    repo = _repo(tmp_path, extra="prune: {enabled: true, budget: 1}\n")
    with client_for(emu, user) as client:
        before = _managed_three(client, repo)
        (repo / "patterns" / "third.json").unlink()
        (repo / "patterns" / "nightly.json").unlink()
        result = cycle(client, repo)
        after = live_snapshot(client)

    assert [r.reason for r in result.plan.refusals] == [RefusalReason.OVER_BUDGET]
    assert sorted(result.plan.refusals[0].candidates) == ["Nightly Report", "Third Logger"]
    assert before == after


def test_a_file_marked_prune_false_survives_its_own_deletion(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/third.json", webhook_logger("Third Logger") | {"sync": {"prune": False}})
    with client_for(emu, user) as client:
        cycle(client, repo)
        (repo / "patterns" / "third.json").unlink()
        result = cycle(client, repo, prune=True)
        names = sorted(p.name for p in client.patterns.list())

    assert result.ok
    assert "Third Logger" in names
    assert any("kept (sync.prune: false)" in note for note in result.plan.notes)


def test_a_warm_observer_sees_its_own_writes_without_fetching_them_again(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, repo, observer)
        write_file(repo, "patterns/nightly.json", scheduled_report() | {"description": "new words"})
        cycle(client, repo, observer)
        emu.clear_request_log()
        result = cycle(client, repo, observer, dry_run=True)

    assert not result.plan.has_changes
    assert result.observation.fetched == 0
