"""``client.runs``: the executions of a deployment (page-style lists), one run, and run statistics."""

from __future__ import annotations

from ..models import Run, RunStats
from ._envelope import unwrap
from ._pagination import Paginator
from ._paths import segment
from ._transport import Transport

__all__ = ["RunsAPI"]

# The list filter's vocabulary (D13) differs from the record's: success -> completed, failure -> failed
# or timeout. The server maps; we only refuse words it would refuse, with a clearer message.
RUN_STATUS_FILTERS = ("success", "failure", "running", "dead_letter")
TRIGGER_FILTERS = ("manual", "webhook", "schedule", "pattern_call")
PERIODS = ("1h", "24h", "7d", "30d")


class RunsAPI:
    """The run endpoints (``/api/deployments/:id/runs``)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return "RunsAPI()"

    def list(
        self,
        deployment_id: str,
        *,
        status: str | None = None,
        triggered_by: str | None = None,
        page_size: int = 100,
    ) -> Paginator[Run]:
        """A lazy iterator over a deployment's runs, newest first (page pagination).

        `status` filters with the list vocabulary ``success|failure|running|dead_letter``;
        `triggered_by` with ``manual|webhook|schedule|pattern_call``.
        """
        if status is not None and status not in RUN_STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(RUN_STATUS_FILTERS)}; got {status!r}")
        if triggered_by is not None and triggered_by not in TRIGGER_FILTERS:
            raise ValueError(
                f"triggered_by must be one of {', '.join(TRIGGER_FILTERS)}; got {triggered_by!r}"
            )
        path = f"/deployments/{segment(deployment_id, 'deployment_id')}/runs"
        return Paginator(
            lambda query: self._transport.request("GET", path, params=query).body,
            Run.model_validate,
            style="page",
            page_size=page_size,
            params={"status": status, "triggeredBy": triggered_by},
        )

    def get(self, deployment_id: str, run_id: str) -> Run:
        """One run of a deployment, with its log output."""
        path = f"/deployments/{segment(deployment_id, 'deployment_id')}/runs/{segment(run_id, 'run_id')}"
        return Run.model_validate(unwrap(self._transport.request("GET", path).body))

    def stats(self, deployment_id: str, period: str = "24h") -> RunStats:
        """Aggregated metrics of a deployment's runs over `period` (``1h``, ``24h``, ``7d``, ``30d``)."""
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")
        path = f"/deployments/{segment(deployment_id, 'deployment_id')}/runs/stats"
        response = self._transport.request("GET", path, params={"period": period})
        return RunStats.model_validate(unwrap(response.body))
