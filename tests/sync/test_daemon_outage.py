"""The daemon while the instance cannot be used: a failed cycle is retried soon after the API answers
again (not a whole interval later), `/status` does not call patterns `synced` while it cannot read
them, and credentials that no longer work make `/readyz` fail (issue 17)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from dragops_sync.states import PatternState, ReconcileResult, Trigger
from kit.live import live_message
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import running_daemon
from kit.waiting import wait_for


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_an_edit_made_during_an_outage_is_applied_soon_after_the_api_answers_again(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    options = {"interval": 3600, "backoff_initial": 0.5, "backoff_max": 2.0}
    with running_daemon(repo, client, **options) as runner:
        seen = runner.wait_settled()
        # The API is down: every list of patterns answers 500 (not retried by the client).
        emu.inject_fault(method="GET", path="/api/patterns", kind="status", status=500, probability=1.0)
        pattern_file(repo, "a", "Alpha", message="edited during the outage")
        failed = runner.wait_cycle_after(seen, lambda o: o.result == ReconcileResult.ERROR, "a failed cycle")
        assert failed.trigger == Trigger.FILES
        emu.clear_faults()  # the API is back
        recovered = runner.wait_cycle_after(
            failed.number, lambda o: o.result == ReconcileResult.OK, "a cycle after the outage"
        )
        wait_for(lambda: live_message(client, "Alpha") == "edited during the outage", what="the edit")
    assert recovered.trigger == Trigger.RETRY  # not the interval, an hour away


def test_status_says_unknown_not_synced_while_the_instance_cannot_be_read(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    (repo / "patterns" / "broken.json").write_text("{not json", encoding="utf-8")
    daemon = Daemon(DaemonSettings(directory=repo, status_addr=None, watch=False), client=client)
    daemon.run_once()
    assert {n: p.state for n, p in daemon.status.patterns().items() if n != "patterns/broken.json"} == {
        "Alpha": PatternState.SYNCED,
        "Beta": PatternState.SYNCED,
    }
    emu.inject_fault(method="GET", path="/api/patterns", kind="status", status=500, probability=1.0)

    outage = daemon.run_once()

    assert outage.result == ReconcileResult.ERROR
    states = daemon.status.patterns()
    assert states["Alpha"].state == states["Beta"].state == PatternState.UNKNOWN
    assert states["Alpha"].last_error == outage.error
    invalid = [p for p in states.values() if p.file == "patterns/broken.json"]
    assert [p.state for p in invalid] == [PatternState.INVALID]  # known without the instance
    document = daemon.status.to_dict()
    assert {p["state"] for p in document["patterns"]} == {"unknown", "invalid"}
    emu.clear_faults()
    assert daemon.run_once().result == ReconcileResult.DEGRADED  # the broken file keeps it from ok
    assert daemon.status.patterns()["Alpha"].state == PatternState.SYNCED


def test_a_token_that_can_no_longer_be_refreshed_makes_readyz_fail_while_healthz_holds(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    with (
        Client(base_url=emu.url, token=user.token, env={}) as token_only,
        running_daemon(repo, token_only, interval=3600, backoff_initial=0.5, backoff_max=1.0) as runner,
    ):
        seen = runner.wait_settled()
        url = runner.daemon.status_url
        assert url is not None
        assert _get(url + "/readyz") == (200, "ok\n")
        emu.advance_clock(3 * 24 * 3600)  # expired beyond the time the server still refreshes it
        pattern_file(repo, "a", "Alpha", message="v2")
        runner.wait_cycle_after(seen, lambda o: o.result == ReconcileResult.ERROR, "a refused cycle")
        ready = _get(url + "/readyz")
        health = _get(url + "/healthz")
        status = runner.daemon.status.to_dict()
    assert ready[0] == 503
    assert ready[1].startswith("not ready: the server refuses the daemon's credentials")
    assert health == (200, "ok\n")  # the process is alive: a restart would not help
    assert status["ready"] is False and status["healthy"] is True


def test_readyz_waits_for_the_first_cycle(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    daemon = Daemon(DaemonSettings(directory=repo, status_addr=None, watch=False), client=client)
    assert daemon.status.ready() == (False, "the first reconcile cycle has not finished yet")
    daemon.run_once()
    assert daemon.status.ready() == (True, "ready")
