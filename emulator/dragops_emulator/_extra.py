"""Whether the `[emulator]` extra is installed: the server stack (Starlette, uvicorn, PyJWT) is optional.

`pip install dragops-iac` brings only what `dragops-sync` needs; the emulator's web stack comes with
`pip install "dragops-iac[emulator]"` (or `[dev]`). Without it the package still imports (its names
load lazily), and every way into the emulator stops with one sentence that names the extra.
"""

from __future__ import annotations

import importlib.util

__all__ = ["INSTALL_HINT", "EmulatorExtraMissing", "missing_modules", "require_extra"]

INSTALL_HINT = 'pip install "dragops-iac[emulator]"'

# The distributions of the extra and the module each one installs.
_MODULES = {"starlette": "starlette", "uvicorn": "uvicorn", "pyjwt": "jwt"}


class EmulatorExtraMissing(ModuleNotFoundError):
    """The emulator was used without its extra installed; the message says how to install it."""


def missing_modules() -> list[str]:
    """The modules of the `[emulator]` extra that cannot be imported here (empty when it is installed)."""
    return [module for module in _MODULES.values() if importlib.util.find_spec(module) is None]


def require_extra() -> None:
    """Raise `EmulatorExtraMissing` (a `ModuleNotFoundError`) unless the `[emulator]` extra is installed."""
    missing = missing_modules()
    if missing:
        raise EmulatorExtraMissing(
            f"the DRAGOPS emulator needs the [emulator] extra ({', '.join(missing)} not installed): "
            f"{INSTALL_HINT}",
            name=missing[0],
        )
