"""Freeze windows: recurring (cron + duration, in a time zone, across a DST change) and absolute. Inside
one, plan notes it, apply writes nothing and exits 1 naming the window, the daemon writes nothing,
and --ignore-freeze overrides. The clock is injected with DRAGOPS_SYNC_NOW."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.freeze import FreezeWindow, active_freeze, current_time, parse_duration
from dragops_sync.states import ReconcileResult
from kit.emulator import writes
from kit.sync_dirs import FAST_RATE, pattern_file, sync_repo
from kit.sync_runs import run_cli, running_daemon

WEEKEND = {"name": "weekend", "cron": "0 18 * * 5", "duration": "62h", "timezone": "Europe/Berlin"}
SETTINGS = (
    FAST_RATE
    + "owner: acme/flows\ndefaults: {deploy: false}\nfreeze:\n"
    + "  - {name: weekend, cron: '0 18 * * 5', duration: 62h, timezone: Europe/Berlin}\n"
    + "  - {name: year-end, from: '2026-12-20T00:00', to: '2027-01-04T08:00', timezone: America/New_York}\n"
)
INSIDE = "2026-12-05T10:00:00+00:00"  # a Saturday
OUTSIDE = "2026-12-08T10:00:00+00:00"  # a Tuesday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-12-04T16:59:00+00:00", None),  # Friday 17:59 in Berlin: not yet
        ("2026-12-04T17:00:00+00:00", "2026-12-07T07:00:00+00:00"),  # Friday 18:00 CET: frozen
        ("2026-12-07T06:59:00+00:00", "2026-12-07T07:00:00+00:00"),  # Monday 07:59 CET: still
        ("2026-12-07T07:00:00+00:00", None),  # Monday 08:00 CET: over
        # Across the end of summer time (Sunday 2026-10-25): Friday 18:00 CEST + 62 h of wall clock
        # ends Monday 08:00 CET, which is 07:00 UTC (one hour later than 62 elapsed hours).
        ("2026-10-23T16:00:00+00:00", "2026-10-26T07:00:00+00:00"),
        ("2026-10-26T06:30:00+00:00", "2026-10-26T07:00:00+00:00"),
        ("2026-10-26T07:00:00+00:00", None),
    ],
)
def test_a_recurring_window_in_a_time_zone(now: str, until: str | None) -> None:
    active = active_freeze([FreezeWindow.model_validate(WEEKEND)], at(now))
    if until is None:
        assert active is None
    else:
        assert active is not None and active.until == at(until)
        assert "freeze window 'weekend'" in active.message()


def test_an_absolute_window_reads_times_without_offset_in_its_zone() -> None:
    window = FreezeWindow.model_validate(
        {"from": "2026-12-20T00:00", "to": "2027-01-04T08:00", "timezone": "America/New_York"}
    )
    assert active_freeze([window], at("2026-12-20T04:59:00+00:00")) is None  # 23:59 in New York
    active = active_freeze([window], at("2026-12-20T05:00:00+00:00"))
    assert active is not None and active.until == at("2027-01-04T13:00:00+00:00")
    assert "2026-12-20T00:00 to 2027-01-04T08:00" in active.message()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{cron: '61 * * * *', duration: 1h}", "not a cron expression"),
        ("{cron: '0 18 * * 5', duration: 1h, timezone: Mars/Olympus}", "unknown time zone 'Mars/Olympus'"),
        ("{cron: '0 18 * * 5'}", "needs both cron and duration"),
        ("{from: '2026-12-20T00:00'}", "needs both from and to"),
        ("{from: '2026-12-20T00:00', to: '2026-12-19T00:00'}", "must be after its `from`"),
        (
            "{cron: '0 18 * * 5', duration: 1h, from: '2026-12-20T00:00', to: '2026-12-21T00:00'}",
            "either cron",
        ),
        ("{cron: '0 18 * * 5', duration: soon}", "duration must look like"),
    ],
)
def test_a_bad_window_is_an_error_on_its_line(tmp_path: Path, entry: str, message: str) -> None:
    directory = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=f"{FAST_RATE}freeze:\n  - {entry}\n")
    result = run_cli(["validate", str(directory)])
    assert result.exit_code == 1
    assert "dragops-sync.yaml:3:" in result.output and message in result.output


def test_durations_and_the_injected_clock() -> None:
    assert parse_duration("1d 12h") == parse_duration("36h")
    assert current_time({"DRAGOPS_SYNC_NOW": INSIDE}) == at(INSIDE)
    with pytest.raises(ValueError, match="must carry an offset"):
        current_time({"DRAGOPS_SYNC_NOW": "2026-12-05T10:00"})


def test_inside_a_window_apply_writes_nothing_and_says_until_when(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    directory = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    planned = run_cli(
        ["plan", str(directory), "-o", "json"], emu=emu, user=user, env={"DRAGOPS_SYNC_NOW": INSIDE}
    )
    assert planned.exit_code == 0
    assert any(
        "frozen until 2026-12-07T07:00Z (freeze window 'weekend')" in n
        for n in json.loads(planned.stdout)["notes"]
    )

    emu.clear_request_log()
    frozen = run_cli(["apply", str(directory)], emu=emu, user=user, env={"DRAGOPS_SYNC_NOW": INSIDE})
    assert frozen.exit_code == 1
    assert "frozen until 2026-12-07T07:00Z (freeze window 'weekend')" in frozen.output
    assert writes(emu) == []

    forced = run_cli(
        ["apply", str(directory), "--ignore-freeze"], emu=emu, user=user, env={"DRAGOPS_SYNC_NOW": INSIDE}
    )
    assert forced.exit_code == 0 and "ignored (--ignore-freeze)" in forced.output
    pattern_file(directory, "a", "Alpha", "after the weekend")
    after = run_cli(["apply", str(directory)], emu=emu, user=user, env={"DRAGOPS_SYNC_NOW": OUTSIDE})
    assert after.exit_code == 0 and "frozen" not in after.output


def test_the_daemon_writes_nothing_inside_a_window(
    tmp_path: Path, emu: Emulator, user: SeededUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = sync_repo(tmp_path / "repo", {"a": "Alpha"}, settings=SETTINGS)
    monkeypatch.setenv("DRAGOPS_SYNC_NOW", INSIDE)
    emu.clear_request_log()
    with Client(base_url=emu.url, token=user.token) as client, running_daemon(directory, client) as runner:
        outcome = runner.wait_cycles(1)
    assert outcome.result == ReconcileResult.BLOCKED
    assert writes(emu) == []
