"""`pulumi-resource-dragops`: the native provider plugin's entry point (installed by pip as a console
script; the Pulumi engine starts it with its own address as the first argument and reads the port of
the gRPC server from the first line of stdout)."""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main as serve

from ._schema import VERSION
from ._server import DragopsNativeProvider

__all__ = ["main"]


def main() -> None:
    """Serve one provider instance until the engine stops the process."""
    serve(sys.argv[1:], VERSION, DragopsNativeProvider())


if __name__ == "__main__":
    main()
