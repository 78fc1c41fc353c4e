"""Owners that cannot collide: `org/repo:path` by default, a guessed owner refuses prune and adopt, old
marks are migrated, an invalid `dragops-sync.yaml` stops everything (issue 17, item 1)."""

from __future__ import annotations

from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.ownership import ownership_mark
from dragops_sync.plan import ActionKind
from dragops_sync.states import ReconcileResult
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.git import commit, init_repo
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import cycle, run_cli, running_daemon


def _directory(path: Path, names: list[str], *, remote: str | None = None, git: bool = True) -> Path:
    """A sync directory holding one webhook pattern per name (in git unless `git` is False)."""
    path.mkdir(parents=True, exist_ok=True)
    write_file(path, "dragops-sync.yaml", FAST_RATE + "defaults: {deploy: false}\n")
    for index, name in enumerate(names):
        write_file(path, f"patterns/p{index}.json", webhook_logger(name))
    if git:
        init_repo(path, remote=remote)
    return path


def _owners(client: Client) -> dict[str, str | None]:
    # Those prune moved to the recycle bin are left out: they are what a delete used to be.
    marks = {p.name: ownership_mark(p.tags) for p in client.patterns.list()}
    return {name: mark.owner for name, mark in marks.items() if mark.binned is None}


def test_two_directories_of_one_name_without_a_remote_never_prune_each_other(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    first = _directory(tmp_path / "a" / "team", ["A1", "A2"])
    second = _directory(tmp_path / "b" / "team", ["B1", "B2", "B3"], git=False)
    with client_for(emu, user) as client:
        assert cycle(client, first).ok and cycle(client, second).ok
        before = _owners(client)
        refused = run_cli(["apply", str(first), "--prune"], emu=emu, user=user)
        adopt = run_cli(["plan", str(second), "--adopt"], emu=emu, user=user)
        after = _owners(client)

    assert before == {"A1": "team", "A2": "team", "B1": "team", "B2": "team", "B3": "team"}
    assert after == before  # nothing deleted, nothing re-marked
    assert refused.exit_code == 1
    assert "prune refused: the owner 'team' is guessed" in refused.output
    assert "owner: <team>/<name>` in dragops-sync.yaml, or --owner" in refused.output
    assert adopt.exit_code == 1 and "adopt refused: the owner 'team' is guessed" in adopt.output


def test_a_guessed_owner_refuses_prune_from_the_settings_too(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    """The daemon plans with the settings' prune: the same refusal stops its cycles."""
    team = _directory(tmp_path / "team", ["A1"])
    write_file(team, "dragops-sync.yaml", FAST_RATE + "prune: {enabled: true}\ndefaults: {deploy: false}\n")
    with client_for(emu, user) as client:
        result = cycle(client, team)
        names = set(_owners(client))

    assert not result.ok and [e.code for e in result.plan.errors] == ["guessed_owner"]
    assert names == set()  # the refusal stops every write, not only the prune


def test_a_daemon_with_prune_on_a_guessed_owner_writes_nothing_and_says_how_to_fix_it(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    team = _directory(tmp_path / "team", ["A1"])
    with client_for(emu, user) as client, running_daemon(team, client, interval=3600, prune=True) as daemon:
        first = daemon.wait_cycles(1)
        names = set(_owners(client))

    assert first.result == ReconcileResult.BLOCKED
    assert first.cycle is not None and [e.code for e in first.cycle.plan.errors] == ["guessed_owner"]
    assert names == set()


def test_a_guessed_owner_is_noted_in_every_plan(emu: Emulator, user: SeededUser, tmp_path: Path) -> None:
    team = _directory(tmp_path / "team", ["A1"], git=False)
    planned = run_cli(["plan", str(team)], emu=emu, user=user)

    assert planned.exit_code == 0
    assert "Note: the owner 'team' is guessed from the directory's name" in planned.output


def test_an_owner_set_in_the_settings_lifts_the_refusal(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    team = _directory(tmp_path / "team", ["A1", "A2"])
    other = _directory(tmp_path / "elsewhere" / "team", ["B1"])
    with client_for(emu, user) as client:
        assert cycle(client, other).ok
        write_file(team, "dragops-sync.yaml", FAST_RATE + "owner: acme/team\ndefaults: {deploy: false}\n")
        assert cycle(client, team).ok
        (team / "patterns" / "p1.json").unlink()
        pruned = cycle(client, team, prune=True)
        owners = _owners(client)

    assert pruned.ok, pruned.plan.errors
    assert owners == {"A1": "acme/team", "B1": "team"}


def test_two_sync_directories_in_one_repository_have_their_own_owners(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "mono", remote="git@github.com:acme/mono.git")
    billing = _directory(repo / "billing", ["Invoice"], git=False)
    ops = _directory(repo / "ops", ["Pager", "Backup"], git=False)
    commit(repo, "two directories")
    with client_for(emu, user) as client:
        assert cycle(client, billing).ok and cycle(client, ops).ok
        (billing / "patterns" / "p0.json").unlink()
        write_file(billing, "patterns/p1.json", webhook_logger("Statement"))
        pruned = cycle(client, billing, prune=True)
        owners = _owners(client)

    assert pruned.ok, (pruned.plan.errors, pruned.plan.refusals)
    assert [i.name for i in pruned.plan.items if i.kind == ActionKind.BIN] == ["Invoice"]
    assert owners == {"Statement": "acme/mono:billing", "Pager": "acme/mono:ops", "Backup": "acme/mono:ops"}


def test_patterns_marked_with_the_old_default_owner_are_ours_and_re_marked(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "mono", remote="git@github.com:acme/mono.git")
    billing = _directory(repo / "billing", ["Invoice", "Statement"], git=False)
    ops = _directory(repo / "ops", ["Pager"], git=False)
    commit(repo, "two directories")
    with client_for(emu, user) as client:
        # What earlier versions wrote: every directory of the repository marked `acme/mono`.
        assert cycle(client, billing, owner="acme/mono").ok and cycle(client, ops, owner="acme/mono").ok
        ids = {p.name: p.id for p in client.patterns.list()}
        migrated = cycle(client, billing, prune=True)
        again = cycle(client, billing, dry_run=True)
        owners = _owners(client)
        after = {p.name: p.id for p in client.patterns.list()}

    assert migrated.ok, migrated.plan.errors
    refreshed = {i.name for i in migrated.plan.items if i.refresh_mark}
    assert refreshed == {"Invoice", "Statement"}
    assert not [i for i in migrated.plan.items if i.kind in (ActionKind.CREATE, ActionKind.DELETE)]
    assert any("old default owner 'acme/mono'" in note and "Pager" in note for note in migrated.plan.notes)
    assert after == ids  # re-marked in place: no duplicate, nothing deleted (not even ops' Pager)
    assert owners == {"Invoice": "acme/mono:billing", "Statement": "acme/mono:billing", "Pager": "acme/mono"}
    assert not again.plan.has_changes and not any(i.refresh_mark for i in again.plan.items)


def test_an_invalid_settings_file_stops_before_anything_is_compared(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    other = _directory(tmp_path / "other", ["Foreign"], remote="git@github.com:acme/other.git")
    team = _directory(tmp_path / "team", ["Mine"], remote="git@github.com:acme/team.git")
    with client_for(emu, user) as client:
        assert cycle(client, other).ok
        write_file(team, "dragops-sync.yaml", FAST_RATE + "owner: 42\nprune: {enabled: true}\n")
        emu.clear_request_log()
        planned = run_cli(["plan", str(team), "--output", "json"], emu=emu, user=user)
        applied = cycle(client, team)
        requests = emu.request_log()
        names = set(_owners(client))

    assert planned.exit_code == 1
    assert "dragops-sync.yaml is invalid: nothing is compared or written" in planned.output
    assert '"items": []' in planned.output and "another owner" not in planned.output
    assert not applied.ok and applied.plan.items == () and applied.report is not None
    assert not [r for r in requests if r["path"].startswith("/api/patterns")]
    assert names == {"Foreign"}
