"""A stand-in for the two `pulumi_github` names the GitHub example uses (the real SDK is not a dependency).

`RepositoryWebhook` registers the same type token with the same input names as pulumi-github 6.x
(`repository`, `events`, `active`, `configuration.{url, content_type, secret, insecure_ssl}`), so the
example's wiring is what the real provider would receive.
"""

from __future__ import annotations

from typing import Any

import pulumi


def RepositoryWebhookConfigurationArgs(
    *,
    url: pulumi.Input[str],
    content_type: pulumi.Input[str] | None = None,
    insecure_ssl: pulumi.Input[bool] | None = None,
    secret: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    return {"url": url, "contentType": content_type, "insecureSsl": insecure_ssl, "secret": secret}


class RepositoryWebhook(pulumi.CustomResource):
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        repository: pulumi.Input[str],
        events: pulumi.Input[list[str]],
        active: pulumi.Input[bool] | None = None,
        configuration: Any = None,
    ) -> None:
        props = {"repository": repository, "events": events, "active": active, "configuration": configuration}
        super().__init__("github:index/repositoryWebhook:RepositoryWebhook", resource_name, props, opts)
