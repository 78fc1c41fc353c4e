"""The planner: every action kind, drift versus conflict, force, adoption, deploy intent and ordering."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dragops_sync.desired import DesiredState
from dragops_sync.directory import load_directory
from dragops_sync.live import LiveConnection, LiveDeployment, LiveState
from dragops_sync.ownership import APPLIED_TAG_PREFIX, KEEP_TAG, OWNER_TAG_PREFIX
from dragops_sync.plan import (
    ActionKind,
    PatternCreate,
    PatternUpdate,
    Plan,
    PlanItem,
    PlanOptions,
    Resource,
    TwinReduce,
)
from dragops_sync.planner import build_plan
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.live import active, applied_of, live_pattern
from kit.sync_dirs import write_pattern, write_settings

K = ActionKind


def _desired(root: Path, *docs: dict[str, Any], settings: str = "") -> DesiredState:
    write_settings(root, f"owner: {OWNER}\n{settings}")
    for i, doc in enumerate(docs):
        write_pattern(root, f"p{i}.yaml", doc)
    return load_directory(root)


def _body(item: PlanItem) -> dict[str, Any]:
    """The API body a pattern item writes (its operation's spec, ownership mark in `tags`)."""
    assert isinstance(item.operation, (PatternCreate, PatternUpdate)), item.operation
    return item.operation.spec.to_api()


def _kinds(plan: Plan) -> list[tuple[str, str, str]]:
    return [(str(i.kind), str(i.resource), i.name) for i in plan.items]


def _edited(doc: dict[str, Any], message: str = "edited") -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = message
    return out


# -- creates and in-sync --------------------------------------------------------------------------


def test_a_new_file_is_created_then_deployed(tmp_path: Path) -> None:
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState())
    assert _kinds(plan) == [
        ("create", "pattern", "Webhook Logger"),
        ("deploy", "deployment", "Webhook Logger"),
    ]
    create = plan.items[0]
    assert _body(create)["tags"] == [
        "logging",
        "webhooks",
        f"{OWNER_TAG_PREFIX}{OWNER}",
        f"{APPLIED_TAG_PREFIX}{applied_of(webhook_logger())}",
    ]
    assert (
        "formatVersion" not in _body(create) and _body(create)["graphData"] == webhook_logger()["graphData"]
    )
    assert {c.path for c in create.changes} >= {"/name", "/graphData"}
    assert plan.has_changes and plan.valid


def test_a_file_with_deploy_false_is_created_without_a_deploy(tmp_path: Path) -> None:
    plan = build_plan(_desired(tmp_path, webhook_logger() | {"sync": {"deploy": False}}), LiveState())
    assert _kinds(plan) == [("create", "pattern", "Webhook Logger")]


def test_a_pattern_equal_to_its_file_is_in_sync(tmp_path: Path) -> None:
    doc = webhook_logger()
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live_pattern(doc)], [active()]))
    assert _kinds(plan) == [("noop", "pattern", "Webhook Logger")]
    assert not plan.items[0].refresh_mark and not plan.has_changes


def test_in_sync_whatever_the_hash_says_with_a_quiet_mark_refresh(tmp_path: Path) -> None:
    doc = webhook_logger()
    live = live_pattern(doc, applied="000000000000")
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live], [active()]))
    item = plan.items[0]
    assert (item.kind, item.refresh_mark) == (K.NOOP, True)
    assert f"{APPLIED_TAG_PREFIX}{applied_of(doc)}" in _body(item)["tags"]
    assert not plan.has_changes


def test_ignored_fields_do_not_make_a_change(tmp_path: Path) -> None:
    doc = webhook_logger()
    moved = copy.deepcopy(doc)
    moved["graphData"]["nodes"][0]["position"] = {"x": 50, "y": 50}
    ignore = 'ignore: ["/graphData/nodes/*/position"]\n'
    desired = _desired(tmp_path, doc, settings=ignore)
    live = live_pattern(moved, applied=applied_of(doc, ("/graphData/nodes/*/position",)))
    plan = build_plan(desired, LiveState.of([live], [active()]))
    assert [(str(i.kind), i.refresh_mark) for i in plan.items] == [("noop", False)]


# -- updates, drift and conflicts -----------------------------------------------------------------


