"""The public surface of `pulumi_dragops`: type tokens distinct, credentials opaque in a repr.

(`__all__` is checked in tests/test_exported_members.py.)
"""

from __future__ import annotations

import pulumi_dragops as dragops


def test_every_resource_has_its_own_type_token() -> None:
    tokens = {
        cls._resource_type_name
        for cls in (dragops.Pattern, dragops.Deployment, dragops.Webhook, dragops.Connection)
    }
    assert tokens == {
        "dynamic/dragops:Pattern",
        "dynamic/dragops:Deployment",
        "dynamic/dragops:Webhook",
        "dynamic/dragops:Connection",
    }


def test_credentials_never_show_their_secrets_in_a_repr() -> None:
    creds = dragops.Credentials(
        url="https://d.example", token="tok-SENTINEL", email="a@b.c", password="pw-SENTINEL"
    )
    assert "SENTINEL" not in repr(creds) and "<set>" in repr(creds)
