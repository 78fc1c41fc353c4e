"""`Webhook`: the endpoint of a pattern's On Webhook node, with its URL and signing secret.

DRAGOPS creates one endpoint per On Webhook node when the node first appears in the pattern (D12); the
resource selects that endpoint, exposes its URL and (secret) signing secret, and rotates the secret when
`rotate_secret_trigger` changes. Destroying the resource forgets the endpoint; the endpoint itself lives
as long as its node does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from dragops_sync.api import Client, DragopsError, NotFoundError

from ._common import DragopsProvider, DragopsProviderError, InputChecker, api_errors, contains_unknown
from ._shape import read_existing, resource_args, take_provider, with_secret_outputs

SELECTOR_KEYS = ("pattern_id", "node_id", "alias")
SERVER_KEYS = ("webhook_id", "url", "secret")
OPTION_KEYS = ("rotate_secret_trigger", "require_signature", "triggers")
SECRET_OUTPUTS = ["secret"]


def _reveal(secret: Any) -> str:
    """The plain secret, whether the client hands back a str or a pydantic SecretStr."""
    reveal = getattr(secret, "get_secret_value", None)
    return str(reveal() if callable(reveal) else secret)


def _select(client: Client, props: Mapping[str, Any]) -> Any:
    """The endpoint the inputs name: by node id and/or alias, or the pattern's only one."""
    pattern_id, node_id, alias = props["pattern_id"], props.get("node_id"), props.get("alias")
    try:
        endpoints = list(client.webhooks.list(pattern_id))
    except NotFoundError as exc:
        raise DragopsProviderError(f"pattern {pattern_id} does not exist") from exc
    matches = [
        e
        for e in endpoints
        if (node_id is None or e.node_id == node_id) and (alias is None or e.alias == alias)
    ]
    if len(matches) == 1:
        return matches[0]
    available = ", ".join(f"node_id={e.node_id!r} alias={e.alias!r}" for e in endpoints) or "none"
    if not matches:
        wanted = " and ".join(
            f"{key}={value!r}" for key, value in (("node_id", node_id), ("alias", alias)) if value
        )
        raise DragopsProviderError(
            f"pattern {pattern_id} has no On Webhook endpoint"
            + (f" with {wanted}" if wanted else "")
            + f" (endpoints: {available})"
        )
    raise DragopsProviderError(
        f"pattern {pattern_id} has {len(matches)} On Webhook endpoints; set node_id or alias to choose "
        f"one (endpoints: {available})"
    )


def _apply_signature_setting(client: Client, endpoint: Any, props: Mapping[str, Any]) -> Any:
    wanted = props.get("require_signature")
    if wanted is None or endpoint.require_signature == wanted:
        return endpoint
    return client.webhooks.update(endpoint.id, require_signature=bool(wanted))


def _outputs(props: Mapping[str, Any], endpoint: Any, secret: str) -> dict[str, Any]:
    return {
        "pattern_id": props["pattern_id"],
        # The resolved selectors, so later diffs and refreshes compare against what was chosen.
        "node_id": endpoint.node_id,
        "alias": endpoint.alias,
        "rotate_secret_trigger": props.get("rotate_secret_trigger"),
        "triggers": props.get("triggers"),
        "require_signature": endpoint.require_signature,
        "webhook_id": endpoint.id,
        "url": endpoint.url,
        "secret": secret,
    }


def _node_gone(olds: Mapping[str, Any], triggers: Any) -> bool:
    """Whether the deployment's `triggers` (unknown during a preview of a redeploy) may no longer hold
    the On Webhook node this webhook resolved to. Without a `triggers` input nothing is known: False."""
    if triggers is None:
        return False
    if contains_unknown(triggers):
        return True
    nodes = {t.get("node_id") for t in triggers if isinstance(t, Mapping) and t.get("type") == "OnWebhook"}
    return olds.get("node_id") not in nodes


