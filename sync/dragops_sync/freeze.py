"""Freeze windows: times when `apply` and the watch daemon write nothing (a release freeze, a holiday).

`freeze:` in `dragops-sync.yaml` is a list of windows, each either recurring or absolute:

    freeze:
      - name: weekend
        cron: "0 18 * * 5"          # starts Fridays at 18:00 ...
        duration: 62h               # ... and lasts until Monday 08:00
        timezone: Europe/Berlin     # the cron is read in this zone (default UTC), DST included
      - name: year-end
        from: "2026-12-20T00:00"
        to: "2027-01-04T08:00"
        timezone: America/New_York  # for times without an offset

Inside a window `plan` still plans (and notes "frozen until ..."), `apply` writes nothing and exits 1
naming the window, and the daemon's cycles are blocked. `--ignore-freeze` overrides it for an
emergency (logged as a warning). Cron expressions are read by `croniter`, time zones by `zoneinfo`.

The current time is `DRAGOPS_SYNC_NOW` (an ISO 8601 time with an offset) when set — for rehearsing a
window and for tests — else the system clock. Pure but for that one read of the given environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["NOW_ENV", "ActiveFreeze", "FreezeWindow", "active_freeze", "current_time", "parse_duration"]

NOW_ENV = "DRAGOPS_SYNC_NOW"

_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$")


def parse_duration(text: str) -> timedelta:
    """`"62h"`, `"1d 12h"`, `"90m"` -> a timedelta; ValueError for anything else (or zero)."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"duration must look like 2h, 90m or 1d 12h, got {text!r}")
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError("duration must be longer than zero")
    return duration


class FreezeWindow(BaseModel):
    """One entry of `freeze:` (module docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    name: str | None = None
    cron: str | None = None
    duration: str | None = None
    start: str | None = Field(default=None, alias="from")
    end: str | None = Field(default=None, alias="to")
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"not a cron expression: {value!r} (five fields: minute hour day month weekday)")
        return value

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> FreezeWindow:
        recurring = self.cron is not None or self.duration is not None
        absolute = self.start is not None or self.end is not None
        if recurring == absolute:
            raise ValueError("a freeze window is either cron + duration, or from + to")
        if recurring and (self.cron is None or self.duration is None):
            raise ValueError("a recurring freeze window needs both cron and duration")
        if absolute:
            if self.start is None or self.end is None:
                raise ValueError("an absolute freeze window needs both from and to")
            if self._at(self.end) <= self._at(self.start):
                raise ValueError("a freeze window's `to` must be after its `from`")
        return self

    @property
    def label(self) -> str:
        """How messages name the window."""
        if self.name:
            return self.name
        return f"cron {self.cron!r} for {self.duration}" if self.cron else f"{self.start} to {self.end}"

    def _at(self, text: str) -> datetime:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {text!r} (like 2026-12-20T18:00)") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(self.timezone))

    def active_until(self, now: datetime) -> datetime | None:
        """When the window ends if `now` is inside it, else None."""
        if self.cron is not None and self.duration is not None:
            local = now.astimezone(ZoneInfo(self.timezone))
            # The latest start at or before now (croniter steps back from just after `now`).
            start: datetime = croniter(self.cron, local + timedelta(seconds=1)).get_prev(datetime)
            end = start + parse_duration(self.duration)
            return end if start <= local < end else None
        assert self.start is not None and self.end is not None
        begin, end = self._at(self.start), self._at(self.end)
        return end if begin <= now < end else None


@dataclass(frozen=True)
class ActiveFreeze:
    """The window in force and when it ends."""

    window: FreezeWindow
    until: datetime

    def message(self) -> str:
        until = self.until.astimezone(UTC).isoformat(timespec="minutes").replace("+00:00", "Z")
        return f"frozen until {until} (freeze window {self.window.label!r})"


def active_freeze(windows: Sequence[FreezeWindow], now: datetime) -> ActiveFreeze | None:
    """The window `now` is in (the one ending last, when several overlap), or None."""
    found = [ActiveFreeze(w, until) for w in windows if (until := w.active_until(now)) is not None]
    return max(found, key=lambda f: f.until, default=None)


def current_time(env: Mapping[str, str]) -> datetime:
    """`DRAGOPS_SYNC_NOW` when set (ValueError when it is not a time with an offset), else now."""
    given = env.get(NOW_ENV)
    if not given:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(given)
    if moment.tzinfo is None:
        raise ValueError(f"{NOW_ENV} must carry an offset (like 2026-12-20T18:00+01:00), got {given!r}")
    return moment
