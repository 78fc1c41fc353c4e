"""The live observer: list-driven, with a memory cache that spares per-pattern GETs on a warm no-op."""

from __future__ import annotations

from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.observe import LiveObserver
from dragops_sync.ownership import OWNER_TAG_PREFIX
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.git import init_repo
from kit.sync_dirs import write_file
from kit.sync_runs import cycle


def _gets_of_single_patterns(emu: Emulator) -> list[str]:
    return [
        r["path"]
        for r in emu.request_log()
        if r["method"] == "GET" and r["path"].startswith("/api/patterns/") and r["path"].count("/") == 3
    ]


def test_a_warm_no_op_observe_makes_only_the_three_list_calls(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    write_file(repo, "patterns/b.json", scheduled_report())
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, repo, observer)  # creates and deploys
        cycle(client, repo, observer, dry_run=True)  # warms the cache after the deploys
        emu.clear_request_log()

        result = cycle(client, repo, observer, dry_run=True)

    assert not result.plan.has_changes
    paths = sorted((r["method"], r["path"]) for r in emu.request_log())  # the lists run side by side
    assert paths == [("GET", "/api/connections"), ("GET", "/api/deployments"), ("GET", "/api/patterns")]
    assert result.observation.fetched == 0
    assert result.observation.cached == 2


def test_a_cold_observer_fetches_each_declared_pattern_once(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    write_file(repo, "patterns/b.json", scheduled_report())
    with client_for(emu, user) as client:
        cycle(client, repo)
        emu.clear_request_log()
        result = cycle(client, repo, LiveObserver(client), dry_run=True)

    assert result.observation.fetched == 2
    assert sorted(_gets_of_single_patterns(emu)) == sorted(
        f"/api/patterns/{p.id}" for p in result.observation.state.patterns
    )


def test_a_pattern_edited_elsewhere_is_fetched_again_and_seen_as_drift(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    write_file(repo, "patterns/b.json", scheduled_report())
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        first = cycle(client, repo, observer)
        edited = next(r.pattern_id for r in first.report.results if r.item.name == "Webhook Logger")  # type: ignore[union-attr]
        assert edited is not None
        cycle(client, repo, observer, dry_run=True)
        client.patterns.update(edited, description="edited in the dashboard")
        emu.clear_request_log()

        result = cycle(client, repo, observer, dry_run=True)

    assert _gets_of_single_patterns(emu) == [f"/api/patterns/{edited}"]
    kinds = {item.name: item.kind.value for item in result.plan.items if item.resource.value == "pattern"}
    assert kinds == {"Webhook Logger": "drift", "Nightly Report": "noop"}


def test_a_deploy_does_not_leave_a_stale_version_in_the_cache(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    # A deploy raises versionNumber without touching updatedAt; a cached copy must not look stale.
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    with client_for(emu, user) as client:
        observer = LiveObserver(client)
        cycle(client, repo, observer)
        pattern_id = next(iter(observer.observe().deployments))
        client.deployments.deploy(pattern_id)  # someone redeploys: version 2, same updatedAt
        result = cycle(client, repo, observer, dry_run=True)

    assert result.observation.fetched == 0
    assert not result.plan.has_changes, [i.reason for i in result.plan.items]


def test_patterns_of_another_owner_are_listed_but_never_fetched(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "patterns/a.json", webhook_logger())
    with client_for(emu, user) as client:
        foreign = client.patterns.create(
            name="Webhook Logger",
            tags=[f"{OWNER_TAG_PREFIX}someone/else"],
            graph_data={"nodes": [], "edges": []},
        )
        emu.clear_request_log()
        observation = LiveObserver(client).observe_detailed(names={"Webhook Logger"}, owner="me/repo")

    assert observation.fetched == 0
    assert _gets_of_single_patterns(emu) == []
    (live,) = observation.state.patterns
    assert live.id == foreign.id and live.document is None


def test_a_pattern_deleted_between_the_list_and_its_get_is_treated_as_gone(
    emu: Emulator, user: SeededUser
) -> None:
    with client_for(emu, user) as client:
        pattern = client.patterns.create(name="Short Lived", graph_data={"nodes": [], "edges": []})
        emu.inject_fault(method="GET", path=f"/api/patterns/{pattern.id}", kind="status", status=404, count=1)
        observation = LiveObserver(client).observe_detailed()

    assert observation.state.patterns == ()


def test_invalidate_forgets_a_pattern_so_the_next_observe_fetches_it(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        pattern = client.patterns.create(name="Cached", graph_data={"nodes": [], "edges": []})
        observer = LiveObserver(client)
        assert observer.observe_detailed().fetched == 1
        assert observer.observe_detailed().fetched == 0
        observer.invalidate(pattern.id)
        assert observer.observe_detailed().fetched == 1
        observer.invalidate()
        assert observer.observe_detailed().fetched == 1


def test_the_cache_forgets_patterns_that_are_no_longer_listed(emu: Emulator, user: SeededUser) -> None:
    with client_for(emu, user) as client:
        kept = client.patterns.create(name="Kept", graph_data={"nodes": [], "edges": []})
        gone = client.patterns.create(name="Gone", graph_data={"nodes": [], "edges": []})
        observer = LiveObserver(client)
        observer.observe()
        assert repr(observer) == "LiveObserver(cached=2)"
        client.patterns.delete(gone.id)
        state = observer.observe()

    assert [p.id for p in state.patterns] == [kept.id]
    assert repr(observer) == "LiveObserver(cached=1)"
