"""The default owner: `<org>/<repo>:<path>` from the git remote origin, else the directory name (guessed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_sync.gitinfo import DefaultOwner, default_owner, owner_from_remote_url
from kit.git import init_repo


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


def test_a_checkout_with_an_origin_gives_org_repo_and_the_path_in_it(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "checkout", remote="git@github.com:acme/automations.git")
    (repo / "teams" / "billing").mkdir(parents=True)
    found = default_owner(repo / "teams" / "billing")
    assert found == DefaultOwner("acme/automations:teams/billing", guessed=False, legacy="acme/automations")


def test_the_top_of_the_checkout_is_spelled_dot(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "checkout", remote="https://github.com/acme/automations.git")
    assert default_owner(repo).owner == "acme/automations:."


def test_two_directories_of_one_repository_get_different_owners(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "mono", remote="git@github.com:acme/mono.git")
    (repo / "a" / "sync").mkdir(parents=True)
    (repo / "b" / "sync").mkdir(parents=True)
    assert default_owner(repo / "a" / "sync").owner != default_owner(repo / "b" / "sync").owner


def test_a_directory_outside_git_is_named_after_itself_and_guessed(tmp_path: Path) -> None:
    plain = tmp_path / "billing-flows"
    plain.mkdir()
    assert default_owner(plain) == DefaultOwner("billing-flows", guessed=True, legacy="billing-flows")


def test_a_checkout_without_an_origin_is_guessed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "team")
    assert default_owner(repo) == DefaultOwner("team", guessed=True, legacy="team")
