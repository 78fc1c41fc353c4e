"""Unwrapping every success envelope (docs/api-contract.md#envelopes); parsing both error forms (#errors)."""

from __future__ import annotations

import json

import pytest

from dragops_sync.api import APIError, ServerError, ValidationError, error_class_for_status
from dragops_sync.api._envelope import parse_error, unwrap, unwrap_list
from dragops_sync.api._errors import MAX_MESSAGE_CHARS


def test_an_enveloped_object_is_unwrapped_and_a_bare_one_is_kept() -> None:
    pattern = {"id": "pat_1", "name": "A"}
    assert unwrap({"success": True, "data": pattern, "timestamp": "2026-03-05T12:00:00.000Z"}) == pattern
    assert unwrap({"success": True, "data": pattern}) == pattern
    assert unwrap(pattern) == pattern
    # A bare object that merely has a "data" key but no boolean "success" is not an envelope.
    assert unwrap({"data": 1, "success": "yes"}) == {"data": 1, "success": "yes"}


@pytest.mark.parametrize(
    ("body", "keys", "expected_meta"),
    [
        ({"success": True, "data": [{"id": "a"}], "meta": {"total": 1, "limit": 20, "offset": 0}}, (), True),
        ({"connections": [{"id": "a"}]}, ("connections",), False),
        ({"nodes": [{"id": "a"}]}, ("nodes",), False),
        ({"success": True, "data": {"versions": [{"id": "a"}]}}, ("versions",), False),
        ([{"id": "a"}], (), False),
    ],
)
def test_every_list_shape_yields_its_items(body: object, keys: tuple[str, ...], expected_meta: bool) -> None:
    items, meta = unwrap_list(body, *keys)
    assert items == [{"id": "a"}]
    assert bool(meta) is expected_meta


def test_a_list_answer_without_a_list_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"expected a list in the response, got an object with keys \[id\]"):
        unwrap_list({"id": "x"})


def test_form_a_errors_give_code_and_message() -> None:
    info = parse_error(404, json.dumps({"error": "Pattern not found", "code": "PATTERN_NOT_FOUND"}).encode())
    assert (info.code, info.message, info.details) == ("PATTERN_NOT_FOUND", "Pattern not found", None)


def test_form_b_errors_give_code_message_and_details() -> None:
    body = {
        "success": False,
        "error": {"code": "TRANSPILATION_FAILED", "message": "bad graph", "details": [{"nodeId": "n1"}]},
    }
    info = parse_error(422, json.dumps(body).encode())
    assert info.code == "TRANSPILATION_FAILED"
    assert (info.message, info.details) == ("bad graph", [{"nodeId": "n1"}])


def test_a_proxy_html_page_falls_back_to_the_status_text() -> None:
    info = parse_error(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert (info.code, info.message) == (None, "Bad Gateway")
    assert parse_error(599, b"").message == "HTTP 599"


def test_error_text_from_the_server_is_capped() -> None:
    info = parse_error(500, json.dumps({"error": "x" * 5000, "code": "INTERNAL_ERROR"}).encode())
    assert len(info.message) == MAX_MESSAGE_CHARS
    assert info.message.endswith("…")


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "ValidationError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (409, "ConflictError"),
        (413, "ValidationError"),
        (422, "ValidationError"),
        (429, "RateLimitError"),
        (500, "ServerError"),
        (503, "ServerError"),
        (418, "APIError"),
    ],
)
def test_each_status_maps_to_one_exception_class(status: int, name: str) -> None:
    assert error_class_for_status(status).__name__ == name


def test_an_api_error_names_the_request_status_code_and_message() -> None:
    error = ValidationError(
        "name is required", status=400, code="VALIDATION", method="POST", url="http://x/api/patterns"
    )
    assert str(error) == "POST http://x/api/patterns answered 400 VALIDATION: name is required"
    assert isinstance(ServerError("boom", status=500, code=None, method="GET", url="u"), APIError)
