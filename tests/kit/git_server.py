"""A real git server on loopback: `git http-backend` (git's own smart-HTTP CGI program) behind a small
WSGI server that checks HTTP Basic auth against one token, for the tests of `--repo`.

    with GitHttpServer(root, token="s3cret") as server:
        url = server.url("gitops.git")   # http://127.0.0.1:PORT/gitops.git
"""

from __future__ import annotations

import base64
import hmac
import os
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = ["GitHttpServer"]

_BACKEND = (
    Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip())
    / "git-http-backend"
)

# The CGI variables http-backend reads, from the WSGI environ of the same name.
_PASSED = (
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REMOTE_ADDR",
    "HTTP_CONTENT_ENCODING",
    "HTTP_GIT_PROTOCOL",
)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class GitHttpServer:
    """Serves the bare repositories under `root` over smart HTTP; every request needs
    Basic auth whose password is `token` (any username). `requests` counts them by answer status."""

    def __init__(self, root: Path, *, token: str) -> None:
        self.root = root
        self.token = token
        self.statuses: list[int] = []
        self._httpd = make_server(
            "127.0.0.1", 0, self._app, server_class=_Server, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.daemon = True

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/{name}"

    def __enter__(self) -> GitHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._thread.join(5)
        self._httpd.server_close()

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(password.encode(), self.token.encode())

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            self.statuses.append(401)
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"authentication required\n"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {key: str(environ[key]) for key in _PASSED if environ.get(key)}
        env.update(
            GIT_PROJECT_ROOT=str(self.root),
            GIT_HTTP_EXPORT_ALL="1",
            REMOTE_USER="tests",
            PATH=os.environ.get("PATH", ""),
        )
        done = subprocess.run(
            [str(_BACKEND)], check=False, input=body, env=env, capture_output=True, timeout=60
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        self.statuses.append(int(status.split()[0]))
        start_response(status, headers)
        return [payload]
