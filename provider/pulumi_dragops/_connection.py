"""`Connection`: an API-key connection to an external service (Slack, SendGrid, OpenAI, ...).

The API key is write-only: DRAGOPS never returns it, and the provider never writes it to an output. To
notice that the program's key changed, the outputs keep a salted PBKDF2 fingerprint of it (secret as
well), which `diff` recomputes locally from the new key.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from dragops_sync.api import APIConnectionError, Client, DragopsError, NotFoundError, ServerError
from dragops_sync.key_registry import fingerprint as key_fingerprint

from ._common import DragopsProvider, DragopsProviderError, InputChecker, api_errors, contains_unknown, text
from ._shape import read_existing, resource_args, take_provider, with_secret_outputs

SERVER_KEYS = (
    "connection_id",
    "status",
    "type",
    "created_at",
    "updated_at",
    "api_key_salt",
    "api_key_fingerprint",
)
SECRET_OUTPUTS = ["api_key_fingerprint"]
# The salted, slow hash that stands for the key in the state: the sync's (it keeps the same in DRAGOPS).
fingerprint = key_fingerprint


def _key_changed(olds: Mapping[str, Any], api_key: Any) -> bool:
    salt, stored = olds.get("api_key_salt"), olds.get("api_key_fingerprint")
    if contains_unknown(api_key) or not isinstance(salt, str) or not isinstance(stored, str):
        return True
    return not hmac.compare_digest(fingerprint(salt, str(api_key)), stored)


def default_display_name(provider: str) -> str:
    """The name DRAGOPS gives a connection created without one (`Slack API key`), which is also what a
    removed `display_name` goes back to."""
    return f"{provider[:1].upper()}{provider[1:]} API key"


def _wanted_name(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
    """The display name to write, or None for no rename: the declared one when it differs, the default
    one when a declared name was removed (the name in the state is not the default)."""
    declared, current = news.get("display_name"), olds.get("display_name")
    if declared is not None:
        return declared if declared != current else None
    provider = news.get("provider")
    if isinstance(provider, str) and current is not None and current != default_display_name(provider):
        return default_display_name(provider)
    return None


def _outputs(props: Mapping[str, Any], live: Any, salt: str, digest: str) -> dict[str, Any]:
    return {
        "provider": live.provider,
        # Echo the declared name when the server has none, so an unset display_name never diffs.
        "display_name": live.display_name if live.display_name is not None else props.get("display_name"),
        "connection_id": live.id,
        "status": live.status,
        "type": live.type,
        "created_at": text(live.created_at),
        "updated_at": text(live.updated_at),
        "api_key_salt": salt,
        "api_key_fingerprint": digest,
    }


class ConnectionProvider(DragopsProvider):
    """Create, rename, re-key and delete one API-key connection; the resource id is the connection id."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        inputs = dict(news)
        inputs["provider"] = checker.string("provider", required=True)
        inputs["display_name"] = checker.string("display_name")
        api_key = news.get("api_key")
        if not contains_unknown(api_key) and (not isinstance(api_key, str) or not api_key):
            # Never quote the value: it is a secret, even when it is the wrong type.
            checker.fail("api_key", "api_key is required and must be a non-empty string")
        return CheckResult(inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        provider = news.get("provider")
        replaces = ["provider"] if contains_unknown(provider) or provider != olds.get("provider") else []
        renamed = contains_unknown(news.get("display_name")) or (
            not replaces and _wanted_name(olds, news) is not None
        )
        changes = bool(replaces) or renamed or _key_changed(olds, news.get("api_key"))
        return DiffResult(changes=changes, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        provider, display_name = props["provider"], props.get("display_name")
        with self.client() as client, api_errors(f"creating the {provider} connection"):
            before = {c.id for c in client.connections.list()}
            try:
                live = client.connections.create_api_key(
                    provider=provider, api_key=props["api_key"], display_name=display_name
                )
            except (ServerError, APIConnectionError):
                # The answer may be lost after the server stored the key: remove what appeared meanwhile.
                _remove_new(client, provider, display_name, known=before)
                raise
        salt = secrets.token_hex(16)
        return CreateResult(live.id, _outputs(props, live, salt, fingerprint(salt, props["api_key"])))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.client() as client, api_errors(f"reading connection {id_}"):
            try:
                live = client.connections.get(id_)
            except NotFoundError:
                return ReadResult("", {})
        outs = _outputs(props, live, props.get("api_key_salt") or "", props.get("api_key_fingerprint") or "")
        # The key cannot be read back; the inputs keep only what can be.
        inputs = {"provider": live.provider, "display_name": outs["display_name"]}
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changes: dict[str, Any] = {}
        name = _wanted_name(olds, news)
        if name is not None:
            changes["display_name"] = name
        salt, digest = olds.get("api_key_salt") or "", olds.get("api_key_fingerprint") or ""
        if _key_changed(olds, news.get("api_key")):
            changes["api_key"] = news["api_key"]
            salt = secrets.token_hex(16)
            digest = fingerprint(salt, news["api_key"])
        with self.client() as client, api_errors(f"updating connection {id_}"):
            try:
                live = client.connections.update(id_, **changes) if changes else client.connections.get(id_)
            except NotFoundError as exc:
                raise DragopsProviderError(
                    f"connection {id_} no longer exists in DRAGOPS; run `pulumi refresh`, then `pulumi up` "
                    "creates it again"
                ) from exc
        return UpdateResult(_outputs(news, live, salt, digest))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with self.client() as client, api_errors(f"deleting connection {id_}"):
            try:
                client.connections.delete(id_)
            except NotFoundError:
                return


def _remove_new(client: Client, provider: str, display_name: str | None, *, known: set[str]) -> None:
    try:
        for conn in client.connections.list():
            if conn.id not in known and conn.provider == provider and conn.display_name == display_name:
                client.connections.delete(conn.id)
    except DragopsError as exc:
        raise DragopsProviderError(
            f"creating the {provider} connection failed, and removing what the failed create may have left "
            f"also failed ({exc}); look for a stray {provider} connection"
        ) from exc


@pulumi.input_type
class ConnectionArgs:
    """The inputs of a `Connection`."""

    provider: pulumi.Input[str]
    """The service: `slack`, `sendgrid`, `openai`, ...; another provider is another connection."""
    api_key: pulumi.Input[str]
    """The service's API key; always a Pulumi secret, even when passed as a plain string. Write-only."""
    display_name: pulumi.Input[str] | None
    """The connection's name in DRAGOPS (None: DRAGOPS's default, `<Provider> API key`)."""

    def __init__(
        self,
        *,
        provider: pulumi.Input[str],
        api_key: pulumi.Input[str],
        display_name: pulumi.Input[str] | None = None,
    ) -> None:
        """Each argument is the input of the same name (see the attributes)."""
        self.provider = provider
        self.api_key = api_key
        self.display_name = display_name

    def to_props(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "display_name": self.display_name,
            # Secret in the program and the state, whatever the caller passed.
            "api_key": pulumi.Output.secret(self.api_key),
        }


class Connection(Resource, module="dragops", name="Connection"):
    """An API-key connection. The key is write-only: no output ever holds it."""

    provider: pulumi.Output[str]
    """The service it connects to."""
    display_name: pulumi.Output[str | None]
    """Its name in DRAGOPS."""
    connection_id: pulumi.Output[str]
    """DRAGOPS's connection id (also the resource id; the value of a node's `connectionId`)."""
    status: pulumi.Output[str]
    """The connection's status as DRAGOPS reports it (`active`, ...)."""
    type: pulumi.Output[str]
    """The connection type (`api_key`)."""
    created_at: pulumi.Output[str]
    """When it was created (ISO-8601)."""
    updated_at: pulumi.Output[str]
    """When it last changed (ISO-8601)."""
    api_key_salt: pulumi.Output[str]
    """The salt of `api_key_fingerprint`."""
    api_key_fingerprint: pulumi.Output[str]
    """A salted PBKDF2 hash of the key (a Pulumi secret), how a changed key is noticed without it."""

    def __init__(
        self,
        resource_name: str,
        args: ConnectionArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """`Connection("c", ConnectionArgs(provider=..., api_key=...))`, or with keywords:
        `Connection("c", provider=..., api_key=...)`. `opts.provider` may be a `pulumi_dragops.Provider`
        (another instance)."""
        checked = resource_args(ConnectionArgs, args, kwargs, "Connection")
        opts, namespace = take_provider(opts)
        props = {**checked.to_props(), **dict.fromkeys(SERVER_KEYS)}
        super().__init__(
            ConnectionProvider(namespace), resource_name, props, with_secret_outputs(opts, SECRET_OUTPUTS)
        )

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],  # the name every Pulumi SDK's get() uses
        opts: pulumi.ResourceOptions | None = None,
    ) -> Connection:
        """An existing connection (by id), read and not managed: e.g. to use its id in a graph."""
        props = dict.fromkeys(("provider", "display_name", *SERVER_KEYS))
        return read_existing(
            Connection,
            ConnectionProvider,
            resource_name=resource_name,
            id=id,
            props=props,
            opts=opts,
            secret_outputs=SECRET_OUTPUTS,
        )
