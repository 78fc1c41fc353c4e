"""The file-event trigger: relevant changes set "reconcile requested" once they settle; `.git/`,
`.dragops-local/` and editor droppings never do. Real files, a real watcher thread, waits by polling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragops_sync.watch import DirectoryWatcher, is_relevant
from kit.waiting import wait_for


@pytest.mark.parametrize(
    ("relative", "relevant"),
    [
        ("patterns/webhook-logger.json", True),
        ("patterns/report.yaml", True),
        ("dragops-sync.yaml", True),
        ("connections.yaml", True),
        ("patterns", True),
        ("", True),
        (".git/FETCH_HEAD", False),
        (".git/objects/ab/cdef", False),
        (".dragops-local/emulator.sqlite", False),
        (".dragops-local/emulator.sqlite-journal", False),
        ("patterns/.webhook-logger.json.swp", False),
        ("patterns/.webhook-logger.json.swx", False),
        ("patterns/webhook-logger.json~", False),
        ("patterns/.#webhook-logger.json", False),
        ("patterns/#webhook-logger.json#", False),
        ("patterns/4913", False),
        ("patterns/webhook-logger.json.___jb_tmp___", False),
        ("sub/.git/config", False),
    ],
)
def test_which_changes_can_matter_to_the_sync(tmp_path: Path, relative: str, relevant: bool) -> None:
    assert is_relevant(tmp_path / relative, tmp_path) is relevant


def test_a_path_outside_the_directory_is_not_relevant(tmp_path: Path) -> None:
    assert is_relevant(tmp_path.parent / "elsewhere.json", tmp_path) is False


class _Requests:
    """Collects what the watcher reports."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()

    def __call__(self, paths: list[str]) -> None:
        with self.lock:
            self.batches.append(paths)

    def all(self) -> list[list[str]]:
        with self.lock:
            return list(self.batches)


Watched = tuple[Path, threading.Event, _Requests]


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    """A watched directory whose watcher is proven live: a probe file was seen and reported."""
    root = tmp_path / "repo"
    (root / "patterns").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".dragops-local").mkdir()
    requested = threading.Event()
    seen = _Requests()
    with DirectoryWatcher(root, requested, debounce=0.2, on_request=seen):
        probe = root / "probe.txt"
        count = [0]

        def probed() -> bool:
            count[0] += 1
            probe.write_text(str(count[0]))
            return requested.wait(0.5)

        wait_for(probed, what="the watcher to report a probe file")
        wait_for(seen.all, what="the probe's report")
        yield root, requested, seen


def test_editing_a_pattern_file_requests_a_reconcile(watched: Watched) -> None:
    root, requested, seen = watched
    requested.clear()
    (root / "patterns" / "a.json").write_text("{}")
    wait_for(requested.is_set, what="a reconcile request")
    wait_for(lambda: any("patterns/a.json" in batch for batch in seen.all()), what="the edited file's report")


def test_git_internals_local_state_and_editor_files_are_ignored(watched: Watched) -> None:
    root, _requested, seen = watched
    before = len(seen.all())
    (root / ".git" / "FETCH_HEAD").write_text("abc")
    (root / ".dragops-local" / "emulator.sqlite").write_text("db")
    (root / "patterns" / ".a.json.swp").write_text("swap")
    (root / "patterns" / "a.json~").write_text("backup")
    # A relevant change after the ignored ones: its report shows what counted in the same window.
    (root / "patterns" / "b.json").write_text("{}")
    wait_for(lambda: any("patterns/b.json" in b for b in seen.all()[before:]), what="the report of b.json")
    # inotify reports in order, so an ignored file that counted would be in b.json's report or before it
    reported = {p for b in seen.all()[before:] for p in b}
    assert "patterns/b.json" in reported
    assert reported <= {"patterns/b.json", "probe.txt"}


def test_a_burst_of_writes_gives_one_request_naming_every_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    requested = threading.Event()
    seen = _Requests()
    with DirectoryWatcher(root, requested, debounce=1.0, on_request=seen):
        probe = root / "probe"

        def probed() -> bool:
            probe.write_text("x")
            return requested.wait(1.5)

        wait_for(probed, what="the watcher to start")
        wait_for(seen.all, what="the probe's report")
        before = len(seen.all())
        for index in range(20):  # an editor save plus a checkout: many writes in a few milliseconds
            (root / f"f{index}.json").write_text(str(index))
        wait_for(lambda: len(seen.all()) > before, what="the burst's report")
        first_report = seen.all()[before]
    # The writes came within the quiet period, so the first request after them holds them all.
    assert sorted(p for p in first_report if p != "probe") == sorted(f"f{i}.json" for i in range(20))


def test_a_watcher_is_refused_for_a_missing_directory_or_a_bad_debounce(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        DirectoryWatcher(tmp_path / "missing", threading.Event())
    with pytest.raises(ValueError, match="debounce must be a positive number of seconds"):
        DirectoryWatcher(tmp_path, threading.Event(), debounce=0)
    with pytest.raises(ValueError, match="max_delay"):
        DirectoryWatcher(tmp_path, threading.Event(), debounce=2.0, max_delay=1.0)


def test_a_stopped_watcher_thread_ends(tmp_path: Path) -> None:
    watcher = DirectoryWatcher(tmp_path, threading.Event())
    watcher.start()
    assert watcher.alive
    watcher.stop()
    assert not watcher.alive
    assert watcher.error is None
