"""The exception tree of the DRAGOPS client (drawn in `dragops_sync.api`'s docstring).

Every failure the client reports is a `DragopsError`. HTTP answers >= 400 become an `APIError` subclass
chosen by `error_class_for_status` (the one place that maps status to class); transport failures become
`APIConnectionError` / `APITimeoutError`. Messages are capped and never carry credentials.
"""

from __future__ import annotations

from typing import Any

from ..errors import DragopsError

__all__ = [
    "MAX_MESSAGE_CHARS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "DragopsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "cap_text",
    "error_class_for_status",
]

# Server error text is echoed into exception messages and logs; a misbehaving proxy can answer with a
# megabyte of HTML, so everything quoted from a response is cut to this length.
MAX_MESSAGE_CHARS = 500


def cap_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Return `text` cut to `limit` characters, marking the cut with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class ConfigurationError(DragopsError):
    """The client was given settings it cannot work with (no URL, a missing CA bundle, ...)."""


class APIConnectionError(DragopsError):
    """The request did not get a complete HTTP answer (refused, reset, dropped mid-response)."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, writing or waiting for the answer)."""


class APIError(DragopsError):
    """The server answered with an HTTP error status.

    Attributes: `status` (HTTP status), `code` (the API's error code such as ``PATTERN_NOT_FOUND``, or
    None), `message` (the server's message, capped), `method` and `url` of the request, `details`
    (structured details of a form-B error, e.g. the per-node messages of a failed deploy).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None,
        method: str,
        url: str,
        details: Any = None,
        summary: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = cap_text(message)
        self.method = method
        self.url = url
        self.details = details
        code_part = f" {code}" if code else ""
        # `summary` replaces the generic sentence when the caller knows better what went wrong
        # (e.g. "login failed for a@b.c: Invalid credentials").
        super().__init__(summary or f"{method} {url} answered {status}{code_part}: {self.message}")


class AuthenticationError(APIError):
    """401: the token is missing, invalid or expired, or the login credentials were refused."""


class PermissionDeniedError(APIError):
    """403: the caller may not do this (e.g. local sign-up disabled on the instance)."""


class NotFoundError(APIError):
    """404: the object does not exist or belongs to someone else (the API does not say which)."""


class ConflictError(APIError):
    """409: the request conflicts with the current state (e.g. deleting a deployed pattern)."""


class ValidationError(APIError):
    """400, 413 or 422: the request was refused as invalid; `details` says where when the server says."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` holds the server's requested wait in seconds, if given."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None,
        method: str,
        url: str,
        details: Any = None,
        summary: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status=status, code=code, method=method, url=url, details=details, summary=summary
        )
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server (or a proxy in front of it) failed."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[APIError]:
    """Map an HTTP error status to its exception class (the only place this mapping lives)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError
