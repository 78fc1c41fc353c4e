"""One client shared by 16 threads: one login, no errors, every write landed once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client


def test_sixteen_threads_share_one_client_with_a_single_login(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(email=user.email, password=user.password)
    errors: list[BaseException] = []
    created: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(3):
                pattern = client.patterns.create(name=f"thread-{n:02d}-{i}", tags=[f"t{n}"])
                assert client.patterns.get(pattern.id).name == pattern.name
                with lock:
                    created.append(pattern.id)
            assert len(client.patterns.list(tags=[f"t{n}"]).to_list()) == 3
        except BaseException as exc:  # collected and asserted below, with the thread's context
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(created) == len(set(created)) == 48
    assert len(client.patterns.list().to_list()) == 48
    logins = [r for r in emu.request_log() if r["path"] == "/api/auth/login"]
    assert len(logins) == 1


def test_sixteen_threads_renew_an_expired_token_with_one_login(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(email=user.email, password=user.password)
    client.connections.list()
    emu.advance_clock(3700)
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def worker() -> None:
        try:
            start.wait()
            client.connections.list()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len([r for r in emu.request_log() if r["path"] == "/api/auth/login"]) == 2
