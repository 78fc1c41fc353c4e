"""`DragopsNativeProvider`: the provider gRPC interface (Pulumi's `pulumi.provider.experimental` API) over
the same resource logic as the dynamic provider, so both kinds of stack behave alike.

What the native provider adds to the dynamic one:

* **Configuration per provider instance**: `configure()` receives `url`, `token`, `email`,
  `password`, `caBundle` of this provider resource (the default provider: the `dragops:*` stack
  config), with the DRAGOPS_* environment variables as defaults. Nothing is pickled into the state.
* **Import**: `Read` by id alone (`pulumi import dragops:index:Pattern name <id>`) answers the inputs
  and outputs of the live object.
* **Detailed diffs**, **preview unknowns** (a create in preview answers the inputs with every computed
  output unknown) and **delete-before-replace** where the shared logic asks for it.
* **Secrets**: the schema's secret outputs, and every output whose input was secret, go back marked.

Errors are one line (the shared logic's `DragopsProviderError` text); credentials never appear in them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime import rpc

from dragops_sync.api import DragopsError
from dragops_sync.essence import essence_hash
from dragops_sync.operations import AmbiguousNameError, find_pattern
from dragops_sync.spec import PatternSpec
from pulumi_dragops._common import DragopsProvider, DragopsProviderError, one_line
from pulumi_dragops._config import Credentials
from pulumi_dragops._connection import ConnectionProvider
from pulumi_dragops._deployment import DeploymentProvider
from pulumi_dragops._pattern import PatternProvider
from pulumi_dragops._webhook import WebhookProvider

from ._schema import CONFIG, RESOURCES, ResourceSpec, camel, from_wire, schema_text, to_wire
from ._values import map_from_plain, map_to_plain, secrets_of

__all__ = ["DragopsNativeProvider"]

_LOGIC: dict[str, Callable[[], DragopsProvider]] = {
    "dragops:index:Pattern": PatternProvider,
    "dragops:index:Deployment": DeploymentProvider,
    "dragops:index:Webhook": WebhookProvider,
    "dragops:index:Connection": ConnectionProvider,
}
_ENV = {
    "url": "DRAGOPS_URL",
    "token": "DRAGOPS_TOKEN",
    "email": "DRAGOPS_EMAIL",
    "password": "DRAGOPS_PASSWORD",
}
_ENV["ca_bundle"] = "DRAGOPS_CA_BUNDLE"


class DragopsNativeProvider(Provider):
    """One provider instance (one `pulumi:providers:dragops` resource, or the default one)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._credentials: Credentials | None = None
        self._logic: dict[str, DragopsProvider] = {}

    # -- schema and configuration ------------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_text())

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        known = {p.wire for p in CONFIG} | {"version"}
        failures = [
            CheckFailure(
                key, f"unknown provider setting {key!r}; known: {', '.join(sorted(known - {'version'}))}"
            )
            for key in request.new_inputs
            if key not in known
        ]
        url = request.new_inputs.get("url")
        if (
            url is not None
            and isinstance(url.value, str)
            and not url.value.startswith(("https://", "http://"))
        ):
            failures.append(CheckFailure("url", "url must start with https:// (or http://)"))
        return CheckResponse(inputs=request.new_inputs, failures=failures)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        given = map_to_plain(request.args)
        # Older engines send the config as `dragops:config:<key>` variables only.
        for key, text in request.variables.items():
            given.setdefault(key.rsplit(":", 1)[-1], text)
        values: dict[str, str] = {}
        for prop in CONFIG:
            value = given.get(prop.wire)
            if value in (None, ""):
                value = self._env.get(_ENV[prop.name]) or None
            if value is not None:
                values[prop.wire] = str(value)
        self._credentials = Credentials(
            url=values.get("url"),
            token=values.get("token"),
            email=values.get("email"),
            password=values.get("password"),
            ca_bundle=values.get("caBundle"),
        )
        self._logic = {}
        return ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_resources=True, accept_outputs=False
        )

    def _for(self, urn_type: str) -> tuple[ResourceSpec, DragopsProvider]:
        spec = RESOURCES.get(urn_type)
        if spec is None:
            raise DragopsProviderError(
                f"unknown resource type {urn_type!r}; this provider serves {', '.join(RESOURCES)}"
            )
        logic = self._logic.get(urn_type)
        if logic is None:
            logic = _LOGIC[urn_type]()
            # What the dynamic host's configure() would set: this provider instance's credentials.
            logic._credentials = self._client_credentials()
            self._logic[urn_type] = logic
        return spec, logic

    # -- resources ---------------------------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        spec, logic = self._for(request.type)
        olds = from_wire(map_to_plain(request.old_inputs), spec)
        news = from_wire(map_to_plain(request.new_inputs), spec)
        result = await _call(logic.check, olds, news)
        secret = secrets_of(request.new_inputs) | {p.wire for p in spec.props if p.secret}
        failures = [CheckFailure(camel(f.property), f.reason) for f in result.failures]
        return CheckResponse(inputs=map_from_plain(to_wire(result.inputs), secret), failures=failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        spec, logic = self._for(request.type)
        olds = from_wire(map_to_plain(request.old_state), spec)
        news = from_wire(map_to_plain(request.new_inputs), spec)
        result = await _call(logic.diff, request.resource_id, olds, news)
        replaces = [camel(r) for r in result.replaces or []]
        detailed = {}
        if result.changes:
            inputs = [p for p in spec.props if p.input]
            for prop in inputs:
                if _differs(olds.get(prop.name), news.get(prop.name)):
                    kind = (
                        PropertyDiffKind.UPDATE_REPLACE if prop.wire in replaces else PropertyDiffKind.UPDATE
                    )
                    detailed[prop.wire] = PropertyDiff(kind, input_diff=True)
        return DiffResponse(
            changes=result.changes,
            replaces=replaces,
            stables=[camel(s) for s in result.stables or []],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=sorted(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        spec, logic = self._for(request.type)
        secret = secrets_of(request.properties) | {p.wire for p in spec.props if p.secret}
        if request.preview:
            # Unknown until created: every output-only property.
            preview = dict(request.properties)
            for prop in spec.props:
                if not prop.input:
                    preview[prop.wire] = PropertyValue(rpc.UNKNOWN)  # the wire's unknown
            return CreateResponse(resource_id="", properties=preview)
        props = from_wire(map_to_plain(request.properties), spec)
        result = await _call(logic.create, props)
        return CreateResponse(
            resource_id=result.id, properties=map_from_plain(to_wire(result.outs or {}), secret)
        )

    async def read(self, request: ReadRequest) -> ReadResponse:
        spec, logic = self._for(request.type)
        props = from_wire(map_to_plain(request.properties), spec)
        result = await _call(logic.read, request.resource_id, props)
        if not result.id:
            return ReadResponse(resource_id="", properties={}, inputs={})  # gone
        secret = secrets_of(request.properties) | secrets_of(request.inputs)
        secret |= {p.wire for p in spec.props if p.secret}
        outs = to_wire(result.outs or {})
        inputs = to_wire(result.inputs) if result.inputs is not None else _inputs_of(spec, outs, request)
        return ReadResponse(
            resource_id=result.id,
            properties=map_from_plain(outs, secret),
            inputs=map_from_plain(inputs, secret),
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        spec, logic = self._for(request.type)
        olds = from_wire(map_to_plain(request.olds), spec)
        news = from_wire(map_to_plain(request.news), spec)
        result = await _call(logic.update, request.resource_id, olds, news)
        secret = secrets_of(request.news) | {p.wire for p in spec.props if p.secret}
        return UpdateResponse(properties=map_from_plain(to_wire(result.outs or {}), secret))

    async def delete(self, request: DeleteRequest) -> None:
        spec, logic = self._for(request.type)
        props = from_wire(map_to_plain(request.properties), spec)
        await _call(logic.delete, request.resource_id, props)

    # -- functions ---------------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        args = map_to_plain(request.args)
        if request.tok == "dragops:index:getPattern":
            name = args.get("name")
            if not isinstance(name, str) or not name.strip():
                return InvokeResponse(
                    failures=[CheckFailure("name", "name must be a non-empty pattern name")]
                )
            return InvokeResponse(
                return_value=map_from_plain(await asyncio.to_thread(self._get_pattern, name))
            )
        if request.tok == "dragops:index:getNodeDefinitions":
            definitions = await asyncio.to_thread(self._node_definitions)
            return InvokeResponse(return_value=map_from_plain({"definitions": definitions}))
        raise DragopsProviderError(f"unknown function {request.tok!r}")

    def _client_credentials(self) -> Credentials:
        if self._credentials is None:
            raise DragopsProviderError("the provider was not configured")
        return self._credentials

    def _get_pattern(self, name: str) -> dict[str, Any]:
        try:
            with self._client_credentials().open_client() as client:
                try:
                    found = find_pattern(client, name)
                except AmbiguousNameError as exc:
                    raise DragopsProviderError(f"{exc}; a lookup needs exactly one") from None
                if found is None:
                    raise DragopsProviderError(f"no pattern named {name!r} exists")
                live = client.patterns.get(found.id).to_api()
        except DragopsError as exc:
            raise DragopsProviderError(f"looking up pattern {name!r} failed: {one_line(exc)}") from None
        spec = PatternSpec.from_live(live)
        return {
            "id": live["id"],
            "name": spec.name,
            "description": spec.description,
            "tags": list(spec.tags),
            "graph": dict(spec.graph_data),
            "versionNumber": int(live.get("versionNumber") or 0),
            "contentHash": essence_hash(spec.essence().value),
        }

    def _node_definitions(self) -> dict[str, Any]:
        try:
            with self._client_credentials().open_client() as client:
                return {node.id: node.to_api() for node in client.nodes.list()}
        except DragopsError as exc:
            raise DragopsProviderError(f"listing the node definitions failed: {one_line(exc)}") from None


async def _call(method: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking method of the shared logic off the event loop (it makes HTTP calls)."""
    return await asyncio.to_thread(method, *args)


def _differs(old: Any, new: Any) -> bool:
    return old != new and not (old in (None, [], "", False) and new in (None, [], "", False))


def _inputs_of(spec: ResourceSpec, outs: Mapping[str, Any], request: ReadRequest) -> dict[str, Any]:
    """The inputs of a read whose logic answered none: the state's inputs, else the input-shaped outputs."""
    if request.inputs:
        return map_to_plain(request.inputs)
    return {p.wire: outs[p.wire] for p in spec.props if p.input and p.wire in outs}
