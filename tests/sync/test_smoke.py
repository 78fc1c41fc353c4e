"""Smoke tests against the emulator, whose interpreter really runs the patterns: a passing test; one
whose run fails (a Throw Error node) is rolled back to the previous graph and version, is not deployed
again unchanged, is retried after a file edit or with --retry-rolled-back; a run that times out; a
pattern never deployed before is undeployed; an execute probe with expected log lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.emulator import writes
from kit.graphs import chain, graph, node, webhook_node
from kit.sync_dirs import FAST_RATE, sync_repo, write_pattern

SETTINGS = FAST_RATE + "owner: acme/flows\n"
WEBHOOK_SMOKE = {"webhook": {"payload": {"action": "opened"}}, "timeout": 10}


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def pattern(
    message: str, *, fail: bool = False, delay: float | None = None, smoke: Any = WEBHOOK_SMOKE
) -> dict[str, Any]:
    nodes = [webhook_node("hook", mode="immediate"), node("log", "Log", at=(300, 0), message=message)]
    if delay is not None:
        nodes.append(node("wait", "Delay", at=(600, 0), seconds=delay))
    if fail:
        nodes.append(node("boom", "ThrowError", at=(900, 0), message="payload field renamed"))
    document = {
        "formatVersion": 1,
        "name": "Checked",
        "graphData": graph(nodes, chain(*[n["id"] for n in nodes])),
    }
    if smoke is not None:
        document["sync"] = {"smoke": smoke}
    return document


def apply(emu: Emulator, user: SeededUser, directory: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    from kit.sync_runs import run_cli

    result = run_cli(["apply", str(directory), "-o", "json", *extra], emu=emu, user=user)
    return result.exit_code, json.loads(result.stdout)


def result_of(doc: dict[str, Any], kind_resource: str = "deployment") -> dict[str, Any]:
    (found,) = [
        r for r in doc["apply"]["results"] if r["resource"] == kind_resource and r["status"] != "unchanged"
    ]
    return found


def live_graph(client: Client) -> tuple[dict[str, Any], int | None]:
    (summary,) = client.patterns.find_by_name("Checked")
    deployment = client.deployments.get(summary.id)
    return client.patterns.get(
        summary.id
    ).graph_data, deployment.version_number if deployment.deployed else None


def test_a_passing_smoke_test_is_reported_with_its_run(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = sync_repo(tmp_path / "repo", {}, settings=SETTINGS)
    write_pattern(directory, "checked.json", pattern("ok"))
    code, doc = apply(emu, user, directory)
    assert code == 0
    message = result_of(doc)["message"]
    assert "smoke test passed (run " in message
    run_id = message.rsplit("(run ", 1)[1].rstrip(")")
    (summary,) = client.patterns.find_by_name("Checked")
    deployment = client.deployments.get(summary.id)
    run = client.runs.get(deployment.deployment_id, run_id)
    assert run.status == "completed" and run.triggered_by == "webhook"


def test_a_failing_smoke_test_rolls_back_and_is_not_redeployed_unchanged(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = sync_repo(tmp_path / "repo", {}, settings=SETTINGS)
    write_pattern(directory, "checked.json", pattern("v1"))
    assert apply(emu, user, directory)[0] == 0
    good_graph, good_version = live_graph(client)
    assert good_version == 1

    write_pattern(directory, "checked.json", pattern("v2", fail=True))
    code, doc = apply(emu, user, directory)
    assert code == 1
    rolled = result_of(doc)
    assert rolled["status"] == "rolled_back"
    assert "the run ended failed: payload field renamed" in rolled["message"]
    assert "rolled back to the graph of version 1 (now deployed as version 3)" in rolled["message"]
    after_graph, after_version = live_graph(client)
    assert after_graph == good_graph and after_version == 3

    # The next apply does not deploy the same failing content again.
    emu.clear_request_log()
    code, doc = apply(emu, user, directory)
    assert code == 1 and writes(emu) == []
    (item,) = [i for i in doc["plan"]["items"] if i["name"] == "Checked"]
    assert item["kind"] == "rolled_back" and "--retry-rolled-back" in item["reason"]

    # --retry-rolled-back tries it again (and it fails again); a fixed file is deployed.
    code, doc = apply(emu, user, directory, "--retry-rolled-back")
    assert code == 1 and result_of(doc)["status"] == "rolled_back"
    write_pattern(directory, "checked.json", pattern("v3 fixed"))
    code, doc = apply(emu, user, directory)
    assert code == 0, doc
    assert "smoke test passed" in result_of(doc)["message"]
    log_node = next(n for n in live_graph(client)[0]["nodes"] if n["type"] == "Log")
    assert log_node["data"]["pinDefaults"]["message"] == "v3 fixed"


def test_a_run_that_times_out_fails_the_smoke_test(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    directory = sync_repo(tmp_path / "repo", {}, settings=SETTINGS)
    write_pattern(directory, "checked.json", pattern("slow", delay=400.0))
    code, doc = apply(emu, user, directory)
    assert code == 1
    rolled = result_of(doc)
    assert rolled["status"] == "rolled_back" and "the run ended timeout" in rolled["message"]
    # Never deployed before: nothing to go back to, so it is undeployed.
    assert "it was not deployed before, so it was undeployed" in rolled["message"]


def test_an_execute_probe_checks_expected_log_lines(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    directory = sync_repo(tmp_path / "repo", {}, settings=SETTINGS)
    start = {
        "formatVersion": 1,
        "name": "Checked",
        "graphData": graph(
            [node("start", "OnStart"), node("log", "Log", at=(300, 0), message="nightly ok")],
            chain("start", "log"),
        ),
    }
    start["sync"] = {"smoke": {"execute": {"input": {"dryRun": True}}, "expectLogs": ["nightly ok"]}}
    write_pattern(directory, "checked.json", start)
    assert apply(emu, user, directory)[0] == 0
    start["sync"]["smoke"]["expectLogs"] = ["a line that never comes"]
    start["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = "nightly changed"  # redeployed
    write_pattern(directory, "checked.json", start)
    code, doc = apply(emu, user, directory)
    assert code == 1 and "lacks 'a line that never comes'" in result_of(doc)["message"]


def test_a_smoke_block_with_both_or_neither_probe_is_invalid(tmp_path: Path) -> None:
    from kit.sync_runs import run_cli

    directory = sync_repo(tmp_path / "repo", {}, settings=SETTINGS)
    write_pattern(directory, "checked.json", pattern("x", smoke={"timeout": 5}))
    result = run_cli(["validate", str(directory)])
    assert result.exit_code == 1 and "either `webhook` or `execute`" in result.output
