"""One error tree: everything the project raises on purpose is a `dragops_sync.errors.DragopsError`."""

from __future__ import annotations

import pytest

import pulumi_dragops
from dragops_sync import api
from dragops_sync.directory import ConnectionsError, SettingsError
from dragops_sync.errors import DragopsError
from dragops_sync.files import FileFormatError, PatternFileError
from dragops_sync.local import LocalError
from pulumi_dragops._common import api_errors


@pytest.mark.parametrize(
    "error_class",
    [
        api.DragopsError,
        api.ConfigurationError,
        api.APIError,
        api.NotFoundError,
        FileFormatError,
        PatternFileError,
        SettingsError,
        ConnectionsError,
        LocalError,
        pulumi_dragops.DragopsProviderError,
        pulumi_dragops.ConfigurationError,
    ],
)
def test_every_error_class_hangs_under_the_one_root(error_class: type[Exception]) -> None:
    assert issubclass(error_class, DragopsError)


def test_the_client_root_is_the_project_root() -> None:
    assert api.DragopsError is DragopsError


def test_the_provider_configuration_error_is_a_client_configuration_error() -> None:
    assert issubclass(pulumi_dragops.ConfigurationError, api.ConfigurationError)


def test_a_provider_error_passes_through_the_api_error_wrapper_unchanged() -> None:
    with pytest.raises(pulumi_dragops.DragopsProviderError) as caught, api_errors("creating pattern 'x'"):
        raise pulumi_dragops.DragopsProviderError("a pattern named 'x' already exists")
    assert str(caught.value) == "a pattern named 'x' already exists"


def test_a_client_error_is_wrapped_with_what_the_provider_was_doing() -> None:
    with pytest.raises(pulumi_dragops.DragopsProviderError) as caught, api_errors("creating pattern 'x'"):
        raise api.ServerError(
            "boom", status=500, code=None, method="POST", url="http://dragops.invalid/api/patterns"
        )
    assert str(caught.value).startswith("creating pattern 'x' failed: ")
