"""TLS over a real handshake: verification is on by default, and a private CA bundle is honoured.

A throwaway HTTPS server with a self-signed certificate (made by the `openssl` CLI) answers like the
API's providers endpoint; without the certificate as CA bundle the client must refuse it.
"""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dragops_sync.api import APIConnectionError, Client

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


class _Providers(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"success": True, "data": {"local": True, "github": False}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Providers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_an_unknown_certificate_is_refused_by_default(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    with Client(env={}, base_url=url, max_retries=0) as client, pytest.raises(APIConnectionError) as caught:
        client.auth.providers()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_a_private_ca_bundle_makes_the_certificate_trusted(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    with Client(env={"DRAGOPS_CA_BUNDLE": str(cert)}, base_url=url) as client:
        assert client.auth.providers().local is True


def test_an_untrusted_certificate_is_not_retried_and_names_the_ca_bundle_setting(
    tls_server: tuple[str, Path],
) -> None:
    url, _ = tls_server
    sleeps: list[float] = []
    client = Client(env={}, base_url=url, sleep=sleeps.append)
    with client, pytest.raises(APIConnectionError) as caught:
        client.auth.providers()
    assert sleeps == []
    assert "--ca-bundle or set DRAGOPS_CA_BUNDLE" in str(caught.value)
