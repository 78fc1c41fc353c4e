"""`CycleTracker`: which writes a cycle holds back, when a backoff starts and ends, and the state each
pattern is shown in; on plans and apply reports built by hand (the end-to-end behaviour is in
test_daemon_failures.py)."""

from __future__ import annotations

import pytest

from dragops_sync.apply import ApplyReport, ItemResult, ResultStatus
from dragops_sync.backoff import Backoff
from dragops_sync.desired import DesiredState
from dragops_sync.plan import ActionKind, Plan, PlanItem, Resource
from dragops_sync.tracking import CycleTracker, item_key

DESIRED = DesiredState(root="repo")
ALPHA = ("pattern", "Alpha")


def _update(name: str, desired_hash: str = "aaaa") -> PlanItem:
    return PlanItem(
        ActionKind.UPDATE,
        Resource.PATTERN,
        name,
        "the file changed",
        file=f"patterns/{name}.json",
        pattern_id=f"pat_{name}",
        desired_hash=desired_hash,
    )


def _item(kind: ActionKind, name: str, resource: Resource = Resource.PATTERN, reason: str = "") -> PlanItem:
    return PlanItem(kind, resource, name, reason, file=f"patterns/{name}.json", desired_hash="aaaa")


def _report(*results: tuple[PlanItem, ResultStatus]) -> ApplyReport:
    return ApplyReport(
        tuple(
            ItemResult(item, status, "500 INJECTED_FAULT" if status == "failed" else "")
            for item, status in results
        )
    )


def _cycle(tracker: CycleTracker, plan: Plan, outcome: dict[str, ResultStatus], now: float) -> Plan:
    """Select, 'apply' with the given status per pattern name, record; return what was applied."""
    selected = tracker.select(plan, DESIRED, now)
    results = [
        (i, outcome.get(i.name, ResultStatus.OK) if i.writes else ResultStatus.UNCHANGED)
        for i in selected.items
    ]
    tracker.record(plan, DESIRED, _report(*results), now=now, wall=1.7e9 + now, commit="c" * 40)
    return selected


@pytest.fixture
def tracker() -> CycleTracker:
    return CycleTracker(Backoff(initial=10, maximum=40))


def test_a_failed_write_holds_back_that_pattern_only_until_its_retry_time(tracker: CycleTracker) -> None:
    plan = Plan(owner="o", items=(_update("Alpha"), _update("Beta")))
    _cycle(tracker, plan, {"Alpha": ResultStatus.FAILED}, now=0.0)
    assert tracker.statuses()[ALPHA].state == "failed"
    assert tracker.statuses()[ALPHA].next_retry_at == 1.7e9 + 10.0

    applied = _cycle(tracker, plan, {}, now=5.0)
    assert [i.name for i in applied.items] == ["Beta"]
    assert tracker.waiting == {ALPHA}
    assert tracker.statuses()[ALPHA].state == "backoff"

    applied = _cycle(tracker, plan, {}, now=10.0)
    assert [i.name for i in applied.items] == ["Alpha", "Beta"]
    assert ALPHA not in tracker.backoff
    assert tracker.statuses()[ALPHA].state == "synced"
    assert tracker.statuses()[ALPHA].last_action == "update"


def test_a_held_back_pattern_keeps_its_backoff_even_when_other_items_of_it_are_reported(
    tracker: CycleTracker,
) -> None:
    deploy = _item(ActionKind.DEPLOY, "Alpha", Resource.DEPLOYMENT)
    failing = Plan(owner="o", items=(_item(ActionKind.NOOP, "Alpha"), deploy))
    _cycle(tracker, failing, {"Alpha": ResultStatus.FAILED}, now=0.0)
    applied = _cycle(tracker, failing, {}, now=1.0)
    assert applied.items == (_item(ActionKind.NOOP, "Alpha"),)  # the in-sync item stays, the deploy waits
    entry = tracker.backoff.entry(ALPHA)
    assert entry is not None and entry.failures == 1
    assert tracker.statuses()[ALPHA].state == "backoff"


def test_a_changed_file_ends_the_wait_and_counts_failures_afresh(tracker: CycleTracker) -> None:
    _cycle(
        tracker, Plan(owner="o", items=(_update("Alpha", "aaaa"),)), {"Alpha": ResultStatus.FAILED}, now=0.0
    )
    _cycle(
        tracker, Plan(owner="o", items=(_update("Alpha", "aaaa"),)), {"Alpha": ResultStatus.FAILED}, now=10.0
    )
    assert tracker.backoff.entry(ALPHA).failures == 2  # type: ignore[union-attr]

    changed = Plan(owner="o", items=(_update("Alpha", "bbbb"),))
    applied = _cycle(tracker, changed, {"Alpha": ResultStatus.FAILED}, now=11.0)
    assert [i.name for i in applied.items] == ["Alpha"]  # not held back: a new desired content
    entry = tracker.backoff.entry(ALPHA)
    assert entry is not None and entry.failures == 1 and entry.delay == 10


def test_a_stopped_cycle_neither_fails_nor_clears_a_backoff(tracker: CycleTracker) -> None:
    plan = Plan(owner="o", items=(_update("Alpha"),))
    _cycle(tracker, plan, {"Alpha": ResultStatus.FAILED}, now=0.0)
    _cycle(tracker, plan, {"Alpha": ResultStatus.SKIPPED}, now=10.0)
    entry = tracker.backoff.entry(ALPHA)
    assert entry is not None and entry.failures == 1
    assert tracker.statuses()[ALPHA].state == "pending"


def test_a_pattern_that_is_gone_is_forgotten(tracker: CycleTracker) -> None:
    _cycle(tracker, Plan(owner="o", items=(_update("Alpha"),)), {"Alpha": ResultStatus.FAILED}, now=0.0)
    _cycle(tracker, Plan(owner="o", items=(_update("Beta"),)), {}, now=1.0)
    assert ALPHA not in tracker.backoff
    assert set(tracker.statuses()) == {("pattern", "Beta")}


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (ActionKind.DRIFT, "drifted"),
        (ActionKind.CONFLICT, "conflict"),
        (ActionKind.UNMANAGED, "unmanaged"),
        (ActionKind.INVALID, "invalid"),
        (ActionKind.NOOP, "synced"),
        (ActionKind.DELETE, "deleted"),
    ],
)
def test_each_plan_outcome_has_its_state(tracker: CycleTracker, kind: ActionKind, state: str) -> None:
    _cycle(tracker, Plan(owner="o", items=(_item(kind, "Alpha"),)), {}, now=0.0)
    assert tracker.statuses()[ALPHA].state == state


def test_connections_and_patterns_are_separate_objects() -> None:
    conn = PlanItem(ActionKind.CREATE, Resource.CONNECTION, "Alpha", file="connections.yaml")
    deploy = _item(ActionKind.DEPLOY, "Alpha", Resource.DEPLOYMENT)
    assert item_key(conn) == ("connection", "Alpha")
    assert item_key(deploy) == ALPHA == item_key(_update("Alpha"))
