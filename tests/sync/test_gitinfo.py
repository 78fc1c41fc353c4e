"""The default owner: `<org>/<repo>` of the git remote origin, else the directory name."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_kit import init_repo

from dragops_sync.gitinfo import default_owner, owner_from_remote_url


@pytest.mark.parametrize(
    ("url", "owner"),
    [
        ("git@github.com:acme/automations.git", "acme/automations"),
        ("https://github.com/acme/automations.git", "acme/automations"),
        ("https://github.com/acme/automations", "acme/automations"),
        ("https://x-access-token:ghs_SECRET@github.com/acme/automations.git", "acme/automations"),
        ("ssh://git@gitlab.example.com:2222/platform/team/flows.git", "team/flows"),
        ("https://dev.azure.com/acme/project/_git/flows/", "_git/flows"),
        ("not a url", None),
    ],
)
def test_the_owner_is_the_last_two_segments_of_the_remote_url(url: str, owner: str | None) -> None:
    assert owner_from_remote_url(url) == owner


def test_a_remote_url_with_credentials_never_leaks_them_into_the_owner() -> None:
    owner = owner_from_remote_url("https://user:p4ss-SENTINEL@git.example.com/acme/flows.git")
    assert owner == "acme/flows"


def test_a_checkout_with_an_origin_gives_org_and_repo(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "checkout", remote="git@github.com:acme/automations.git")
    (repo / "sync").mkdir()
    assert default_owner(repo / "sync") == "acme/automations"


def test_a_directory_outside_git_is_named_after_itself(tmp_path: Path) -> None:
    plain = tmp_path / "billing-flows"
    plain.mkdir()
    assert default_owner(plain) == "billing-flows"
