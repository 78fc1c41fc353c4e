"""The recycle bin for prune, against the emulator: a dropped file's pattern is undeployed and binned
(never deleted at once), listed as "in the recycle bin", restored by `restore` or by a file of that
name with the same id, webhook id and run history, and purged by `apply --prune` only after
`prune.retention` (the sync's clock moved with DRAGOPS_SYNC_NOW), within the prune's budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.ownership import BINNED_TAG_PREFIX, ownership_mark
from kit.git import commit, git
from kit.live import user_patterns
from kit.sync_dirs import FAST_RATE, pattern_file, sync_repo
from kit.sync_runs import run_cli

SETTINGS = FAST_RATE + "owner: acme/flows\nprune: {enabled: true, budget: 5, retention: 7d}\n"
T0 = "2026-12-01T12:00:00+00:00"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def at(moment: str) -> dict[str, str]:
    return {"DRAGOPS_SYNC_NOW": moment}


def live_named(client: Client, name: str) -> list:
    return [s for s in user_patterns(client) if s.name == name]


def deployed_repo(tmp_path: Path, emu: Emulator, user: SeededUser) -> Path:
    """Alpha and Beta, applied and deployed (webhook loggers), committed."""
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha", "beta": "Beta"}, settings=SETTINGS)
    for slug in ("alpha", "beta"):
        path = repo / "patterns" / f"{slug}.json"
        doc = json.loads(path.read_text())
        doc.pop("sync", None)  # deployed (the settings' default)
        path.write_text(json.dumps(doc, indent=2))
    commit(repo, "deploy both")
    applied = run_cli(["apply", str(repo)], emu=emu, user=user, env=at(T0))
    assert applied.exit_code == 0, applied.output
    return repo


def drop_alpha(repo: Path) -> None:
    (repo / "patterns" / "alpha.json").unlink()
    commit(repo, "drop alpha (by mistake)")


def test_prune_bins_then_restore_brings_back_the_same_pattern_webhook_and_runs(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = deployed_repo(tmp_path, emu, user)
    (alpha,) = live_named(client, "Alpha")
    deployment = client.deployments.get(alpha.id)
    (hook,) = client.webhooks.list(alpha.id)
    client.deployments.execute(deployment.deployment_id, event={"before": "the prune"})
    runs_before = [r.id for r in client.runs.list(deployment.deployment_id)]
    assert runs_before

    drop_alpha(repo)
    plan = run_cli(["plan", str(repo), "-o", "json"], emu=emu, user=user, env=at(T0))
    kinds = {(i["kind"], i["resource"]) for i in json.loads(plan.stdout)["items"] if i["name"] == "Alpha"}
    assert kinds == {("bin", "pattern"), ("undeploy", "deployment")}
    pruned = run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0))
    assert pruned.exit_code == 0, pruned.output
    assert "moved to the recycle bin" in pruned.output

    (binned,) = live_named(client, "Alpha")  # not deleted: same pattern, marked, undeployed
    assert binned.id == alpha.id
    assert ownership_mark(binned.tags).binned == "2026-12-01T12:00:00Z;deployed"
    assert client.deployments.get(alpha.id).status == "undeployed"
    status = run_cli(["status", str(repo), "-o", "json"], emu=emu, user=user, env=at(T0))
    (row,) = [r for r in json.loads(status.stdout)["patterns"] if r["name"] == "Alpha"]
    assert row["state"] == "in the recycle bin"
    assert "purges it after 2026-12-08T12:00:00Z" in row["detail"]
    again = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user, env=at(T0))
    assert again.exit_code == 0, again.output  # binned is where a dropped file's pattern belongs

    restored = run_cli(["restore", str(repo), "Alpha"], emu=emu, user=user, env=at(T0))
    assert restored.exit_code == 0, restored.output
    assert "to patterns/alpha.json: commit it, and the next apply deploys it again" in restored.output
    written = json.loads((repo / "patterns" / "alpha.json").read_text())
    assert written["name"] == "Alpha" and "sync" not in written  # deployed, as before the prune
    assert not any(str(t).startswith(BINNED_TAG_PREFIX) for t in written.get("tags", []))
    commit(repo, "restore alpha")

    back = run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0))
    assert back.exit_code == 0, back.output
    (alpha_again,) = live_named(client, "Alpha")
    assert alpha_again.id == alpha.id
    assert ownership_mark(alpha_again.tags).binned is None
    assert client.deployments.get(alpha.id).status == "active"
    assert [h.id for h in client.webhooks.list(alpha.id)] == [hook.id]
    runs_after = [r.id for r in client.runs.list(client.deployments.get(alpha.id).deployment_id)]
    assert set(runs_before) <= set(runs_after)
    clean = run_cli(["plan", str(repo), "--detailed-exitcode"], emu=emu, user=user, env=at(T0))
    assert clean.exit_code == 0, clean.output


def test_a_file_added_again_with_a_binned_name_takes_that_pattern_back(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = deployed_repo(tmp_path, emu, user)
    (alpha,) = live_named(client, "Alpha")
    drop_alpha(repo)
    assert run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0)).exit_code == 0

    pattern_file(repo, "alpha-again", "Alpha", message="a new text")  # another file, same name
    commit(repo, "alpha is back")
    plan = run_cli(["plan", str(repo)], emu=emu, user=user, env=at(T0))
    assert "taken back from the recycle bin" in plan.output
    assert run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0)).exit_code == 0
    (back,) = live_named(client, "Alpha")
    assert back.id == alpha.id and ownership_mark(back.tags).binned is None


def test_apply_prune_purges_only_after_the_retention(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = deployed_repo(tmp_path, emu, user)
    drop_alpha(repo)
    assert run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0)).exit_code == 0

    six_days = run_cli(
        ["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at("2026-12-07T12:00Z")
    )
    assert six_days.exit_code == 0 and len(live_named(client, "Alpha")) == 1

    without_prune = run_cli(
        ["apply", str(repo), "--no-prune", "--auto-approve"], emu=emu, user=user, env=at("2026-12-09T12:00Z")
    )
    assert without_prune.exit_code == 0 and len(live_named(client, "Alpha")) == 1  # purging is prune's

    eight_days = run_cli(
        ["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at("2026-12-09T12:00Z")
    )
    assert eight_days.exit_code == 0, eight_days.output
    assert "purged for good" in eight_days.output
    assert live_named(client, "Alpha") == [] and len(live_named(client, "Beta")) == 1


def test_binning_and_purging_obey_the_prune_budget_and_safeguards(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    repo = sync_repo(
        tmp_path / "repo",
        {f"p{i}": f"P{i}" for i in range(4)},
        settings=FAST_RATE
        + "owner: acme/flows\nprune: {enabled: true, budget: 1}\ndefaults: {deploy: false}\n",
    )
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    for i in range(1, 4):
        (repo / "patterns" / f"p{i}.json").unlink()
    commit(repo, "drop three")
    over = run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user)
    assert over.exit_code == 1 and "exceed the budget" in over.output
    assert all(ownership_mark(s.tags).binned is None for s in user_patterns(client))

    (repo / "patterns" / "broken.json").write_text("{")
    git(repo, "add", "-A")
    invalid = run_cli(["apply", str(repo), "--prune", "--auto-approve"], emu=emu, user=user)
    assert invalid.exit_code == 1 and "some files failed to load" in invalid.output
    assert all(ownership_mark(s.tags).binned is None for s in user_patterns(client))


def test_export_leaves_binned_patterns_out_and_restore_names_what_is_missing(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = deployed_repo(tmp_path, emu, user)
    drop_alpha(repo)
    assert run_cli(["apply", str(repo), "--auto-approve"], emu=emu, user=user, env=at(T0)).exit_code == 0
    exported = run_cli(["export", str(tmp_path / "out")], emu=emu, user=user)
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in (tmp_path / "out" / "patterns").iterdir()) == ["beta.json"]

    missing = run_cli(["restore", str(repo), "Gamma"], emu=emu, user=user)
    assert missing.exit_code == 1
    assert "no pattern named 'Gamma' of owner 'acme/flows' is in the recycle bin" in missing.output
