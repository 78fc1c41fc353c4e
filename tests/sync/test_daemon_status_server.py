"""The daemon's `/healthz`, `/metrics` (parsed with prometheus_client's own parser) and `/status`,
served over real HTTP by a running daemon; health judged on an injected clock."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon_http import DaemonMetrics, DaemonStatus, PatternStatus, StatusServer, parse_address
from dragops_sync.states import PatternState, ReconcileResult
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import running_daemon


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def _get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_a_running_daemon_serves_health_metrics_and_status(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    pattern_file(repo, "c", "Gamma", drift="observe")
    with running_daemon(repo, client, interval=3600) as runner:
        seen = runner.wait_settled()
        gamma = next(p for p in client.patterns.list() if p.name == "Gamma")
        client.patterns.update(gamma.id, description="edited live")
        pattern_file(repo, "a", "Alpha", message="v2")  # a file event: the cycle also sees Gamma's drift
        runner.wait_cycle_after(seen, lambda o: o.trigger == "files", "a cycle after the edit")
        url = runner.daemon.status_url
        assert url is not None
        health = _get(url + "/healthz")
        metrics = _get(url + "/metrics")
        status = _get(url + "/status")
        missing = _get(url + "/nothing-here")

    assert health[0] == 200
    assert metrics[0] == 200 and metrics[1].startswith("text/plain")
    samples = _samples(metrics[2])
    assert samples[("dragops_sync_reconciles_total", (("result", "ok"),))] >= 2
    assert samples[("dragops_sync_reconciles_total", (("result", "error"),))] == 0
    assert samples[("dragops_sync_item_failures_total", ())] == 0
    assert samples[("dragops_sync_drifted_patterns", ())] == 1
    assert samples[("dragops_sync_conflicts", ())] == 0
    assert samples[("dragops_sync_last_reconcile_timestamp_seconds", ())] > 1.7e9
    assert samples[("dragops_sync_reconcile_duration_seconds_count", ())] >= 2

    assert status[0] == 200 and status[1] == "application/json"
    doc: dict[str, Any] = json.loads(status[2])
    assert doc["healthy"] is True
    assert doc["owner"] == "platform/automations"
    assert doc["lastCycle"]["result"] == "ok"
    assert len(doc["lastCycle"]["commit"]) == 40
    by_name = {p["name"]: p for p in doc["patterns"]}
    assert set(by_name) == {"Alpha", "Beta", "Gamma"}
    assert by_name["Alpha"]["state"] == "synced"
    assert by_name["Alpha"]["lastAction"] == "update"
    assert by_name["Alpha"]["file"] == "patterns/a.json"
    assert by_name["Alpha"]["lastCommit"] == doc["lastCycle"]["commit"]
    assert by_name["Gamma"]["state"] == "drifted"
    assert set(by_name["Beta"]) == {
        "name",
        "file",
        "state",
        "lastAction",
        "lastActionAt",
        "lastError",
        "failures",
        "nextRetryAt",
        "lastCommit",
    }
    assert missing[0] == 404


def test_healthz_turns_503_when_no_cycle_finished_within_three_intervals() -> None:
    now = [1000.0]
    status = DaemonStatus(directory="/repo", interval=10.0, monotonic=lambda: now[0])
    with StatusServer("127.0.0.1:0", status=status, metrics=DaemonMetrics()) as server:
        assert _get(server.url + "/healthz")[0] == 200  # just started: the first cycle is still due
        now[0] += 31
        code, _, body = _get(server.url + "/healthz")
        assert code == 503 and "no reconcile cycle finished" in body
        status.cycle_finished(
            result=ReconcileResult.ERROR, started_at=0.0, duration=1.0, commit=None, error="API down"
        )
        assert _get(server.url + "/healthz")[0] == 200  # the loop is alive, even if the API is not
        now[0] += 29
        assert _get(server.url + "/healthz")[0] == 200
        now[0] += 2
        assert _get(server.url + "/healthz")[0] == 503


def test_a_long_cycle_in_progress_is_healthy_until_it_is_three_intervals_old() -> None:
    now = [1000.0]
    status = DaemonStatus(directory="/repo", interval=10.0, monotonic=lambda: now[0])
    status.cycle_finished(result=ReconcileResult.OK, started_at=0.0, duration=1.0, commit=None)
    now[0] += 25
    status.cycle_started()  # a big apply begins
    now[0] += 20  # 45 s since the last finish, 20 s into the cycle
    assert status.healthy()
    assert status.to_dict()["cycleInProgress"] is True
    now[0] += 11  # the cycle has run for 31 s: stuck
    assert not status.healthy()
    status.cycle_finished(result=ReconcileResult.OK, started_at=0.0, duration=31.0, commit=None)
    assert status.healthy()
    assert status.to_dict()["cycleInProgress"] is False


def test_a_failed_cycle_keeps_the_last_pattern_view_and_reports_its_error() -> None:
    status = DaemonStatus(directory="/repo", interval=60.0)
    synced = PatternStatus(name="Alpha", file="patterns/a.json", state=PatternState.SYNCED)
    status.cycle_finished(
        result=ReconcileResult.OK, started_at=1.7e9, duration=0.2, commit="a" * 40, patterns=[synced]
    )
    status.cycle_finished(
        result=ReconcileResult.ERROR, started_at=1.7e9, duration=0.1, commit="a" * 40, error="API down"
    )
    doc = status.to_dict()
    assert doc["cycles"] == 2
    assert doc["lastCycle"]["result"] == "error" and doc["lastCycle"]["error"] == "API down"
    assert [p["name"] for p in doc["patterns"]] == ["Alpha"]


def test_the_metrics_of_two_daemons_are_independent() -> None:
    first, second = DaemonMetrics(), DaemonMetrics()
    first.record_cycle(
        result=ReconcileResult.OK, duration=0.5, finished_at=1.7e9, item_failures=2, drifted=1, conflicts=0
    )
    assert first.registry.get_sample_value("dragops_sync_item_failures_total") == 2
    assert second.registry.get_sample_value("dragops_sync_item_failures_total") == 0
    with pytest.raises(ValueError, match="result must be one of ok, degraded, partial, blocked, error"):
        first.record_cycle(result="fine", duration=0.1, finished_at=1.7e9)


def test_a_cycle_failing_on_a_bad_token_shows_no_secret_anywhere(
    tmp_path: Path, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    sentinel = "SENTINEL-token-7c1f9e"
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    with Client(base_url=emu.url, token=sentinel) as bad, running_daemon(repo, bad, interval=3600) as runner:
        outcome = runner.wait_cycles(1)
        url = runner.daemon.status_url
        assert url is not None
        texts = [_get(url + path)[2] for path in ("/status", "/metrics", "/healthz")]
    assert outcome.result == "error"
    assert outcome.error is not None and "401" in outcome.error
    assert all(sentinel not in text for text in texts)
    assert sentinel not in caplog.text
    assert json.loads(texts[0])["lastCycle"]["error"] == outcome.error


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:9099", ("127.0.0.1", 9099)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:80", ("localhost", 80)),
        (":9099", ("0.0.0.0", 9099)),  # the Go/Flux habit: every interface
    ],
)
def test_status_addresses_are_parsed(address: str, expected: tuple[str, int]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize(
    "address", ["", "9099", "host:", ":9099x", "host:port", "127.0.0.1:99999", ":", "::9099"]
)
def test_a_malformed_status_address_is_refused_naming_it(address: str) -> None:
    with pytest.raises(ValueError, match="status address must look like HOST:PORT"):
        parse_address(address)


def test_the_status_server_stops_and_frees_its_port() -> None:
    def server(address: str) -> StatusServer:
        return StatusServer(
            address, status=DaemonStatus(directory="/r", interval=1.0), metrics=DaemonMetrics()
        )

    first = server("127.0.0.1:0")
    first.start()
    url = first.url
    assert _get(url + "/healthz")[0] == 200
    first.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/healthz", timeout=5)
    server(url.removeprefix("http://")).stop()  # the address can be bound again


def test_a_status_address_of_only_a_port_listens_on_every_interface() -> None:
    server = StatusServer(":0", status=DaemonStatus(directory="/r", interval=1.0), metrics=DaemonMetrics())
    server.start()
    try:
        assert server.url.startswith("http://0.0.0.0:")
        port = server.url.rsplit(":", 1)[1]
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    finally:
        server.stop()
