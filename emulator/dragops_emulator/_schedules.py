"""On Schedule triggers: cron ticks of active deployments become runs, fired lazily.

The emulator runs no timer thread. Whenever a deployment is read through the API (its status, its runs, its
stats...), the ticks that fell due since it was last looked at, by the emulator's shifted clock, are run then,
in time order, each with `triggeredBy: schedule`, `startedAt` = the tick and the tick's time on the On
Schedule node's Timestamp pin. So a test can deploy a `*/5 * * * *` pattern, `advance_clock(3600)` and find
twelve runs. Like the real engine after a restart, only ticks from the last hour are caught up
(docs/api-contract.md#trigger-nodes); paused, pending and undeployed deployments skip ticks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dragops_emulator._clock import format_iso, parse_iso
from dragops_emulator._cron import CronError, parse_cron
from dragops_emulator._deployment_state import deployed_graph
from dragops_emulator._engine import run_pattern
from dragops_emulator._graph import graph_nodes, node_data

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = ["CATCH_UP_WINDOW", "fire_due_schedules", "schedule_ticks"]

CATCH_UP_WINDOW = timedelta(hours=1)
# A `* * * * *` schedule yields 60 ticks in the window; several such nodes stay well under this.
_MAX_TICKS = 1_000


def schedule_ticks(
    graph: Mapping[str, Any], *, after: datetime, until: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    """`(tick, On Schedule node)` pairs with `after < tick <= until`, at most an hour back, in time order."""
    start = max(after, until - CATCH_UP_WINDOW)
    ticks: list[tuple[datetime, dict[str, Any]]] = []
    for node in graph_nodes(graph):
        if node["type"] != "OnSchedule":
            continue
        try:
            schedule = parse_cron(str(node_data(node, "properties").get("cron", "")))
        except CronError:
            continue  # deploy refuses these; an older snapshot may still hold one
        tick = schedule.next_after(start)
        while tick is not None and tick <= until and len(ticks) < _MAX_TICKS:
            ticks.append((tick, node))
            tick = schedule.next_after(tick)
    ticks.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    return ticks


def fire_due_schedules(state: EmulatorState, deployment: dict[str, Any]) -> dict[str, Any]:
    """Run the ticks of an active deployment that fell due since its schedule cursor; returns it."""
    if deployment.get("status") != "active":
        return deployment
    if not any(trigger.get("type") == "OnSchedule" for trigger in deployment.get("triggers") or []):
        return deployment
    cursor_text = deployment.get("scheduleCursor") or deployment.get("confirmedAt")
    now = state.clock.now()
    if not cursor_text or parse_iso(str(cursor_text)) >= now:
        return deployment
    with state.store.transaction() as store:
        # Re-read under the lock: a concurrent request may have fired these ticks already.
        current = store.get("deployments", str(deployment["id"])) or deployment
        cursor = parse_iso(str(current.get("scheduleCursor") or current.get("confirmedAt") or cursor_text))
        graph = deployed_graph(store, current)
        current["scheduleCursor"] = format_iso(now)
        store.replace("deployments", current)
        for tick, node in schedule_ticks(graph, after=cursor, until=now):
            run_pattern(
                state,
                deployment=current,
                pattern_graph=graph,
                triggered_by="schedule",
                event_data={"timestamp": format_iso(tick)},
                trigger_node_id=node["id"],
                started_at=tick,
            )
    return current
