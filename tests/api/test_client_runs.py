"""`client.runs` against the emulator: 250 runs paged lazily by page number, filters, one run, stats."""

from __future__ import annotations

from typing import Any

import pytest

from dragops_emulator import Emulator
from dragops_sync.api import Client, NotFoundError
from dragops_sync.models import Run, RunStats
from kit.graphs import chain, graph, node, start_graph


def _failing_graph() -> dict[str, Any]:
    """On Start -> Throw Error: every run fails."""
    return graph(
        [node("node_1", "OnStart"), node("node_2", "ThrowError", at=(300, 0), message="boom")],
        chain("node_1", "node_2"),
    )


def _deployed(client: Client, name: str, graph: dict[str, Any]) -> str:
    pattern = client.patterns.create(name=name, graph_data=graph)
    return client.deployments.deploy(pattern.id).deployment_id


def test_250_runs_are_paged_lazily_and_completely(client: Client, emu: Emulator) -> None:
    deployment_id = _deployed(client, "Busy", start_graph())
    started = {client.deployments.execute(deployment_id, event={"n": i}).run_id for i in range(250)}
    emu.clear_request_log()
    runs = client.runs.list(deployment_id)
    first = next(iter(runs))
    assert isinstance(first, Run)
    runs_path = f"/api/deployments/{deployment_id}/runs"
    assert len([r for r in emu.request_log() if r["path"] == runs_path]) == 1
    assert [len(page) for page in runs.pages()] == [100, 100, 50]
    listed = runs.to_list()
    assert {r.id for r in listed} == started
    assert len(listed) == 250
    small_pages = client.runs.list(deployment_id, page_size=30).to_list()
    assert [r.id for r in small_pages] == [r.id for r in listed]  # newest first, stable


def test_runs_are_filtered_by_the_list_vocabulary(client: Client) -> None:
    good = _deployed(client, "Good", start_graph())
    bad = _deployed(client, "Bad", _failing_graph())
    client.deployments.execute(good)
    failed_id = client.deployments.execute(bad).run_id
    assert [r.status for r in client.runs.list(good, status="success")] == ["completed"]
    assert [r.id for r in client.runs.list(bad, status="failure")] == [failed_id]
    assert client.runs.list(bad, status="success").to_list() == []
    assert len(client.runs.list(good, triggered_by="manual").to_list()) == 1
    assert client.runs.list(good, triggered_by="webhook").to_list() == []
    failed = client.runs.get(bad, failed_id)
    assert failed.status == "failed"
    assert failed.error_message and "boom" in failed.error_message
    with pytest.raises(ValueError, match="status must be one of success, failure"):
        client.runs.list(good, status="completed")


def test_a_run_carries_its_event_data_and_log_output(client: Client) -> None:
    deployment_id = _deployed(client, "Logger", start_graph("hello from the test"))
    run_id = client.deployments.execute(deployment_id, event={"k": "v"}).run_id
    run = client.runs.get(deployment_id, run_id)
    assert run.event_data is not None
    assert any(entry.message == "hello from the test" for entry in run.log_output)
    with pytest.raises(NotFoundError) as caught:
        client.runs.get(deployment_id, "run_missing")
    assert caught.value.code == "RUN_NOT_FOUND"


def test_stats_summarise_a_period(client: Client) -> None:
    good = _deployed(client, "Stats", start_graph())
    for _ in range(3):
        client.deployments.execute(good)
    stats = client.runs.stats(good, period="1h")
    assert isinstance(stats, RunStats)
    assert (stats.period, stats.total, stats.succeeded) == ("1h", 3, 3)
    assert stats.success_rate == 1
    assert stats.by_trigger is not None and stats.by_trigger.get("manual") == 3
    with pytest.raises(ValueError, match="period must be one of"):
        client.runs.stats(good, period="2h")
