"""``client.deployments``: deploy, undeploy, status, list, pause, resume, execute, health.

A deploy repeated with the same graph is harmless except that each successful deploy bumps the
pattern's version (D11). So before deploying we note the pattern's version, and when a deploy's answer
is lost we read the deployment back: a higher version means our deploy took effect, and it is not sent
again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Deployment, DeploymentHealth, DeploymentStatus, DeployResult, ExecuteResult
from ._envelope import unwrap
from ._errors import DragopsError, NotFoundError
from ._nodes import NodesAPI
from ._pagination import Paginator
from ._paths import segment
from ._patterns import PatternsAPI
from ._transport import Transport

__all__ = ["DeploymentsAPI"]

DEPLOYMENT_STATUSES = ("pending", "active", "paused", "undeployed")


class DeploymentsAPI:
    """The deployment endpoints (``/api/patterns/:id/deploy``, ``/api/deployments``)."""

    def __init__(self, transport: Transport, *, patterns: PatternsAPI, nodes: NodesAPI) -> None:
        self._transport = transport
        self._patterns = patterns
        self._nodes = nodes

    def __repr__(self) -> str:
        return "DeploymentsAPI()"

    def deploy(
        self,
        pattern_id: str,
        node_definitions: Mapping[str, Any] | None = None,
        environment_id: str | None = None,
    ) -> DeployResult:
        """Deploy (or redeploy) a pattern; returns the deployment id, status, version and triggers.

        With `node_definitions` None, they are taken from the node library (cached on the client), only
        for the node types the graph uses. A graph the server cannot compile raises `ValidationError`
        whose `details` name the nodes and edges at fault.
        """
        pattern = self._patterns.get(pattern_id)
        if node_definitions is None:
            node_definitions = self._nodes.definitions_for(pattern.graph_data)
        elif not isinstance(node_definitions, Mapping):
            raise TypeError("node_definitions must be a mapping of node type id to definition")
        body: dict[str, Any] = {"nodeDefinitions": dict(node_definitions)}
        if environment_id is not None:
            body["environmentId"] = environment_id
        version_before = pattern.version_number
        path = f"/patterns/{segment(pattern_id, 'pattern_id')}"

        def recover() -> Any:
            try:
                live = self.get(pattern_id)
            except NotFoundError:
                return None
            if (live.version_number or 0) > version_before and live.status in ("active", "pending"):
                return {
                    "deploymentId": live.deployment_id,
                    "status": live.status,
                    "versionNumber": live.version_number,
                    "triggers": [t.to_api() for t in live.triggers],
                }
            return None

        response = self._transport.request("POST", f"{path}/deploy", json_body=body, recover=recover)
        return DeployResult.model_validate(unwrap(response.body))

    def get(self, pattern_id: str) -> Deployment:
        """The deployment of a pattern; `NotFoundError` when it was never deployed (D10)."""
        response = self._transport.request("GET", f"/patterns/{segment(pattern_id, 'pattern_id')}/deployment")
        return Deployment.model_validate(unwrap(response.body))

    def wait_until_active(
        self,
        pattern_id: str,
        *,
        version_number: int | None = None,
        timeout: float = 60.0,
        interval: float = 0.5,
    ) -> Deployment:
        """Poll a pattern's deployment until it is ``active`` (at `version_number`, when given).

        A deploy may answer ``pending`` (D9); this is how a caller makes sure "deployed" means running.
        `timeout` counts the seconds slept between polls (the client's injectable sleep), so the wait is
        deterministic in tests. Raises `DragopsError` naming the last status seen when time runs out, and
        at once when the deployment is paused or undeployed (it will not become active by waiting).
        """
        if interval <= 0 or timeout < 0:
            raise ValueError("interval must be > 0 and timeout >= 0")
        waited = 0.0
        while True:
            live = self.get(pattern_id)
            at_version = version_number is None or (live.version_number or 0) >= version_number
            if live.status == "active" and at_version:
                return live
            if live.status in ("paused", "undeployed"):
                raise DragopsError(
                    f"the deployment of {pattern_id} is {live.status}; it will not become active"
                )
            if waited >= timeout:
                raise DragopsError(
                    f"the deployment of {pattern_id} is still {live.status} at version "
                    f"{live.version_number} after {timeout:g} s"
                )
            self._transport.sleep(interval)
            waited += interval

    def undeploy(self, pattern_id: str) -> DeploymentStatus:
        """Remove a pattern from the engine (idempotent; graph and run history are kept)."""
        response = self._transport.request("DELETE", f"/patterns/{segment(pattern_id, 'pattern_id')}/deploy")
        return DeploymentStatus.model_validate(unwrap(response.body) or {"status": "undeployed"})

    def list(
        self, *, status: str | None = None, pattern_id: str | None = None, page_size: int = 100
    ) -> Paginator[Deployment]:
        """A lazy iterator over the caller's deployments (page pagination)."""
        if status is not None and status not in DEPLOYMENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(DEPLOYMENT_STATUSES)}; got {status!r}")
        return Paginator(
            lambda query: self._transport.request("GET", "/deployments", params=query).body,
            Deployment.model_validate,
            style="page",
            page_size=page_size,
            params={"status": status, "patternId": pattern_id},
        )

    def get_by_id(self, deployment_id: str) -> Deployment:
        """One deployment by its own id."""
        response = self._transport.request("GET", f"/deployments/{segment(deployment_id, 'deployment_id')}")
        return Deployment.model_validate(unwrap(response.body))

    def pause(self, deployment_id: str) -> DeploymentStatus:
        """Stop a deployment's triggers without undeploying it (pausing twice is harmless)."""
        return self._lifecycle(deployment_id, "pause")

    def resume(self, deployment_id: str) -> DeploymentStatus:
        """Re-activate a paused deployment."""
        return self._lifecycle(deployment_id, "resume")

    def execute(self, deployment_id: str, event: Mapping[str, Any] | None = None) -> ExecuteResult:
        """Start a manual run with `event` as its event data; returns the run id.

        Not idempotent and without a natural key: when the outcome is unknown (the answer was lost) the
        error is raised rather than risking a second run.
        """
        if event is not None and not isinstance(event, Mapping):
            raise TypeError(f"event must be a JSON object, got {type(event).__name__}")
        response = self._transport.request(
            "POST",
            f"/deployments/{segment(deployment_id, 'deployment_id')}/execute",
            json_body=dict(event) if event is not None else {},
        )
        return ExecuteResult.model_validate(unwrap(response.body))

    def health(self, deployment_id: str) -> DeploymentHealth:
        """A deployment's health summary (status, last run, recent failures)."""
        response = self._transport.request(
            "GET", f"/deployments/{segment(deployment_id, 'deployment_id')}/health"
        )
        return DeploymentHealth.model_validate(unwrap(response.body))

    def _lifecycle(self, deployment_id: str, action: str) -> DeploymentStatus:
        # Pause and resume set a state; repeating them gives the same state, so they may be retried.
        response = self._transport.request(
            "POST",
            f"/deployments/{segment(deployment_id, 'deployment_id')}/{action}",
            idempotent=True,
        )
        return DeploymentStatus.model_validate(unwrap(response.body))
