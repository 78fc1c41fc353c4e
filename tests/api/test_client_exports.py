"""The public surface of `dragops_sync.api`: the fixed interface names and the documented exception tree.

(`__all__` itself is checked for every public module in tests/test_exported_members.py.)
"""

from __future__ import annotations

import dragops_sync.api as api


def test_the_fixed_interface_names_are_exported() -> None:
    fixed = {
        "Client",
        "DragopsError",
        "APIError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "ValidationError",
        "RateLimitError",
        "ServerError",
        "APITimeoutError",
        "APIConnectionError",
        "Paginator",
        "ClientSettings",
    }
    assert fixed <= set(api.__all__)


def test_the_exception_tree_is_the_documented_one() -> None:
    for cls in (
        api.AuthenticationError,
        api.PermissionDeniedError,
        api.NotFoundError,
        api.ConflictError,
        api.ValidationError,
        api.RateLimitError,
        api.ServerError,
    ):
        assert issubclass(cls, api.APIError)
    assert issubclass(api.APIError, api.DragopsError)
    assert issubclass(api.APITimeoutError, api.APIConnectionError)
    assert issubclass(api.APIConnectionError, api.DragopsError)
    assert issubclass(api.ConfigurationError, api.DragopsError)
