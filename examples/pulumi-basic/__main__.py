"""A DRAGOPS pattern from a pattern file, deployed, with its webhook URL exported and a Slack connection.

Stack config: `dragops:url`, `dragops:token` (secret) or `dragops:email` + `dragops:password` (secret),
and `slackToken` (secret) for the connection. See README.md.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

import pulumi_dragops as dragops

config = pulumi.Config()
here = Path(__file__).parent

# One pattern per stack: the stack name keeps dev and prod apart on a shared instance.
pattern = dragops.Pattern.from_file(
    "webhook-logger",
    here / "patterns" / "webhook-logger.yaml",
    name=f"Webhook Logger ({pulumi.get_stack()})",
)

# Redeploys whenever the pattern's content changes (Deployment.of wires pattern.content_hash).
deployment = dragops.Deployment.of("webhook-logger", pattern, paused=config.get_bool("paused") or False)

# The endpoint of the pattern's On Webhook node (alias "github" in the file), once it is deployed;
# Webhook.of follows the node: should it get a new id, the URL and secret move to its new endpoint.
webhook = dragops.Webhook.of(
    "webhook-logger",
    deployment,
    alias="github",
    rotate_secret_trigger=config.get("rotateWebhookSecret") or "initial",
)

slack = dragops.Connection(
    "slack-alerts",
    provider="slack",
    display_name=f"Slack alerts ({pulumi.get_stack()})",
    api_key=config.require_secret("slackToken"),
)

pulumi.export("pattern_id", pattern.id)
pulumi.export("deployed_version", deployment.version_number)
pulumi.export("webhook_url", webhook.url)
pulumi.export("webhook_secret", webhook.secret)  # a secret: `pulumi stack output --show-secrets`
pulumi.export("slack_connection_id", slack.id)
