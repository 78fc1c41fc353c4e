"""Retries against the emulator's fault injection: 429 + Retry-After, 503 bursts, dropped connections,
and creates that commit and then fail, which must leave exactly one object behind."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import (
    APIConnectionError,
    Client,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from kit.clients import SleepRecorder
from kit.graphs import webhook_graph


@pytest.fixture
def token_client(make_client: Callable[..., Client], user: SeededUser) -> Client:
    return make_client(token=user.token)


def _paths(emu: Emulator, method: str, path: str) -> list[int]:
    return [r["status"] for r in emu.request_log() if r["method"] == method and r["path"] == path]


def test_a_429_is_retried_after_exactly_the_retry_after_seconds(
    token_client: Client, emu: Emulator, sleeps: SleepRecorder
) -> None:
    emu.inject_fault(method="GET", path="/api/connections", kind="rate_limit", retry_after=7, count=2)
    assert token_client.connections.list() == []
    assert sleeps.delays == [7.0, 7.0]
    assert _paths(emu, "GET", "/api/connections") == [429, 429, 200]


def test_a_429_that_never_ends_raises_rate_limit_error_with_retry_after(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator, sleeps: SleepRecorder
) -> None:
    client = make_client(token=user.token, max_retries=2)
    emu.inject_fault(method="GET", path="/api/connections", kind="rate_limit", retry_after=3, count=10)
    with pytest.raises(RateLimitError) as caught:
        client.connections.list()
    assert caught.value.retry_after == 3.0
    assert sleeps.delays == [3.0, 3.0]


def test_a_503_burst_is_ridden_out_with_growing_capped_jittered_delays_each_logged(
    token_client: Client, emu: Emulator, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject_fault(method="GET", path="/api/connections", kind="status", status=503, count=4)
    with caplog.at_level(logging.WARNING, logger="dragops_sync.api"):
        assert token_client.connections.list() == []
    assert _paths(emu, "GET", "/api/connections") == [503, 503, 503, 503, 200]
    policy = RetryPolicy()
    for n, delay in enumerate(sleeps.delays, start=1):
        base = min(policy.initial_delay * 2 ** (n - 1), policy.max_delay)
        assert base * (1 - policy.jitter) <= delay <= base
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4
    sentence = r"GET /api/connections answered 503; retrying in \d+\.\d s \(attempt 2 of 5\)"
    assert re.fullmatch(sentence, messages[0])
    assert messages[-1].endswith("(attempt 5 of 5)")


def test_retries_stop_after_max_retries(
    make_client: Callable[..., Client], user: SeededUser, emu: Emulator, sleeps: SleepRecorder
) -> None:
    client = make_client(token=user.token, max_retries=1)
    emu.inject_fault(method="GET", path="/api/connections", kind="status", status=502, count=5)
    with pytest.raises(ServerError):
        client.connections.list()
    assert len(sleeps.delays) == 1
    assert _paths(emu, "GET", "/api/connections") == [502, 502]


def test_a_500_is_not_retried(token_client: Client, emu: Emulator, sleeps: SleepRecorder) -> None:
    emu.inject_fault(method="GET", path="/api/connections", kind="status", status=500)
    with pytest.raises(ServerError):
        token_client.connections.list()
    assert sleeps.delays == []


def test_a_dropped_connection_on_a_read_is_retried(
    token_client: Client, emu: Emulator, sleeps: SleepRecorder
) -> None:
    emu.inject_fault(method="GET", path="/api/connections", kind="drop", count=2)
    assert token_client.connections.list() == []
    assert len(sleeps.delays) == 2


def test_a_create_that_commits_then_answers_503_leaves_exactly_one_pattern(
    token_client: Client, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=503)
    with caplog.at_level(logging.WARNING, logger="dragops_sync.api"):
        created = token_client.patterns.create(name="Once", tags=["t"], graph_data=webhook_graph())
    assert [p.id for p in token_client.patterns.find_by_name("Once")] == [created.id]
    assert created.graph_data["nodes"] == webhook_graph()["nodes"]
    assert _paths(emu, "POST", "/api/patterns") == [503]
    assert "the object it creates exists; using it instead of repeating" in caplog.text


def test_a_create_whose_connection_drops_after_commit_leaves_exactly_one_pattern(
    token_client: Client, emu: Emulator
) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="commit_then_fail", status=0)
    created = token_client.patterns.create(name="Dropped", description="d")
    assert [p.id for p in token_client.patterns.find_by_name("Dropped")] == [created.id]


def test_a_create_refused_before_handling_is_looked_up_then_sent_again(
    token_client: Client, emu: Emulator, sleeps: SleepRecorder
) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="status", status=503, count=2)
    created = token_client.patterns.create(name="Eventually")
    assert [p.id for p in token_client.patterns.find_by_name("Eventually")] == [created.id]
    assert _paths(emu, "POST", "/api/patterns") == [503, 503, 201]
    assert len(sleeps.delays) == 2


def test_an_identical_twin_with_other_content_is_not_mistaken_for_the_lost_create(
    token_client: Client, emu: Emulator
) -> None:
    token_client.patterns.create(name="Twin", description="an older, different pattern")
    emu.inject_fault(method="POST", path="/api/patterns", kind="status", status=503)
    created = token_client.patterns.create(name="Twin", description="the new one")
    assert created.description == "the new one"
    assert len(token_client.patterns.find_by_name("Twin")) == 2


def test_a_rate_limited_create_is_retried_without_a_lookup(
    token_client: Client, emu: Emulator, sleeps: SleepRecorder
) -> None:
    emu.inject_fault(method="POST", path="/api/patterns", kind="rate_limit", retry_after=2)
    token_client.patterns.create(name="Limited")
    assert _paths(emu, "GET", "/api/patterns") == []  # a 429 is refused before any work: no lookup
    assert sleeps.delays == [2.0]


def test_a_connection_create_that_commits_then_fails_leaves_exactly_one(
    token_client: Client, emu: Emulator
) -> None:
    emu.inject_fault(method="POST", path="/api/connections/api-key", kind="commit_then_fail", status=504)
    made = token_client.connections.create_api_key(
        provider="slack", api_key="xoxb-1234", display_name="Alerts"
    )
    assert [c.id for c in token_client.connections.list()] == [made.id]
    emu.inject_fault(method="POST", path="/api/connections/api-key", kind="commit_then_fail", status=0)
    unnamed = token_client.connections.create_api_key(provider="openai", api_key="sk-12345678")
    assert sorted(c.id for c in token_client.connections.list()) == sorted([made.id, unnamed.id])


def test_an_import_that_commits_then_fails_leaves_exactly_one_copy(
    token_client: Client, emu: Emulator
) -> None:
    document = {"formatVersion": 1, "name": "Imported once", "graphData": webhook_graph()}
    emu.inject_fault(method="POST", path="/api/patterns/import", kind="commit_then_fail", status=503)
    imported = token_client.patterns.import_(document)
    assert [p.id for p in token_client.patterns.find_by_name("Imported once")] == [imported.id]


def test_a_clone_that_commits_then_fails_leaves_exactly_one_copy(token_client: Client, emu: Emulator) -> None:
    source = token_client.patterns.create(name="Clone source", graph_data=webhook_graph())
    emu.inject_fault(method="POST", path="/api/patterns/*/clone", kind="commit_then_fail", status=0)
    copy = token_client.patterns.clone(source.id, name="Clone copy")
    assert [p.id for p in token_client.patterns.find_by_name("Clone copy")] == [copy.id]


def test_a_clone_without_a_name_is_not_repeated_when_its_outcome_is_unknown(
    token_client: Client, emu: Emulator
) -> None:
    source = token_client.patterns.create(name="Unnamed clone source")
    emu.inject_fault(method="POST", path="/api/patterns/*/clone", kind="commit_then_fail", status=0)
    with pytest.raises(APIConnectionError):
        token_client.patterns.clone(source.id)
    assert len(_paths(emu, "POST", f"/api/patterns/{source.id}/clone")) == 1


def test_a_delete_whose_answer_is_lost_succeeds_when_the_repeat_finds_it_gone(
    token_client: Client, emu: Emulator
) -> None:
    pattern = token_client.patterns.create(name="Delete me")
    emu.inject_fault(method="DELETE", path="/api/patterns/*", kind="commit_then_fail", status=503)
    assert token_client.patterns.delete(pattern.id) is None
    assert token_client.patterns.find_by_name("Delete me") == []
    assert _paths(emu, "DELETE", f"/api/patterns/{pattern.id}") == [503, 404]
    with pytest.raises(NotFoundError):
        token_client.patterns.delete(pattern.id)  # a plain 404, with no lost answer before it, is raised


def test_a_registration_whose_answer_is_lost_logs_in_instead_of_registering_twice(
    make_client: Callable[..., Client], emu: Emulator
) -> None:
    client = make_client()
    emu.inject_fault(method="POST", path="/api/auth/register", kind="commit_then_fail", status=0)
    session = client.auth.register(
        email="lost@example.com", password="SecurePass1@", first_name="Lost", last_name="Answer"
    )
    assert session.user is not None and session.user.email == "lost@example.com"
    assert len(_paths(emu, "POST", "/api/auth/register")) == 1  # found by logging in, not re-sent
    assert len(_paths(emu, "POST", "/api/auth/login")) == 1
