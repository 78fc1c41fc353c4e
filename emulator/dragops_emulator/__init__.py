"""dragops_emulator: a faithful local DRAGOPS API server.

An independent implementation of the contract in docs/api-contract.md; it shares no code with
dragops_sync, so a misreading of the contract is not mirrored on both sides. Run it as
``dragops-emulator`` or embed it in tests with ``with Emulator() as emu: ...``.

Decision numbers cited in this package ("D12") refer to docs/decisions.md; section names such as
``#webhooks`` to docs/api-contract.md.
"""

from __future__ import annotations

from dragops_emulator._app import create_app
from dragops_emulator._server import Emulator, EmulatorError, SeededUser
from dragops_emulator._settings import EmulatorSettings
from dragops_emulator._state import EmulatorState

__all__ = ["Emulator", "EmulatorError", "EmulatorSettings", "EmulatorState", "SeededUser", "create_app"]
