"""A rotated connection key is noticed: the sync keeps a salted fingerprint of each key in DRAGOPS (a
registry pattern of the owner), the plan shows `update connection ... (the key ... changed)` when the
environment's key differs, apply writes it, the next plan is clean; the key itself never appears in a
plan, a log line, a file or the registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.desired import DesiredConnection
from dragops_sync.key_registry import REGISTRY_TAG_PREFIX, KeyRegistry, fingerprint
from kit.emulator import writes
from kit.sync_dirs import FAST_RATE, sync_repo
from kit.sync_runs import run_cli

KEY_ONE = "xoxb-sentinel-key-one-11aa"
KEY_TWO = "xoxb-sentinel-key-two-22bb"
SETTINGS = FAST_RATE + "owner: acme/flows\ndefaults: {deploy: false}\n"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def repo_with_connection(tmp_path: Path) -> Path:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    (repo / "connections.yaml").write_text(
        "connections:\n  - {name: slack-alerts, provider: slack, apiKey: '${SLACK_TOKEN}'}\n",
        encoding="utf-8",
    )
    return repo


def connection_items(output: str) -> list[dict]:
    return [i for i in json.loads(output)["items"] if i["resource"] == "connection"]


def test_a_rotated_key_is_planned_written_and_then_clean(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = repo_with_connection(tmp_path)
    created = run_cli(["apply", str(repo)], emu=emu, user=user, env={"SLACK_TOKEN": KEY_ONE})
    assert created.exit_code == 0, created.output

    same = run_cli(
        ["plan", str(repo), "-o", "json", "--detailed-exitcode"],
        emu=emu,
        user=user,
        env={"SLACK_TOKEN": KEY_ONE},
    )
    (item,) = connection_items(same.stdout)
    assert same.exit_code == 0 and item["kind"] == "noop" and "salted fingerprint" in item["reason"]

    rotated = run_cli(
        ["plan", str(repo), "-o", "json", "--detailed-exitcode"],
        emu=emu,
        user=user,
        env={"SLACK_TOKEN": KEY_TWO},
    )
    (item,) = connection_items(rotated.stdout)
    assert (
        rotated.exit_code == 2
        and item["kind"] == "update"
        and "changed since it was written" in item["reason"]
    )
    text = run_cli(["plan", str(repo)], emu=emu, user=user, env={"SLACK_TOKEN": KEY_TWO}).output
    assert "~ update    connection 'slack-alerts'" in text

    emu.clear_request_log()
    applied = run_cli(["apply", str(repo)], emu=emu, user=user, env={"SLACK_TOKEN": KEY_TWO})
    assert applied.exit_code == 0, applied.output
    (connection,) = client.connections.list()
    assert ("PUT", f"/api/connections/{connection.id}") in [(w["method"], w["path"]) for w in writes(emu)]
    clean = run_cli(
        ["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user, env={"SLACK_TOKEN": KEY_TWO}
    )
    assert clean.exit_code == 0, clean.output

    for output in (created.output, same.output, rotated.output, text, applied.output, clean.output):
        assert KEY_ONE not in output and KEY_TWO not in output
    (registry,) = client.patterns.list(tags=[f"{REGISTRY_TAG_PREFIX}acme/flows"])
    assert KEY_ONE not in (registry.description or "") and KEY_TWO not in (registry.description or "")
    assert "slack-alerts" in (registry.description or "")
    exported = run_cli(["export", str(tmp_path / "out")], emu=emu, user=user)
    assert (
        exported.exit_code == 0 and "connection keys" not in exported.output
    )  # the registry is not exported


def test_a_connection_made_before_is_written_once_then_remembered(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = repo_with_connection(tmp_path)
    client.connections.create_api_key(provider="slack", api_key=KEY_ONE, display_name="slack-alerts")
    planned = run_cli(["plan", str(repo), "-o", "json"], emu=emu, user=user, env={"SLACK_TOKEN": KEY_ONE})
    (item,) = connection_items(planned.stdout)
    assert item["kind"] == "update" and "never recorded" in item["reason"]
    assert run_cli(["apply", str(repo)], emu=emu, user=user, env={"SLACK_TOKEN": KEY_ONE}).exit_code == 0
    again = run_cli(["plan", str(repo), "-o", "json"], emu=emu, user=user, env={"SLACK_TOKEN": KEY_ONE})
    (item,) = connection_items(again.stdout)
    assert item["kind"] == "noop"
    # Without the variable, nothing can be compared: the plan says so and changes nothing.
    blind = run_cli(["plan", str(repo), "-o", "json"], emu=emu, user=user, env={"SLACK_TOKEN": None})
    (item,) = connection_items(blind.stdout)
    assert item["kind"] == "noop" and "is not set here" in item["reason"]


def test_many_connections_made_in_one_apply_share_one_registry_and_the_next_plan_is_clean(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    names = [f"conn-{i}" for i in range(6)]
    (repo / "connections.yaml").write_text(
        "connections:\n"
        + "".join(
            f"  - {{name: {n}, provider: slack, apiKey: '${{KEY_{i}}}'}}\n" for i, n in enumerate(names)
        ),
        encoding="utf-8",
    )
    env = {f"KEY_{i}": f"xoxb-sentinel-{i}" for i in range(len(names))}
    applied = run_cli(["apply", str(repo)], emu=emu, user=user, env=env)
    assert applied.exit_code == 0, applied.output
    assert "wrote the key" not in applied.output  # a fresh connection is never written twice
    (registry,) = client.patterns.list(tags=[f"{REGISTRY_TAG_PREFIX}acme/flows"])
    assert sorted(json.loads(registry.description)["connections"]) == names
    plan = run_cli(["plan", str(repo), "-o", "json", "--detailed-exitcode"], emu=emu, user=user, env=env)
    assert plan.exit_code == 0, plan.output
    assert {i["kind"] for i in connection_items(plan.stdout)} == {"noop"}


def test_twin_registries_left_by_racing_writers_are_read_together_and_folded_into_the_oldest(
    client: Client,
) -> None:
    tag = f"{REGISTRY_TAG_PREFIX}acme/flows"
    for name, key in (("one", KEY_ONE), ("two", KEY_TWO)):  # two processes, each making its own
        salt = "00" * 16
        client.patterns.create(
            name="dragops-sync connection keys (acme/flows)",
            description=json.dumps({"connections": {name: f"{salt}:{fingerprint(salt, key)}"}}),
            tags=[tag],
            graph_data={"nodes": [], "edges": []},
        )
    registry = KeyRegistry(client, "acme/flows")
    connections = [
        DesiredConnection(name=n, provider="slack", api_key_env=e) for n, e in (("one", "K1"), ("two", "K2"))
    ]
    assert registry.states(connections, {"K1": KEY_ONE, "K2": KEY_TWO}) == {"one": "same", "two": "same"}
    oldest = next(iter(client.patterns.list(tags=[tag], sort_by="createdAt", sort_order="asc"))).id

    registry.record("three", KEY_ONE)

    (left,) = client.patterns.list(tags=[tag])
    assert left.id == oldest
    assert sorted(json.loads(left.description)["connections"]) == ["one", "three", "two"]
    assert KEY_ONE not in left.description and KEY_TWO not in left.description
