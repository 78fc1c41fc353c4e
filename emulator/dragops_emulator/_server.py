"""Emulator: runs the emulator app with uvicorn in a background thread, for tests and embedding.

Each helper method is a thin call to the HTTP control API (``/__emulator/...``), so a test using this
class and a user driving a standalone ``dragops-emulator`` process have exactly the same powers.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn

from dragops_emulator._app import create_app
from dragops_emulator._faults import DroppedConnectionFilter
from dragops_emulator._settings import EmulatorSettings
from dragops_emulator._state import EmulatorState

__all__ = ["Emulator", "EmulatorError", "SeededUser", "bind_socket", "quiet_dropped_connections"]

_START_TIMEOUT_SECONDS = 30.0


class EmulatorError(RuntimeError):
    """The emulator could not start, or a control call failed."""


@dataclass(frozen=True)
class SeededUser:
    """A user created through the control API, with a ready bearer token."""

    id: str
    email: str
    password: str
    token: str

    def __repr__(self) -> str:
        # The password and token are secrets: keep them out of test output and logs.
        return f"SeededUser(id={self.id!r}, email={self.email!r})"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def quiet_dropped_connections() -> None:
    """Keep the tracebacks of deliberately dropped connections (an injected fault) out of the log."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DroppedConnectionFilter) for f in logger.filters):
        logger.addFilter(DroppedConnectionFilter())


class Emulator:
    """A DRAGOPS emulator served by uvicorn in a daemon thread.

    ``with Emulator() as emu:`` starts it on a free port and stops it on exit; ``emu.url`` is the
    instance base URL (the REST API lives under ``emu.url + "/api"``).
    """

    def __init__(
        self, *, settings: EmulatorSettings | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.host = host
        self.port = port
        self.state: EmulatorState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        # Control calls go straight to the emulator, never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        return f"Emulator(url={self.url if self._server else None!r})"

    # --- lifecycle -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The instance base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._socket is None:
            raise EmulatorError("the emulator is not running")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> Emulator:
        """Start serving and wait until the server accepts requests."""
        if self._server is not None:
            raise EmulatorError("the emulator is already running")
        quiet_dropped_connections()
        self.state = EmulatorState(self.settings)
        self._socket = bind_socket(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state),
            log_level="warning",
            access_log=False,
            http="h11",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        sock = self._socket
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name=f"dragops-emulator:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmulatorError("the emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and close the database."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self.state is not None:
            self.state.store.close()
        self._server = None
        self._thread = None
        self._socket = None
        self.state = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- control API ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - always our own http:// URL
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise EmulatorError(f"{method} {path} failed with {exc.code}: {detail}") from None
        return json.loads(payload) if payload else None

    def reset(self) -> None:
        """Wipe all data, faults, the request log and the clock shift; restore the start settings."""
        self._call("POST", "/__emulator/reset")

    def seed_user(self, email: str | None = None, password: str | None = None) -> SeededUser:
        """Create a user (random email and password when not given) and return it with a token."""
        body: dict[str, Any] = {}
        if email is not None:
            body["email"] = email
        if password is not None:
            body["password"] = password
        data = self._call("POST", "/__emulator/users", body)
        return SeededUser(id=data["id"], email=data["email"], password=data["password"], token=data["token"])

    def inject_fault(
        self,
        *,
        path: str,
        kind: str,
        method: str = "*",
        count: int | None = None,
        probability: float | None = None,
        status: int | None = None,
        latency_ms: int | None = None,
        retry_after: int | None = None,
    ) -> str:
        """Register a fault for requests matching ``method`` and the ``path`` glob; returns its id."""
        body: dict[str, Any] = {"method": method, "path": path, "kind": kind}
        optional = {
            "count": count,
            "probability": probability,
            "status": status,
            "latencyMs": latency_ms,
            "retryAfter": retry_after,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        fault_id: str = self._call("POST", "/__emulator/faults", body)["id"]
        return fault_id

    def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        faults: list[dict[str, Any]] = self._call("GET", "/__emulator/faults")["faults"]
        return faults

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call("DELETE", "/__emulator/faults")

    def advance_clock(self, seconds: float) -> str:
        """Shift the emulator clock forward; returns the new shifted time (ISO-8601)."""
        now: str = self._call("POST", "/__emulator/clock", {"advanceSeconds": seconds})["now"]
        return now

    def request_log(self) -> list[dict[str, Any]]:
        """``{method, path, status, at}`` of every API request since the last clear."""
        requests: list[dict[str, Any]] = self._call("GET", "/__emulator/requests")["requests"]
        return requests

    def clear_request_log(self) -> None:
        """Forget the request log."""
        self._call("DELETE", "/__emulator/requests")

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Change settings at run time (keyword names of EmulatorSettings); returns all settings."""
        result: dict[str, Any] = self._call("PUT", "/__emulator/settings", changes)
        return result

    def current_settings(self) -> dict[str, Any]:
        """The current settings (camelCase)."""
        result: dict[str, Any] = self._call("GET", "/__emulator/settings")
        return result
