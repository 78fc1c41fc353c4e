"""The Emulator class and the dragops-emulator command: lifecycle, persistence, signals."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dragops_emulator import Emulator, EmulatorError, EmulatorSettings
from kit.clients import http_client
from kit.emulator import create_pattern


def test_an_emulator_serves_on_a_free_port_until_stopped() -> None:
    emu = Emulator(settings=EmulatorSettings(rate_limits_enabled=False))
    with pytest.raises(EmulatorError):
        _ = emu.url
    emu.start()
    url = emu.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    with httpx.Client(trust_env=False) as client:
        assert client.get(url + "/api/auth/providers").status_code == 200
        emu.stop()
        with pytest.raises(httpx.ConnectError):
            client.get(url + "/api/auth/providers")


def test_two_emulators_keep_separate_state(emulator: Emulator) -> None:
    with Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as second:
        assert second.url != emulator.url
        user = second.seed_user()
        with http_client(second, user) as client:
            create_pattern(client)
        with http_client(emulator, user) as client:
            assert client.get("/api/patterns").status_code == 401


def test_state_and_tokens_survive_a_restart_with_a_database_file(tmp_path: Path) -> None:
    settings = EmulatorSettings(rate_limits_enabled=False, db_path=str(tmp_path / "state.sqlite"))
    with Emulator(settings=settings) as first:
        user = first.seed_user()
        with http_client(first, user) as client:
            pattern = create_pattern(client, name="Persistent", tags=["kept"])
    with Emulator(settings=settings) as second, http_client(second, user) as client:
        response = client.get(f"/api/patterns/{pattern['id']}")
        assert response.status_code == 200
        assert response.json() == pattern
        login = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
        assert login.status_code == 200


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dragops_emulator.cli", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
    if match is None:
        process.kill()
        raise AssertionError(f"no URL in {line!r}: {process.communicate()}")
    return process, match.group(1)


def _stop_cli(process: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_cli_serves_until_a_signal_and_exits_cleanly(sig: int) -> None:
    process, url = _start_cli("--no-rate-limits")
    try:
        with httpx.Client(trust_env=False) as client:
            assert client.get(url + "/api/auth/providers").json()["data"]["local"] is True
    finally:
        code, out, err = _stop_cli(process, sig)
    assert code == 0, err
    assert "dragops-emulator stopped" in out
    assert "Traceback" not in err


def test_the_cli_keeps_state_across_restarts_with_db(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    process, url = _start_cli("--db", db, "--token-ttl", "120")
    try:
        with httpx.Client(trust_env=False) as client:
            user = client.post(url + "/__emulator/users").json()
            headers = {"Authorization": f"Bearer {user['token']}"}
            created = client.post(url + "/api/patterns", json={"name": "Kept"}, headers=headers)
            assert created.status_code == 201
            assert client.get(url + "/__emulator/settings").json()["tokenTtlSeconds"] == 120
    finally:
        assert _stop_cli(process, signal.SIGTERM)[0] == 0
    process, url = _start_cli("--db", db)
    try:
        with httpx.Client(trust_env=False) as client:
            listed = client.get(url + "/api/patterns", headers=headers).json()
    finally:
        _stop_cli(process, signal.SIGTERM)
    assert [item["name"] for item in listed["data"]] == ["Kept"]


def test_the_cli_refuses_bad_arguments() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dragops_emulator.cli", "--port", "eighty"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--port" in result.stderr
    negative = subprocess.run(
        [sys.executable, "-m", "dragops_emulator.cli", "--port", "0", "--token-ttl", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert negative.returncode == 2
    assert "token_ttl_seconds must be positive" in negative.stderr


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dragops_emulator.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unusable_db_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _run_cli("--port", "0", "--db", str(tmp_path / "no" / "such" / "dir" / "x.sqlite"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"dragops-emulator: error: cannot open the database --db {tmp_path}/no/such/dir/x.sqlite: "
        "unable to open database file"
    ]


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_1(port: str) -> None:
    result = _run_cli("--port", port)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"dragops-emulator: error: cannot listen on 127.0.0.1:{port}: bind(): port must be 0-65535."
    ]


def test_a_port_in_use_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _run_cli("--port", str(port))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"dragops-emulator: error: cannot listen on 127.0.0.1:{port}: ")


def test_the_cli_prints_its_version() -> None:
    result = _run_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"dragops-emulator, version \S+\n", result.stdout)
