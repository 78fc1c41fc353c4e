"""The package schema of the native DRAGOPS provider: resources, functions and provider config, in one
table from which `schema.json`, the wire names and the secret outputs are all derived.

Property names on the wire and in the schema are camelCase (the Pulumi convention, from which every
language SDK generator derives its own spelling); the resource logic shared with the dynamic provider
speaks snake_case, so `to_wire`/`from_wire` translate the top-level keys (never the contents of a
graph, whose keys are DRAGOPS's own).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONFIG",
    "FUNCTIONS",
    "PACKAGE",
    "RESOURCES",
    "VERSION",
    "Prop",
    "ResourceSpec",
    "camel",
    "from_wire",
    "package_schema",
    "schema_text",
    "to_wire",
]

PACKAGE = "dragops"
VERSION = "0.1.0"  # the dragops-iac release (pyproject.toml), which the plugin ships in

_ANY = {"$ref": "pulumi.json#/Any"}


@dataclass(frozen=True)
class Prop:
    """One property: its snake_case name, schema type, description, and its role."""

    name: str
    type: str  # string, boolean, integer, number, array, object, any
    description: str
    required: bool = False  # a required input
    input: bool = True  # also an input (else an output only)
    secret: bool = False
    items: str | None = None  # for arrays: the item type

    @property
    def wire(self) -> str:
        return camel(self.name)

    def schema(self) -> dict[str, Any]:
        spec: dict[str, Any]
        if self.type == "any":
            spec = dict(_ANY)
        elif self.type == "object":
            spec = {"type": "object", "additionalProperties": dict(_ANY)}
        elif self.type == "array":
            item = dict(_ANY) if self.items in (None, "any") else {"type": self.items}
            spec = {"type": "array", "items": item}
        else:
            spec = {"type": self.type}
        spec["description"] = self.description
        if self.secret:
            spec["secret"] = True
        return spec


@dataclass(frozen=True)
class ResourceSpec:
    """One resource type: its token, description and properties."""

    token: str
    description: str
    props: tuple[Prop, ...]

    @property
    def secret_outputs(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props if p.secret)

    def schema(self) -> dict[str, Any]:
        inputs = [p for p in self.props if p.input]
        return {
            "description": self.description,
            "properties": {p.wire: p.schema() for p in self.props},
            "required": sorted(p.wire for p in self.props if not p.input or p.required),
            "inputProperties": {p.wire: p.schema() for p in inputs},
            "requiredInputs": sorted(p.wire for p in inputs if p.required),
        }


def camel(name: str) -> str:
    """`pattern_id` -> `patternId`."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_P = Prop
RESOURCES: dict[str, ResourceSpec] = {
    spec.token: spec
    for spec in (
        ResourceSpec(
            "dragops:index:Pattern",
            "A DRAGOPS pattern (a node graph). Its id is the pattern id; it carries the ownership mark "
            "`dragops-sync:owner=pulumi/<stack>/...` so dragops-sync never takes it for its own.",
            (
                _P(
                    "name",
                    "string",
                    "The pattern's name (unique among this stack's patterns).",
                    required=True,
                ),
                _P(
                    "graph",
                    "object",
                    "The graph: `{nodes: [...], edges: [...]}` as DRAGOPS exports it.",
                    required=True,
                ),
                _P("description", "string", "A free-text description."),
                _P(
                    "tags", "array", "Tags (the ownership tags of dragops-sync are reserved).", items="string"
                ),
                _P("is_public", "boolean", "Whether the pattern is public."),
                _P("is_template", "boolean", "Whether the pattern is a template."),
                _P("adopt", "boolean", "Take over an existing pattern of the same name instead of failing."),
                _P(
                    "ignore_paths",
                    "array",
                    "JSON pointers left out of the comparison (e.g. node positions).",
                    items="string",
                ),
                _P("version_number", "integer", "The pattern's version number.", input=False),
                _P("created_at", "string", "When the pattern was created.", input=False),
                _P("updated_at", "string", "When the pattern was last updated.", input=False),
                _P(
                    "content_hash",
                    "string",
                    "A hash of the content; a Deployment redeploys when it changes.",
                    input=False,
                ),
                _P("owner_tag", "string", "The ownership tag this resource writes.", input=False),
            ),
        ),
        ResourceSpec(
            "dragops:index:Deployment",
            "The deployment of a pattern: created, it deploys; `contentHash` changing redeploys; deleted, "
            "it undeploys. Waits until the deployment is active at the new version.",
            (
                _P("pattern_id", "string", "The pattern to deploy.", required=True),
                _P("environment_id", "string", "The execution environment."),
                _P("paused", "boolean", "Deployed but paused."),
                _P("content_hash", "string", "The pattern's contentHash, so a content change redeploys."),
                _P("activation_timeout", "number", "Seconds to wait for the deployment to be active."),
                _P(
                    "smoke",
                    "object",
                    "A smoke test after every deploy (`{webhook: {payload}}` or `{execute: {input}}`, timeout, expectLogs); a failure restores the previous deployment and fails the step.",
                ),
                _P("deployment_id", "string", "The deployment's id.", input=False),
                _P("status", "string", "active, paused, ...", input=False),
                _P("version_number", "integer", "The deployed version.", input=False),
                _P("live_version_number", "integer", "The pattern's current version.", input=False),
                _P("triggers", "array", "The deployment's triggers (webhook URLs, schedules).", input=False),
            ),
        ),
        ResourceSpec(
            "dragops:index:Webhook",
            "The endpoint of one On Webhook node of a deployed pattern: its URL and signing secret.",
            (
                _P("pattern_id", "string", "The pattern holding the node.", required=True),
                _P("node_id", "string", "The On Webhook node's id (or give alias)."),
                _P("alias", "string", "The node's alias (or give nodeId)."),
                _P("rotate_secret_trigger", "string", "Change it to rotate the signing secret."),
                _P("require_signature", "boolean", "Refuse unsigned calls."),
                _P("triggers", "array", "Triggers of the deployment, to follow the node when it changes."),
                _P("webhook_id", "string", "The webhook's id.", input=False),
                _P("url", "string", "The URL to call.", input=False),
                _P("secret", "string", "The signing secret.", input=False, secret=True),
            ),
        ),
        ResourceSpec(
            "dragops:index:Connection",
            "An API-key connection. The key is write-only: the state keeps a salted fingerprint, so a "
            "rotated key is noticed without ever reading it back.",
            (
                _P("provider", "string", "The service: slack, github, ...", required=True),
                _P("api_key", "string", "The API key (write-only).", required=True, secret=True),
                _P("display_name", "string", "The name shown in DRAGOPS (nodes reference it)."),
                _P("connection_id", "string", "The connection's id.", input=False),
                _P("status", "string", "The connection's status.", input=False),
                _P("type", "string", "The connection's type.", input=False),
                _P("created_at", "string", "When it was created.", input=False),
                _P("updated_at", "string", "When it was last updated.", input=False),
                _P("api_key_salt", "string", "The salt of the fingerprint.", input=False),
                _P(
                    "api_key_fingerprint",
                    "string",
                    "A salted fingerprint of the key.",
                    input=False,
                    secret=True,
                ),
            ),
        ),
    )
}

