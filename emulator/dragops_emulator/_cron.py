"""Five-field cron expressions, as the On Schedule node takes them (docs/api-contract.md#trigger-nodes).

A real parser, so deploy-time validation can say exactly what is wrong: fields minute (0-59), hour
(0-23), day-of-month (1-31), month (1-12 or JAN-DEC), day-of-week (0-7 or SUN-SAT, 0 and 7 both
Sunday); each field a comma list of `*`, `N`, `A-B`, with an optional `/STEP` (`*/15`, `1-30/2`,
`5/10` meaning 5 to the field's maximum). Names are case-insensitive and allowed in ranges (MON-FRI).
`next_after` gives the next firing time (UTC), with the classic rule that when both day fields are
restricted a day matches if either does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CronError", "CronSchedule", "parse_cron"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day-of-month", 1, 31, {}),
    _Field("month", 1, 12, {name: index + 1 for index, name in enumerate(_MONTHS)}),
    _Field("day-of-week", 0, 7, {name: index for index, name in enumerate(_DAYS)}),
)

# Searching minute by minute for the next match is bounded: some valid expressions never fire
# (`0 0 31 2 *`); five years covers every leap-year cycle of a satisfiable one.
_SEARCH_LIMIT = timedelta(days=366 * 5)


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message names the field and the problem."""


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0-6, Sunday = 0 (a 7 in the text is folded to 0)
    day_of_month_restricted: bool
    day_of_week_restricted: bool

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires in the minute of `moment` (read as UTC)."""
        if moment.minute not in self.minutes or moment.hour not in self.hours:
            return False
        if moment.month not in self.months:
            return False
        dom = moment.day in self.days_of_month
        dow = (moment.isoweekday() % 7) in self.days_of_week
        if self.day_of_month_restricted and self.day_of_week_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing minute strictly after `moment`, or None if it never fires."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = candidate + _SEARCH_LIMIT
        while candidate < limit:
            if candidate.month not in self.months:
                # Jump to the first minute of the next month.
                year, month = divmod(candidate.year * 12 + candidate.month, 12)
                candidate = candidate.replace(year=year, month=month + 1, day=1, hour=0, minute=0)
                continue
            if candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
                continue
            if self.matches(candidate):
                return candidate
            candidate += timedelta(minutes=1)
        return None


def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field cron expression, raising `CronError` with a message naming the problem."""
    if not isinstance(expression, str) or not expression.strip():
        raise CronError("cron expression is empty")
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            "cron expression must have 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)}"
        )
    values = [_parse_field(part, field) for part, field in zip(parts, _FIELDS, strict=True)]
    return CronSchedule(
        expression=" ".join(parts),
        minutes=values[0],
        hours=values[1],
        days_of_month=values[2],
        months=values[3],
        days_of_week=frozenset(day % 7 for day in values[4]),
        day_of_month_restricted=not parts[2].startswith("*"),
        day_of_week_restricted=not parts[4].startswith("*"),
    )


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    result: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{field.name} field {text!r} has an empty list item")
        result.update(_parse_item(item, field))
    return frozenset(result)


def _parse_item(item: str, field: _Field) -> range:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{field.name} field: step in {item!r} must be a positive integer")
        step = int(step_text)
    if base == "*":
        low, high = field.low, field.high
    elif "-" in base:
        start_text, _, end_text = base.partition("-")
        low, high = _value(start_text, field, item), _value(end_text, field, item)
        if low > high:
            raise CronError(f"{field.name} field: range {item!r} runs backwards")
    else:
        low = _value(base, field, item)
        # `5/10` means "from 5, every 10"; a bare value is just itself.
        high = field.high if slash else low
    return range(low, high + 1, step)


def _value(text: str, field: _Field, item: str) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names[upper]
    if not text.isdigit():
        hint = f" (or a name such as {next(iter(field.names))})" if field.names else ""
        raise CronError(f"{field.name} field: {text!r} in {item!r} is not a number{hint}")
    number = int(text)
    if not field.low <= number <= field.high:
        raise CronError(f"{field.name} field: {number} is out of range {field.low}-{field.high}")
    return number
