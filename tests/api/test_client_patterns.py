"""`client.patterns` against the emulator: every method, envelopes, filters and pagination."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dragops_emulator import Emulator
from dragops_sync.api import Client, NotFoundError, ValidationError
from dragops_sync.models import Pattern, PatternSummary
from kit.graphs import webhook_graph


def test_a_created_pattern_comes_back_whole(client: Client) -> None:
    graph = webhook_graph()
    created = client.patterns.create(
        name="Webhook Logger",
        description="Logs payloads",
        tags=["webhooks", "logging"],
        graph_data=graph,
        is_public=False,
        is_template=True,
    )
    assert isinstance(created, Pattern)
    assert created.id
    assert (created.name, created.description) == ("Webhook Logger", "Logs payloads")
    assert created.is_template is True
    assert sorted(created.tags) == ["logging", "webhooks"]
    fetched = client.patterns.get(created.id)  # a bare object on the wire
    assert fetched.graph_data["nodes"] == graph["nodes"]
    assert fetched.version_number == 0
    assert fetched.created_at is not None


def test_update_changes_only_the_given_fields(client: Client) -> None:
    created = client.patterns.create(name="P", description="old", tags=["a"])
    updated = client.patterns.update(created.id, description="new")
    assert (updated.name, updated.description, updated.tags) == ("P", "new", ["a"])
    with pytest.raises(ValueError, match="at least one field"):
        client.patterns.update(created.id)


def test_a_deleted_pattern_is_gone(client: Client) -> None:
    created = client.patterns.create(name="Short-lived")
    assert client.patterns.delete(created.id) is None
    with pytest.raises(NotFoundError) as caught:
        client.patterns.get(created.id)
    assert caught.value.code == "PATTERN_NOT_FOUND"


def test_a_missing_name_is_refused_by_the_client_before_any_request(client: Client, emu: Emulator) -> None:
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        client.patterns.create(name=" ")
    assert emu.request_log() == []


def test_a_malformed_graph_is_a_validation_error_in_form_b(client: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        client.patterns.create(name="Bad", graph_data={"nodes": "not a list", "edges": []})
    assert caught.value.status == 400
    assert caught.value.code == "VALIDATION"
    assert "nodes" in caught.value.message


def test_list_filters_by_search_tags_and_flags(client: Client) -> None:
    client.patterns.create(name="Alpha one", tags=["x", "y"])
    client.patterns.create(name="Alpha two", tags=["x"], is_public=True)
    client.patterns.create(name="Beta", tags=["y"])
    names = lambda page: sorted(p.name for p in page)  # noqa: E731
    assert names(client.patterns.list(search="alpha")) == ["Alpha one", "Alpha two"]
    assert names(client.patterns.list(tags=["x", "y"])) == ["Alpha one"]
    assert names(client.patterns.list(is_public=True)) == ["Alpha two"]
    ordered = [p.name for p in client.patterns.list(sort_by="name", sort_order="asc")]
    assert ordered == ["Alpha one", "Alpha two", "Beta"]
    assert all(isinstance(p, PatternSummary) for p in client.patterns.list())
    with pytest.raises(ValueError, match="sort_by must be one of"):
        client.patterns.list(sort_by="size")


def test_find_by_name_matches_exactly(client: Client) -> None:
    client.patterns.create(name="Deploy")
    client.patterns.create(name="Deploy (copy)")
    assert [p.name for p in client.patterns.find_by_name("Deploy")] == ["Deploy"]


def test_listing_300_patterns_pages_lazily_by_offset(client: Client, emu: Emulator) -> None:
    for i in range(300):
        client.patterns.create(name=f"bulk-{i:03d}")
    emu.clear_request_log()
    paginator = client.patterns.list(page_size=100, sort_by="name", sort_order="asc")
    assert emu.request_log() == []  # nothing fetched until iterated
    iterator = iter(paginator)
    assert next(iterator).name == "bulk-000"
    assert len([r for r in emu.request_log() if r["path"] == "/api/patterns"]) == 1
    rest = list(iterator)
    assert len(rest) == 299
    assert len({p.id for p in rest}) == 299
    assert len([r for r in emu.request_log() if r["path"] == "/api/patterns"]) == 3
    pages = list(paginator.pages())
    assert [len(page) for page in pages] == [100, 100, 100]
    assert len(client.patterns.list(page_size=7).to_list()) == 300


def test_export_then_import_makes_an_undeployed_copy(client: Client) -> None:
    original = client.patterns.create(name="Exported", tags=["t"], graph_data=webhook_graph())
    document = client.patterns.export(original.id)
    assert document["name"] == "Exported"
    assert "id" not in document
    imported = client.patterns.import_(document)
    assert imported.id != original.id
    assert imported.name == "Exported"
    assert imported.graph_data["nodes"] == original.graph_data["nodes"]
    assert imported.version_number == 0


def test_an_invalid_import_document_is_refused_with_details(client: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        client.patterns.import_({"name": "X", "formatVersion": 99, "graphData": {"nodes": [], "edges": []}})
    assert caught.value.status == 422
    assert caught.value.code == "INVALID_DOCUMENT"
    with pytest.raises(ValueError, match="string 'name'"):
        client.patterns.import_({"graphData": {}})


def test_clone_copies_with_the_given_or_the_default_name(client: Client) -> None:
    original = client.patterns.create(name="Source", graph_data=webhook_graph())
    named = client.patterns.clone(original.id, name="Named copy")
    assert named.name == "Named copy"
    assert named.graph_data["nodes"] == original.graph_data["nodes"]
    default = client.patterns.clone(original.id)
    assert default.id not in (original.id, named.id)


def test_a_never_deployed_pattern_has_no_versions(client: Client) -> None:
    created = client.patterns.create(name="Fresh")
    assert client.patterns.versions(created.id) == []
    with pytest.raises(NotFoundError):
        client.patterns.version(created.id, 1)


def test_another_users_pattern_is_not_found(
    client: Client, make_client: Callable[..., Client], emu: Emulator
) -> None:
    mine = client.patterns.create(name="Mine")
    other = emu.seed_user()
    stranger = make_client(token=other.token)
    with pytest.raises(NotFoundError):
        stranger.patterns.get(mine.id)
    with pytest.raises(NotFoundError):
        stranger.patterns.delete(mine.id)


def test_ids_are_quoted_so_they_cannot_change_the_route(client: Client, emu: Emulator) -> None:
    with pytest.raises(NotFoundError):
        client.patterns.get("../connections")
    assert emu.request_log()[-1]["path"] in ("/api/patterns/..%2Fconnections", "/api/patterns/../connections")
    with pytest.raises(ValueError, match="pattern_id must be a non-empty string"):
        client.patterns.get("")


def test_first_fetches_one_page_and_is_none_for_an_empty_list(client: Client, emu: Emulator) -> None:
    assert client.patterns.list().first() is None
    for i in range(3):
        client.patterns.create(name=f"first-{i}")
    emu.clear_request_log()
    first = client.patterns.list(page_size=1, sort_by="name", sort_order="asc").first()
    assert first is not None and first.name == "first-0"
    assert len([r for r in emu.request_log() if r["path"] == "/api/patterns"]) == 1
