"""Clock: the emulator's notion of "now", which tests can shift forward.

Token expiry, 24-hour idempotency windows and timestamps all read this clock, so a test can jump
ahead an hour (``advance_clock``) instead of waiting.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["MAX_CLOCK_OFFSET_SECONDS", "Clock", "format_iso", "parse_iso"]

# How far the clock may run ahead: a century covers every expiry and retention window, and stays
# clear of the year-9999 limit of datetime.
MAX_CLOCK_OFFSET_SECONDS = 100 * 365 * 24 * 3600


def parse_iso(text: str) -> datetime:
    """The aware datetime of a timestamp the emulator wrote with :func:`format_iso`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, the API's timestamp format (``2026-03-05T12:00:00.000Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock:
    """Real UTC time plus an offset that only moves forward through :meth:`advance`."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        """How far this clock runs ahead of real time."""
        return self._offset

    def now(self) -> datetime:
        """The shifted current time, timezone-aware (UTC)."""
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def timestamp(self) -> float:
        """The shifted current time as POSIX seconds (JWT ``iat``/``exp`` use this)."""
        return self.now().timestamp()

    def iso(self) -> str:
        """The shifted current time in the API's timestamp format."""
        return format_iso(self.now())

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (negative values are refused: time does not go back)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