class WebhookProvider(DragopsProvider):
    """Select a webhook endpoint, read its secret, rotate it on demand; the resource id is the webhook id."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        inputs = dict(news)
        inputs["pattern_id"] = checker.string("pattern_id", required=True)
        inputs["node_id"] = checker.string("node_id")
        inputs["alias"] = checker.string("alias")
        trigger = news.get("rotate_secret_trigger")
        if (
            trigger is not None
            and not contains_unknown(trigger)
            and not isinstance(trigger, str | int | float)
        ):
            checker.fail("rotate_secret_trigger", "rotate_secret_trigger must be a string or a number")
        if news.get("require_signature") is not None:
            inputs["require_signature"] = checker.boolean("require_signature")
        triggers = news.get("triggers")
        well_formed = isinstance(triggers, list) and all(isinstance(t, Mapping) for t in triggers)
        if triggers is not None and not contains_unknown(triggers) and not well_formed:
            checker.fail("triggers", "triggers must be a Deployment's triggers output: a list of objects")
        return CheckResult(inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A selector left unset matches what was resolved before; a set one must equal it.
        replaces = [
            key
            for key in SELECTOR_KEYS
            if contains_unknown(news.get(key))
            or ((news.get(key) is not None or key == "pattern_id") and news.get(key) != olds.get(key))
        ]
        rotate = contains_unknown(news.get("rotate_secret_trigger")) or news.get(
            "rotate_secret_trigger"
        ) != olds.get("rotate_secret_trigger")
        # Signature checking is compared only when the program states it.
        signature = news.get("require_signature")
        resign = contains_unknown(signature) or (
            signature is not None and signature != olds.get("require_signature")
        )
        if _node_gone(olds, news.get("triggers")) and "triggers" not in replaces:
            # The On Webhook node it resolved to is no longer deployed (e.g. the node got a new id): its
            # endpoint went with it, and the one of the new node is another endpoint, so another id.
            replaces.append("triggers")
        changes = bool(replaces) or rotate or resign
        return DiffResult(changes=changes, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with self.client() as client, api_errors(f"reading the webhook of pattern {props['pattern_id']}"):
            selected = _select(client, props)
            endpoint = _apply_signature_setting(client, selected, props)
            try:
                secret = _reveal(client.webhooks.secret(endpoint.id))
            except DragopsError:
                if endpoint.require_signature != selected.require_signature:
                    # All-or-nothing: a create that fails leaves the endpoint's setting as it found it.
                    with contextlib.suppress(DragopsError):
                        client.webhooks.update(endpoint.id, require_signature=selected.require_signature)
                raise
        return CreateResult(endpoint.id, _outputs(props, endpoint, secret))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        pattern_id = props.get("pattern_id")
        if not pattern_id:
            return ReadResult("", {})
        with self.client() as client, api_errors(f"reading webhook {id_}"):
            try:
                endpoints = list(client.webhooks.list(pattern_id))
            except NotFoundError:
                return ReadResult("", {})  # the pattern is gone, and its endpoints with it
            endpoint = next((e for e in endpoints if e.id == id_), None)
            if endpoint is None:
                return ReadResult("", {})  # its On Webhook node was removed
            secret = _reveal(client.webhooks.secret(id_))
        inputs = {key: props.get(key) for key in (*SELECTOR_KEYS, *OPTION_KEYS)}
        if props.get("require_signature") is not None:
            inputs["require_signature"] = endpoint.require_signature
        return ReadResult(id_, _outputs(props, endpoint, secret), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self.client() as client, api_errors(f"updating webhook {id_}"):
            endpoint = _apply_signature_setting(client, _select(client, news), news)
            if news.get("rotate_secret_trigger") != olds.get("rotate_secret_trigger"):
                secret = _reveal(client.webhooks.rotate_secret(id_))
            else:
                secret = _reveal(client.webhooks.secret(id_))
        return UpdateResult(_outputs(news, endpoint, secret))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Nothing to delete: the endpoint belongs to its On Webhook node and goes away with it.
        return None


@pulumi.input_type
class WebhookArgs:
    """The inputs of a `Webhook`."""

    pattern_id: pulumi.Input[str]
    """The pattern whose On Webhook endpoint this is (usually `Deployment.pattern_id`)."""
    node_id: pulumi.Input[str] | None
    """The On Webhook node to select (None: by `alias`, or the pattern's only one)."""
    alias: pulumi.Input[str] | None
    """The Webhook Alias of the node to select (None: by `node_id`, or the pattern's only one)."""
    rotate_secret_trigger: pulumi.Input[str | int] | None
    """Any value; changing it rotates the signing secret."""
    require_signature: pulumi.Input[bool] | None
    """False switches DRAGOPS's `X-Webhook-Signature` check off (for senders that sign their own way,
    such as GitHub's `X-Hub-Signature-256`); None leaves the endpoint's setting as it is."""
    triggers: pulumi.Input[list[Any]] | None
    """The `Deployment.triggers` output: when the node the webhook resolved to is no longer deployed
    (its id changed, say), the webhook is replaced and follows the new node's endpoint and URL."""

    def __init__(
        self,
        *,
        pattern_id: pulumi.Input[str],
        node_id: pulumi.Input[str] | None = None,
        alias: pulumi.Input[str] | None = None,
        rotate_secret_trigger: pulumi.Input[str | int] | None = None,
        require_signature: pulumi.Input[bool] | None = None,
        triggers: pulumi.Input[list[Any]] | None = None,
    ) -> None:
        """Each argument is the input of the same name (see the attributes). With neither `node_id`
        nor `alias`, the pattern must have exactly one On Webhook node."""
        self.pattern_id = pattern_id
        self.node_id = node_id
        self.alias = alias
        self.rotate_secret_trigger = rotate_secret_trigger
        self.require_signature = require_signature
        self.triggers = triggers

    def to_props(self) -> dict[str, Any]:
        return {
            "pattern_id": self.pattern_id,
            "node_id": self.node_id,
            "alias": self.alias,
            "rotate_secret_trigger": self.rotate_secret_trigger,
            "require_signature": self.require_signature,
            "triggers": self.triggers,
        }


class Webhook(Resource, module="dragops", name="Webhook"):
    """A pattern's webhook endpoint: `url` to call, `secret` (a Pulumi secret) to sign requests with."""

    pattern_id: pulumi.Output[str]
    """The pattern's id."""
    node_id: pulumi.Output[str]
    """The On Webhook node the endpoint belongs to (as resolved)."""
    alias: pulumi.Output[str | None]
    """That node's Webhook Alias, if it has one."""
    rotate_secret_trigger: pulumi.Output[str | int | None]
    """The `rotate_secret_trigger` input."""
    require_signature: pulumi.Output[bool]
    """Whether DRAGOPS checks the `X-Webhook-Signature` of incoming requests."""
    webhook_id: pulumi.Output[str]
    """The endpoint's id (also the resource id)."""
    url: pulumi.Output[str]
    """The URL to send events to."""
    secret: pulumi.Output[str]
    """The signing secret (a Pulumi secret)."""
    triggers: pulumi.Output[list[dict[str, Any]] | None]
    """The `triggers` input."""

    def __init__(
        self,
        resource_name: str,
        args: WebhookArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """`Webhook("w", WebhookArgs(pattern_id=...))`, or with keywords: `Webhook("w", pattern_id=...)`.
        `opts.provider` may be a `pulumi_dragops.Provider` (another instance)."""
        checked = resource_args(WebhookArgs, args, kwargs, "Webhook")
        opts, namespace = take_provider(opts)
        props = {**checked.to_props(), **dict.fromkeys(SERVER_KEYS)}
        super().__init__(
            WebhookProvider(namespace), resource_name, props, with_secret_outputs(opts, SECRET_OUTPUTS)
        )

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],  # the name every Pulumi SDK's get() uses
        *,
        pattern_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> Webhook:
        """An existing endpoint (webhook id `id` of pattern `pattern_id`), read and not managed."""
        props = {"pattern_id": pattern_id, **dict.fromkeys(SERVER_KEYS)}
        return read_existing(
            Webhook,
            WebhookProvider,
            resource_name=resource_name,
            id=id,
            props=props,
            opts=opts,
            secret_outputs=SECRET_OUTPUTS,
        )

    @classmethod
    def of(
        cls,
        resource_name: str,
        deployment: Any,
        *,
        node_id: pulumi.Input[str] | None = None,
        alias: pulumi.Input[str] | None = None,
        rotate_secret_trigger: pulumi.Input[str | int] | None = None,
        require_signature: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> Webhook:
        """The webhook of a `Deployment` of the same program, following its On Webhook node: a new node
        (a new node id) is a new endpoint, and the webhook's `url` and `secret` move with it."""
        args = WebhookArgs(
            pattern_id=deployment.pattern_id,
            triggers=deployment.triggers,
            node_id=node_id,
            alias=alias,
            rotate_secret_trigger=rotate_secret_trigger,
            require_signature=require_signature,
        )
        return cls(resource_name, args, opts)
