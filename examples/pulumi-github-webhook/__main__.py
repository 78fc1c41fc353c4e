"""The Webhook Logger pattern, deployed, and a GitHub repository webhook that calls it.

GitHub signs deliveries with its own `X-Hub-Signature-256` header (HMAC-SHA256 with the shared secret,
`sha256=` prefix), not DRAGOPS's `X-Webhook-Signature`, so the DRAGOPS endpoint's own check is switched
off (`require_signature=False`) and the endpoint's secret is handed to GitHub as the shared secret, for
the pattern to verify `x-hub-signature-256` itself. Stack config: `dragops:url`, `dragops:token`
(secret) and `repository` (the repository name, e.g. `my-service`), plus the `github:owner` and
`github:token` of the GitHub provider. See README.md.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_github as github

import pulumi_dragops as dragops

config = pulumi.Config()
pattern_file = Path(__file__).parent / "patterns" / "github-events.yaml"

pattern = dragops.Pattern.from_file(
    "github-events", pattern_file, name=f"GitHub events ({pulumi.get_stack()})"
)
deployment = dragops.Deployment.of("github-events", pattern)
endpoint = dragops.Webhook.of("github-events", deployment, alias="github", require_signature=False)

repository_hook = github.RepositoryWebhook(
    "dragops-github-events",
    repository=config.require("repository"),
    events=["push", "pull_request"],
    active=True,
    configuration=github.RepositoryWebhookConfigurationArgs(
        url=endpoint.url,
        content_type="json",
        secret=endpoint.secret,
        insecure_ssl=False,
    ),
)

pulumi.export("webhook_url", endpoint.url)
pulumi.export("github_hook_id", repository_hook.id)
