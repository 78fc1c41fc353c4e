"""Push webhooks on the status server: a verified push to the watched branch starts a fetch and a cycle
at once, instead of waiting for the next `--interval`.

    POST /hooks/github    X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body, hex>  (X-GitHub-Event)
    POST /hooks/gitlab    X-Gitlab-Token: <the secret>                                  (X-Gitlab-Event)
    POST /hooks/generic   X-Dragops-Signature-256: [sha256=]<HMAC-SHA256 of the body, hex>
                          body {"ref": "refs/heads/main"} or {"branch": "main"}; neither: any branch

The secret is `DRAGOPS_SYNC_WEBHOOK_SECRET`; without it the hooks are off (404). Answers: a missing or
wrong signature or token 401 (nothing triggered); a body over 1 MiB 413 (not read); a body that is not
JSON 400; a push to the watched branch 202 (a fetch and a cycle requested, coalesced with one already
due); a push to another branch, a tag, a ping or another event 200 with what was ignored. Signatures
and tokens are compared in constant time (`hmac.compare_digest`) and never logged, nor the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from dragops_sync.daemon_http import Page

__all__ = ["MAX_HOOK_BODY", "WEBHOOK_SECRET_ENV", "PushHooks"]

log = logging.getLogger("dragops_sync.daemon")

WEBHOOK_SECRET_ENV = "DRAGOPS_SYNC_WEBHOOK_SECRET"
MAX_HOOK_BODY = 1024 * 1024
_PROVIDERS = ("github", "gitlab", "generic")
_OUTCOMES = ("accepted", "ignored", "unauthorized", "bad_request", "too_large")


def _json(status: int, body: Mapping[str, Any]) -> Page:
    return Page(status, "application/json", (json.dumps(body) + "\n").encode())


class PushHooks:
    """The three push endpoints for one watched `branch`; `on_push` asks the daemon for a fetch and a
    cycle. `secret` None: every hook answers 404 (off)."""

    def __init__(self, *, secret: str | None, branch: str | None, on_push: Callable[[], None]) -> None:
        self._secret = secret.encode() if secret else None
        self._branch = branch
        self._on_push = on_push
        self._requests: Counter | None = None

    def register_metrics(self, registry: CollectorRegistry) -> None:
        """`dragops_sync_webhook_requests_total{endpoint, outcome}`."""
        self._requests = Counter(
            "dragops_sync_webhook_requests",
            "Push webhook requests, by endpoint (github, gitlab, generic) and outcome.",
            ["endpoint", "outcome"],
            registry=registry,
        )
        for endpoint in _PROVIDERS:
            for outcome in _OUTCOMES:
                self._requests.labels(endpoint=endpoint, outcome=outcome)

    def body_limit(self, path: str) -> int | None:
        """The largest body this path takes (None: not a hook path, or hooks off)."""
        return MAX_HOOK_BODY if self._secret is not None and _provider(path) else None

    def get(self, path: str, query: Mapping[str, list[str]]) -> Page | None:
        return None

    def too_large(self, path: str) -> None:
        """Count a request refused (413) before its body was read."""
        provider = _provider(path)
        if provider:
            self._count(provider, "too_large")

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Page | None:
        provider = _provider(path)
        if provider is None or self._secret is None:
            return None
        if not self._authentic(provider, headers, body):
            self._count(provider, "unauthorized")
            log.warning("push webhook /hooks/%s refused: missing or wrong signature", provider)
            return _json(401, {"error": "missing or wrong signature"})
        event = _event(provider, headers)
        if event in ("ping", "Push Hook ping"):
            self._count(provider, "ignored")
            return _json(200, {"ignored": "ping"})
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self._count(provider, "bad_request")
            return _json(400, {"error": "the body is not JSON"})
        if event not in ("push", "Push Hook", None):
            self._count(provider, "ignored")
            return _json(200, {"ignored": f"event {event}"})
        ref = _ref(payload)
        wanted = f"refs/heads/{self._branch}" if self._branch else None
        if ref is not None and wanted is not None and ref != wanted:
            self._count(provider, "ignored")
            return _json(200, {"ignored": f"{ref} is not the watched {wanted}"})
        self._count(provider, "accepted")
        log.info("push webhook /hooks/%s: %s pushed; fetching now", provider, ref or "a branch")
        self._on_push()
        return _json(202, {"accepted": True})

    def _authentic(self, provider: str, headers: Mapping[str, str], body: bytes) -> bool:
        secret = self._secret
        assert secret is not None
        if provider == "gitlab":
            token = headers.get("x-gitlab-token", "")
            return hmac.compare_digest(token.encode(), secret)
        header = "x-hub-signature-256" if provider == "github" else "x-dragops-signature-256"
        given = headers.get(header, "")
        if provider == "github" and not given.startswith("sha256="):
            return False
        given = given.removeprefix("sha256=")
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given.lower().encode(), expected.encode())

    def _count(self, provider: str, outcome: str) -> None:
        if self._requests is not None:
            self._requests.labels(endpoint=provider, outcome=outcome).inc()


def _provider(path: str) -> str | None:
    name = path.removeprefix("/hooks/")
    return name if path.startswith("/hooks/") and name in _PROVIDERS else None


def _event(provider: str, headers: Mapping[str, str]) -> str | None:
    if provider == "github":
        return headers.get("x-github-event")
    if provider == "gitlab":
        return headers.get("x-gitlab-event")
    return None


def _ref(payload: Any) -> str | None:
    """The pushed ref: `ref` (GitHub, GitLab, generic), or `branch` (generic); None when neither."""
    if not isinstance(payload, Mapping):
        return None
    ref = payload.get("ref")
    if isinstance(ref, str) and ref:
        return ref if ref.startswith("refs/") else f"refs/heads/{ref}"
    branch = payload.get("branch")
    return f"refs/heads/{branch}" if isinstance(branch, str) and branch else None
