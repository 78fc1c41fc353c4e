"""The watch daemon end to end: real files in a real git repository, a real emulator over HTTP, the
daemon's loop in a thread. Every wait polls with a timeout; no duration is asserted."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions
from dragops_sync.daemon import Daemon, DaemonSettings, run_daemon
from dragops_sync.plan import PlanOptions
from kit.documents import OWNER
from kit.git import git
from kit.live import live_message, live_names, unbinned_names
from kit.sync_dirs import SETTINGS, pattern_file, sync_repo
from kit.sync_runs import DaemonThread, running_daemon
from kit.waiting import wait_for


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def test_the_first_cycle_creates_every_pattern_of_the_directory(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    with running_daemon(repo, client) as runner:
        first = runner.wait_cycles(1)
    assert first.result == "ok"
    assert first.trigger == "start"
    assert first.commit == git(repo, "rev-parse", "HEAD")
    assert live_names(client) == {"Alpha", "Beta"}


def test_editing_a_file_reaches_the_live_instance(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    with running_daemon(repo, client, interval=3600) as runner:
        seen = runner.wait_settled()
        pattern_file(repo, "a", "Alpha", message="edited on disk")
        wait_for(
            lambda: live_message(client, "Alpha") == "edited on disk", what="the edit to reach the instance"
        )
        outcome = runner.wait_cycle_after(
            seen, lambda o: o.trigger == "files", "a cycle triggered by the file"
        )
    assert live_message(client, "Beta") == "got it"
    assert outcome.result == "ok"


def test_a_new_file_is_created_live_without_waiting_for_the_interval(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    with running_daemon(repo, client, interval=3600) as runner:
        runner.wait_settled()
        pattern_file(repo, "c", "Gamma")
        wait_for(lambda: "Gamma" in live_names(client), what="the new pattern to be created")


def test_deleting_a_file_with_prune_on_bins_the_owned_live_pattern(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    stranger = client.patterns.create(name="Hand Made", graph_data={"nodes": [], "edges": []})
    with running_daemon(repo, client, interval=3600, prune=True) as runner:
        runner.wait_settled()
        (repo / "patterns" / "b.json").unlink()
        wait_for(lambda: "Beta" not in unbinned_names(client), what="the pruned pattern to be binned")
        wait_for(
            lambda: runner.daemon.status.patterns()["Beta"].state == "binned", what="Beta shown as binned"
        )
    assert unbinned_names(client) == ["Alpha", "Hand Made"]  # an unowned pattern is never pruned
    assert live_names(client) == {"Alpha", "Beta", "Hand Made"}  # in the recycle bin, not deleted
    assert client.patterns.get(stranger.id).name == "Hand Made"


def test_deleting_a_file_without_prune_keeps_the_live_pattern(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"})
    with running_daemon(repo, client, interval=3600) as runner:
        seen = runner.wait_settled()
        (repo / "patterns" / "b.json").unlink()
        outcome = runner.wait_cycle_after(seen, lambda o: o.trigger == "files", "a cycle after the deletion")
    assert outcome.result == "degraded"  # Beta is live but no longer in git: never "ok"
    assert outcome.cycle is not None
    assert any("--prune would move them to the recycle bin: Beta" in n for n in outcome.cycle.plan.notes)
    assert [(b.kind, b.pattern) for b in runner.daemon.status.blockers()] == [("orphaned", "Beta")]
    assert runner.daemon.status.patterns()["Beta"].state == "orphaned"
    assert "dragops_sync_orphaned_patterns 1.0" in runner.daemon.metrics.render().decode()
    assert live_names(client) == {"Alpha", "Beta"}


def test_live_drift_is_seen_by_the_interval_resync(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    with running_daemon(repo, client, interval=0.5, watch=False) as runner:
        seen = runner.wait_settled()
        alpha = next(p for p in client.patterns.list() if p.name == "Alpha")
        client.patterns.update(alpha.id, description="edited in the dashboard")
        outcome = runner.wait_cycle_after(
            seen,
            lambda o: o.cycle is not None and any(i.kind == "drift" for i in o.cycle.plan.items),
            "an interval cycle that sees the drift",
        )
        status = runner.daemon.status.patterns()["Alpha"]
    assert outcome.trigger == "interval"
    assert status.state == "drifted"
    assert client.patterns.get(alpha.id).description == "edited in the dashboard"  # warn: not reverted


def test_drift_in_enforce_mode_is_reverted_by_the_interval_resync(tmp_path: Path, client: Client) -> None:
    settings = f"owner: {OWNER}\ndefaults: {{deploy: false, drift: enforce}}\n"
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=settings)
    with running_daemon(repo, client, interval=0.5, watch=False) as runner:
        runner.wait_settled()
        alpha = next(p for p in client.patterns.list() if p.name == "Alpha")
        client.patterns.update(alpha.id, description="edited in the dashboard")
        wait_for(
            lambda: client.patterns.get(alpha.id).description == "Logs incoming webhook payloads",
            what="the drift to be reverted",
        )


def test_a_cycle_that_cannot_reach_the_api_is_logged_and_the_loop_goes_on(
    tmp_path: Path, emu: Emulator, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    emu.inject_fault(path="/api/patterns", method="GET", kind="status", status=500, count=1)
    with running_daemon(repo, client, interval=0.3, watch=False) as runner:
        failed = runner.wait_cycles(1)
        recovered = runner.wait_cycle_after(1, lambda o: o.result == "ok", "a cycle that succeeds")
    assert failed.result == "error"
    assert failed.error is not None and "500" in failed.error
    assert recovered.cycle is not None
    assert live_names(client) == {"Alpha"}
    assert any("cycle 1 failed, will try again" in r.getMessage() for r in caplog.records)


def test_an_invalid_file_is_reported_and_the_valid_ones_are_applied(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    (repo / "patterns" / "broken.json").write_text('{"name": "Broken", "graphData": 3}', encoding="utf-8")
    pattern_file(repo, "b", "Beta")
    with running_daemon(repo, client, interval=3600) as runner:
        runner.wait_settled()
        statuses = runner.daemon.status.patterns()
    assert live_names(client) == {"Alpha", "Beta"}
    broken = statuses["patterns/broken.json"]
    assert broken.state == "invalid"
    assert broken.file == "patterns/broken.json"


def test_the_stop_event_ends_run_daemon_with_exit_code_zero(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"})
    made: list[Client] = []

    def factory() -> Client:
        made.append(Client(base_url=emu.url, token=user.token))
        return made[-1]

    stop = threading.Event()
    codes: list[int] = []

    def on_cycle(outcome: object) -> None:
        stop.set()  # stop after the first cycle

    thread = threading.Thread(
        target=lambda: codes.append(
            run_daemon(repo, client_factory=factory, status_addr=None, stop_event=stop, on_cycle=on_cycle)
        )
    )
    thread.start()
    thread.join(60)
    assert codes == [0]
    assert len(made) == 1
    with Client(base_url=emu.url, token=user.token) as check:
        assert live_names(check) == {"Alpha"}


def test_bad_daemon_options_are_refused_with_a_sentence(tmp_path: Path, client: Client) -> None:
    with pytest.raises(ValueError, match="is not a directory"):
        DaemonSettings(directory=tmp_path / "missing")
    with pytest.raises(ValueError, match="interval must be a positive number"):
        DaemonSettings(directory=tmp_path, interval=0)
    with pytest.raises(ValueError, match="HOST:PORT"):
        Daemon(DaemonSettings(directory=tmp_path, status_addr="nonsense"), client=client)
    with pytest.raises(ValueError, match="exactly one of client= or client_factory="):
        run_daemon(tmp_path)


def test_a_busy_status_port_fails_before_any_cycle(tmp_path: Path, client: Client) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    first = Daemon(DaemonSettings(directory=repo, status_addr="127.0.0.1:0"), client=client)
    try:
        taken = first.status_url
        assert taken is not None
        with pytest.raises(OSError, match=r"cannot serve the status endpoints on 127\.0\.0\.1:"):
            Daemon(DaemonSettings(directory=repo, status_addr=taken.removeprefix("http://")), client=client)
    finally:
        first.close()
    assert live_names(client) == set()


def test_the_example_repository_converges_in_one_cycle_with_references_resolved_in_rounds(
    tmp_path: Path, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dragops_sync")
    example = Path(__file__).resolve().parents[2] / "examples" / "gitops-repo"
    repo = tmp_path / "gitops-repo"
    shutil.copytree(example, repo, ignore=shutil.ignore_patterns(".dragops-local"))
    git(tmp_path, "init", "-q", str(repo))
    env = {"SLACK_TOKEN": "xoxb-SENTINEL-slack", "GITHUB_TRIAGE_TOKEN": "ghp_SENTINEL-github"}
    settings = DaemonSettings(directory=repo, status_addr=None, watch=False, interval=3600)
    daemon = Daemon(settings, client=client, env=env)
    runner = DaemonThread(daemon)
    runner.start()
    try:
        first = runner.wait_cycle_after(0, lambda o: o.number == 1, "the first cycle")
        follow_up = runner.wait_cycle_after(1, lambda o: o.trigger == "follow-up", "the follow-up cycle")
    finally:
        runner.stop()
    # The first cycle runs the apply's rounds (cycle.run_cycle): it creates the connections and the
    # patterns, then writes the patterns whose references waited for them, resolved, and deploys them;
    # no placeholder is ever written. The follow-up cycle a writing cycle triggers finds nothing to do.
    assert first.result == "ok" and first.report is not None and first.report.ok
    assert first.cycle is not None and first.cycle.follow_up is not None
    written = {(r.item.resource, r.item.name) for r in first.report.results if r.item.writes}
    assert ("deployment", "Deploy Failure Alert") in written
    assert ("pattern", "Slack Notifier") in written
    assert follow_up.result == "ok" and not follow_up.wrote
    final = daemon.run_once()  # and then everything is in sync
    assert final.cycle is not None
    assert {i.kind for i in final.cycle.plan.items} == {"noop"}
    alert = next(p for p in client.patterns.list() if p.name == "Deploy Failure Alert")
    notifier = next(p for p in client.patterns.list() if p.name == "Slack Notifier")
    call = next(n for n in client.patterns.get(alert.id).graph_data["nodes"] if n["type"] == "CallPattern")
    assert call["data"]["properties"]["patternId"] == notifier.id
    assert client.deployments.get(alert.id).status == "active"
    assert "SENTINEL" not in caplog.text  # the connections' keys never reach the log
    assert "SENTINEL" not in json.dumps(daemon.status.to_dict())


def test_the_flat_keywords_fill_the_plan_and_apply_options_and_a_typo_is_refused(tmp_path: Path) -> None:
    settings = DaemonSettings.of(
        tmp_path, prune=True, adopt=True, owner="acme/flows", concurrency=3, interval=5
    )
    assert settings.planning == PlanOptions(owner="acme/flows", prune=True, force=False, adopt=True)
    assert settings.applying == ApplyOptions(concurrency=3)
    assert settings.interval == 5
    with pytest.raises(TypeError, match=r"unknown daemon option\(s\): prnue"):
        DaemonSettings.of(tmp_path, prnue=True)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        DaemonSettings.of(tmp_path, concurrency=0)


def test_run_daemon_refuses_a_typo_and_options_beside_settings(tmp_path: Path, client: Client) -> None:
    with pytest.raises(TypeError, match=r"unknown daemon option\(s\): intervall"):
        run_daemon(tmp_path, client=client, intervall=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="options given beside a DaemonSettings: interval"):
        run_daemon(DaemonSettings(tmp_path), client=client, interval=5)
