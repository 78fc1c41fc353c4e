"""A local HTTP receiver for notifications (Apprise's `json://` target posts here): it records every
request, and can answer slowly or with an error, to show a bad channel never slows a cycle."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """What the receiver got (`messages`: the JSON bodies) and how it answers (`status`, `delay`)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.url = ""

    def bodies(self) -> str:
        with self.lock:
            return json.dumps(self.messages)


@contextmanager
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if got.delay:
                time.sleep(got.delay)
            with got.lock:
                got.paths.append(self.path)
                try:
                    got.messages.append(json.loads(body or b"{}"))
                except ValueError:
                    got.messages.append({"raw": body.decode(errors="replace")})
            self.send_response(got.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    got.url = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
