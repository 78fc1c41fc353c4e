"""dragops_sync.api: the DRAGOPS REST API client (the only code of the project that imports httpx).

It implements docs/api-contract.md; "Dn" in its modules refers to docs/decisions.md.

    with Client() as client:                 # DRAGOPS_URL + DRAGOPS_TOKEN or DRAGOPS_EMAIL/PASSWORD
        pattern = client.patterns.create(name="Webhook Logger", graph_data={...})
        client.deployments.deploy(pattern.id)
        for run in client.runs.list(deployment_id):   # lazy, page by page
            ...

It unwraps every response envelope the API uses, maps both error forms onto one exception tree,
paginates lazily in both styles, logs in lazily and again when the token expires, retries what is safe
to retry (and looks up what a lost create made before trying again), and limits its own request rate.
Secrets never reach logs, reprs or exception messages.

Exception tree:

    DragopsError
    ├── ConfigurationError               bad client settings (no URL, unreadable CA bundle, ...)
    ├── APIConnectionError               no complete HTTP answer (refused, reset, dropped)
    │   └── APITimeoutError              timed out
    └── APIError                         an HTTP error status: .status .code .message .method .url .details
        ├── ValidationError              400, 413, 422 (.details: e.g. per-node deploy errors)
        ├── AuthenticationError          401 (also "login failed for <email>: Invalid credentials")
        ├── PermissionDeniedError        403
        ├── NotFoundError                404 (missing, or someone else's)
        ├── ConflictError                409 (e.g. deleting a deployed pattern)
        ├── RateLimitError               429 (.retry_after seconds)
        └── ServerError                  5xx
"""

from __future__ import annotations

from ._budget import RateLimitWait, Rates, RequestKind, SplitRateLimiter
from ._client import Client, ClientSettings
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DragopsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_class_for_status,
)
from ._pagination import Paginator
from ._retry import RateLimiter, RetryPolicy, parse_retry_after
from ._webhooks import sign_payload

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "Client",
    "ClientSettings",
    "ConfigurationError",
    "ConflictError",
    "DragopsError",
    "NotFoundError",
    "Paginator",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitWait",
    "RateLimiter",
    "Rates",
    "RequestKind",
    "RetryPolicy",
    "ServerError",
    "SplitRateLimiter",
    "ValidationError",
    "error_class_for_status",
    "parse_retry_after",
    "sign_payload",
]
