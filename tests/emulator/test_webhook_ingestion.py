"""Webhook ingestion over real HTTP: the two paths, methods, signatures and request bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kit.emulator import ApiSession
from kit.graphs import webhook_graph, webhook_node
from kit.webhooks import deliver, deploy_webhook, newest_log_entry, sign


@pytest.fixture
def api(emu: Any, user: Any) -> Iterator[ApiSession]:
    session = ApiSession(emu.url, user.token)
    yield session
    session.close()


@pytest.fixture
def deployed(api: ApiSession) -> dict[str, Any]:
    """A deployed On Webhook -> Log pattern with its endpoint, secret and deployment id."""
    return deploy_webhook(api)


# --- paths ---------------------------------------------------------------------------------------


def test_a_signed_post_to_an_active_webhook_starts_a_run_with_the_whole_request(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    response = deliver(
        emu.url,
        deployed["path"],
        {"action": "opened"},
        secret=deployed["secret"],
        headers={"X-Custom-Thing": "Value"},
        params={"source": "ci"},
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted"
    assert body["runId"].startswith("run_")
    (run,) = api.runs(deployed["deploymentId"])
    assert run["id"] == body["runId"]
    assert run["triggeredBy"] == "webhook"
    event = run["eventData"]
    assert event["body"] == {"action": "opened"}
    assert event["query"] == {"source": "ci"}
    assert event["method"] == "POST"
    assert event["headers"]["x-custom-thing"] == "Value"
    assert event["headers"]["content-type"] == "application/json"


def test_the_pattern_url_routes_to_the_patterns_first_webhook(emu: Any, api: ApiSession) -> None:
    graph = webhook_graph()
    # A second On Webhook node placed before the first one in the graph becomes "the first".
    graph["nodes"].insert(0, webhook_node("node_0"))
    pattern = api.create_pattern(graph)
    deployment = api.deploy(pattern["id"])
    first, second = api.endpoints(pattern["id"])
    assert first["nodeId"] == "node_0"

    response = deliver(emu.url, f"/api/webhooks/{pattern['id']}", {"n": 1}, secret=api.secret(first["id"]))

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    assert [r["id"] for r in api.runs(deployment["deploymentId"])] == [response.json()["runId"]]
    assert api.request_log(first["id"])["meta"]["total"] == 1
    assert api.request_log(second["id"])["meta"]["total"] == 0


def test_the_pattern_url_checks_the_signature_against_the_first_webhooks_secret(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    path = f"/api/webhooks/{deployed['pattern']['id']}"

    assert deliver(emu.url, path, {"n": 1}, secret="not-the-secret").status_code == 401
    assert deliver(emu.url, path, {"n": 1}, secret=deployed["secret"]).status_code == 202


@pytest.mark.parametrize("path", ["/webhooks/wh_doesnotexist", "/api/webhooks/pat_doesnotexist"])
def test_an_unknown_webhook_is_not_found(emu: Any, path: str) -> None:
    response = deliver(emu.url, path, {"a": 1}, secret="whatever")

    assert response.status_code == 404
    assert response.json() == {"error": "Webhook not found", "code": "WEBHOOK_NOT_FOUND"}


def test_a_pattern_without_an_on_webhook_node_has_no_webhook_url(emu: Any, api: ApiSession) -> None:
    pattern = api.create_pattern({"nodes": [], "edges": []}, name="No triggers yet")

    response = deliver(emu.url, f"/api/webhooks/{pattern['id']}", {"a": 1})

    assert response.status_code == 404
    assert response.json()["code"] == "WEBHOOK_NOT_FOUND"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_every_webhook_method_is_accepted_and_passed_to_the_pattern(
    emu: Any, api: ApiSession, deployed: dict[str, Any], method: str
) -> None:
    payload = None if method in {"GET", "DELETE"} else {"m": method}

    response = deliver(emu.url, deployed["path"], payload, secret=deployed["secret"], method=method)

    assert response.status_code == 202, response.text
    (run,) = api.runs(deployed["deploymentId"])
    assert run["eventData"]["method"] == method
    assert run["eventData"]["body"] == (payload if payload is not None else {})


# --- signatures ------------------------------------------------------------------------------------


def test_a_request_without_a_signature_is_refused_and_logged(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    response = deliver(emu.url, deployed["path"], {"a": 1})

    assert response.status_code == 401
    assert response.json() == {"error": "Missing X-Webhook-Signature header", "code": "INVALID_SIGNATURE"}
    assert api.runs(deployed["deploymentId"]) == []
    entry = newest_log_entry(api, deployed["endpoint"]["id"])
    assert entry["status"] == 401
    assert entry["signatureValid"] is False
    assert entry["runId"] is None


def test_a_request_signed_with_another_secret_is_refused(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    response = deliver(emu.url, deployed["path"], {"a": 1}, secret="some-other-secret")

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid webhook signature", "code": "INVALID_SIGNATURE"}
    assert api.runs(deployed["deploymentId"]) == []


def test_a_signature_of_a_different_body_is_refused(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    signature = sign(deployed["secret"], b'{"amount":1}')

    response = deliver(
        emu.url, deployed["path"], raw=b'{"amount":1000}', headers={"X-Webhook-Signature": signature}
    )

    assert response.status_code == 401


def test_a_signature_with_the_sha256_prefix_is_accepted(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    body = b'{"a": 1}'
    signature = "sha256=" + sign(deployed["secret"], body)

    response = deliver(emu.url, deployed["path"], raw=body, headers={"X-Webhook-Signature": signature})

    assert response.status_code == 202, response.text
    assert newest_log_entry(api, deployed["endpoint"]["id"])["signatureValid"] is True


def test_a_bodiless_request_signs_the_empty_byte_string(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    response = deliver(
        emu.url,
        deployed["path"],
        method="GET",
        headers={"X-Webhook-Signature": sign(deployed["secret"], b"")},
    )

    assert response.status_code == 202, response.text


def test_an_endpoint_with_the_signature_check_off_accepts_unsigned_requests(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    webhook_id = deployed["endpoint"]["id"]
    assert api.set_require_signature(webhook_id, False)["requireSignature"] is False

    unsigned = deliver(emu.url, deployed["path"], {"a": 1})
    # A GitHub-style sender signs its own way; with the check off a wrong X-Webhook-Signature is only noted.
    wrongly_signed = deliver(emu.url, deployed["path"], {"a": 2}, secret="github-style-secret")

    assert unsigned.status_code == 202, unsigned.text
    assert wrongly_signed.status_code == 202, wrongly_signed.text
    assert len(api.runs(deployed["deploymentId"])) == 2
    newest, older = api.request_log(webhook_id)["data"][:2]
    assert newest["signatureValid"] is False
    assert older["signatureValid"] is None

    api.set_require_signature(webhook_id, True)
    assert deliver(emu.url, deployed["path"], {"a": 3}).status_code == 401


def test_new_endpoints_follow_the_require_webhook_signature_setting(emu: Any, api: ApiSession) -> None:
    emu.update_settings(require_webhook_signature=False)
    pattern = api.create_pattern(webhook_graph())
    api.deploy(pattern["id"])
    endpoint = api.only_endpoint(pattern["id"])

    assert endpoint["requireSignature"] is False
    assert deliver(emu.url, f"/webhooks/{endpoint['id']}", {"a": 1}).status_code == 202


# --- bodies ------------------------------------------------------------------------------------------


def test_a_body_that_is_not_declared_json_is_refused(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    raw = b"action=opened"
    response = deliver(
        emu.url,
        deployed["path"],
        raw=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Webhook-Signature": sign(deployed["secret"], raw),
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {
            "code": "VALIDATION",
            "message": "Content-Type must be application/json for a webhook body"
            " (got application/x-www-form-urlencoded)",
        },
    }
    entry = newest_log_entry(api, deployed["endpoint"]["id"])
    assert entry["status"] == 400
    assert entry["body"] == "action=opened"
    assert api.runs(deployed["deploymentId"]) == []


def test_a_malformed_json_body_is_refused_with_the_position(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    raw = b'{"action": '
    response = deliver(
        emu.url, deployed["path"], raw=raw, headers={"X-Webhook-Signature": sign(deployed["secret"], raw)}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION"
    assert error["message"].startswith("Malformed JSON body: Expecting value at line 1 column 12")


def test_a_body_above_the_size_limit_is_refused(emu: Any, api: ApiSession, deployed: dict[str, Any]) -> None:
    emu.update_settings(max_body_bytes=64)

    response = deliver(emu.url, deployed["path"], {"padding": "x" * 100}, secret=deployed["secret"])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert api.runs(deployed["deploymentId"]) == []


def test_a_chunked_body_above_the_size_limit_is_refused_and_logged(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    emu.update_settings(max_body_bytes=64)

    def chunks() -> Iterator[bytes]:
        # A generator body is sent without Content-Length (chunked), so only the handler can measure it.
        yield b'{"padding": "'
        yield b"x" * 100
        yield b'"}'

    with httpx.Client(base_url=emu.url) as http:
        response = http.post(deployed["path"], content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "Request body exceeds 64 bytes",
    }
    assert newest_log_entry(api, deployed["endpoint"]["id"])["status"] == 413
    assert api.runs(deployed["deploymentId"]) == []


def test_a_head_request_is_not_a_webhook_delivery(
    emu: Any, api: ApiSession, deployed: dict[str, Any]
) -> None:
    with httpx.Client(base_url=emu.url) as http:
        response = http.head(deployed["path"])

    assert response.status_code == 405
    assert api.runs(deployed["deploymentId"]) == []