def test_a_changed_file_updates_and_redeploys_the_pattern(tmp_path: Path) -> None:
    old = webhook_logger()
    plan = build_plan(_desired(tmp_path, _edited(old)), LiveState.of([live_pattern(old)], [active()]))
    assert _kinds(plan) == [
        ("update", "pattern", "Webhook Logger"),
        ("redeploy", "deployment", "Webhook Logger"),
    ]
    update = plan.items[0]
    assert [(c.path, c.before, c.after) for c in update.changes] == [
        ("/graphData/nodes/node_2/data/pinDefaults/message", "got it", "edited")
    ]
    assert update.pattern_id == "pat_1" and update.reason == "the file changed"


def test_a_description_change_updates_without_a_redeploy(tmp_path: Path) -> None:
    old = webhook_logger()
    new = old | {"description": "new words"}
    plan = build_plan(_desired(tmp_path, new), LiveState.of([live_pattern(old)], [active()]))
    assert _kinds(plan) == [("update", "pattern", "Webhook Logger")]


@pytest.mark.parametrize(("mode", "is_change"), [("warn", True), ("observe", False)])
def test_a_live_edit_with_git_unchanged_is_drift_reported_not_reverted(
    tmp_path: Path, mode: str, is_change: bool
) -> None:
    doc = webhook_logger()
    live = live_pattern(_edited(doc), applied=applied_of(doc))  # live moved on; git still at what we applied
    plan = build_plan(
        _desired(tmp_path, doc, settings=f"defaults: {{drift: {mode}}}\n"), LiveState.of([live], [active()])
    )
    assert _kinds(plan) == [("drift", "pattern", "Webhook Logger")]
    item = plan.items[0]
    assert item.drift_mode == mode and item.operation is None
    assert item.changes[0].before == "edited" and item.changes[0].after == "got it"
    assert plan.has_changes is is_change


def test_drift_in_enforce_mode_is_reverted_and_redeployed(tmp_path: Path) -> None:
    doc = webhook_logger() | {"sync": {"drift": "enforce"}}
    live = live_pattern(_edited(webhook_logger()), applied=applied_of(webhook_logger()))
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live], [active()]))
    assert _kinds(plan) == [
        ("update", "pattern", "Webhook Logger"),
        ("redeploy", "deployment", "Webhook Logger"),
    ]
    assert plan.items[0].drift_mode == "enforce" and "reverting" in plan.items[0].reason


def test_both_sides_changed_is_a_conflict_never_overwritten(tmp_path: Path) -> None:
    base = webhook_logger()
    live = live_pattern(_edited(base, "live edit"), applied=applied_of(base))
    plan = build_plan(_desired(tmp_path, _edited(base, "git edit")), LiveState.of([live], [active()]))
    assert _kinds(plan) == [("conflict", "pattern", "Webhook Logger")]
    item = plan.items[0]
    assert item.operation is None and "use --force" in item.reason
    assert (item.desired_hash, item.live_hash, item.applied_hash) == (
        applied_of(_edited(base, "git edit")),
        applied_of(_edited(base, "live edit")),
        applied_of(base),
    )
    assert plan.has_changes


def test_force_overwrites_a_conflict(tmp_path: Path) -> None:
    base = webhook_logger()
    live = live_pattern(_edited(base, "live edit"), applied=applied_of(base))
    plan = build_plan(
        _desired(tmp_path, _edited(base, "git edit")),
        LiveState.of([live], [active()]),
        PlanOptions(force=True),
    )
    assert _kinds(plan) == [
        ("update", "pattern", "Webhook Logger"),
        ("redeploy", "deployment", "Webhook Logger"),
    ]
    assert plan.items[0].forced and _body(plan.items[0]) and plan.force


def test_an_owned_pattern_without_an_applied_hash_is_a_conflict(tmp_path: Path) -> None:
    live = live_pattern(webhook_logger(), applied=None)
    plan = build_plan(_desired(tmp_path, _edited(webhook_logger())), LiveState.of([live], [active()]))
    assert plan.items[0].kind == K.CONFLICT and "no applied hash" in plan.items[0].reason


# -- ownership and adoption -----------------------------------------------------------------------


def test_an_unmanaged_pattern_of_the_same_name_is_never_changed(tmp_path: Path) -> None:
    live = live_pattern(_edited(webhook_logger()), owner=None, applied=None)
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of([live]))
    assert _kinds(plan) == [("unmanaged", "pattern", "Webhook Logger")]
    assert plan.items[0].operation is None and "--adopt" in plan.items[0].reason


