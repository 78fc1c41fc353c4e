"""The provider's shared login session stays fresh after a renewal, and how long a deploy may stay
pending is the program's (`activation_timeout`) or the stack's (`dragops:activationTimeout`) choice.

In-process provider calls against the emulator; the emulator's request log counts logins and 401s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import configured, unique
from pulumi_dragops import ConfigurationError, DeploymentProvider, DragopsProviderError, PatternProvider


def password_configured(provider: Any, emulator: Emulator, user: SeededUser, **extra: Any) -> Any:
    config = {"dragops:url": emulator.url, "dragops:email": user.email, "dragops:password": user.password}
    provider.configure(ConfigureRequest(Config({**config, **extra}, "proj")))
    return provider


def auth_traffic(emulator: Emulator) -> list[tuple[str, int]]:
    """(kind, status) of each login and each rejected request, in order."""
    return [
        ("login" if r["path"] == "/api/auth/login" else "rejected", r["status"])
        for r in emulator.request_log()
        if r["path"] == "/api/auth/login" or r["status"] == 401
    ]


def make_pattern(emulator: Emulator, user: SeededUser) -> str:
    with client_for(emulator, user) as client:
        return client.patterns.create(name=unique("session"), graph_data=webhook_graph()).id


def test_a_renewed_session_token_is_shared_so_later_calls_neither_fail_nor_log_in_again(
    emu: Emulator, user: SeededUser
) -> None:
    pattern_id = make_pattern(emu, user)
    provider = password_configured(PatternProvider(), emu, user)
    emu.clear_request_log()

    provider.read(pattern_id, {})
    provider.read(pattern_id, {})
    assert auth_traffic(emu) == [("login", 200)]  # one login for the host, reused by the second call

    emu.advance_clock(seconds=3700)  # the session token expires
    emu.clear_request_log()
    assert provider.read(pattern_id, {}).id == pattern_id
    assert auth_traffic(emu) == [("rejected", 401), ("login", 200)]  # renewed once, transparently

    emu.clear_request_log()
    for _ in range(3):
        assert provider.read(pattern_id, {}).id == pattern_id
    # The renewed token went back to the shared session: no stale token, no 401, no login per call.
    assert auth_traffic(emu) == []
    assert [r["path"] for r in emu.request_log()] == [f"/api/patterns/{pattern_id}"] * 3


def test_a_configured_token_is_used_first_and_its_renewal_is_shared_too(
    emu: Emulator, user: SeededUser
) -> None:
    pattern_id = make_pattern(emu, user)
    provider = password_configured(PatternProvider(), emu, user, **{"dragops:token": user.token})
    emu.clear_request_log()
    provider.read(pattern_id, {})
    assert auth_traffic(emu) == []  # the configured token works: no login up front

    emu.advance_clock(seconds=3700)
    emu.clear_request_log()
    provider.read(pattern_id, {})
    provider.read(pattern_id, {})
    provider.read(pattern_id, {})
    # One rejection and one login for the expired token, then the renewed token serves every call.
    assert auth_traffic(emu) == [("rejected", 401), ("login", 200)]


def test_a_session_is_shared_between_the_provider_classes_of_one_host(
    emu: Emulator, user: SeededUser
) -> None:
    pattern_id = make_pattern(emu, user)
    emu.clear_request_log()
    password_configured(PatternProvider(), emu, user).read(pattern_id, {})
    password_configured(DeploymentProvider(), emu, user).read("dep", {"pattern_id": pattern_id})
    assert auth_traffic(emu) == [("login", 200)]


def test_a_wrong_password_fails_as_a_login_error_that_names_the_account_not_the_password(
    emu: Emulator, user: SeededUser
) -> None:
    wrong = "Wrong-SENTINEL-3f1d!"
    provider = PatternProvider()
    config = {"dragops:url": emu.url, "dragops:email": user.email, "dragops:password": wrong}
    provider.configure(ConfigureRequest(Config(config, "proj")))
    with pytest.raises(DragopsProviderError) as failed:
        provider.read("pat_x", {})
    message = str(failed.value)
    assert message.startswith(f"logging in as {user.email} failed") and "Invalid credentials" in message
    assert wrong not in message and wrong not in repr(failed.value.__cause__)


# -- activation timeout ------------------------------------------------------------------------------


@pytest.fixture
def never_active(emu: Emulator) -> Iterator[Emulator]:
    # Deploys stay "pending" far longer than any timeout below.
    emu.update_settings(activation_delay_seconds=600.0)
    yield emu
    emu.update_settings(activation_delay_seconds=0.0)


def deployment_status(emulator: Emulator, user: SeededUser, pattern_id: str) -> str:
    with client_for(emulator, user) as client:
        try:
            return client.deployments.get(pattern_id).status
        except NotFoundError:
            return "never"


def test_the_activation_timeout_input_bounds_the_wait_and_the_failed_create_undeploys(
    never_active: Emulator, user: SeededUser
) -> None:
    pattern_id = make_pattern(never_active, user)
    provider = configured(DeploymentProvider(), never_active, user)
    props = provider.check({}, {"pattern_id": pattern_id, "activation_timeout": 0.5}).inputs
    with pytest.raises(DragopsProviderError) as failed:
        provider.create(props)
    message = str(failed.value)
    assert message.startswith(f"deploying pattern {pattern_id} failed: ")
    assert "still pending at version 1 after 0.5 s" in message
    assert "activation_timeout" in message and "dragops:activationTimeout" in message
    assert deployment_status(never_active, user, pattern_id) == "undeployed"  # all-or-nothing


def test_the_stack_config_sets_the_activation_timeout_of_every_deployment(
    never_active: Emulator, user: SeededUser
) -> None:
    pattern_id = make_pattern(never_active, user)
    provider = DeploymentProvider()
    config = {
        "dragops:url": never_active.url,
        "dragops:token": user.token,
        "dragops:activationTimeout": "0.4",
    }
    provider.configure(ConfigureRequest(Config(config, "proj")))
    with pytest.raises(DragopsProviderError, match=r"still pending at version 1 after 0\.4 s"):
        provider.create(provider.check({}, {"pattern_id": pattern_id}).inputs)
    assert deployment_status(never_active, user, pattern_id) == "undeployed"


def test_the_input_wins_over_the_stack_config_and_a_fast_activation_is_not_held_up(
    emu: Emulator, user: SeededUser
) -> None:
    emu.update_settings(activation_delay_seconds=0.3)
    try:
        pattern_id = make_pattern(emu, user)
        provider = DeploymentProvider()
        config = {"dragops:url": emu.url, "dragops:token": user.token, "dragops:activationTimeout": "0.01"}
        provider.configure(ConfigureRequest(Config(config, "proj")))
        created = provider.create({"pattern_id": pattern_id, "activation_timeout": 60.0})
        assert created.outs["status"] == "active" and created.outs["activation_timeout"] == 60.0
    finally:
        emu.update_settings(activation_delay_seconds=0.0)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf"])
def test_a_bad_activation_timeout_in_the_stack_config_names_the_key(value: str) -> None:
    provider = DeploymentProvider()
    config = {"dragops:url": "http://127.0.0.1:9", "dragops:token": "t", "dragops:activationTimeout": value}
    with pytest.raises(ConfigurationError, match="dragops:activationTimeout must be a positive number"):
        provider.configure(ConfigureRequest(Config(config, "proj")))


@pytest.mark.parametrize("value", [0, -1.5, True, "60", [60]])
def test_check_refuses_an_activation_timeout_that_is_not_a_positive_number(value: object) -> None:
    failures = DeploymentProvider().check({}, {"pattern_id": "pat_1", "activation_timeout": value}).failures
    assert [f.property for f in failures] == ["activation_timeout"]
    assert "positive number of seconds" in failures[0].reason


def test_changing_only_the_activation_timeout_changes_nothing_live() -> None:
    olds = {"pattern_id": "pat_1", "paused": False, "content_hash": "h1", "status": "active"}
    news = {"pattern_id": "pat_1", "paused": False, "content_hash": "h1", "activation_timeout": 300.0}
    assert DeploymentProvider().diff("dep_1", olds, news).changes is False
