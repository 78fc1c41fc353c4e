"""dragops_emulator: a faithful local DRAGOPS API server.

An independent implementation of the contract in docs/api-contract.md; it shares no code with
dragops_sync, so a misreading of the contract is not mirrored on both sides. Run it as
``dragops-emulator`` or embed it in tests with ``with Emulator() as emu: ...``.

Its web stack (Starlette, uvicorn, PyJWT) is the ``[emulator]`` extra: the names below load on first
use, so without the extra ``import dragops_emulator`` works and ``from dragops_emulator import
Emulator`` raises a ``ModuleNotFoundError`` that says ``pip install "dragops-iac[emulator]"``.

Decision numbers cited in this package ("D12") refer to docs/decisions.md; section names such as
``#webhooks`` to docs/api-contract.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dragops_emulator._extra import require_extra as _require_extra

if TYPE_CHECKING:
    from dragops_emulator._app import create_app
    from dragops_emulator._server import Emulator, EmulatorError, SeededUser
    from dragops_emulator._settings import EmulatorSettings
    from dragops_emulator._state import EmulatorState

__all__ = ["Emulator", "EmulatorError", "EmulatorSettings", "EmulatorState", "SeededUser", "create_app"]

# Where each public name lives; imported on first use (PEP 562), after the extra is checked.
_HOMES = {
    "create_app": "dragops_emulator._app",
    "Emulator": "dragops_emulator._server",
    "EmulatorError": "dragops_emulator._server",
    "SeededUser": "dragops_emulator._server",
    "EmulatorSettings": "dragops_emulator._settings",
    "EmulatorState": "dragops_emulator._state",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _require_extra()
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
