"""Authentication against the emulator: lazy login, expiry, refresh, wrong credentials, `client.auth`."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import AuthenticationError, Client, ConflictError, DragopsError
from kit.clients import FakeClock


def _count(emu: Emulator, path: str) -> int:
    return sum(1 for r in emu.request_log() if r["path"] == path)


def test_email_and_password_log_in_lazily_on_the_first_request(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(email=user.email, password=user.password)
    assert emu.request_log() == []  # constructing a client sends nothing
    client.patterns.list().to_list()
    client.connections.list()
    assert _count(emu, "/api/auth/login") == 1
    assert repr(client) == f"Client(url={emu.url!r}, auth='password')"


def test_an_expired_token_is_replaced_by_a_transparent_login(client: Client, emu: Emulator) -> None:
    client.patterns.create(name="Before expiry")
    emu.advance_clock(3700)  # the server now considers the token expired
    assert [p.name for p in client.patterns.list()] == ["Before expiry"]
    assert _count(emu, "/api/auth/login") == 2
    statuses = [r["status"] for r in emu.request_log() if r["path"] == "/api/patterns"]
    assert statuses == [201, 401, 200]


def test_a_token_close_to_expiry_is_refreshed_before_it_is_used(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    clock = FakeClock(start=time.time())
    client = make_client(email=user.email, password=user.password, clock=clock)
    client.connections.list()  # logs in; the token lives 3600 s on our clock
    clock.advance(3590)  # 10 s left: inside the refresh margin
    client.connections.list()
    client.connections.list()  # the fresh token is good for another hour: no second refresh
    assert _count(emu, "/api/auth/refresh") == 1
    assert _count(emu, "/api/auth/login") == 1
    assert [r["status"] for r in emu.request_log() if r["path"] == "/api/connections"] == [200, 200, 200]


def test_a_token_without_credentials_is_refreshed_after_a_401(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(token=user.token)
    assert repr(client).endswith("auth='token')")
    emu.advance_clock(3700)  # expired, but within the 24 h the server still accepts for a refresh
    assert client.connections.list() == []
    assert _count(emu, "/api/auth/refresh") == 1


def test_a_token_too_old_to_refresh_raises_authentication_error(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(token=user.token)
    emu.advance_clock(3 * 24 * 3600)
    with pytest.raises(AuthenticationError) as caught:
        client.connections.list()
    assert caught.value.status == 401
    assert _count(emu, "/api/connections") == 1  # one attempt, one refresh attempt, no loop


def test_a_wrong_password_is_a_clear_authentication_error_without_retries(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    client = make_client(email=user.email, password="Wrong-password-1!")
    with pytest.raises(AuthenticationError) as caught:
        client.patterns.list().to_list()
    assert str(caught.value) == f"login failed for {user.email}: Invalid credentials"
    assert caught.value.code == "INVALID_CREDENTIALS"
    assert _count(emu, "/api/auth/login") == 1
    assert _count(emu, "/api/patterns") == 0


def test_a_client_without_credentials_gets_the_servers_401(make_client: Callable[..., Client]) -> None:
    client = make_client()
    assert repr(client).endswith("auth='none')")
    with pytest.raises(AuthenticationError) as caught:
        client.patterns.list().to_list()
    assert caught.value.code == "UNAUTHORIZED"


def test_providers_are_public(make_client: Callable[..., Client]) -> None:
    providers = make_client().auth.providers()
    assert providers.local is True
    assert providers.github is False
    assert providers.github_client_id is None


def test_register_creates_an_account_that_can_log_in(make_client: Callable[..., Client]) -> None:
    anonymous = make_client()
    session = anonymous.auth.register(
        email="jane@example.com", password="SecurePass1@", first_name="Jane", last_name="Smith"
    )
    assert session.user is not None
    assert session.user.email == "jane@example.com"
    assert "SecurePass1@" not in repr(session)
    assert session.token.get_secret_value() not in repr(session)
    with pytest.raises(ConflictError) as caught:
        anonymous.auth.register(
            email="jane@example.com", password="SecurePass1@", first_name="Jane", last_name="Smith"
        )
    assert caught.value.code == "EMAIL_ALREADY_EXISTS"
    logged_in = anonymous.auth.login(email="jane@example.com", password="SecurePass1@")
    assert logged_in.user is not None and logged_in.user.id == session.user.id
    assert anonymous.connections.list() == []  # the client now uses Jane's token
    assert repr(anonymous).endswith("auth='password')")


def test_explicit_refresh_returns_a_new_secret_token(client: Client, emu: Emulator) -> None:
    client.connections.list()
    token = client.auth.refresh()
    assert token.get_secret_value().count(".") == 2
    assert str(token) == "**********"
    assert _count(emu, "/api/auth/refresh") == 1


def test_refresh_without_any_credentials_is_refused(make_client: Callable[..., Client]) -> None:
    with pytest.raises(DragopsError, match="no token and no credentials"):
        make_client().auth.refresh()


def test_login_needs_both_email_and_password(client: Client) -> None:
    with pytest.raises(ValueError, match="pass both email and password"):
        client.auth.login(email="a@b.c")


def test_the_current_token_can_seed_the_next_short_lived_client(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    first = make_client(email=user.email, password=user.password)
    assert first.auth.current_token() is None  # nothing sent yet
    first.connections.list()
    token = first.auth.current_token()
    assert token is not None
    second = make_client(token=token, email=user.email, password=user.password)
    second.connections.list()
    assert _count(emu, "/api/auth/login") == 1
    emu.advance_clock(3700)
    second.connections.list()  # expired: the second client logs in by itself
    renewed = second.auth.current_token()
    assert renewed is not None and renewed.get_secret_value() != token.get_secret_value()


def test_a_short_lived_token_is_not_refreshed_on_every_request(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator
) -> None:
    emu.update_settings(token_ttl_seconds=40)
    clock = FakeClock(start=time.time())
    client = make_client(email=user.email, password=user.password, clock=clock)
    for _ in range(3):
        client.connections.list()
    assert _count(emu, "/api/auth/refresh") == 0
    clock.advance(35)  # 5 s of 40 left: within a quarter of its lifetime
    client.connections.list()
    assert _count(emu, "/api/auth/refresh") == 1