def test_adoption_is_explicit_and_writes_the_mark_then_deploys(tmp_path: Path) -> None:
    live = live_pattern(_edited(webhook_logger()), owner=None, applied=None)
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of([live]), PlanOptions(adopt=True))
    assert _kinds(plan) == [
        ("adopt", "pattern", "Webhook Logger"),
        ("deploy", "deployment", "Webhook Logger"),
    ]
    adopt = plan.items[0]
    assert f"{OWNER_TAG_PREFIX}{OWNER}" in _body(adopt)["tags"]
    assert len(adopt.changes) == 1


def test_another_owners_pattern_is_never_adopted(tmp_path: Path) -> None:
    live = live_pattern(webhook_logger(), owner="someone/else")
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of([live]), PlanOptions(adopt=True))
    assert _kinds(plan) == [("unmanaged", "pattern", "Webhook Logger")]
    assert "someone/else" in plan.items[0].reason


def test_two_unmanaged_patterns_of_one_name_are_not_adopted(tmp_path: Path) -> None:
    lives = [live_pattern(webhook_logger(), pattern_id=i, owner=None, applied=None) for i in ("a", "b")]
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of(lives), PlanOptions(adopt=True))
    assert plan.items[0].kind == K.UNMANAGED and "2 unmanaged" in plan.items[0].reason


# -- deployment intent ----------------------------------------------------------------------------


def test_an_undeployed_pattern_that_should_run_is_deployed(tmp_path: Path) -> None:
    doc = webhook_logger() | {"sync": {"environmentId": "env_prod"}}
    undeployed = LiveDeployment("pat_1", "undeployed", "dep_1", 1)
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live_pattern(webhook_logger())], [undeployed]))
    assert _kinds(plan) == [("noop", "pattern", "Webhook Logger"), ("deploy", "deployment", "Webhook Logger")]
    assert plan.items[1].environment_id == "env_prod" and plan.items[1].pattern_id == "pat_1"


def test_a_deployed_pattern_whose_file_says_deploy_false_is_undeployed(tmp_path: Path) -> None:
    doc = webhook_logger() | {"sync": {"deploy": False}}
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live_pattern(webhook_logger())], [active()]))
    assert _kinds(plan)[1] == ("undeploy", "deployment", "Webhook Logger")


def test_a_stale_deployment_version_is_redeployed(tmp_path: Path) -> None:
    live = live_pattern(webhook_logger(), version=3)
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of([live], [active(version=2)]))
    assert plan.items[1].kind == K.REDEPLOY and "version 2" in plan.items[1].reason


def test_a_live_graph_that_differs_from_the_deployed_one_is_redeployed(tmp_path: Path) -> None:
    deployed_graph = _edited(webhook_logger(), "old graph")["graphData"]
    dep = active(graph_data=deployed_graph)
    plan = build_plan(
        _desired(tmp_path, webhook_logger()), LiveState.of([live_pattern(webhook_logger())], [dep])
    )
    assert plan.items[1].kind == K.REDEPLOY and "differs from the deployed" in plan.items[1].reason


def test_a_deployment_in_another_environment_is_redeployed(tmp_path: Path) -> None:
    doc = webhook_logger() | {"sync": {"environmentId": "env_prod"}}
    dep = active(environment_id="env_dev")
    plan = build_plan(_desired(tmp_path, doc), LiveState.of([live_pattern(webhook_logger())], [dep]))
    assert plan.items[1].kind == K.REDEPLOY and "env_dev" in plan.items[1].reason


def test_a_paused_deployment_is_left_paused(tmp_path: Path) -> None:
    paused = LiveDeployment("pat_1", "paused", "dep_1", 1)
    plan = build_plan(
        _desired(tmp_path, webhook_logger()), LiveState.of([live_pattern(webhook_logger())], [paused])
    )
    assert _kinds(plan) == [("noop", "pattern", "Webhook Logger")]


def test_no_deployment_change_is_planned_for_a_conflict_or_drift(tmp_path: Path) -> None:
    base = webhook_logger() | {"sync": {"deploy": False}}
    live = live_pattern(_edited(webhook_logger(), "x"), applied=applied_of(webhook_logger()))
    plan = build_plan(_desired(tmp_path, base), LiveState.of([live], [active()]))
    assert [str(i.kind) for i in plan.items] == ["drift"]


# -- errors and invalid files ---------------------------------------------------------------------


def test_two_files_with_one_name_block_every_write(tmp_path: Path) -> None:
    plan = build_plan(_desired(tmp_path, webhook_logger(), webhook_logger(), scheduled_report()), LiveState())
    assert plan.blocked and not plan.valid
    assert plan.errors[0].code == "duplicate_file_names" and plan.errors[0].files == (
        "patterns/p0.yaml",
        "patterns/p1.yaml",
    )
    assert ("invalid", "pattern", "Webhook Logger") in _kinds(plan)


