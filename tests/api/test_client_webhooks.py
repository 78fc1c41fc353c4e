"""`client.webhooks` against the emulator: endpoints, secrets, rotation, request logs, and signed sends."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from dragops_emulator import Emulator
from dragops_sync.api import AuthenticationError, Client, NotFoundError, sign_payload
from dragops_sync.models import WebhookDelivery, WebhookEndpoint, WebhookRequest
from kit.graphs import webhook_graph


def _deployed_webhook(client: Client, name: str = "Hook") -> tuple[str, str, str]:
    pattern = client.patterns.create(name=name, graph_data=webhook_graph())
    deployment_id = client.deployments.deploy(pattern.id).deployment_id
    [endpoint] = client.webhooks.list(pattern.id)
    return pattern.id, deployment_id, endpoint.id


def test_sign_payload_is_hex_hmac_sha256_of_the_exact_bytes() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign_payload("s3cret", body) == expected


def test_a_pattern_lists_one_endpoint_per_on_webhook_node_without_secrets(client: Client) -> None:
    pattern = client.patterns.create(name="Endpoints", graph_data=webhook_graph())
    [endpoint] = client.webhooks.list(pattern.id)
    assert isinstance(endpoint, WebhookEndpoint)
    assert (endpoint.pattern_id, endpoint.node_id) == (pattern.id, "node_1")
    assert endpoint.url and endpoint.url.endswith(f"/webhooks/{endpoint.id}")
    assert "secret" not in endpoint.model_dump()


def test_a_signed_send_to_a_deployed_pattern_starts_a_run(client: Client) -> None:
    _, deployment_id, webhook_id = _deployed_webhook(client)
    secret = client.webhooks.secret(webhook_id)
    assert str(secret) == "**********"
    delivery = client.webhooks.send(webhook_id, {"action": "opened"}, secret=secret)
    assert isinstance(delivery, WebhookDelivery)
    assert (delivery.status_code, delivery.status) == (202, "accepted")
    assert delivery.run_id is not None
    run = client.runs.get(deployment_id, delivery.run_id)
    assert run.triggered_by == "webhook"
    assert run.event_data is not None and run.event_data["body"] == {"action": "opened"}


def test_a_repeated_idempotency_key_returns_the_original_run(client: Client) -> None:
    _, deployment_id, webhook_id = _deployed_webhook(client)
    secret = client.webhooks.secret(webhook_id)
    first = client.webhooks.send(webhook_id, {"n": 1}, secret=secret, idempotency_key="delivery-1")
    again = client.webhooks.send(webhook_id, {"n": 1}, secret=secret, idempotency_key="delivery-1")
    assert again.run_id == first.run_id
    assert again.duplicate is True
    assert len(client.runs.list(deployment_id).to_list()) == 1


def test_a_send_whose_connection_drops_is_retried_without_a_second_run(client: Client, emu: Emulator) -> None:
    _, deployment_id, webhook_id = _deployed_webhook(client)
    secret = client.webhooks.secret(webhook_id)
    emu.inject_fault(method="POST", path=f"/webhooks/{webhook_id}", kind="commit_then_fail", status=0)
    delivery = client.webhooks.send(webhook_id, {"once": True}, secret=secret)
    assert delivery.duplicate is True  # the retry carried the same generated idempotency key
    assert len(client.runs.list(deployment_id).to_list()) == 1


def test_a_send_to_an_undeployed_pattern_is_captured(client: Client) -> None:
    pattern = client.patterns.create(name="Draft", graph_data=webhook_graph())
    [endpoint] = client.webhooks.list(pattern.id)
    secret = client.webhooks.secret(endpoint.id)
    delivery = client.webhooks.send_to_pattern(pattern.id, {"x": 1}, secret=secret)
    assert (delivery.status_code, delivery.status) == (202, "captured")
    assert delivery.message


def test_a_wrong_signature_is_an_authentication_error(client: Client) -> None:
    _, _, webhook_id = _deployed_webhook(client)
    with pytest.raises(AuthenticationError) as caught:
        client.webhooks.send(webhook_id, {"x": 1}, secret="not-the-secret")
    assert caught.value.code == "INVALID_SIGNATURE"
    with pytest.raises(AuthenticationError):
        client.webhooks.send(webhook_id, {"x": 1}, secret=None)


def test_rotating_the_secret_retires_the_old_one(client: Client) -> None:
    _, _, webhook_id = _deployed_webhook(client)
    old = client.webhooks.secret(webhook_id)
    new = client.webhooks.rotate_secret(webhook_id)
    assert new.get_secret_value() != old.get_secret_value()
    assert client.webhooks.secret(webhook_id).get_secret_value() == new.get_secret_value()
    with pytest.raises(AuthenticationError):
        client.webhooks.send(webhook_id, {"x": 1}, secret=old)
    assert client.webhooks.send(webhook_id, {"x": 1}, secret=new).status == "accepted"


def test_signature_checking_can_be_switched_off_per_endpoint(client: Client) -> None:
    _, _, webhook_id = _deployed_webhook(client)
    updated = client.webhooks.update(webhook_id, require_signature=False)
    assert updated.require_signature is False
    assert client.webhooks.send(webhook_id, {"unsigned": True}, secret=None).status == "accepted"


def test_the_request_log_pages_newest_first_and_hides_the_signature(client: Client) -> None:
    _, _, webhook_id = _deployed_webhook(client)
    secret = client.webhooks.secret(webhook_id)
    for i in range(5):
        client.webhooks.send(webhook_id, {"i": i}, secret=secret)
    logged = client.webhooks.requests(webhook_id, page_size=2).to_list()
    assert len(logged) == 5
    assert all(isinstance(r, WebhookRequest) for r in logged)
    assert [r.body for r in logged] == [{"i": i} for i in reversed(range(5))]
    assert all(r.signature_valid for r in logged)
    signatures = {sign_payload(secret, f'{{"i":{i}}}'.encode()) for i in range(5)}
    assert not any(sig in str(r.headers) for r in logged for sig in signatures)


def test_another_users_webhook_is_not_found(client: Client, emu: Emulator) -> None:
    _, _, webhook_id = _deployed_webhook(client)
    stranger = Client(base_url=emu.url, token=emu.seed_user().token, env={})
    with stranger, pytest.raises(NotFoundError) as caught:
        stranger.webhooks.secret(webhook_id)
    assert caught.value.code == "WEBHOOK_NOT_FOUND"


def test_webhook_secrets_never_reach_the_logs(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _, _, webhook_id = _deployed_webhook(client)
        secret = client.webhooks.secret(webhook_id)
        rotated = client.webhooks.rotate_secret(webhook_id)
        client.webhooks.send(webhook_id, {"x": 1}, secret=rotated)
        with pytest.raises(AuthenticationError) as caught:
            client.webhooks.send(webhook_id, {"x": 1}, secret=secret)
    for value in (secret.get_secret_value(), rotated.get_secret_value()):
        assert value not in caplog.text
        assert value not in str(caught.value)
