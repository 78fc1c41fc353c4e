"""``dragops-emulator``: serve the DRAGOPS emulator from the command line until SIGINT or SIGTERM.

    dragops-emulator [--host 127.0.0.1] [--port 8080] [--db PATH] [--token-ttl SECONDS]
                     [--no-rate-limits] [--activation-delay SECONDS] [--github-client-id ID]
                     [--log-level info] [--version]

With ``--db`` the state (users, patterns, tokens' signing key...) survives restarts; without it
everything lives in memory. ``--port 0`` picks a free port; the URL is printed once serving.
A bad argument is one line on stderr, never a traceback: exit 2 for a setting (an unusable ``--db``
included), 1 when the address cannot be listened on (in use, invalid port or host). Without the
``[emulator]`` extra (Starlette, uvicorn, PyJWT) it says ``pip install "dragops-iac[emulator]"`` and
exits 2; ``--help`` and ``--version`` work either way.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import signal
import sqlite3
import sys
from collections.abc import Sequence
from types import FrameType

from dragops_emulator._extra import EmulatorExtraMissing, require_extra
from dragops_emulator._settings import EmulatorSettings, SettingsError

__all__ = ["build_parser", "main"]

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dragops-emulator``."""
    parser = argparse.ArgumentParser(
        prog="dragops-emulator", description="Serve a local DRAGOPS-compatible API (the emulator)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one")
    parser.add_argument("--db", metavar="PATH", help="SQLite file that keeps state across restarts")
    parser.add_argument("--token-ttl", type=int, metavar="SECONDS", default=3600, help="JWT lifetime")
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    parser.add_argument(
        "--activation-delay",
        type=float,
        metavar="SECONDS",
        default=0.0,
        help="deployments stay pending this long before becoming active",
    )
    parser.add_argument("--github-client-id", metavar="ID", help="enable (emulated) GitHub sign-in")
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="info", help="server log level")
    parser.add_argument("--version", action="version", version=f"%(prog)s, version {_version()}")
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("dragops-iac")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _error(message: str) -> None:
    print(f"dragops-emulator: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        require_extra()
    except EmulatorExtraMissing as exc:
        _error(str(exc))
        return 2
    # The web stack is the [emulator] extra: imported once it is known to be there.
    import uvicorn

    from dragops_emulator._app import create_app
    from dragops_emulator._server import bind_socket, quiet_dropped_connections
    from dragops_emulator._state import EmulatorState

    try:
        settings = EmulatorSettings(
            token_ttl_seconds=args.token_ttl,
            rate_limits_enabled=not args.no_rate_limits,
            activation_delay_seconds=args.activation_delay,
            github_client_id=args.github_client_id,
            db_path=args.db,
        )
    except SettingsError as exc:
        _error(str(exc))
        return 2
    try:
        state = EmulatorState(settings)
    except (sqlite3.Error, OSError) as exc:
        _error(f"cannot open the database --db {args.db}: {exc}")
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except (OSError, OverflowError) as exc:
        # OverflowError: a port outside 0-65535 ("bind(): port must be 0-65535.").
        state.store.close()
        _error(f"cannot listen on {args.host}:{args.port}: {exc}")
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    quiet_dropped_connections()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state),
            log_level=args.log_level,
            access_log=args.log_level == "debug",
            http="h11",
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
    )

    # uvicorn re-raises the signal that stopped it once it has shut down; these handlers make that a
    # no-op, so SIGINT/SIGTERM end the process with status 0 instead of a traceback or a kill.
    def ignore(signum: int, frame: FrameType | None) -> None:
        return None

    signal.signal(signal.SIGINT, ignore)
    signal.signal(signal.SIGTERM, ignore)
    where = f"database {args.db}" if args.db else "in-memory state"
    print(
        f"dragops-emulator serving http://{host}:{port} ({where}); API at http://{host}:{port}/api",
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        state.store.close()
    print("dragops-emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
