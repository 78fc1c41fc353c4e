"""The public surface of `pulumi_dragops`: a sorted `__all__`, every name importable, type tokens distinct."""

from __future__ import annotations

import pulumi_dragops as dragops


def test_all_is_sorted_and_every_name_is_exported() -> None:
    assert dragops.__all__ == sorted(dragops.__all__)
    for name in dragops.__all__:
        assert getattr(dragops, name) is not None, name


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
