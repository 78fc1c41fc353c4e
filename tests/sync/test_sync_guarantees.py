"""Guarantees of issue 4 that cut across modules, checked the way a user meets them: through the CLI.

An export saved as it is, every problem in one `validate`, colour only on a terminal, the Terraform exit
codes for conflicts, unmanaged patterns and refused prunes, the bound on parallel writes, the status
table, and an apply that says why it is incomplete.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import yaml

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.apply import ApplyOptions
from dragops_sync.cycle import run_cycle
from dragops_sync.directory import load_directory
from dragops_sync.essence import essence
from dragops_sync.observe import LiveObserver
from dragops_sync.validate import validate_desired
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.emulator import WRITE_METHODS
from kit.git import init_repo
from kit.live import live_snapshot
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import run_cli

_OWNER = "acme/flows"
_SETTINGS = f"owner: {_OWNER}\n" + FAST_RATE


def _repo(tmp_path: Path, *documents: dict[str, object]) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", _SETTINGS)
    for index, document in enumerate(documents or (webhook_logger(),)):
        write_file(repo, f"patterns/p{index}.json", document)
    return repo


# -- an export is a valid file as it is --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_export_endpoints_answer_saved_as_it_is_is_a_valid_pattern_file(
    emu: Emulator, user: SeededUser, tmp_path: Path, fmt: str
) -> None:
    graph = webhook_logger()["graphData"] | {
        "variables": [{"name": "count", "type": "integer", "defaultValue": 0}]
    }
    with client_for(emu, user) as client:
        made = client.patterns.create(
            name="Shared Logger",
            description="d",
            tags=["t"],
            graph_data=graph,
            is_public=True,
            is_template=True,
        )
    # The raw HTTP answer of GET /api/patterns/:id/export, not a document re-serialised by our code.
    raw = httpx.get(
        f"{emu.url}/api/patterns/{made.id}/export", headers={"Authorization": f"Bearer {user.token}"}
    )
    assert raw.status_code == 200
    exported = raw.json()
    assert {"formatVersion", "createdAt", "isPublic", "isTemplate"} <= set(exported)
    repo = _repo(tmp_path, webhook_logger())
    target = repo / "patterns" / f"shared-logger.{fmt}"
    target.write_bytes(raw.content if fmt == "json" else yaml.safe_dump(exported).encode())

    validated = run_cli(["validate", str(repo)])
    adopted = run_cli(["apply", str(repo), "--adopt"], emu=emu, user=user)
    settled = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)

    assert validated.exit_code == 0, validated.output
    assert "2 pattern file(s) valid" in validated.stdout
    assert adopted.exit_code == 0, adopted.output
    # Adopting changes no content: the live pattern already equals its export.
    assert "adopt pattern 'Shared Logger'" in adopted.stdout
    assert "/graphData" not in adopted.stdout and "/isPublic" not in adopted.stdout
    assert settled.exit_code == 0, settled.output
    with client_for(emu, user) as client:
        live = client.patterns.get(made.id).to_api()
    assert live["isPublic"] is True and live["isTemplate"] is True
    assert essence(live) == essence(exported)


# -- validate: every problem in one run ---------------------------------------------------------------


def test_validate_reports_every_problem_of_every_file_in_one_run_grouped_by_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path, webhook_logger())
    # A misspelt top-level key AND a dangling edge: the graph is still checked.
    misspelt = webhook_logger("Misspelt") | {"tag": ["x"]}
    misspelt["graphData"]["edges"][0]["target"] = "node_99"
    write_file(repo, "patterns/a-misspelt.json", misspelt)
    # A wrong type AND no trigger node.
    no_trigger = webhook_logger("No Trigger") | {"isPublic": "yes"}
    no_trigger["graphData"]["nodes"][0]["type"] = "Log"
    write_file(repo, "patterns/b-no-trigger.json", no_trigger)
    write_file(repo, "patterns/c-bad.yaml", "name: [unclosed\n")
    write_file(repo, "patterns/d-copy.json", webhook_logger())  # the name of p0.json again
    write_file(
        repo, "connections.yaml", "connections:\n  - {name: s, provider: slack, apiKey: xoxb-literal}\n"
    )
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\nconcurrency: 0\n")

    result = run_cli(["validate", str(repo)])

    lines = result.stderr.splitlines()
    expected = [
        ("connections.yaml", "connections[0].apiKey: "),
        ("dragops-sync.yaml", "concurrency: "),
        ("patterns/a-misspelt.json", "tag: unknown field"),
        ("patterns/a-misspelt.json", "graphData.edges[0].target: edge 'edge_1' references unknown node"),
        ("patterns/b-no-trigger.json", "isPublic: input should be a valid boolean"),
        ("patterns/b-no-trigger.json", "graphData.nodes: no trigger node"),
        ("patterns/c-bad.yaml", "(document): invalid YAML"),
        ("patterns/d-copy.json", "name: duplicate pattern name 'Webhook Logger' (also in patterns/p0.json)"),
        ("patterns/p0.json", "name: duplicate pattern name 'Webhook Logger' (also in patterns/d-copy.json)"),
    ]
    assert result.exit_code == 1
    for file, start in expected:  # each names file:line:col
        pattern = rf"{re.escape(file)}:\d+:\d+: {re.escape(start)}"
        assert any(re.match(pattern, line) for line in lines), (file, start, lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {repo} (offline)."
    files = [line.split(":", 1)[0] for line in lines[:-1]]
    assert files == sorted(files)  # grouped by file
    assert "xoxb-literal" not in result.output


def test_a_file_whose_graph_itself_is_malformed_is_not_graph_checked_twice(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    broken = webhook_logger("Broken") | {"colour": "red"}
    broken["graphData"]["edges"][0].pop("source")
    write_file(repo, "patterns/broken.json", broken)
    result = run_cli(["validate", str(repo)])
    assert result.exit_code == 1
    placed = [line for line in result.stderr.splitlines() if line.startswith("patterns/broken.json")]
    problems = [re.sub(r"^([^:]+):\d+:\d+: ", r"\1: ", line) for line in placed]
    assert all(line != problem for line, problem in zip(placed, problems, strict=True))  # file:line:col
    assert sorted(problems) == [
        "patterns/broken.json: colour: unknown field (allowed: formatVersion, name, description, tags, "
        "isPublic, isTemplate, createdAt, graphData, sync)",
        "patterns/broken.json: graphData.edges[0].source: required field is missing",
    ]


def test_an_invalid_files_graph_is_checked_with_its_own_deploy_intent(tmp_path: Path) -> None:
    draft = webhook_logger("Draft") | {"sync": {"deploy": False}, "colour": "red"}
    draft["graphData"]["nodes"].pop(0)  # no trigger: fine for a draft
    draft["graphData"]["edges"] = []
    write_file(tmp_path, "patterns/draft.json", draft)
    # A duplicate key (the document parsed, but is ambiguous) and a dangling edge.
    write_file(
        tmp_path,
        "patterns/twice.yaml",
        "name: Twice\nname: Twice again\ngraphData:\n  nodes: [{id: a, type: OnWebhook}]\n"
        "  edges: [{id: e, source: a, target: z}]\n",
    )
    issues = {(i.file, i.field) for i in validate_desired(load_directory(tmp_path))}
    assert issues == {
        ("patterns/draft.json", "colour"),
        ("patterns/twice.yaml", "name"),
        ("patterns/twice.yaml", "graphData.edges[0].target"),
    }


# -- colour only on a terminal ------------------------------------------------------------------------


def _plan_on_a_terminal(
    emu: Emulator, user: SeededUser, repo: Path, *options: str, no_color: str | None = None
) -> str:
    """`dragops-sync plan` in a real process whose stdout is a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    env = os.environ | {"DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token, "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    if no_color is not None:
        env["NO_COLOR"] = no_color
    code = "from dragops_sync.cli import main; main()"
    with subprocess.Popen(
        [sys.executable, "-c", code, "plan", str(repo), *options],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        _, stderr = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0, stderr
    return b"".join(chunks).decode()


def test_plan_text_is_coloured_on_a_terminal_and_plain_when_piped(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    piped = run_cli(["plan", str(repo)], emu=emu, user=user)
    on_terminal = _plan_on_a_terminal(emu, user, repo)

    assert "+ create    pattern 'Webhook Logger'" in piped.stdout
    assert "\x1b[" not in piped.stdout
    assert "\x1b[" in on_terminal
    assert "create" in on_terminal and "Webhook Logger" in on_terminal
    markdown = run_cli(["plan", str(repo), "-o", "markdown"], emu=emu, user=user)
    assert "\x1b[" not in markdown.stdout


# -- exit codes: conflicts, unmanaged patterns, refused prunes -----------------------------------------


def test_a_conflict_is_a_change_for_plan_a_failure_for_apply_and_force_overwrites_it(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    with client_for(emu, user) as client:
        pattern_id = next(iter(client.patterns.list())).id
        client.patterns.update(pattern_id, description="edited live")
    write_file(repo, "patterns/p0.json", webhook_logger() | {"description": "edited in git"})

    plan = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    refused = run_cli(["apply", str(repo)], emu=emu, user=user)
    with client_for(emu, user) as client:
        after_refusal = client.patterns.get(pattern_id).description
    forced = run_cli(["apply", str(repo), "--force"], emu=emu, user=user)
    with client_for(emu, user) as client:
        after_force = client.patterns.get(pattern_id).description

    assert plan.exit_code == 2 and "! conflict" in plan.stdout
    assert refused.exit_code == 1 and "refused" in refused.stdout
    assert after_refusal == "edited live"
    assert forced.exit_code == 0, forced.output
    assert after_force == "edited in git"


def test_an_unmanaged_pattern_of_the_same_name_is_a_change_to_look_at_and_adopt_settles_it(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    with client_for(emu, user) as client:
        made = client.patterns.create(name="Webhook Logger", graph_data=webhook_logger()["graphData"])

    plan = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)
    refused = run_cli(["apply", str(repo)], emu=emu, user=user)
    with client_for(emu, user) as client:
        untouched = client.patterns.get(made.id).tags
    adopted = run_cli(["apply", str(repo), "--adopt"], emu=emu, user=user)
    settled = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user)

    assert plan.exit_code == 2 and "? unmanaged" in plan.stdout
    assert refused.exit_code == 1
    assert untouched == []
    assert adopted.exit_code == 0, adopted.output
    assert settled.exit_code == 0, settled.output


def test_a_prune_over_its_budget_exits_1_for_plan_and_apply_and_deletes_nothing(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, webhook_logger("Keep"), webhook_logger("Gone A"), scheduled_report("Gone B"))
    write_file(repo, "dragops-sync.yaml", _SETTINGS + "prune: {budget: 1}\n")
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    (repo / "patterns" / "p1.json").unlink()
    (repo / "patterns" / "p2.json").unlink()
    with client_for(emu, user) as client:
        before = live_snapshot(client)

    plan = run_cli(["plan", str(repo), "--prune", "--detailed-exitcode"], emu=emu, user=user)
    apply = run_cli(["apply", str(repo), "--prune"], emu=emu, user=user)
    with client_for(emu, user) as client:
        after = live_snapshot(client)

    assert plan.exit_code == 1 and "Refused: " in plan.stdout and "budget" in plan.stdout
    assert apply.exit_code == 1
    assert after == before


# -- apply: bounded concurrency, one result per item -------------------------------------------------


class _CountingTransport(httpx.BaseTransport):
    """A real HTTP transport that records the most write requests it ever had in flight at once."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self._in_flight = 0
        self.peak = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in WRITE_METHODS:
            return self._inner.handle_request(request)
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            return self._inner.handle_request(request)
        finally:
            with self._lock:
                self._in_flight -= 1

    def close(self) -> None:
        self._inner.close()


def test_apply_never_has_more_writes_in_flight_than_its_concurrency_and_reports_each_item(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, *(webhook_logger(f"Logger {i:02}") for i in range(9)))
    # Slow writes, so that workers overlap whenever the pool lets them.
    emu.inject_fault(method="POST", path="/api/patterns", kind="latency", latency_ms=150, probability=1.0)
    transport = _CountingTransport()
    with Client(base_url=emu.url, token=user.token, env={}, transport=transport) as client:
        result = run_cycle(client, repo, observer=LiveObserver(client), applying=ApplyOptions(concurrency=3))

    assert result.ok and result.report is not None
    assert 2 <= transport.peak <= 3
    assert len(result.report.results) == len(result.plan.items) == 18  # a create and a deploy each
    assert {(r.item.kind.value, r.status.value) for r in result.report.results} == {
        ("create", "ok"),
        ("deploy", "ok"),
    }


def test_an_incomplete_apply_says_why_in_its_last_line(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/broken.json", "{")
    result = run_cli(["apply", str(repo)], emu=emu, user=user)
    assert result.exit_code == 1
    last = re.sub(r" in [0-9.]+ s:", ":", result.stdout.splitlines()[-1])  # without the duration
    assert last == "Apply incomplete: 2 ok, 1 refused; 1 problem(s) listed above (Error/Refused/Invalid)."


# -- status ---------------------------------------------------------------------------------------------


def test_the_status_table_shows_state_deployment_version_and_the_last_run_with_its_outcome(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, webhook_logger(), webhook_logger("Draft") | {"sync": {"deploy": False}})
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    with client_for(emu, user) as client:
        logger = next(p for p in client.patterns.list() if p.name == "Webhook Logger")
        deployment = client.deployments.get(logger.id)
        client.deployments.execute(deployment.deployment_id, event={"hello": 1})
        runs = list(client.runs.list(deployment.deployment_id))

    result = run_cli(["status", str(repo)], emu=emu, user=user)
    as_json = json.loads(run_cli(["status", str(repo), "-o", "json"], emu=emu, user=user).stdout)

    assert result.exit_code == 0
    header = next(line for line in result.stdout.splitlines() if "pattern" in line and "state" in line)
    columns = [cell.strip() for cell in header.strip("┃│ ").split("┃")]
    assert columns == ["pattern", "state", "deployment", "version", "last run", "file", "detail"]
    row = next(line for line in result.stdout.splitlines() if "Webhook Logger" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:4] == ["Webhook Logger", "synced", "active", "1"]
    assert cells[4].startswith(runs[0].status)  # the outcome, then when it started
    draft = next(line for line in result.stdout.splitlines() if "Draft" in line)
    assert "not deployed" in draft
    assert "2 pattern(s): 2 synced" in result.stdout
    by_name = {p["name"]: p for p in as_json["patterns"]}
    assert by_name["Webhook Logger"]["lastRun"]["status"] == runs[0].status


@pytest.mark.parametrize(
    ("options", "no_color"), [((), "1"), (("--no-color",), None)], ids=["NO_COLOR", "--no-color"]
)
def test_no_color_and_the_no_color_option_keep_a_terminal_plain(
    emu: Emulator, user: SeededUser, tmp_path: Path, options: tuple[str, ...], no_color: str | None
) -> None:
    repo = _repo(tmp_path)
    on_terminal = _plan_on_a_terminal(emu, user, repo, *options, no_color=no_color)
    assert "create" in on_terminal and "Webhook Logger" in on_terminal
    assert "\x1b[" not in on_terminal
