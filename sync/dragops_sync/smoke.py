"""Smoke tests: after a deploy, send a test event and judge the run it starts; roll back when it fails.

"Deployed" only means the deployment is active at the new version; a wrong pin default or a renamed
payload field deploys fine and fails on the first real event. A pattern file may say how to check it:

    sync:
      smoke:
        webhook: {payload: {action: opened}, headers: {X-GitHub-Event: issues}, alias: github}
        # or: execute: {input: {customer: test-1}}
        timeout: 60                      # seconds to wait for the run (default 60)
        expectLogs: ["issue triaged"]    # optional: messages the run's log must contain

(and `defaults.smoke` in dragops-sync.yaml gives every deployed pattern without its own one.)

`run_smoke_test` sends the event — a signed request to the pattern's webhook endpoint (the only one, or
the one of `alias`), or a manual execute with the input — and waits for that run to finish. The run
passes when it completed and every expected message is in its log. Smoke events are told apart from
real traffic: a webhook request carries the header `X-Dragops-Smoke-Test: <id>`, an execute the input
field `_dragopsSmokeTest: <id>` (both visible in the run's event data).

`roll_back` puts the previously deployed graph (the pattern's last version snapshot before this deploy)
back and deploys it again; a pattern that was never deployed before is undeployed instead. The caller
marks the failed content on the pattern (`ownership.ROLLED_BACK_TAG_PREFIX`) so it is not deployed
again until the file changes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from dragops_sync.api import Client, DragopsError
from dragops_sync.operations import deploy_pattern, undeploy_pattern
from dragops_sync.smoke_settings import SmokeSettings

__all__ = [
    "SMOKE_HEADER",
    "SMOKE_INPUT",
    "SmokeOutcome",
    "roll_back",
    "run_smoke_test",
]

SMOKE_HEADER = "X-Dragops-Smoke-Test"
SMOKE_INPUT = "_dragopsSmokeTest"
_FINISHED = frozenset({"completed", "failed", "timeout", "dead_letter"})


@dataclass(frozen=True)
class SmokeOutcome:
    """How a smoke test went: `passed`, the run it judged (None when none started), and why not."""

    passed: bool
    run_id: str | None = None
    error: str | None = None
    logs: tuple[str, ...] = field(default=(), repr=False)

    def describe(self) -> str:
        run = f" (run {self.run_id})" if self.run_id else ""
        return "smoke test passed" + run if self.passed else f"smoke test failed{run}: {self.error}"


def run_smoke_test(
    client: Client,
    pattern_id: str,
    deployment_id: str,
    smoke: SmokeSettings,
    *,
    interval: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
) -> SmokeOutcome:
    """Send the test event of `smoke` to the deployed pattern and judge the run it starts."""
    marker = uuid.uuid4().hex
    try:
        run_id = _send(client, pattern_id, deployment_id, smoke, marker)
    except DragopsError as exc:
        return SmokeOutcome(False, None, f"the test event could not be sent: {exc}")
    if run_id is None:
        return SmokeOutcome(False, None, "the test event started no run (is the deployment active?)")
    deadline = clock() + smoke.timeout
    while True:
        try:
            run = client.runs.get(deployment_id, run_id)
        except DragopsError as exc:
            return SmokeOutcome(False, run_id, f"the run could not be read: {exc}")
        if run.status in _FINISHED:
            break
        if clock() >= deadline:
            return SmokeOutcome(False, run_id, f"the run did not finish within {smoke.timeout:g} s")
        time.sleep(interval)
    logs = tuple(entry.message for entry in run.log_output)
    if run.status != "completed":
        return SmokeOutcome(
            False, run_id, f"the run ended {run.status}: {run.error_message or 'no error message'}", logs
        )
    missing = [m for m in smoke.expect_logs if not any(m in line for line in logs)]
    if missing:
        return SmokeOutcome(False, run_id, f"the run's log lacks {', '.join(repr(m) for m in missing)}", logs)
    return SmokeOutcome(True, run_id, None, logs)


def _send(
    client: Client, pattern_id: str, deployment_id: str, smoke: SmokeSettings, marker: str
) -> str | None:
    if smoke.execute is not None:
        event = {**smoke.execute.input, SMOKE_INPUT: marker}
        return client.deployments.execute(deployment_id, event).run_id
    probe = smoke.webhook
    assert probe is not None
    endpoints = client.webhooks.list(pattern_id)
    if probe.alias is not None:
        endpoints = [e for e in endpoints if e.alias == probe.alias]
    if len(endpoints) != 1:
        which = f"alias {probe.alias!r}" if probe.alias else "no alias (give `alias` when there are several)"
        raise _NoEndpoint(f"{len(endpoints)} webhook endpoints match {which}")
    endpoint = endpoints[0]
    secret = client.webhooks.secret(endpoint.id)
    headers = {**probe.headers, SMOKE_HEADER: marker}
    delivery = client.webhooks.send(
        endpoint.id, probe.payload if probe.payload is not None else {}, secret=secret, headers=headers
    )
    if delivery.status_code >= 400:
        raise _NoEndpoint(
            f"the webhook answered HTTP {delivery.status_code}: {delivery.message or delivery.body}"
        )
    return delivery.run_id


class _NoEndpoint(DragopsError):
    """The smoke test's webhook cannot be addressed or refused the event."""


def roll_back(
    client: Client, pattern_id: str, previous_version: int | None, *, environment_id: str | None = None
) -> str:
    """Put back what ran before this deploy: the graph of `previous_version` written and deployed again,
    or, when the pattern was not deployed before (None), undeployed. Returns a sentence saying which."""
    if previous_version is None:
        undeploy_pattern(client, pattern_id)
        return "it was not deployed before, so it was undeployed"
    snapshot = client.patterns.version(pattern_id, previous_version)
    client.patterns.update(pattern_id, graph_data=snapshot.graph_data)
    deployed = deploy_pattern(client, pattern_id, environment_id=environment_id)
    version = deployed.deployment.version_number
    return f"rolled back to the graph of version {previous_version} (now deployed as version {version})"