CONFIG: tuple[Prop, ...] = (
    _P("url", "string", "The DRAGOPS instance URL (env DRAGOPS_URL)."),
    _P("token", "string", "A bearer token (env DRAGOPS_TOKEN).", secret=True),
    _P("email", "string", "Login email, with password (env DRAGOPS_EMAIL)."),
    _P("password", "string", "Login password (env DRAGOPS_PASSWORD).", secret=True),
    _P("ca_bundle", "string", "A CA bundle file for TLS (env DRAGOPS_CA_BUNDLE)."),
)

FUNCTIONS: dict[str, dict[str, Any]] = {
    "dragops:index:getPattern": {
        "description": "The pattern called exactly `name` (an error when none or several exist).",
        "inputs": {
            "properties": {"name": {"type": "string", "description": "The pattern's name."}},
            "required": ["name"],
        },
        "outputs": {
            "properties": {
                "id": {"type": "string", "description": "The pattern id."},
                "name": {"type": "string", "description": "The name."},
                "description": {"type": "string", "description": "The description."},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "The tags."},
                "graph": {"type": "object", "additionalProperties": dict(_ANY), "description": "The graph."},
                "versionNumber": {"type": "integer", "description": "The version number."},
                "contentHash": {"type": "string", "description": "The content hash."},
            },
            "required": ["id", "name", "graph", "versionNumber", "contentHash"],
        },
    },
    "dragops:index:getNodeDefinitions": {
        "description": "The instance's node library, keyed by node type id.",
        "outputs": {
            "properties": {
                "definitions": {
                    "type": "object",
                    "additionalProperties": dict(_ANY),
                    "description": "Node definitions by type id.",
                }
            },
            "required": ["definitions"],
        },
    },
}


def package_schema() -> dict[str, Any]:
    """The Pulumi package schema (`pulumi package get-schema` answers with it)."""
    return {
        "name": PACKAGE,
        "displayName": "DRAGOPS",
        "version": VERSION,
        "description": "Manage DRAGOPS patterns, deployments, webhooks and connections.",
        "keywords": ["pulumi", "dragops", "automation", "category/utility"],
        "license": "Apache-2.0",
        "repository": "https://github.com/dragops/dragops-iac",
        "config": {
            "variables": {p.wire: p.schema() for p in CONFIG},
        },
        "provider": {
            "description": "The DRAGOPS instance and account resources talk to.",
            "inputProperties": {p.wire: p.schema() for p in CONFIG},
        },
        "resources": {token: spec.schema() for token, spec in RESOURCES.items()},
        "functions": FUNCTIONS,
        "language": {
            "python": {"packageName": "pulumi_dragops_native", "requires": {"pulumi": ">=3.216,<4"}},
            "nodejs": {"packageName": "@dragops/pulumi"},
            "go": {"importBasePath": "github.com/dragops/dragops-iac/sdk/go/dragops"},
        },
    }


def schema_text() -> str:
    """`package_schema()` as the JSON text shipped in `schema.json` (stable: sorted keys, indented)."""
    return json.dumps(package_schema(), indent=2, sort_keys=True) + "\n"


def to_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case top-level keys -> the schema's camelCase."""
    return {camel(k): v for k, v in props.items()}


def from_wire(props: Mapping[str, Any], spec: ResourceSpec) -> dict[str, Any]:
    """The schema's camelCase keys -> the shared logic's snake_case (unknown keys kept as they are)."""
    names = {p.wire: p.name for p in spec.props}
    return {names.get(k, k): v for k, v in props.items()}