def test_two_different_live_managed_patterns_with_one_name_block_every_write(tmp_path: Path) -> None:
    lives = [
        live_pattern(webhook_logger(message=m), pattern_id=i) for i, m in (("pat_a", "a"), ("pat_b", "b"))
    ]
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of(lives))
    assert plan.blocked and plan.errors[0].code == "duplicate_live_names"
    assert "pat_a, pat_b" in plan.errors[0].message
    assert plan.items[0].kind == K.CONFLICT and plan.items[0].operation is None


def test_identical_live_managed_twins_are_reduced_to_the_oldest(tmp_path: Path) -> None:
    lives = [live_pattern(webhook_logger(), pattern_id=i) for i in ("pat_b", "pat_a")]
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of(lives))
    assert not plan.blocked
    (item,) = [i for i in plan.items if i.resource == "pattern"]
    assert item.kind == K.REDUCE_TWINS and item.pattern_id == "pat_a"  # same createdAt: the lower id
    assert item.operation == TwinReduce(("pat_b",)) and item.writes


def test_an_invalid_settings_file_blocks_every_write(tmp_path: Path) -> None:
    write_pattern(tmp_path, "p.yaml", webhook_logger())
    write_settings(tmp_path, "concurrency: many\n")
    plan = build_plan(load_directory(tmp_path), LiveState(), PlanOptions(owner=OWNER))
    assert [e.code for e in plan.errors] == ["invalid_settings"]


def test_a_listed_but_unfetched_live_pattern_is_an_error_not_a_guess(tmp_path: Path) -> None:
    summary = live_pattern(webhook_logger())
    unfetched = type(summary)(summary.id, summary.name, summary.tags, summary.updated_at, None)
    plan = build_plan(_desired(tmp_path, webhook_logger()), LiveState.of([unfetched]))
    assert plan.errors[0].code == "live_not_fetched"


def test_an_invalid_file_changes_nothing_for_it_while_other_files_proceed(tmp_path: Path) -> None:
    broken = webhook_logger("Broken")
    broken["graphData"]["edges"][0]["target"] = "node_404"
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "unreadable.json").write_text("{", encoding="utf-8")
    plan = build_plan(_desired(tmp_path, broken, scheduled_report()), LiveState())
    kinds = _kinds(plan)
    assert ("invalid", "pattern", "Broken") in kinds
    assert ("invalid", "pattern", "patterns/unreadable.json") in kinds
    assert ("create", "pattern", "Nightly Report") in kinds
    assert not plan.valid and not plan.blocked
    assert all(i.operation is None for i in plan.items if i.kind == K.INVALID)


def test_an_owner_is_required() -> None:
    with pytest.raises(ValueError, match="owner"):
        build_plan(DesiredState(root="."), LiveState())


# -- prune ----------------------------------------------------------------------------------------


def _orphans(n: int, deployed: bool = False) -> tuple[list[Any], list[LiveDeployment]]:
    lives = [live_pattern(webhook_logger(f"Old {i}"), pattern_id=f"old_{i}") for i in range(n)]
    deps = [active(pattern_id=f"old_{i}") for i in range(n)] if deployed else []
    return lives, deps


def test_prune_is_off_by_default_and_lists_the_orphans_it_would_bin(tmp_path: Path) -> None:
    lives, _ = _orphans(2)
    plan = build_plan(_desired(tmp_path, scheduled_report()), LiveState.of(lives))
    assert [(str(i.kind), i.name) for i in plan.items] == [
        ("create", "Nightly Report"),
        ("deploy", "Nightly Report"),
        ("orphaned", "Old 0"),
        ("orphaned", "Old 1"),
    ]
    assert not any(i.writes for i in plan.items if i.kind == "orphaned")
    assert plan.has_changes  # plan --detailed-exitcode exits 2: live no longer matches git
    assert "--prune would move them to the recycle bin: Old 0, Old 1" in plan.notes[0]


