"""The pure rules of webhook ingestion: signatures, body parsing, event data, logged headers, modes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from dragops_emulator._webhook_events import (
    BodyError,
    ResponseMode,
    event_data,
    idempotency_key,
    logged_body,
    logged_headers,
    lowercase_headers,
    parse_body,
    query_object,
    response_mode,
)
from dragops_emulator._webhook_signing import new_webhook_secret, sign_body, signature_matches

SECRET = "whsec-sentinel-5f1e0c"


def test_a_signature_is_the_lowercase_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"action":"opened"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign_body(SECRET, body) == expected
    assert expected == expected.lower()
    assert len(expected) == 64


def test_a_correct_signature_matches_with_or_without_the_sha256_prefix() -> None:
    body = b'{"a":1}'
    signature = sign_body(SECRET, body)
    assert signature_matches(SECRET, body, signature)
    assert signature_matches(SECRET, body, "sha256=" + signature)
    assert signature_matches(SECRET, body, "SHA256=" + signature.upper())


def test_an_empty_body_signs_the_empty_byte_string() -> None:
    assert signature_matches(SECRET, b"", sign_body(SECRET, b""))
    assert not signature_matches(SECRET, b"", sign_body(SECRET, b"{}"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "not-hex",
        "é" * 64,
        sign_body("another-secret", b'{"a":1}'),
        sign_body(SECRET, b"{}"),
    ],
)
def test_a_missing_wrong_or_garbled_signature_does_not_match(header: str | None) -> None:
    assert not signature_matches(SECRET, b'{"a":1}', header)


def test_new_secrets_are_random_64_hex_characters() -> None:
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first != second
    assert len(first) == 64
    int(first, 16)


def test_an_empty_body_becomes_an_empty_object_whatever_the_content_type() -> None:
    assert parse_body(b"", None) == {}
    assert parse_body(b"", "text/plain") == {}


@pytest.mark.parametrize("body", [b'{"a": [1, 2]}', b"[1, 2]", b'"text"', b"42", b"null"])
def test_any_json_value_is_an_acceptable_body(body: bytes) -> None:
    parsed = parse_body(body, "application/json; charset=utf-8")
    assert parsed == json.loads(body)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "Content-Type must be application/json for a webhook body (got none)"),
        ("text/plain", "Content-Type must be application/json for a webhook body (got text/plain)"),
        ("application/x-www-form-urlencoded", "(got application/x-www-form-urlencoded)"),
    ],
)
def test_a_body_that_is_not_declared_json_is_refused_with_the_content_type_named(
    content_type: str | None, message: str
) -> None:
    with pytest.raises(BodyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_body(b'{"a":1}', content_type)


def test_a_malformed_json_body_is_refused_with_the_position_of_the_error() -> None:
    with pytest.raises(BodyError, match=r"Malformed JSON body: .* line 1 column 7"):
        parse_body(b'{"a": ', "application/json")
    with pytest.raises(BodyError, match="not valid UTF-8"):
        parse_body(b"\xff\xfe", "application/json")


def test_repeated_query_names_become_lists() -> None:
    assert query_object([("a", "1"), ("b", "2"), ("a", "3"), ("a", "4")]) == {"a": ["1", "3", "4"], "b": "2"}
    assert query_object([]) == {}


def test_header_names_are_lowercased_and_repeats_joined() -> None:
    assert lowercase_headers([("X-Thing", "a"), ("x-thing", "b"), ("Content-Type", "application/json")]) == {
        "x-thing": "a, b",
        "content-type": "application/json",
    }


def test_event_data_carries_headers_body_query_and_method() -> None:
    assert event_data(method="PUT", headers={"h": "v"}, query={"q": "1"}, body={"b": 2}) == {
        "headers": {"h": "v"},
        "body": {"b": 2},
        "query": {"q": "1"},
        "method": "PUT",
    }


def test_the_request_log_leaves_out_signatures_and_credentials() -> None:
    headers = {
        "x-webhook-signature": "sig",
        "x-hub-signature-256": "sha256=sig",
        "authorization": "Bearer sentinel",
        "cookie": "session=sentinel",
        "content-type": "application/json",
        "x-request-id": "r1",
    }
    assert logged_headers(headers) == {"content-type": "application/json", "x-request-id": "r1"}


def test_the_request_log_keeps_a_refused_body_as_cut_text() -> None:
    assert logged_body(b"", None, parsed=False) is None
    assert logged_body(b"hello", None, parsed=False) == "hello"
    assert logged_body(b'{"a":1}', {"a": 1}, parsed=True) == {"a": 1}
    assert logged_body(b"null", None, parsed=True) is None
    long_text = logged_body(b"x" * 10_000, None, parsed=False)
    assert isinstance(long_text, str)
    assert long_text.endswith("...[truncated]")
    assert len(long_text) < 5000


def test_the_idempotency_key_header_wins_over_the_request_id() -> None:
    assert idempotency_key({"x-idempotency-key": "k", "x-request-id": "r"}) == "k"
    assert idempotency_key({"x-request-id": "r"}) == "r"
    assert idempotency_key({"x-idempotency-key": "  ", "x-request-id": "r"}) == "r"
    assert idempotency_key({}) is None


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, ResponseMode.IMMEDIATE),
        ("immediate", ResponseMode.IMMEDIATE),
        ("lastNode", ResponseMode.LAST_NODE),
        ("last_node", ResponseMode.LAST_NODE),
        ("Last Node", ResponseMode.LAST_NODE),
        ("responseNode", ResponseMode.RESPONSE_NODE),
        ("response-node", ResponseMode.RESPONSE_NODE),
        ("something else", ResponseMode.IMMEDIATE),
        (3, ResponseMode.IMMEDIATE),
    ],
)
def test_the_response_mode_is_read_from_the_node_properties(value: object, mode: ResponseMode) -> None:
    node = {"id": "node_1", "type": "OnWebhook", "data": {"properties": {"responseMode": value}}}
    assert response_mode(node) is mode


def test_a_node_without_properties_responds_immediately() -> None:
    assert response_mode(None) is ResponseMode.IMMEDIATE
    assert response_mode({"id": "node_1", "type": "OnWebhook"}) is ResponseMode.IMMEDIATE
    assert response_mode({"id": "node_1", "data": "odd"}) is ResponseMode.IMMEDIATE
