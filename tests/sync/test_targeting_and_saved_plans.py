"""`--name`/`--tag` targeting pulls in what the targeted patterns reference and keeps prune inside the
target; `plan --out FILE` + `apply FILE` apply exactly the reviewed plan and refuse (writing nothing)
when a file or a live pattern it touches changed. Real files, a real git repo, the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.documents import webhook_logger
from kit.emulator import writes
from kit.graphs import chain, graph, node, webhook_node
from kit.live import live_message, unbinned_names, user_patterns
from kit.sync_dirs import FAST_RATE, pattern_file, sync_repo, write_pattern
from kit.sync_runs import run_cli

SETTINGS = FAST_RATE + "owner: acme/flows\ndefaults: {deploy: false}\nprune: {enabled: true}\n"
SENTINEL = "xoxb-sentinel-saved-plan-4e21"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def caller(name: str, callee: str, tags: list[str]) -> dict[str, Any]:
    """A pattern that calls `callee` and posts with the Slack connection."""
    nodes = [
        webhook_node("hook", mode="immediate"),
        node("call", "CallPattern", at=(300, 0), props={"patternId": f"${{pattern:{callee}}}"}),
        node(
            "post",
            "SlackSendMessage",
            at=(600, 0),
            props={"connectionId": "${connection:slack-alerts}"},
            channel="#x",
        ),
    ]
    return {
        "formatVersion": 1,
        "name": name,
        "tags": tags,
        "graphData": graph(nodes, chain("hook", "call", "post")),
    }


def directory(tmp_path: Path) -> Path:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta", "c": "Callee"}, settings=SETTINGS)
    write_pattern(repo, "caller.json", caller("Caller", "Callee", ["billing"]))
    (repo / "connections.yaml").write_text(
        "connections:\n  - {name: slack-alerts, provider: slack, apiKey: '${SLACK_TOKEN}'}\n",
        encoding="utf-8",
    )
    return repo


def test_a_tag_target_pulls_in_its_references_and_nothing_else(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = directory(tmp_path)
    planned = run_cli(["plan", str(repo), "--tag", "billing", "-o", "json"], emu=emu, user=user)
    doc = json.loads(planned.stdout)
    assert doc["target"] == {"names": [], "tags": ["billing"]}
    creates = sorted((i["resource"], i["name"]) for i in doc["items"] if i["kind"] == "create")
    assert creates == [("connection", "slack-alerts"), ("pattern", "Callee"), ("pattern", "Caller")]
    applied = run_cli(
        ["apply", str(repo), "--tag", "billing"], emu=emu, user=user, env={"SLACK_TOKEN": SENTINEL}
    )
    assert applied.exit_code == 0, applied.output
    assert "Targeted: only --tag 'billing'" in applied.output
    assert sorted(p.name for p in user_patterns(client)) == ["Callee", "Caller"]


def test_prune_stays_inside_the_target(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"}, settings=SETTINGS)
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    (repo / "patterns" / "a.json").unlink()
    (repo / "patterns" / "b.json").unlink()
    pattern_file(repo, "g", "Gamma")
    result = run_cli(["apply", str(repo), "--name", "Alph*"], emu=emu, user=user)
    assert result.exit_code == 0, result.output
    assert unbinned_names(client) == ["Beta"]  # Alpha pruned (to the recycle bin); Beta, Gamma untouched


def test_a_saved_plan_is_applied_exactly_and_refused_when_what_it_touches_changed(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"}, settings=SETTINGS)
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    pattern_file(repo, "a", "Alpha", "reviewed")
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", str(repo), "--out", str(saved)], emu=emu, user=user).exit_code == 0
    doc = json.loads(saved.read_text())
    assert doc["format"] == "dragops-sync saved plan 1" and doc["instance"] == emu.url

    # The file changed after the review: refused, nothing written.
    pattern_file(repo, "a", "Alpha", "not what was reviewed")
    emu.clear_request_log()
    refused = run_cli(["apply", str(saved)], emu=emu, user=user)
    assert refused.exit_code == 1 and "changed since it was made; nothing was written" in refused.output
    assert writes(emu) == []

    # Back to the reviewed content, but the live pattern was edited since: refused too.
    pattern_file(repo, "a", "Alpha", "reviewed")
    (alpha,) = client.patterns.find_by_name("Alpha")
    client.patterns.update(alpha.id, description="edited live after the review")
    emu.clear_request_log()
    assert run_cli(["apply", str(saved)], emu=emu, user=user).exit_code == 1
    assert writes(emu) == []
    client.patterns.update(alpha.id, description=webhook_logger("Alpha")["description"])

    # An untouched pattern changed meanwhile: the saved plan is still applied, and only it.
    fresh = tmp_path / "fresh.json"
    assert run_cli(["plan", str(repo), "--out", str(fresh)], emu=emu, user=user).exit_code == 0
    pattern_file(repo, "b", "Beta", "a later change")
    emu.clear_request_log()
    applied = run_cli(["apply", str(fresh)], emu=emu, user=user)
    assert applied.exit_code == 0, applied.output
    assert "not applied (plan again): update 'Beta'" in applied.output
    assert live_message(client, "Alpha") == "reviewed" and live_message(client, "Beta") == "got it"
    assert [w["path"] for w in writes(emu)] == [f"/api/patterns/{alpha.id}"]


def test_a_saved_plan_holds_no_secret(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    repo = directory(tmp_path)
    saved = tmp_path / "plan.json"
    result = run_cli(
        ["plan", str(repo), "--out", str(saved)], emu=emu, user=user, env={"SLACK_TOKEN": SENTINEL}
    )
    assert result.exit_code == 0
    text = saved.read_text()
    assert SENTINEL not in text and user.token not in text and "SLACK_TOKEN" in text
    assert run_cli(["apply", str(tmp_path / "nope.json")]).exit_code == 1
    not_a_plan = tmp_path / "x.json"
    not_a_plan.write_text("{}")
    bad = run_cli(["apply", str(not_a_plan)], emu=emu, user=user)
    assert bad.exit_code == 1 and "is not a saved plan" in bad.output
