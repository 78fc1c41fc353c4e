"""Pydantic models of what the DRAGOPS API returns.

Lenient on purpose (the server is the authority on its own data, and the contract is partly inferred):
unknown fields are kept (``extra="allow"``), most fields are optional, attributes are snake_case and
accept the API's camelCase keys (and the snake_case names). Secrets (tokens, webhook secrets) are
`SecretStr`, so they never show in a repr or a log line. No I/O here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

__all__ = [
    "DEPLOYED_STATUSES",
    "ApiModel",
    "AuthProviders",
    "AuthSession",
    "Connection",
    "DeployResult",
    "Deployment",
    "DeploymentHealth",
    "DeploymentStatus",
    "ExecuteResult",
    "NodeDefinition",
    "NodePin",
    "Pattern",
    "PatternSummary",
    "PatternVersion",
    "Run",
    "RunLogEntry",
    "RunStats",
    "Trigger",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookRequest",
]


class ApiModel(BaseModel):
    """Base of every API model: camelCase aliases, populate by name, unknown fields allowed."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=False,
    )

    def to_api(self) -> dict[str, Any]:
        """The object as the API writes it (camelCase keys, secrets masked)."""
        return self.model_dump(by_alias=True, mode="json")


# -- auth ---------------------------------------------------------------------------------------------


class User(ApiModel):
    """A DRAGOPS account."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None


class AuthSession(ApiModel):
    """The answer to login/register: a bearer token (secret) and the user it belongs to."""

    token: SecretStr
    user: User | None = None


class AuthProviders(ApiModel):
    """Which sign-in methods the instance offers (``GET /api/auth/providers``)."""

    local: bool = False
    github: bool = False
    github_client_id: str | None = None


# -- patterns -----------------------------------------------------------------------------------------


class PatternSummary(ApiModel):
    """A pattern as the list endpoint returns it (no `graph_data`, no `version_number`)."""

    id: str
    name: str
    description: str | None = ""
    is_public: bool = False
    is_template: bool = False
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Pattern(PatternSummary):
    """A pattern with its graph (``GET /api/patterns/:id``); `graph_data` is opaque JSON."""

    graph_data: dict[str, Any] = Field(default_factory=lambda: {"nodes": [], "edges": []})
    version_number: int = 0


class PatternVersion(ApiModel):
    """A deploy snapshot of a pattern (one per successful deploy)."""

    version_number: int
    created_at: datetime | None = None
    graph_data: dict[str, Any] | None = None


# -- deployments and runs -----------------------------------------------------------------------------


class Trigger(ApiModel):
    """A trigger registered by a deploy: the node type (e.g. ``OnWebhook``) and the graph node id."""

    type: str
    node_id: str | None = None


class DeployResult(ApiModel):
    """The answer to a deploy."""

    deployment_id: str
    status: str
    version_number: int | None = None
    triggers: list[Trigger] = Field(default_factory=list)


# Statuses in which a pattern counts as deployed (D10); `undeployed` does not.
DEPLOYED_STATUSES = frozenset({"active", "pending", "paused"})


class Deployment(ApiModel):
    """A deployment (status of a pattern's deployment, or an item of the deployments list).

    The status endpoint calls the id ``deploymentId`` and the list calls it ``id``; both are accepted.
    """

    deployment_id: str = Field(
        validation_alias=AliasChoices("deploymentId", "deployment_id", "id"),
        serialization_alias="deploymentId",
    )
    status: str
    version_number: int | None = None
    pattern_id: str | None = None
    pattern_name: str | None = None
    environment_id: str | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    last_run: dict[str, Any] | None = None

    @property
    def deployed(self) -> bool:
        """Whether the pattern is on the engine (active, pending or paused)."""
        return self.status in DEPLOYED_STATUSES


class DeploymentStatus(ApiModel):
    """The answer to undeploy, pause and resume: the deployment's new status."""

    status: str


class DeploymentHealth(ApiModel):
    """Health summary of a deployment (an endpoint inferred: docs/api-contract.md#deployments)."""

    status: str | None = None
    last_run_at: datetime | None = None
    recent_failures: int | None = None


class ExecuteResult(ApiModel):
    """The answer to a manual execution: the id (and status) of the run it started."""

    run_id: str
    status: str | None = None


class RunLogEntry(ApiModel):
    """One line of a run's log output."""

    level: str = "info"
    message: str = ""


class Run(ApiModel):
    """One execution of a deployed pattern."""

    id: str
    deployment_id: str | None = None
    pattern_id: str | None = None
    triggered_by: str | None = None
    status: str
    started_at: datetime | None = None
    completed_at: datetime | None = None
    duration_ms: int | None = None
    event_data: dict[str, Any] | None = None
    log_output: list[RunLogEntry] = Field(default_factory=list)
    error_message: str | None = None


class RunStats(ApiModel):
    """Aggregated run metrics of a deployment over a period (shape partly inferred; extras kept)."""

    period: str | None = None
    total: int = 0
    succeeded: int | None = None
    failed: int | None = None
    success_rate: float | None = None
    duration: dict[str, Any] | None = None
    by_trigger: dict[str, Any] | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)


# -- webhooks -----------------------------------------------------------------------------------------


class WebhookEndpoint(ApiModel):
    """A webhook endpoint of a pattern (one per On Webhook node); the secret is never part of it."""

    id: str
    pattern_id: str | None = None
    node_id: str | None = None
    alias: str | None = None
    url: str | None = None
    require_signature: bool | None = None
    created_at: datetime | None = None


class WebhookRequest(ApiModel):
    """One request received by a webhook endpoint, as its request log records it."""

    id: str
    webhook_id: str | None = None
    received_at: datetime | None = None
    method: str | None = None
    headers: dict[str, Any] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    body: Any = None
    status: int | None = None
    run_id: str | None = None
    signature_valid: bool | None = None


class WebhookDelivery(ApiModel):
    """What a webhook ingestion answered: the HTTP status and body, with the usual fields lifted out."""

    status_code: int
    body: Any = None
    status: str | None = None
    run_id: str | None = None
    duplicate: bool = False
    message: str | None = None


# -- connections and nodes ----------------------------------------------------------------------------


class Connection(ApiModel):
    """A stored credential for an external service; the key itself is write-only and never returned."""

    id: str
    provider: str
    display_name: str | None = None
    type: str | None = None
    status: str | None = None
    scopes: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class NodePin(ApiModel):
    """An input or output pin of a node definition."""

    name: str
    type: str
    label: str | None = None


class NodeDefinition(ApiModel):
    """A node type of the node library (``GET /api/nodes``)."""

    id: str
    label: str | None = None
    category: str | None = None
    description: str | None = None
    is_pure: bool = False
    inputs: list[NodePin] = Field(default_factory=list)
    outputs: list[NodePin] = Field(default_factory=list)
