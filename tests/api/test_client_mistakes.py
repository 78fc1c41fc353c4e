"""Mistakes a user makes while setting the client up are answered at once, with what to fix: a URL
where nothing listens, https to a plain-HTTP server, no credentials at all; and messages speak the
command line's language (`--url` / DRAGOPS_URL), never the library's keyword arguments."""

from __future__ import annotations

import ast
import http.server
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import dragops_sync
from dragops_emulator import Emulator
from dragops_sync.api import APIConnectionError, AuthenticationError, Client, ConfigurationError
from kit.clients import SleepRecorder


def _closed_port() -> int:
    """A port on which nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]


def test_a_closed_port_fails_at_once_with_a_hint_and_no_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dragops_sync")
    url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with Client(env={}, base_url=url, token="t") as client, pytest.raises(APIConnectionError) as caught:
        client.connections.list()  # the default policy: 4 retries with real sleeps
    assert time.monotonic() - started < 0.5
    assert "Connection refused" in str(caught.value)
    assert "is the server running, and is --url / DRAGOPS_URL right?" in str(caught.value)
    assert _retry_lines(caplog) == []


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: object) -> None:
        return


def test_a_refused_connection_after_the_server_answered_is_retried_as_a_restart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sleeps = SleepRecorder()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with Client(env={}, base_url=url, token="t", max_retries=2, sleep=sleeps) as client:
        assert client.connections.list() == []
        server.shutdown()
        server.server_close()
        with pytest.raises(APIConnectionError) as caught:
            client.connections.list()
    assert len(sleeps.delays) == 2
    assert len(_retry_lines(caplog)) == 2
    assert "is the server running" not in str(caught.value)


def test_https_to_a_plain_http_server_fails_at_once_saying_it_does_not_speak_tls(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dragops_sync")
    sleeps = SleepRecorder()
    url = emu.url.replace("http://", "https://")
    with (
        Client(env={}, base_url=url, token="t", sleep=sleeps) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.connections.list()
    assert "the server does not speak TLS; use an http:// URL in --url / DRAGOPS_URL" in str(caught.value)
    assert sleeps.delays == []
    assert _retry_lines(caplog) == []


def test_a_401_without_credentials_names_the_variables_to_set(make_client: Callable[..., Client]) -> None:
    client = make_client()  # env={}: no token, no email, no password
    with pytest.raises(AuthenticationError) as caught:
        client.connections.list()
    message = str(caught.value)
    assert caught.value.status == 401
    for variable in ("DRAGOPS_TOKEN", "DRAGOPS_EMAIL", "DRAGOPS_PASSWORD"):
        assert variable in message


def test_a_401_for_a_wrong_token_does_not_claim_no_credentials_were_sent(
    make_client: Callable[..., Client],
) -> None:
    client = make_client(token="not-a-real-token")
    with pytest.raises(AuthenticationError) as caught:
        client.connections.list()
    assert "no credentials were sent" not in str(caught.value)


def test_settings_errors_name_the_command_line_option_and_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^no DRAGOPS URL: set DRAGOPS_URL or pass --url$"):
        Client(env={})
    with pytest.raises(ConfigurationError, match=r"--url / DRAGOPS_URL"):
        Client(env={}, base_url="dragops.example.com")


def _is_error_message(node: ast.AST) -> bool:
    """A `raise` statement, or an exception built to be raised later (`APIError(...)`)."""
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name.endswith("Error")
    return False


def _error_strings(tree: ast.AST) -> list[str]:
    """Every string literal (or f-string piece) of an error message in `tree`."""
    found: list[str] = []
    for node in ast.walk(tree):
        if _is_error_message(node):
            strings = (c for c in ast.walk(node) if isinstance(c, ast.Constant))
            found += [c.value for c in strings if isinstance(c.value, str)]
    return found


def test_no_error_message_of_the_sync_package_speaks_of_base_url() -> None:
    package = Path(dragops_sync.__file__).parent
    offenders = [
        f"{path.relative_to(package)}: {text}"
        for path in sorted(package.rglob("*.py"))
        for text in _error_strings(ast.parse(path.read_text(encoding="utf-8")))
        if "base_url" in text
    ]
    assert offenders == []
