"""Typed plan steps: every item's operation, phase and dependencies as the planner sets them, and the
`LiveIndex` the rules look live patterns up in."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from dragops_sync.desired import DesiredState
from dragops_sync.directory import load_directory
from dragops_sync.live import LiveConnection, LiveState
from dragops_sync.live_index import LiveIndex
from dragops_sync.ownership import BINNED_TAG_PREFIX, OWNER_TAG_PREFIX
from dragops_sync.plan import (
    ActionKind,
    ConnectionCreate,
    DeploymentChange,
    PatternBin,
    PatternCreate,
    PatternDelete,
    PatternUpdate,
    Phase,
    Plan,
    PlanOptions,
    Undeploy,
)
from dragops_sync.planner import build_plan
from kit.documents import OWNER, scheduled_report, webhook_logger
from kit.live import active, live_pattern
from kit.sync_dirs import write_pattern, write_settings

K = ActionKind


def _edited(doc: dict[str, Any], message: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = message
    return out


def _desired(root: Path, *docs: dict[str, Any]) -> DesiredState:
    write_settings(root, f"owner: {OWNER}\n")
    for i, doc in enumerate(docs):
        write_pattern(root, f"p{i}.json", doc)
    (root / "connections.yaml").write_text(
        "connections:\n  - {name: slack, provider: slack, apiKey: '${SLACK_TOKEN}'}\n"
        "  - {name: gh, provider: github, apiKey: '${GH_TOKEN}'}\n",
        encoding="utf-8",
    )
    return load_directory(root)


def _mixed_plan(root: Path) -> Plan:
    """One plan with every writing operation: a connection, a create + deploy, an update + redeploy,
    a mark refresh, an undeploy, a prune undeploy + bin, a purge of the recycle bin, and some items that
    write nothing."""
    changed = webhook_logger("Changed")
    stale_mark = webhook_logger("Stale Mark")
    desired = _desired(
        root,
        scheduled_report("Brand New"),
        _edited(changed, "new text"),
        stale_mark,
        {**webhook_logger("Off"), "sync": {"deploy": False}},
        webhook_logger("Hand Made"),
    )
    live = LiveState.of(
        [
            live_pattern(changed, pattern_id="p_changed"),
            live_pattern(stale_mark, pattern_id="p_stale", applied="0000"),
            live_pattern(webhook_logger("Off"), pattern_id="p_off"),
            live_pattern(webhook_logger("Hand Made"), pattern_id="p_hand", owner=None, applied=None),
            live_pattern(webhook_logger("Orphan"), pattern_id="p_orphan"),
            live_pattern(  # binned long ago: purged
                webhook_logger("Binned") | {"tags": [f"{BINNED_TAG_PREFIX}2020-01-01T00:00:00Z"]},
                pattern_id="p_binned",
            ),
        ],
        [active(p) for p in ("p_changed", "p_stale", "p_off", "p_orphan")],
        connections=[LiveConnection("c1", "github", "gh")],
    )
    return build_plan(desired, live, PlanOptions(prune=True))


def test_every_item_carries_a_phase_and_exactly_the_writing_ones_an_operation(tmp_path: Path) -> None:
    plan = _mixed_plan(tmp_path)
    assert plan.valid and not plan.blocked
    assert all(item.phase is not None for item in plan.items)
    assert all((item.operation is not None) == item.writes for item in plan.items)
    ops = {(item.kind, item.name): type(item.operation) for item in plan.items if item.writes}
    assert ops == {
        (K.CREATE, "slack"): ConnectionCreate,
        (K.CREATE, "Brand New"): PatternCreate,
        (K.DEPLOY, "Brand New"): DeploymentChange,
        (K.UPDATE, "Changed"): PatternUpdate,
        (K.REDEPLOY, "Changed"): DeploymentChange,
        (K.NOOP, "Stale Mark"): PatternUpdate,
        (K.UNDEPLOY, "Off"): Undeploy,
        (K.UNDEPLOY, "Orphan"): Undeploy,
        (K.BIN, "Orphan"): PatternBin,
        (K.DELETE, "Binned"): PatternDelete,
    }


def test_items_are_in_phase_order_then_by_name(tmp_path: Path) -> None:
    plan = _mixed_plan(tmp_path)
    order = [(item.phase, item.name) for item in plan.items]
    assert order == sorted(order)
    phases = {item.key: item.phase for item in plan.items}
    assert phases["connection:slack"] == Phase.CONNECTIONS
    assert phases["pattern:Brand New"] == Phase.PATTERN_WRITES
    assert phases["deployment:Off"] == Phase.DEPLOYMENTS
    assert phases["deployment:Orphan"] == Phase.PRUNE_UNDEPLOYS
    assert phases["pattern:Orphan"] == Phase.PRUNE_DELETES


def test_dependencies_name_items_of_the_same_plan_in_an_earlier_phase(tmp_path: Path) -> None:
    plan = _mixed_plan(tmp_path)
    by_key = {item.key: item for item in plan.items}
    assert len(by_key) == len(plan.items)  # keys are unique in a plan without errors
    for item in plan.items:
        for key in item.depends_on:
            assert key in by_key, (item.key, key)
            assert by_key[key].phase < item.phase  # type: ignore[operator]
    depends = {item.key: item.depends_on for item in plan.items if item.depends_on}
    assert depends == {
        "deployment:Brand New": ("pattern:Brand New",),
        "deployment:Changed": ("pattern:Changed",),
        "deployment:Off": ("pattern:Off",),
        "pattern:Orphan": ("deployment:Orphan",),
    }


def test_pattern_writes_carry_the_spec_with_the_mark_and_a_refresh_writes_only_tags(tmp_path: Path) -> None:
    plan = _mixed_plan(tmp_path)
    writes = {
        i.name: i.operation for i in plan.items if isinstance(i.operation, PatternCreate | PatternUpdate)
    }
    assert set(writes) == {"Brand New", "Changed", "Stale Mark"}
    for operation in writes.values():
        assert f"{OWNER_TAG_PREFIX}{OWNER}" in operation.spec.tags
    assert isinstance(writes["Stale Mark"], PatternUpdate) and writes["Stale Mark"].fields == ("tags",)
    assert isinstance(writes["Changed"], PatternUpdate) and writes["Changed"].fields is None
    assert writes["Changed"].spec.graph_data["nodes"][1]["data"]["pinDefaults"]["message"] == "new text"


def test_a_deploy_goes_to_the_environment_the_file_names(tmp_path: Path) -> None:
    doc = {**webhook_logger(), "sync": {"deploy": True, "environmentId": "env_staging"}}
    write_settings(tmp_path, f"owner: {OWNER}\n")
    write_pattern(tmp_path, "p.json", doc)
    plan = build_plan(load_directory(tmp_path), LiveState())
    (deploy,) = [i for i in plan.items if i.kind == K.DEPLOY]
    assert isinstance(deploy.operation, DeploymentChange) and deploy.operation.environment_id == "env_staging"
    assert deploy.environment_id == "env_staging"
    assert deploy.pattern_id is None  # created by the same apply: taken from the create's result


def test_the_live_index_sorts_patterns_into_ours_unmarked_and_foreign_by_name() -> None:
    ours = live_pattern(webhook_logger("A"), pattern_id="a1")
    twin = live_pattern(webhook_logger("A"), pattern_id="a2")
    bare = live_pattern(webhook_logger("B"), pattern_id="b", owner=None, applied=None)
    other = live_pattern(webhook_logger("C"), pattern_id="c", owner="someone/else")
    index = LiveIndex.build(LiveState.of([ours, twin, bare, other], [active("a1")]), OWNER)
    assert [p.id for p in index.ours_named("A")] == ["a1", "a2"]
    assert [p.id for p in index.unmarked_named("B")] == ["b"] and index.ours_named("B") == ()
    assert [p.id for p in index.foreign_named("C")] == ["c"] and index.unmarked_named("C") == ()
    assert [p.id for p in index.all_ours()] == ["a1", "a2"]
    assert index.deployed("a1") and not index.deployed("a2")
