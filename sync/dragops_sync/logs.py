"""The sync's log lines for people or for machines: `--log-format text|json` and `--log-level`.

    configure_logs(fmt="json", level="info")   # every `dragops_sync` logger, on stderr

JSON: one object per line — `time` (RFC 3339, UTC), `level`, `event` (a stable snake_case name),
`message`, and where they apply `commit`, `pattern`, `file`, `action`, `duration` (seconds), `error`,
`owner`, `cycle`, `trigger`, `result`. Code logs them as `extra={"event": ..., "pattern": ...}`; a
line without an event gets one from its logger (`daemon_log`). Text: `LEVEL logger: message`.

Messages never hold a secret: the API client keeps credentials out of its errors, git output is
scrubbed (source.py, gitpull.py), and tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELDS", "LOG_FORMAT_ENV", "LOG_LEVEL_ENV", "JsonFormatter", "configure_logs", "logs_configured"]

LOG_FORMAT_ENV = "DRAGOPS_SYNC_LOG_FORMAT"
LOG_LEVEL_ENV = "DRAGOPS_SYNC_LOG_LEVEL"

# The structured fields a log call may carry (`extra=`), in the order they are written.
FIELDS = ("commit", "pattern", "file", "action", "duration", "error", "owner", "cycle", "trigger", "result")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        event = getattr(record, "event", None) or f"{record.name.rsplit('.', 1)[-1]}_log"
        doc: dict[str, Any] = {
            "time": moment.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": event,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                doc[key] = round(value, 3) if isinstance(value, float) else value
        if record.exc_info and record.levelno >= logging.ERROR:
            doc["error"] = doc.get("error") or self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(doc, ensure_ascii=False, default=str)


class _Stderr(logging.Handler):
    """Writes to whatever `sys.stderr` is when the record comes (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logs(fmt: str = "text", level: str | int = "warning") -> None:
    """Send every `dragops_sync` logger's lines at `level` and above to stderr, as `fmt` (text, json);
    calling it again replaces the earlier choice (one handler, never two)."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, got {fmt!r}")
    numeric = level if isinstance(level, int) else _LEVELS.get(level.lower())
    if numeric is None:
        raise ValueError(f"log level must be one of {', '.join(_LEVELS)}, got {level!r}")
    logger = logging.getLogger("dragops_sync")
    logger.setLevel(numeric)
    for handler in [h for h in logger.handlers if isinstance(h, _Stderr)]:
        logger.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)


def logs_configured() -> bool:
    """Whether `configure_logs` (or someone) already set where the sync's lines go."""
    return any(isinstance(h, _Stderr) for h in logging.getLogger("dragops_sync").handlers)
