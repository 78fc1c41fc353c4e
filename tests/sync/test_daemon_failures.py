"""One failing pattern does not block the others, and it is retried with backoff, not on every cycle.

The daemon's cycles are driven one by one with `Daemon.run_once()` against the real emulator, so what
each cycle sends is visible in the request log; waits poll the backoff's own readiness."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.daemon import Daemon, DaemonSettings
from kit.live import live_message
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import running_daemon
from kit.waiting import wait_for


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def _daemon(repo: Path, client: Client, *, initial: float = 5.0) -> Daemon:
    settings = DaemonSettings(
        directory=repo, status_addr=None, watch=False, backoff_initial=initial, backoff_max=4 * initial
    )
    return Daemon(settings, client=client)


def _pattern_id(client: Client, name: str) -> str:
    return next(p.id for p in client.patterns.list() if p.name == name)


def _wait_until_retry_is_due(daemon: Daemon, name: str) -> None:
    key = ("pattern", name)
    wait_for(lambda: daemon.tracker.backoff.ready(key, time.monotonic()), what=f"the retry time of {name}")


def _requests(emu: Emulator, method: str, path: str) -> int:
    return sum(1 for r in emu.request_log() if r["method"] == method and r["path"] == path)


def test_a_pattern_whose_update_fails_backs_off_while_the_others_proceed(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    # A 1 s first wait: the held-back cycle below starts milliseconds after the failure, and the two
    # retries cost 1 + 2 s of real waiting (polled, never slept blindly) instead of 5 + 10.
    daemon = _daemon(repo, client, initial=1.0)
    assert daemon.run_once().result == "ok"
    alpha = _pattern_id(client, "Alpha")
    put_alpha = f"/api/patterns/{alpha}"
    emu.inject_fault(method="PUT", path=put_alpha, kind="status", status=500, probability=1.0)

    pattern_file(repo, "a", "Alpha", message="alpha v2")
    pattern_file(repo, "b", "Beta", message="beta v2")
    failed = daemon.run_once()
    assert failed.result == "partial"
    assert live_message(client, "Beta") == "beta v2"
    assert live_message(client, "Alpha") == "got it"
    attempts = _requests(emu, "PUT", put_alpha)
    assert attempts == 1  # a 500 is not retried by the client: one attempt, one failure
    entry = daemon.tracker.backoff.entry(("pattern", "Alpha"))
    assert entry is not None and entry.failures == 1 and entry.delay == 1.0
    status = daemon.status.patterns()["Alpha"]
    assert status.state == "failed"
    assert status.last_error is not None and "500" in status.last_error
    assert status.next_retry_at is not None and status.next_retry_at > time.time()

    # Before its retry time, later cycles hold Alpha back and still apply the others.
    pattern_file(repo, "b", "Beta", message="beta v3")
    held = daemon.run_once()
    assert held.held_back == {("pattern", "Alpha")}
    assert held.result == "degraded"  # Alpha's file is not live yet: never "ok"
    assert [(b.kind, b.pattern) for b in daemon.status.blockers()] == [("backoff", "Alpha")]
    assert live_message(client, "Beta") == "beta v3"
    assert _requests(emu, "PUT", put_alpha) == attempts
    assert daemon.status.patterns()["Alpha"].state == "backoff"

    # Once the wait is over the next cycle tries again; it fails again and waits twice as long.
    wait_for(
        lambda: daemon.tracker.backoff.ready(("pattern", "Alpha"), time.monotonic()), what="the retry time"
    )
    retried = daemon.run_once()
    assert retried.held_back == frozenset()
    assert _requests(emu, "PUT", put_alpha) == attempts + 1
    entry = daemon.tracker.backoff.entry(("pattern", "Alpha"))
    assert entry is not None and entry.failures == 2 and entry.delay == 2.0

    # The fault is gone: after the wait the retry succeeds and the backoff is forgotten.
    emu.clear_faults()
    wait_for(
        lambda: daemon.tracker.backoff.ready(("pattern", "Alpha"), time.monotonic()), what="the retry time"
    )
    assert daemon.run_once().result == "ok"
    assert live_message(client, "Alpha") == "alpha v2"
    assert ("pattern", "Alpha") not in daemon.tracker.backoff
    assert daemon.status.patterns()["Alpha"].state == "synced"
    assert daemon.status.patterns()["Alpha"].last_action == "update"


def test_a_deploy_rejected_with_422_backs_off_and_the_other_deploys_go_through(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {})
    pattern_file(repo, "a", "Alpha", deploy=True)
    pattern_file(repo, "b", "Beta", deploy=True)
    daemon = _daemon(repo, client, initial=60.0)
    assert daemon.run_once().result == "ok"  # creates and deploys both
    alpha, beta = _pattern_id(client, "Alpha"), _pattern_id(client, "Beta")
    client.deployments.undeploy(alpha)
    client.deployments.undeploy(beta)
    deploy_alpha = f"/api/patterns/{alpha}/deploy"
    emu.inject_fault(method="POST", path=deploy_alpha, kind="status", status=422, probability=1.0)

    first = daemon.run_once()
    assert first.result == "partial"
    assert client.deployments.get(beta).status == "active"
    assert client.deployments.get(alpha).status == "undeployed"
    assert daemon.status.patterns()["Alpha"].state == "failed"
    assert "422" in (daemon.status.patterns()["Alpha"].last_error or "")
    posts = _requests(emu, "POST", deploy_alpha)

    second = daemon.run_once()
    assert second.held_back == {("pattern", "Alpha")}
    assert _requests(emu, "POST", deploy_alpha) == posts  # not retried before its time
    assert second.result == "degraded"  # Alpha is backing off: git is not live yet


def test_changing_the_file_of_a_failing_pattern_retries_it_at_once(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    daemon = _daemon(repo, client, initial=600.0)
    daemon.run_once()
    alpha = _pattern_id(client, "Alpha")
    emu.inject_fault(method="PUT", path=f"/api/patterns/{alpha}", kind="status", status=500, count=1)
    pattern_file(repo, "a", "Alpha", message="first try")
    assert daemon.run_once().result == "partial"

    pattern_file(repo, "a", "Alpha", message="fixed in git")  # a new desired content, not a retry
    again = daemon.run_once()
    assert again.held_back == frozenset()
    assert again.result == "ok"
    assert live_message(client, "Alpha") == "fixed in git"
    assert ("pattern", "Alpha") not in daemon.tracker.backoff


def test_the_failures_are_counted_in_the_metrics(tmp_path: Path, emu: Emulator, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    daemon = _daemon(repo, client)
    daemon.run_once()
    alpha = _pattern_id(client, "Alpha")
    emu.inject_fault(method="PUT", path=f"/api/patterns/{alpha}", kind="status", status=500, probability=1.0)
    pattern_file(repo, "a", "Alpha", message="v2")
    daemon.run_once()
    registry = daemon.metrics.registry
    assert registry.get_sample_value("dragops_sync_item_failures_total") == 1.0
    assert registry.get_sample_value("dragops_sync_reconciles_total", {"result": "partial"}) == 1.0
    assert registry.get_sample_value("dragops_sync_reconciles_total", {"result": "ok"}) == 1.0


def test_the_daemon_wakes_up_for_a_retry_without_waiting_for_the_interval(
    tmp_path: Path, emu: Emulator, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    options = {"interval": 3600, "backoff_initial": 1.0, "backoff_max": 4.0}
    with running_daemon(repo, client, **options) as runner:
        seen = runner.wait_settled()
        alpha = _pattern_id(client, "Alpha")
        emu.inject_fault(method="PUT", path=f"/api/patterns/{alpha}", kind="status", status=500, count=1)
        pattern_file(repo, "a", "Alpha", message="after one failure")
        failed = runner.wait_cycle_after(seen, lambda o: o.result == "partial", "the failing cycle")
        retried = runner.wait_cycle_after(failed.number, lambda o: o.trigger == "retry", "a retry cycle")
        wait_for(lambda: live_message(client, "Alpha") == "after one failure", what="the retried update")
    assert failed.trigger == "files"
    assert retried.result == "ok"
    assert ("pattern", "Alpha") not in runner.daemon.tracker.backoff


def test_a_drifted_pattern_is_warned_about_once_not_every_cycle(
    tmp_path: Path, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    daemon = _daemon(repo, client)
    daemon.run_once()
    client.patterns.update(_pattern_id(client, "Alpha"), description="edited live")
    for _ in range(3):
        daemon.run_once()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "pattern 'Alpha': drifted (live was edited since the last apply (drift: warn; not reverted))"
    ]
    assert daemon.status.patterns()["Alpha"].state == "drifted"
