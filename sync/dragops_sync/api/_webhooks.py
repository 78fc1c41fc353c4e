"""``client.webhooks``: a pattern's webhook endpoints, their signing secrets, request logs, and `send`.

`send` delivers an event the way an external system would: the JSON body signed with HMAC-SHA256 of the
endpoint's secret (``X-Webhook-Signature``, lowercase hex) and an ``X-Idempotency-Key`` (generated when
not given), which is what makes a retried delivery safe: the server answers a repeat with the original
run instead of running again. Secrets are `SecretStr` and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from ..models import WebhookDelivery, WebhookEndpoint, WebhookRequest
from ._envelope import unwrap, unwrap_list
from ._pagination import Paginator
from ._paths import segment
from ._transport import Transport, dumps_compact

__all__ = ["WebhooksAPI", "sign_payload"]


def sign_payload(secret: str | SecretStr, body: bytes) -> str:
    """The ``X-Webhook-Signature`` value for `body`: lowercase hex HMAC-SHA256 keyed with `secret`."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class WebhooksAPI:
    """The webhook endpoints (``/api/patterns/:id/webhooks``, ``/api/webhooks/:id/...``, ingestion)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return "WebhooksAPI()"

    def list(self, pattern_id: str) -> list[WebhookEndpoint]:
        """The webhook endpoints of a pattern (one per On Webhook node; no secrets)."""
        response = self._transport.request("GET", f"/patterns/{segment(pattern_id, 'pattern_id')}/webhooks")
        items, _ = unwrap_list(response.body, "webhooks")
        return [WebhookEndpoint.model_validate(item) for item in items]

    def secret(self, webhook_id: str) -> SecretStr:
        """The endpoint's current signing secret (reveal it with ``.get_secret_value()``)."""
        response = self._transport.request("GET", f"/webhooks/{segment(webhook_id, 'webhook_id')}/secret")
        return self._secret_from(response.body)

    def rotate_secret(self, webhook_id: str) -> SecretStr:
        """Replace the endpoint's signing secret; the old one stops working at once."""
        # Repeating a rotation still ends with a fresh secret that we are told, so retrying is safe.
        response = self._transport.request(
            "POST", f"/webhooks/{segment(webhook_id, 'webhook_id')}/rotate-secret", idempotent=True
        )
        return self._secret_from(response.body)

    def update(self, webhook_id: str, *, require_signature: bool) -> WebhookEndpoint:
        """Switch signature checking of one endpoint on or off (for senders that sign differently)."""
        response = self._transport.request(
            "PATCH",
            f"/webhooks/{segment(webhook_id, 'webhook_id')}",
            json_body={"requireSignature": bool(require_signature)},
        )
        return WebhookEndpoint.model_validate(unwrap(response.body))

    def requests(self, webhook_id: str, *, page_size: int = 100) -> Paginator[WebhookRequest]:
        """A lazy iterator over the requests the endpoint received, newest first (page pagination)."""
        path = f"/webhooks/{segment(webhook_id, 'webhook_id')}/requests"
        return Paginator(
            lambda query: self._transport.request("GET", path, params=query).body,
            WebhookRequest.model_validate,
            style="page",
            page_size=page_size,
        )

    def send(
        self,
        webhook_id: str,
        payload: Any,
        *,
        secret: str | SecretStr | None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebhookDelivery:
        """Deliver `payload` (JSON-serialisable, or raw bytes) to ``POST /webhooks/<webhook_id>``.

        `secret` signs the body (None sends it unsigned, for endpoints that do not check). The answer of
        an asynchronous endpoint is ``{status: accepted|captured|paused, runId?, duplicate?}``; a
        synchronous one answers whatever the pattern responds.
        """
        return self._deliver(
            f"/webhooks/{segment(webhook_id, 'webhook_id')}",
            payload,
            secret=secret,
            idempotency_key=idempotency_key,
            headers=headers,
            root=True,
        )

    def send_to_pattern(
        self,
        pattern_id: str,
        payload: Any,
        *,
        secret: str | SecretStr | None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebhookDelivery:
        """Deliver to ``POST /api/webhooks/<pattern_id>`` (the pattern's first On Webhook endpoint)."""
        return self._deliver(
            f"/webhooks/{segment(pattern_id, 'pattern_id')}",
            payload,
            secret=secret,
            idempotency_key=idempotency_key,
            headers=headers,
            root=False,
        )

    def _deliver(
        self,
        path: str,
        payload: Any,
        *,
        secret: str | SecretStr | None,
        idempotency_key: str | None,
        headers: Mapping[str, str] | None,
        root: bool,
    ) -> WebhookDelivery:
        body = payload if isinstance(payload, bytes) else dumps_compact(payload)
        send_headers = {"Content-Type": "application/json", **(headers or {})}
        send_headers["X-Idempotency-Key"] = idempotency_key or f"dragops-sync-{uuid.uuid4().hex}"
        if secret is not None:
            raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
            self._transport.redactor.add(raw)
            send_headers["X-Webhook-Signature"] = sign_payload(raw, body)
        response = self._transport.request(
            "POST",
            path,
            content=body,
            headers=send_headers,
            authenticate=False,
            idempotent=True,  # the idempotency key makes a repeat return the original run
            root=root,
        )
        data = response.body if isinstance(response.body, dict) else {}
        return WebhookDelivery(
            status_code=response.status_code,
            body=response.body,
            status=data.get("status") if isinstance(data.get("status"), str) else None,
            run_id=data.get("runId") if isinstance(data.get("runId"), str) else None,
            duplicate=data.get("duplicate") is True,
            message=data.get("message") if isinstance(data.get("message"), str) else None,
        )

    def _secret_from(self, body: Any) -> SecretStr:
        data = unwrap(body)
        value = data.get("secret") if isinstance(data, dict) else None
        if not isinstance(value, str) or not value:
            raise TypeError("the server answered without a webhook secret")
        self._transport.redactor.add(value)
        return SecretStr(value)
