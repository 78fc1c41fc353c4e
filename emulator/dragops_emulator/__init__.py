"""dragops_emulator: a faithful local DRAGOPS API server.

An independent implementation of the contract in dragops-api.md; it shares no code with dragops_sync,
so a misreading of the contract is not mirrored on both sides. Run it as ``dragops-emulator`` or embed
it in tests with ``with Emulator() as emu: ...``.
"""

from __future__ import annotations

from dragops_emulator._app import create_app
from dragops_emulator._server import Emulator, EmulatorError, SeededUser
from dragops_emulator._settings import EmulatorSettings
from dragops_emulator._state import EmulatorState

__all__ = ["Emulator", "EmulatorError", "EmulatorSettings", "EmulatorState", "SeededUser", "create_app"]
