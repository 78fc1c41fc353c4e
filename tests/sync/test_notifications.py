"""Notifications through Apprise to a local HTTP receiver (`json://`): each problem is announced once
and its recovery once; the rate limit holds back and sums up; a hanging or failing channel never
slows or fails a cycle; apply notifies too; no secret in any message; bad settings named on their line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.receiver import receiver
from kit.sync_dirs import FAST_RATE, sync_repo
from kit.sync_runs import run_cli, running_daemon
from kit.waiting import wait_for

SECRET = "sentinel-hook-path-7f2c9a"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def settings(url: str, extra: str = "") -> str:
    return (
        FAST_RATE
        + "owner: acme/flows\ndefaults: {deploy: false}\nnotifications:\n"
        + f'  - url: "json://{url}/hooks/${{HOOK_SECRET}}"\n'
        + extra
    )


def events(got) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.get("title", "").split(" ", 2)[-1].split(":")[0] for m in got.messages]


def test_each_problem_is_announced_once_and_its_recovery_once(
    tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver() as got:
        repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=settings(got.url))
        with running_daemon(repo, client, interval=0.5) as runner:
            runner.wait_settled()
            (repo / "patterns" / "broken.json").write_text("{not json", encoding="utf-8")
            wait_for(lambda: len(got.messages) >= 1, timeout=30, what="the invalid file announced")
            seen = runner.cycles
            runner.wait_cycles(seen + 3)  # more cycles with the same problem: no repeat
            assert len(got.messages) == 1
            (repo / "patterns" / "broken.json").unlink()
            wait_for(lambda: len(got.messages) >= 2, timeout=30, what="the recovery announced")
        titles = [m["title"] for m in got.messages]
        assert "invalid: patterns/broken.json" in titles[0] and "[acme/flows]" in titles[0]
        assert "recovered: patterns/broken.json" in titles[1]
        assert "Nothing is written for this file until it is fixed" in got.messages[0]["message"]
        assert got.paths[0].endswith(f"/hooks/{SECRET}")  # the secret reached only the URL
        assert SECRET not in got.bodies()


def test_the_rate_limit_holds_back_and_sums_up(
    tmp_path: Path, emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver() as got:
        repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=settings(got.url, "    perMinute: 2\n"))
        for n in range(5):
            (repo / "patterns" / f"broken{n}.json").write_text("{", encoding="utf-8")
        result = run_cli(["apply", str(repo)], emu=emu, user=user)
        assert result.exit_code == 1
        wait_for(lambda: len(got.messages) >= 3, timeout=30, what="two messages and a summary")
        time.sleep(0.5)
        assert len(got.messages) == 3
        assert (
            "held back" in got.messages[2]["title"]
            and "3 message(s) were held back" in got.messages[2]["message"]
        )


@pytest.mark.parametrize("behaviour", ["hangs", "fails"])
def test_a_bad_channel_never_slows_or_fails_a_cycle(
    tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch, behaviour: str
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver() as got:
        if behaviour == "hangs":
            got.delay = 6.0
        else:
            got.status = 500
        repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=settings(got.url))
        (repo / "patterns" / "broken.json").write_text("{", encoding="utf-8")
        with running_daemon(repo, client, interval=0.3) as runner:
            started = time.monotonic()
            runner.wait_cycles(4)  # cycles go on while the channel hangs or fails
            assert time.monotonic() - started < 5.0
            assert all(o.duration < 2.0 for o in runner.outcomes)


def test_apply_notifies_what_it_applied(
    tmp_path: Path, emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver() as got:
        extra = "    events: [applied, failed]\n"
        repo = sync_repo(tmp_path / "repo", {"a": "Alpha", "b": "Beta"}, settings=settings(got.url, extra))
        assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
        wait_for(lambda: got.messages, timeout=30, what="the applied summary")
        (message,) = got.messages
        assert "applied" in message["title"] and "apply wrote 2 change(s)" in message["message"]
        assert user.token not in got.bodies() and SECRET not in got.bodies()


def test_writing_through_a_freeze_window_is_announced(
    tmp_path: Path, emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with receiver() as got:
        freeze = "freeze:\n  - {name: weekend, cron: '0 18 * * 5', duration: 62h, timezone: Europe/Berlin}\n"
        repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=settings(got.url) + freeze)
        saturday = {"DRAGOPS_SYNC_NOW": "2026-12-05T10:00:00+00:00"}
        forced = run_cli(["apply", str(repo), "--ignore-freeze"], emu=emu, user=user, env=saturday)
        assert forced.exit_code == 0, forced.output
        wait_for(lambda: "freeze_ignored" in events(got), timeout=30, what="the freeze override announced")
        (message,) = [m for m in got.messages if "freeze_ignored" in m.get("title", "")]
        assert "freeze window 'weekend'" in message["message"] and "--ignore-freeze" in message["message"]
        assert SECRET not in got.bodies()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('  - {url: "json://h/p", events: [exploded]}\n', "unknown event 'exploded'"),
        ('  - {url: "slack://user:hunter2@hooks"}\n', "literal user:password"),
        ('  - {url: "not a url"}\n', "must be an Apprise URL"),
    ],
)
def test_bad_notification_settings_are_named_on_their_line(tmp_path: Path, entry: str, problem: str) -> None:
    repo = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=FAST_RATE + "notifications:\n" + entry)
    result = run_cli(["validate", str(repo)])
    assert result.exit_code == 1 and "dragops-sync.yaml:3:" in result.output and problem in result.output
    assert "hunter2" not in result.output
