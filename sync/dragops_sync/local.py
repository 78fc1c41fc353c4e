"""`--local`: an embedded DRAGOPS emulator for trying a directory out without an instance.

`local_instance(directory)` starts `dragops_emulator.Emulator` in this process on a free port, with
its SQLite database in `DIR/.dragops-local/emulator.sqlite`, so the state is kept between commands
(`apply --local` then `status --local` see the same patterns). A local user is seeded the first time
and its generated credentials kept in `DIR/.dragops-local/credentials.json` (mode 0600); the folder
carries its own `.gitignore` so it never ends up in a commit.

The only module of dragops_sync that imports dragops_emulator, and lazily, so the sync runs without
the `[emulator]` extra whenever `--local` is not used (with it missing, `--local` says what to install).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dragops_sync.errors import DragopsError

__all__ = ["LOCAL_DIR", "LocalError", "LocalInstance", "local_instance"]

LOCAL_DIR = ".dragops-local"
_DB_FILE = "emulator.sqlite"
_CREDENTIALS_FILE = "credentials.json"
_LOCAL_EMAIL = "local@dragops.invalid"


class LocalError(DragopsError):
    """The embedded emulator could not be started or its local state is unusable."""


@dataclass(frozen=True)
class LocalInstance:
    """A running embedded emulator and the credentials of its local user (hidden from the repr)."""

    url: str
    email: str
    state_dir: Path
    password: str = field(repr=False)


def _credentials(state_dir: Path) -> tuple[str, str, bool]:
    """(email, password, new): the kept credentials, or fresh ones written with mode 0600."""
    path = state_dir / _CREDENTIALS_FILE
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return str(data["email"]), str(data["password"]), False
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalError(
                f"{path} is unreadable ({type(exc).__name__}); delete {state_dir} to start over"
            ) from None
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"email": _LOCAL_EMAIL, "password": password}, handle)
    return _LOCAL_EMAIL, password, True


@contextmanager
def local_instance(directory: Path) -> Iterator[LocalInstance]:
    """Run the embedded emulator for `directory` for the duration of the `with` block."""
    try:
        from dragops_emulator import Emulator, EmulatorError, EmulatorSettings
    except ImportError as exc:  # the [emulator] extra is not installed (its message says how to)
        raise LocalError(f"--local runs the embedded emulator: {exc}") from None

    root = Path(directory)
    if not root.is_dir():
        raise LocalError(f"{root} is not a directory")
    state_dir = root / LOCAL_DIR
    state_dir.mkdir(exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# local emulator state of `dragops-sync --local`; never committed\n*\n", encoding="utf-8"
        )
    email, password, _new = _credentials(state_dir)

    settings = EmulatorSettings(db_path=str(state_dir / _DB_FILE))
    emulator = Emulator(settings=settings, host="127.0.0.1", port=0)
    try:
        emulator.start()
    except EmulatorError as exc:
        raise LocalError(f"the local emulator did not start: {exc}") from None
    try:
        try:
            emulator.seed_user(email=email, password=password)
        except EmulatorError as exc:
            if "EMAIL_ALREADY_EXISTS" not in str(exc):
                raise LocalError(f"could not create the local user: {exc}") from None
            # Kept from an earlier command: the client logs in with the kept password.
        yield LocalInstance(url=emulator.url, email=email, password=password, state_dir=state_dir)
    finally:
        emulator.stop()
