"""A real OpenSSH server on loopback for `watch --repo ssh://...` tests: its own host key, config and
authorized key, run in the foreground (`sshd -D`) as the current user on a free port. `start_sshd`
raises `SshUnavailable` (the test skips, naming why) where sshd is missing or cannot start."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class SshUnavailable(Exception):
    """No sshd here, or it would not start (the reason is the message)."""


@dataclass(frozen=True)
class SshServer:
    """Where it listens, who may log in, the client's key and the known_hosts line of its host key."""

    port: int
    user: str
    client_key: Path
    known_hosts: Path

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_sshd(root: Path) -> Iterator[SshServer]:
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    keygen = shutil.which("ssh-keygen")
    if sshd is None or keygen is None or shutil.which("ssh") is None:
        raise SshUnavailable("no OpenSSH server here (apt-get install openssh-server)")
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    host_key, client_key = root / "host_ed25519", root / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30)
    authorized = root / "authorized_keys"
    authorized.write_text((root / "client_ed25519.pub").read_text())
    os.chmod(authorized, 0o600)
    port, user = _free_port(), getpass.getuser()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        "AllowTcpForwarding no\nX11Forwarding no\n"
    )
    known = root / "known_hosts"
    known.write_text(
        f"[127.0.0.1]:{port} " + " ".join((root / "host_ed25519.pub").read_text().split()[:2]) + "\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True) if os.geteuid() == 0 else None  # privilege separation dir
    proc = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SshUnavailable(
                    f"sshd would not start: {(proc.stderr.read() if proc.stderr else '').strip()}"
                )
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise SshUnavailable("sshd did not listen within 10 s")
        yield SshServer(port, user, client_key, known)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
