"""dragops_sync: GitOps for DRAGOPS patterns.

The core of the project: the API client (`dragops_sync.api`), the pattern file format, the normaliser,
the planner, apply, the watch daemon and the `dragops-sync` CLI. It knows nothing about Pulumi.

Decision numbers cited in this package ("D8") refer to docs/decisions.md; what the client assumes
about the DRAGOPS API is docs/api-contract.md.
"""
