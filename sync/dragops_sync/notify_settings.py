"""`notifications:` of `dragops-sync.yaml`: where to tell people, and about what (the sending is
`notify.py`).

    notifications:
      - url: "slack://${SLACK_WEBHOOK}"           # any Apprise URL; secrets only as ${ENV_VAR}
        events: [failed, conflict, invalid, prune_refused, recovered]   # default: all but applied
        perMinute: 10                             # at most this many messages a minute (default 10)

Events: `failed` (a write or deploy failed, or was rolled back), `drift`, `conflict`, `prune_refused`,
`invalid` (a file became invalid), `recovered` (one of these is over), `applied` (a cycle wrote
something). A URL with a literal `user:password@` is refused: credentials come from the environment.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_EVENTS", "EVENTS", "NotificationTarget"]

EVENTS = ("failed", "drift", "conflict", "prune_refused", "invalid", "freeze_ignored", "recovered", "applied")
DEFAULT_EVENTS = tuple(e for e in EVENTS if e != "applied")
_LITERAL_CREDENTIALS = re.compile(r"^[a-z0-9+.-]+://[^/@${}]+:[^/@${}]+@", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z0-9+.-]+://", re.IGNORECASE)


class NotificationTarget(BaseModel):
    """One entry of `notifications:`."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    url: str = Field(min_length=1)
    events: list[str] = Field(default_factory=lambda: list(DEFAULT_EVENTS))
    per_minute: int = Field(default=10, ge=1, le=600, alias="perMinute")

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: str) -> str:
        if not _SCHEME.match(value):
            raise ValueError(
                "url must be an Apprise URL such as slack://..., msteams://..., json://host/path"
            )
        if _LITERAL_CREDENTIALS.match(value):
            # Never quote the value: it holds the secret.
            raise ValueError("url holds a literal user:password; write secrets as ${ENV_VAR} references")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}; events are {', '.join(EVENTS)}")
        return value
