"""HMAC-SHA256 webhook signatures: how a sender signs a body and how the emulator checks it.

The contract (docs/api-contract.md#webhooks): `X-Webhook-Signature` is the lowercase hex HMAC-SHA256 of the
raw request body bytes, keyed with the endpoint's secret, exactly what `openssl dgst -sha256 -hmac` prints. We
also accept a `sha256=` prefix (the GitHub style), because senders configured for GitHub-like webhooks add it.
A request without a body (GET, DELETE) signs the empty byte string.

Pure functions: no I/O, no clock. Nothing here ever puts a secret into a message or a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["SIGNATURE_HEADER", "new_webhook_secret", "sign_body", "signature_matches"]

SIGNATURE_HEADER = "x-webhook-signature"

# A prefix some senders put before the hex digest; stripped before comparing.
_PREFIX = "sha256="


def new_webhook_secret() -> str:
    """A fresh signing secret: 32 random bytes as 64 lowercase hex characters."""
    return secrets.token_hex(32)


def sign_body(secret: str, body: bytes) -> str:
    """The signature a sender puts in `X-Webhook-Signature` for `body` (lowercase hex, no prefix)."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header_value: str | None) -> bool:
    """Whether `header_value` is a valid signature of `body` under `secret`.

    Accepts an optional `sha256=` prefix and either hex case (hex digits are case-insensitive, and a
    sender that upper-cases them still proved it knows the secret). The comparison is constant-time so
    that response timing reveals nothing about how much of a forged signature was right.
    """
    if header_value is None:
        return False
    candidate = header_value.strip()
    if candidate[: len(_PREFIX)].lower() == _PREFIX:
        candidate = candidate[len(_PREFIX) :]
    candidate = candidate.lower()
    expected = sign_body(secret, body)
    # compare_digest on ASCII bytes; a non-ASCII header cannot be a hex digest.
    try:
        candidate_bytes = candidate.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(candidate_bytes, expected.encode("ascii"))
