"""The patterns of examples/environments-repo as a Pulumi program: one stack per environment.

The pattern files are the very files `dragops-sync --env` reads; their `${var:NAME}` values come from
the stack's config here (Pulumi.staging.yaml, Pulumi.prod.yaml) instead of `environments:` in
dragops-sync.yaml. Stack config: `dragops:url`, `dragops:token` (secret), `slackToken` (secret),
`alertsChannel`, `reportSchedule`, `statusUrl`, `loadTestProbe`.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

import pulumi_dragops as dragops

config = pulumi.Config()
patterns = Path(__file__).resolve().parents[1] / "environments-repo" / "patterns"
variables = {
    "alerts_channel": config.require("alertsChannel"),
    "report_schedule": config.require("reportSchedule"),
    "status_url": config.require("statusUrl"),
}

slack = dragops.Connection(
    "slack-alerts",
    provider="slack",
    display_name=f"Slack alerts ({pulumi.get_stack()})",
    api_key=config.require_secret("slackToken"),
)

files = ["slack-notifier.yaml", "status-report.yaml"]
if config.get_bool("loadTestProbe"):
    files.append("load-test-probe.yaml")  # staging only

deployed = {}
for file in files:
    slug = file.removesuffix(".yaml")
    pattern = dragops.Pattern.from_file(
        slug, patterns / file, variables=variables, connections={"slack-alerts": slack.id}
    )
    deployed[slug] = dragops.Deployment.of(slug, pattern)

pulumi.export("patterns", sorted(deployed))
pulumi.export("versions", {slug: d.version_number for slug, d in deployed.items()})
