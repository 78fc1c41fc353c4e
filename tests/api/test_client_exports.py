"""The public surface of `dragops_sync.api`: a curated, sorted `__all__` of names that exist."""

from __future__ import annotations

import dragops_sync.api as api


def test_all_is_sorted_and_every_name_exists() -> None:
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name


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
    assert "RateLimitError" in (api.__doc__ or "")
