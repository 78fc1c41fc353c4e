"""pulumi_dragops: Pulumi dynamic resources for DRAGOPS (Pattern, Deployment, Webhook, Connection).

A thin layer over `dragops_sync`; it is the only package that imports pulumi.
"""
