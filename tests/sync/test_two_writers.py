"""Two writers never leave a duplicate: two real `dragops-sync apply` processes started together on one
directory (several rounds) end with exactly one live pattern per name, deployed, and a third apply has
nothing to do. A plan over identical twins of ours reduces them (the oldest kept); twins that differ,
or that are not ours, stay a conflict for a person and nothing is deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.documents import OWNER, webhook_logger
from kit.sync_dirs import FAST_RATE, sync_repo
from kit.sync_runs import run_cli

_CLI = "import sys; from dragops_sync.cli import main; main(sys.argv[1:])"
SETTINGS = FAST_RATE + f"owner: {OWNER}\n"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def apply_together(
    directory: Path, emu: Emulator, user: SeededUser
) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "DRAGOPS_URL": emu.url, "DRAGOPS_TOKEN": user.token}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLI, "apply", str(directory)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_two_applies_started_together_leave_one_pattern_per_name(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    for round_number in range(4):
        settings = FAST_RATE + f"owner: {OWNER}-round-{round_number}\n"  # each round its own directory
        directory = sync_repo(
            tmp_path / f"round-{round_number}",
            {f"p{i}": f"Round {round_number} P{i}" for i in range(8)},
            settings=settings,
        )
        results = apply_together(directory, emu, user)
        for result in results:
            assert result.returncode == 0, result.stdout + result.stderr
        names = Counter(p.name for p in client.patterns.list() if p.name.startswith(f"Round {round_number} "))
        assert names == {f"Round {round_number} P{i}": 1 for i in range(8)}, names
        deployed = {d.pattern_id for d in client.deployments.list() if d.deployed}
        for summary in client.patterns.list():
            if summary.name.startswith(f"Round {round_number} "):
                assert summary.id in deployed, summary.name
        again = run_cli(["plan", str(directory), "--detailed-exitcode"], emu=emu, user=user)
        assert again.exit_code == 0, again.output


def make_twins(client: Client, name: str, messages: list[str], owner: str | None = OWNER) -> list[str]:
    """Live patterns named `name`, oldest first, marked as ours (with the applied hash of nothing)."""
    ids = []
    for message in messages:
        document = webhook_logger(name, message)
        tags = [f"dragops-sync:owner={owner}", "dragops-sync:applied=000000000000"] if owner else []
        made = client.patterns.create(
            name=name,
            graph_data=document["graphData"],
            description=document["description"],
            tags=["logging", "webhooks", *tags],
        )
        ids.append(made.id)
    return ids


def test_a_plan_reduces_identical_twins_of_ours_keeping_the_oldest(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    ids = make_twins(client, "Alpha", ["got it", "got it", "got it"])
    # The oldest by the server's createdAt (then id, for twins made in the same millisecond).
    oldest = min(ids, key=lambda i: (str(client.patterns.get(i).created_at), i))
    client.deployments.deploy(oldest)
    planned = run_cli(["plan", str(directory), "-o", "json"], emu=emu, user=user)
    (item,) = [i for i in json.loads(planned.stdout)["items"] if i["name"] == "Alpha"]
    assert item["kind"] == "reduce_twins" and item["patternId"] == oldest
    assert planned.exit_code == 0
    applied = run_cli(["apply", str(directory)], emu=emu, user=user)
    assert applied.exit_code == 0, applied.output
    assert [p.id for p in client.patterns.find_by_name("Alpha")] == [oldest]
    assert client.deployments.get(oldest).deployed
    assert run_cli(["apply", str(directory)], emu=emu, user=user).exit_code == 0


@pytest.mark.parametrize("kind", ["different content", "not ours"])
def test_twins_a_person_must_look_at_are_left_alone(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client, kind: str
) -> None:
    directory = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    if kind == "different content":
        ids = make_twins(client, "Alpha", ["got it", "edited by hand"])
    else:
        ids = make_twins(client, "Alpha", ["got it"]) + make_twins(client, "Alpha", ["got it"], owner=None)
    applied = run_cli(["apply", str(directory)], emu=emu, user=user)
    if kind == "different content":
        assert applied.exit_code == 1 and "2 live patterns named 'Alpha' carry owner" in applied.output
    assert sorted(p.id for p in client.patterns.find_by_name("Alpha")) == sorted(ids)  # nothing deleted