def test_prune_undeploys_then_bins_owned_patterns_without_a_file_after_all_writes(tmp_path: Path) -> None:
    lives, deps = _orphans(2, deployed=True)
    unowned = live_pattern(webhook_logger("Hand made"), pattern_id="hand", owner=None, applied=None)
    plan = build_plan(
        _desired(tmp_path, scheduled_report()), LiveState.of([*lives, unowned], deps), PlanOptions(prune=True)
    )
    assert _kinds(plan) == [
        ("create", "pattern", "Nightly Report"),
        ("deploy", "deployment", "Nightly Report"),
        ("undeploy", "deployment", "Old 0"),
        ("undeploy", "deployment", "Old 1"),
        ("bin", "pattern", "Old 0"),
        ("bin", "pattern", "Old 1"),
    ]
    assert plan.valid and plan.prune


def test_prune_never_deletes_a_pattern_marked_keep(tmp_path: Path) -> None:
    kept = live_pattern(webhook_logger("Precious"), pattern_id="keep")
    kept = type(kept)(kept.id, kept.name, (*kept.tags, KEEP_TAG), kept.updated_at, kept.document)
    plan = build_plan(_desired(tmp_path, scheduled_report()), LiveState.of([kept]), PlanOptions(prune=True))
    assert {"bin", "delete"}.isdisjoint(str(i.kind) for i in plan.items)
    assert "kept (sync.prune: false): Precious" in plan.notes


def test_a_file_with_prune_false_writes_the_keep_tag(tmp_path: Path) -> None:
    plan = build_plan(_desired(tmp_path, webhook_logger() | {"sync": {"prune": False}}), LiveState())
    assert KEEP_TAG in _body(plan.items[0])["tags"]


def test_prune_is_refused_when_any_file_is_invalid(tmp_path: Path) -> None:
    lives, _ = _orphans(1)
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "typo.yaml").write_text("name: [", encoding="utf-8")
    plan = build_plan(_desired(tmp_path, scheduled_report()), LiveState.of(lives), PlanOptions(prune=True))
    assert [r.reason for r in plan.refusals] == ["invalid_files"]
    assert plan.refusals[0].candidates == ("Old 0",)
    assert {"bin", "delete"}.isdisjoint(str(i.kind) for i in plan.items) and not plan.valid


def test_prune_is_refused_when_the_desired_set_is_empty(tmp_path: Path) -> None:
    lives, _ = _orphans(1)
    plan = build_plan(_desired(tmp_path), LiveState.of(lives), PlanOptions(prune=True))
    assert [r.reason for r in plan.refusals] == ["empty_desired"]
    assert plan.items == ()


@pytest.mark.parametrize(
    ("budget", "orphans", "refused"), [("2", 3, True), ("3", 3, False), ('"50%"', 3, True)]
)
def test_prune_is_refused_over_its_budget(tmp_path: Path, budget: str, orphans: int, refused: bool) -> None:
    lives, _ = _orphans(orphans)
    kept = live_pattern(scheduled_report(), pattern_id="report")
    desired = _desired(tmp_path, scheduled_report(), settings=f"prune: {{enabled: true, budget: {budget}}}\n")
    plan = build_plan(desired, LiveState.of([*lives, kept]))
    binned = [i for i in plan.items if i.kind == K.BIN]
    if refused:
        assert [r.reason for r in plan.refusals] == ["over_budget"] and binned == []
        assert (
            f"{orphans} patterns to move to the recycle bin or purge exceed the budget"
            in plan.refusals[0].message
        )
    else:
        assert plan.refusals == () and len(binned) == orphans


# -- connections ----------------------------------------------------------------------------------


def test_connections_are_created_first_and_never_deleted_or_rewritten(tmp_path: Path) -> None:
    (tmp_path / "connections.yaml").write_text(
        "connections:\n"
        "  - {name: slack, provider: slack, apiKey: '${SLACK_TOKEN}'}\n"
        "  - {name: gh, provider: github, apiKey: '${GH_TOKEN}', displayName: GitHub}\n"
        "  - {name: mail, provider: sendgrid, apiKey: '${MAIL_KEY}'}\n",
        encoding="utf-8",
    )
    live = LiveState.of(
        connections=[
            LiveConnection("c1", "github", "GitHub"),
            LiveConnection("c2", "openai", "mail"),
            LiveConnection("c3", "slack", "Unlisted"),
        ]
    )
    plan = build_plan(_desired(tmp_path, webhook_logger()), live)
    conns = [(str(i.kind), i.name, i.env_var) for i in plan.items if i.resource == Resource.CONNECTION]
    assert conns == [  # sorted by name
        ("noop", "GitHub", "GH_TOKEN"),
        ("conflict", "mail", "MAIL_KEY"),
        ("create", "slack", "SLACK_TOKEN"),
    ]
    assert plan.items[0].resource == Resource.CONNECTION  # connections come first
