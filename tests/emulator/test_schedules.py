"""On Schedule triggers: due cron ticks of active deployments become runs when the deployment is read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._schedules import schedule_ticks
from kit.clients import http_client
from kit.emulator import deploy, deployed, messages
from kit.graphs import graph, node, wire


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as http:
        yield http


def every_five_minutes(message: str | None = None) -> dict[str, Any]:
    """On Schedule(*/5) -> Log(the tick's timestamp, or a fixed message)."""
    log = node("log", "Log", message=message) if message else node("log", "Log")
    edges = [wire("tick", "log")]
    if message is None:
        edges.append(wire("tick", "log", "timestamp", "message"))
    return graph([node("tick", "OnSchedule", props={"cron": "*/5 * * * *"}), log], edges)


def runs(client: httpx.Client, deployment_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/api/deployments/{deployment_id}/runs", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_due_ticks_become_schedule_runs_at_the_tick_times(emu: Emulator, client: httpx.Client) -> None:
    _, deployment_id = deployed(client, every_five_minutes())
    assert runs(client, deployment_id) == []
    emu.advance_clock(seconds=3000)
    made = runs(client, deployment_id)
    # (deploy time, deploy time + 50 min] holds ten 5-minute marks (eleven if the read itself
    # happened to cross one more).
    assert len(made) in (10, 11)
    for run in made:
        started = datetime.fromisoformat(run["startedAt"].replace("Z", "+00:00"))
        assert (started.minute % 5, started.second, started.microsecond) == (0, 0, 0)
        assert run["triggeredBy"] == "schedule"
        assert run["status"] == "completed"
        assert run["eventData"] == {"timestamp": run["startedAt"]}
        assert messages(run) == [run["startedAt"]]  # the Timestamp pin carries the tick
    assert [run["startedAt"] for run in made] == sorted((run["startedAt"] for run in made), reverse=True)
    assert runs(client, deployment_id, triggeredBy="schedule") == made
    assert len(runs(client, deployment_id)) == len(made)  # reading again fires nothing twice


def test_a_paused_deployment_skips_its_ticks(emu: Emulator, client: httpx.Client) -> None:
    _, deployment_id = deployed(client, every_five_minutes())
    client.post(f"/api/deployments/{deployment_id}/pause")
    emu.advance_clock(seconds=1200)
    assert runs(client, deployment_id) == []
    resumed_at = client.post(f"/api/deployments/{deployment_id}/resume")
    assert resumed_at.status_code == 200
    emu.advance_clock(seconds=600)
    made = runs(client, deployment_id)
    assert len(made) in (2, 3)


def test_an_undeployed_pattern_fires_no_more_ticks(emu: Emulator, client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, every_five_minutes())
    emu.advance_clock(seconds=600)
    client.delete(f"/api/patterns/{pattern_id}/deploy")
    before = runs(client, deployment_id)
    assert len(before) in (2, 3)  # the ticks due before the undeploy still ran
    emu.advance_clock(seconds=1200)
    assert runs(client, deployment_id) == before


def test_ticks_due_before_a_redeploy_run_the_old_version(emu: Emulator, client: httpx.Client) -> None:
    pattern_id, deployment_id = deployed(client, every_five_minutes("v1"))
    emu.advance_clock(seconds=600)
    client.put(f"/api/patterns/{pattern_id}", json={"graphData": every_five_minutes("v2")})
    assert deploy(client, pattern_id).status_code == 201
    emu.advance_clock(seconds=600)
    made = runs(client, deployment_id)[::-1]  # oldest first
    versions = [(messages(run), run["versionNumber"]) for run in made]
    old = [entry for entry in versions if entry == (["v1"], 1)]
    new = [entry for entry in versions if entry == (["v2"], 2)]
    assert old and new
    assert versions == old + new


def test_catch_up_covers_only_the_last_hour() -> None:
    data = graph(
        [
            node("a", "OnSchedule", props={"cron": "*/30 * * * *"}),
            node("b", "OnSchedule", props={"cron": "15 * * * *"}),
        ],
        [],
    )
    after = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    until = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    ticks = [
        (tick.strftime("%H:%M"), found["id"])
        for tick, found in schedule_ticks(data, after=after, until=until)
    ]
    assert ticks == [("10:15", "b"), ("10:30", "a"), ("11:00", "a")]


def test_the_tick_at_the_cursor_itself_is_not_fired_again() -> None:
    data = graph([node("a", "OnSchedule", props={"cron": "0 * * * *"})], [])
    at = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert schedule_ticks(data, after=at, until=at) == []
    assert [tick for tick, _ in schedule_ticks(data, after=at, until=at.replace(hour=11))] == [
        at.replace(hour=11)
    ]
