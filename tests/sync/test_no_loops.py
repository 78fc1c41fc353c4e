"""No create loops: names are compared as the server stores them, a create the server answers with
another name fails once, the daemon never creates a name twice in a row (issue 17, item 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ResultStatus
from dragops_sync.plan import ActionKind
from dragops_sync.states import ReconcileResult
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.emulator import writes
from kit.git import init_repo
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import cycle, run_cli, running_daemon

SETTINGS = FAST_RATE + "owner: acme/loops\n"


def _directory(tmp_path: Path, name: str, *, deploy: bool = True) -> Path:
    repo = tmp_path / "repo"
    write_file(repo, "dragops-sync.yaml", SETTINGS + f"defaults: {{deploy: {str(deploy).lower()}}}\n")
    write_file(repo, "patterns/alerts.json", webhook_logger(name))
    return init_repo(repo)


def _creates(emu: Emulator) -> int:
    return sum(1 for r in writes(emu) if r["method"] == "POST" and r["path"] == "/api/patterns")


def test_a_name_with_surrounding_spaces_makes_one_live_pattern(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _directory(tmp_path, "  Alerts   ")
    with client_for(emu, user) as client:
        applies = [cycle(client, repo) for _ in range(3)]
        with running_daemon(repo, client, interval=1.0) as daemon:
            daemon.wait_cycles(3)
        names = [p.name for p in client.patterns.list()]
    validated = run_cli(["validate", str(repo)])

    assert all(result.ok for result in applies)
    assert names == ["Alerts"]
    assert [i.kind for i in applies[1].plan.items] == [ActionKind.NOOP]  # the pattern, in sync
    note = "patterns/alerts.json: name '  Alerts   ' is written as 'Alerts'"
    assert any(n.startswith(note) for n in applies[0].plan.notes)
    assert validated.exit_code == 0 and note in validated.output
    assert _creates(emu) == 1


class _Renaming(httpx.HTTPTransport):
    """Real HTTP to the emulator, but a create's answer names the pattern differently: a server that
    changes names in a way the sync does not know."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method != "POST" or request.url.path != "/api/patterns" or response.status_code != 201:
            return response
        body = json.loads(response.read())
        body["data"]["name"] += " (renamed)"
        return httpx.Response(201, json=body, headers={"content-type": "application/json"})


@contextmanager
def _renaming_client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token, env={}, transport=_Renaming()) as client:
        yield client


def test_a_create_answered_with_another_name_fails_once_and_leaves_nothing(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _directory(tmp_path, "Alerts")
    with _renaming_client(emu, user) as client:
        result = cycle(client, repo)
        left = [p.name for p in client.patterns.list()]

    assert not result.ok and result.report is not None
    statuses = {(r.item.kind, r.status) for r in result.report.results}
    assert statuses == {(ActionKind.CREATE, ResultStatus.FAILED), (ActionKind.DEPLOY, ResultStatus.SKIPPED)}
    failed = next(r for r in result.report.results if r.status == ResultStatus.FAILED)
    assert "stored the new pattern as 'Alerts (renamed)', not 'Alerts'" in failed.message
    assert left == []  # removed again: nothing for a later run to trip over
    assert _creates(emu) == 1


def test_the_daemon_never_creates_one_name_twice_in_a_row(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _directory(tmp_path, "Alerts", deploy=False)
    with _renaming_client(emu, user) as client, running_daemon(repo, client, interval=1.0) as daemon:
        daemon.wait_cycles(4)
        status = daemon.daemon.tracker.statuses()[("pattern", "Alerts")]
        second = daemon.outcomes[1]

    assert _creates(emu) == 1, "the daemon created the pattern again"
    assert second.result == ReconcileResult.PARTIAL and second.report is not None
    refused = [r for r in second.report.results if r.item.name == "Alerts"]
    assert refused and "not created again: the previous cycle created 'Alerts'" in refused[0].message
    assert status.state == "failed" and status.last_error is not None


def test_a_create_the_server_refused_is_tried_again_by_the_daemon(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    """Only a create that made a pattern counts as done: one refused before (a 4xx) backs off and retries."""
    repo = _directory(tmp_path, "Alerts", deploy=False)
    emu.inject_fault(method="POST", path="/api/patterns", kind="status", status=400, count=1)
    with (
        client_for(emu, user) as client,
        running_daemon(repo, client, interval=1.0, backoff_initial=0.2) as daemon,
    ):
        daemon.wait_cycle_after(1, lambda o: o.wrote, "the retried create")
        names = [p.name for p in client.patterns.list()]

    assert names == ["Alerts"]
    assert _creates(emu) == 2
