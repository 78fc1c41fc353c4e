"""Where the provider's DRAGOPS credentials come from: Pulumi stack config, then DRAGOPS_* env vars.

Credentials are read in the provider host (`ResourceProvider.configure()`, which receives the whole stack
config) or in the program (lookups), never taken as constructor arguments: anything on a provider
instance is pickled into the `__provider` property of every resource's state.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dragops_sync import api
from dragops_sync.api import Client

NAMESPACE = "dragops"

# (stack config key, environment variable) per credential; stack config wins over the environment.
_KEYS: dict[str, tuple[str, str]] = {
    "url": ("url", "DRAGOPS_URL"),
    "token": ("token", "DRAGOPS_TOKEN"),
    "email": ("email", "DRAGOPS_EMAIL"),
    "password": ("password", "DRAGOPS_PASSWORD"),
    "ca_bundle": ("caBundle", "DRAGOPS_CA_BUNDLE"),
}


class ConfigurationError(api.ConfigurationError):
    """The provider cannot talk to DRAGOPS because its settings are missing or contradictory."""


@dataclass(frozen=True, repr=False)
class Credentials:
    """How to reach and authenticate against one DRAGOPS instance. Never logged in clear."""

    url: str | None = None
    token: str | None = None
    email: str | None = None
    password: str | None = None
    ca_bundle: str | None = None

    def __repr__(self) -> str:
        # The token and password are secrets: a repr may end up in a traceback or a log line.
        return (
            f"Credentials(url={self.url!r}, token={'<set>' if self.token else None}, "
            f"email={self.email!r}, password={'<set>' if self.password else None}, "
            f"ca_bundle={self.ca_bundle!r})"
        )

    def validate(self) -> None:
        """Raise `ConfigurationError` naming the missing setting (never a secret value)."""
        if not self.url:
            raise ConfigurationError(
                "the DRAGOPS URL is not configured: run `pulumi config set dragops:url https://...` "
                "or set DRAGOPS_URL"
            )
        if not self.token and not (self.email and self.password):
            raise ConfigurationError(
                "no DRAGOPS credentials are configured: set `dragops:token` (pulumi config set --secret), "
                "or `dragops:email` and `dragops:password`, or the DRAGOPS_TOKEN / DRAGOPS_EMAIL + "
                "DRAGOPS_PASSWORD environment variables"
            )

    def open_client(self, *, session_token: str | None = None) -> Client:
        """A fresh API client (the caller closes it: `with credentials.open_client() as client:`).

        `session_token` is the newest token this process holds for these credentials (the configured
        token, or one renewed since): reusing it saves a login per call (logins are rate limited), and
        the client logs in again when it has expired.
        """
        self.validate()
        return Client(
            base_url=self.url,
            token=session_token or self.token,
            email=self.email if self.password else None,
            password=self.password if self.email else None,
            ca_bundle=self.ca_bundle,
        )

    @property
    def can_log_in(self) -> bool:
        """True when an email and a password are configured (with or without a token): the client can
        log in, and logs in again when its token expires."""
        return bool(self.email and self.password)


def _resolve(lookup: Callable[[str], Any], *, env: bool = True) -> Credentials:
    values: dict[str, str | None] = {}
    for field_name, (config_key, env_var) in _KEYS.items():
        value = lookup(config_key)
        if (value is None or value == "") and env:
            value = os.environ.get(env_var) or None
        values[field_name] = None if value is None else str(value)
    return Credentials(**values)


def credentials_from_stack_config(config: Any, namespace: str = NAMESPACE) -> Credentials:
    """Credentials from the `pulumi.dynamic.Config` a provider receives in `configure()`: the keys under
    `namespace`, then (for the default `dragops` namespace only) the DRAGOPS_* environment variables."""
    return _resolve(lambda key: config.get(f"{namespace}:{key}"), env=namespace == NAMESPACE)


def credentials_from_program(namespace: str = NAMESPACE) -> Credentials:
    """Credentials for code running in the Pulumi program (lookups): stack config, then (default
    namespace only) env."""
    from pulumi.runtime.config import get_config

    # get_config returns the plain value of secret keys too; it never reaches a log.
    return _resolve(lambda key: get_config(f"{namespace}:{key}"), env=namespace == NAMESPACE)


def credentials_from_env() -> Credentials:
    """Credentials from the DRAGOPS_* environment variables only."""
    return _resolve(lambda key: None)
