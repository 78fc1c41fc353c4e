"""`sync.smoke` of a pattern file (and `defaults.smoke` of `dragops-sync.yaml`): how to check a deploy.
The check itself is `smoke.run_smoke_test`; this module only holds the strict model the files are
read with (a leaf: the file loader uses it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_SMOKE_TIMEOUT", "ExecuteProbe", "SmokeSettings", "WebhookProbe"]

DEFAULT_SMOKE_TIMEOUT = 60.0


class WebhookProbe(BaseModel):
    """A signed test request to the pattern's webhook endpoint (the one of `alias` when several)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    payload: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    alias: str | None = None


class ExecuteProbe(BaseModel):
    """A manual execution of the deployment with `input` as its event."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    input: dict[str, Any] = Field(default_factory=dict)


class SmokeSettings(BaseModel):
    """`sync.smoke` of a pattern file (or `defaults.smoke` of the settings)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    webhook: WebhookProbe | None = None
    execute: ExecuteProbe | None = None
    timeout: float = Field(default=DEFAULT_SMOKE_TIMEOUT, gt=0, le=3600)
    expect_logs: list[str] = Field(default_factory=list, alias="expectLogs")

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        # strict floats refuse ints; `timeout: 60` is what people write
        timeout = value.get("timeout") if isinstance(value, dict) else None
        if isinstance(timeout, int) and not isinstance(timeout, bool):
            value = {**value, "timeout": float(timeout)}
        return value

    @model_validator(mode="after")
    def _one_probe(self) -> SmokeSettings:
        if (self.webhook is None) == (self.execute is None):
            raise ValueError("a smoke test sends either `webhook` or `execute`, exactly one")
        return self
