"""The Python SDK of the native DRAGOPS provider (`pulumi-resource-dragops`), in the shape Pulumi's SDK
generators give every package: resources with keyword or Args constructors, a `Provider` resource for a
second instance or account, and invoke functions.

    import pulumi_dragops_native as dragops

    pattern = dragops.Pattern("alerts", name="Deploy Failure Alert", graph=graph)
    dragops.Deployment("alerts", pattern_id=pattern.id, content_hash=pattern.content_hash)
    eu = dragops.Provider("eu", url="https://eu.dragops.example.com", token=config.require_secret("euToken"))
    dragops.Pattern("eu-alerts", name="...", graph=graph, opts=pulumi.ResourceOptions(provider=eu))

Unlike the dynamic resources of `pulumi_dragops`, these are served by a provider plugin (so they work
from every Pulumi language, support `pulumi import dragops:index:Pattern NAME ID`, and keep no Python
module paths in the state). The resources' properties are the dynamic ones' (README "A native Pulumi
provider" has the migration). Property names: snake_case here, camelCase in the schema and the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from ._schema import CONFIG, RESOURCES, ResourceSpec, camel

__all__ = [
    "Connection",
    "Deployment",
    "Pattern",
    "PatternInfo",
    "Provider",
    "Webhook",
    "get_node_definitions",
    "get_pattern",
]


class _Resource(pulumi.CustomResource):
    """A DRAGOPS resource of the native provider: inputs from keywords (or an args mapping), every
    output of its schema declared, snake_case in Python and camelCase on the wire."""

    _spec: ResourceSpec

    def __init__(
        self,
        resource_name: str,
        args: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        given = dict(args or {}) | kwargs
        names = {p.name for p in self._spec.props if p.input}
        unknown = sorted(set(given) - names)
        if unknown:
            kind = type(self).__name__
            raise TypeError(
                f"{kind}() got unknown argument(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        missing = sorted(p.name for p in self._spec.props if p.required and given.get(p.name) is None)
        opts = opts or pulumi.ResourceOptions()
        if missing and opts.urn is None and opts.id is None:
            raise TypeError(f"{type(self).__name__}() missing required argument(s) {', '.join(missing)}")
        props: dict[str, Any] = {p.name: given.get(p.name) for p in self._spec.props}
        secrets = [p.name for p in self._spec.props if p.secret and not p.input]
        if secrets:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=secrets)
            )
        super().__init__(self._spec.token, resource_name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return camel(prop)

    def translate_output_property(self, prop: str) -> str:
        return _SNAKE.get(prop, prop)

    @classmethod
    def get(
        cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> Any:
        """An existing object read into a resource of this program (not managed by it)."""
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        return cls(resource_name, opts=merged)


_SNAKE = {p.wire: p.name for spec in RESOURCES.values() for p in spec.props}


class Pattern(_Resource):
    """A DRAGOPS pattern (`dragops:index:Pattern`)."""

    _spec = RESOURCES["dragops:index:Pattern"]
    name: pulumi.Output[str]
    graph: pulumi.Output[dict[str, Any]]
    description: pulumi.Output[str]
    tags: pulumi.Output[list[str]]
    version_number: pulumi.Output[int]
    content_hash: pulumi.Output[str]


class Deployment(_Resource):
    """The deployment of a pattern (`dragops:index:Deployment`)."""

    _spec = RESOURCES["dragops:index:Deployment"]
    pattern_id: pulumi.Output[str]
    deployment_id: pulumi.Output[str]
    status: pulumi.Output[str]
    version_number: pulumi.Output[int]


class Webhook(_Resource):
    """The endpoint of an On Webhook node (`dragops:index:Webhook`); `secret` is a secret output."""

    _spec = RESOURCES["dragops:index:Webhook"]
    url: pulumi.Output[str]
    secret: pulumi.Output[str]


class Connection(_Resource):
    """An API-key connection (`dragops:index:Connection`); the key is write-only."""

    _spec = RESOURCES["dragops:index:Connection"]
    connection_id: pulumi.Output[str]
    api_key_fingerprint: pulumi.Output[str]


class Provider(pulumi.ProviderResource):
    """A DRAGOPS instance and account: pass it as `opts=pulumi.ResourceOptions(provider=...)`. Its
    `token` and `password` are secrets (kept secret in the state)."""

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **settings: Any
    ) -> None:
        names = {p.name for p in CONFIG}
        unknown = sorted(set(settings) - names)
        if unknown:
            raise TypeError(
                f"Provider() got unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        props = {p.name: settings.get(p.name) for p in CONFIG}
        for secret in (p.name for p in CONFIG if p.secret):
            if props[secret] is not None:
                props[secret] = pulumi.Output.secret(props[secret])
        super().__init__("dragops", resource_name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return camel(prop)


@dataclass(frozen=True)
class PatternInfo:
    """What `get_pattern` answers."""

    id: str
    name: str
    description: str
    tags: list[str]
    graph: dict[str, Any]
    version_number: int
    content_hash: str


def get_pattern(name: str, opts: pulumi.InvokeOptions | None = None) -> PatternInfo:
    """The pattern called exactly `name` (`dragops:index:getPattern`)."""
    found = pulumi.runtime.invoke("dragops:index:getPattern", {"name": name}, opts).value
    return PatternInfo(
        id=found["id"],
        name=found["name"],
        description=found.get("description") or "",
        tags=list(found.get("tags") or []),
        graph=dict(found["graph"]),
        version_number=int(found["versionNumber"]),
        content_hash=found["contentHash"],
    )


def get_node_definitions(opts: pulumi.InvokeOptions | None = None) -> dict[str, Any]:
    """The instance's node library by node type id (`dragops:index:getNodeDefinitions`)."""
    return dict(pulumi.runtime.invoke("dragops:index:getNodeDefinitions", {}, opts).value["definitions"])
