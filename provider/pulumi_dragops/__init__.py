"""pulumi_dragops: Pulumi dynamic resources for DRAGOPS (Pattern, Deployment, Webhook, Connection).

Decision numbers cited in this package ("D12") refer to docs/decisions.md; how the Pulumi engine drives
the provider is docs/pulumi-engine.md.

A thin layer over `dragops_sync`: the API client, the pattern file format and the normaliser (so a
`pulumi preview` and a `dragops-sync plan` never disagree). It is the only package that imports pulumi.

    import pulumi_dragops as dragops

    pattern = dragops.Pattern.from_file("logger", "patterns/webhook-logger.yaml")
    deployment = dragops.Deployment.of("logger", pattern)
    hook = dragops.Webhook("logger", dragops.WebhookArgs(pattern_id=deployment.pattern_id))
    pulumi.export("url", hook.url)

Credentials come from the stack config (`dragops:url`, `dragops:token` or `dragops:email` +
`dragops:password`, `dragops:caBundle`) or the DRAGOPS_* environment variables; they are never pickled
into the state. `dragops:activationTimeout` (seconds, default 120) bounds how long a deploy may stay
pending; a Deployment's `activation_timeout` input overrides it.

The Pulumi SDK is the `[pulumi]` extra (`pip install "dragops-iac[pulumi]"`); without it this import
fails with a `ModuleNotFoundError` that says so.
"""

from __future__ import annotations

import importlib.util

# Checked before anything imports pulumi, so the error names the extra instead of a module deep inside.
if importlib.util.find_spec("pulumi") is None:
    raise ModuleNotFoundError(
        'pulumi_dragops needs the Pulumi SDK, the [pulumi] extra: pip install "dragops-iac[pulumi]"',
        name="pulumi",
    )

from ._common import DragopsProviderError
from ._config import ConfigurationError, Credentials
from ._connection import Connection, ConnectionArgs, ConnectionProvider
from ._deployment import Deployment, DeploymentArgs, DeploymentProvider
from ._lookups import (
    PatternInfo,
    get_node_definitions,
    get_node_definitions_output,
    get_pattern,
    get_pattern_output,
)
from ._pattern import Pattern, PatternArgs, PatternProvider
from ._shape import Provider
from ._webhook import Webhook, WebhookArgs, WebhookProvider

__all__ = [
    "ConfigurationError",
    "Connection",
    "ConnectionArgs",
    "ConnectionProvider",
    "Credentials",
    "Deployment",
    "DeploymentArgs",
    "DeploymentProvider",
    "DragopsProviderError",
    "Pattern",
    "PatternArgs",
    "PatternInfo",
    "PatternProvider",
    "Provider",
    "Webhook",
    "WebhookArgs",
    "WebhookProvider",
    "get_node_definitions",
    "get_node_definitions_output",
    "get_pattern",
    "get_pattern_output",
]
