"""The root of every error this project raises on purpose: catch `DragopsError` to catch them all.

    DragopsError                          dragops_sync.errors
    ├── ConfigurationError                dragops_sync.api: bad client settings (no URL, unreadable CA, ...)
    │   └── pulumi_dragops.ConfigurationError   the provider's settings (stack config, environment)
    ├── APIConnectionError, APIError, ... dragops_sync.api: the client's tree (drawn in its docstring)
    ├── FileFormatError                   a file people write is unreadable or breaks its format (.issues)
    │   ├── PatternFileError              patterns/*.json|yaml
    │   ├── SettingsError                 dragops-sync.yaml
    │   └── ConnectionsError              connections.yaml
    ├── LocalError                        --local: the embedded emulator cannot start or its state is unusable
    └── pulumi_dragops.DragopsProviderError   a provider operation failed (says what and why)

Each class lives beside the code that raises it; this module holds only the root, so every layer can
import it (it imports nothing). Messages never carry a secret.
"""

from __future__ import annotations

__all__ = ["DragopsError"]


class DragopsError(Exception):
    """Base of every error of the DRAGOPS client, the sync and the Pulumi provider."""
