"""What a person should check after a mistake the client can recognise: the one place that words them.

A refused connection before the server ever answered, and a failed TLS handshake, are not transient:
retrying them only delays the same answer (a closed port took 12 retry lines and 6.6 s to say
"connection refused"). `permanent_connect_hint` says which transport failures those are, with the
sentence that tells the user what to fix. The wording names the command line's `--url` and the
``DRAGOPS_*`` variables, since that is where a user of either the CLI or the library sets them.
"""

from __future__ import annotations

import ssl

__all__ = ["NO_CREDENTIALS_HINT", "URL_SETTING", "permanent_connect_hint"]

URL_SETTING = "--url / DRAGOPS_URL"

NO_CREDENTIALS_HINT = (
    "no credentials were sent: set DRAGOPS_TOKEN, or DRAGOPS_EMAIL and DRAGOPS_PASSWORD "
    "(or pass --token / --email)"
)

# What OpenSSL says when the other end answered the ClientHello with something that is not TLS (a
# plain-HTTP server answering "400 Bad Request"): the versions differ by release.
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"})


def permanent_connect_hint(exc: BaseException, *, server_answered_before: bool) -> str | None:
    """The hint for a transport failure that retrying cannot cure, or None when it may be transient.

    A refused connection is permanent until this client has had an answer from the server: after
    that, it is most likely a restart, which a retry rides out. A TLS failure is always permanent.
    """
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            "the server's TLS certificate is not trusted here; "
            "pass --ca-bundle or set DRAGOPS_CA_BUNDLE to the CA that signed it"
        )
    if isinstance(cause, ssl.SSLError):
        reason = (cause.reason or "").upper()
        if reason in _NOT_TLS_REASONS:
            return f"the server does not speak TLS; use an http:// URL in {URL_SETTING}"
        return f"the TLS handshake failed; check the scheme and port in {URL_SETTING}"
    if isinstance(cause, ConnectionRefusedError) and not server_answered_before:
        return f"is the server running, and is {URL_SETTING} right?"
    return None


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of `exc`'s chain (httpx wraps httpcore, which wraps the OSError)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    return exc
