"""The syntax of an On Schedule node's cron expression, checked before a deploy would refuse it.

The contract (docs/api-contract.md#trigger-nodes): five fields separated by blanks — minute 0-59, hour 0-23,
day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT (0 and 7 both Sunday). Each field
is a comma list of items; an item is `*`, a value `N` or a range `A-B` (not running backwards), with an
optional step `/S` (a positive integer; `N/S` means from N to the field's maximum). Names are
case-insensitive and allowed in ranges (`MON-FRI`).

Only the syntax: when the expression fires is the server's business. Pure: a string in, a sentence
naming the field and what is wrong out (None when the expression is valid).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CRON_FIELDS", "CronField", "cron_problem"]


@dataclass(frozen=True)
class CronField:
    """One of the five fields: its name, its range and the names it accepts for values."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for the value `first_name_value + i`
    first_name_value: int = 0

    def value_of(self, text: str) -> int | None:
        """The number a name stands for (case-insensitive), or None when it is not one of the names."""
        upper = text.upper()
        return self.names.index(upper) + self.first_name_value if upper in self.names else None


CRON_FIELDS: tuple[CronField, ...] = (
    CronField("minute", 0, 59),
    CronField("hour", 0, 23),
    CronField("day-of-month", 1, 31),
    CronField(
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        first_name_value=1,
    ),
    CronField("day-of-week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)


class _Problem(ValueError):
    """What is wrong with one field (raised inside this module only, to stop at the first problem)."""


def cron_problem(expression: object) -> str | None:
    """What is wrong with a five-field cron expression, or None when DRAGOPS will take it."""
    if not isinstance(expression, str):
        return f"the cron expression must be a string, got {type(expression).__name__}"
    parts = expression.split()
    if not parts:
        return "the cron expression is empty"
    if len(parts) != len(CRON_FIELDS):
        return (
            f"the cron expression {expression!r} has {len(parts)} field(s); it needs 5 "
            "(minute hour day-of-month month day-of-week)"
        )
    try:
        for text, field in zip(parts, CRON_FIELDS, strict=True):
            _check_field(text, field)
    except _Problem as problem:
        return f"the cron expression {expression!r}: {problem}"
    return None


def _check_field(text: str, field: CronField) -> None:
    for item in text.split(","):
        if not item:
            raise _Problem(f"{field.name} field {text!r} has an empty list item")
        _check_item(item, field)


def _check_item(item: str, field: CronField) -> None:
    base, slash, step = item.partition("/")
    if slash and (not _is_number(step) or int(step) == 0):
        raise _Problem(f"{field.name} field: the step in {item!r} must be a positive whole number")
    if base == "*":
        return
    start, dash, end = base.partition("-")
    low = _value(start, field, item)
    if dash and _value(end, field, item) < low:
        raise _Problem(f"{field.name} field: the range {item!r} runs backwards")


def _value(text: str, field: CronField, item: str) -> int:
    named = field.value_of(text)
    if named is not None:
        return named
    if not _is_number(text):
        hint = f" or a name such as {field.names[0]}" if field.names else ""
        raise _Problem(f"{field.name} field: {text!r} in {item!r} is not a number{hint}")
    number = int(text)
    if not field.low <= number <= field.high:
        raise _Problem(f"{field.name} field: {number} is out of range {field.low}-{field.high}")
    return number


def _is_number(text: str) -> bool:
    # ASCII digits only: str.isdigit() also takes '²' and other digits int() refuses or reads oddly.
    return bool(text) and all("0" <= ch <= "9" for ch in text)
