"""The desired state: what a sync directory asks for, as plain data.

`DesiredState` is what `directory.load_directory` builds from a directory and what `planner.build_plan`
reads. It holds the loaded pattern files with their effective deployment intent (file `sync` block over
the defaults of `dragops-sync.yaml`), the connection declarations (environment-variable *names* only,
never secret values), the options of `dragops-sync.yaml`, and every issue met while loading.

Pure data, no I/O. It sits apart from `directory` so that the planner (which must not read settings
files) can take a `DesiredState` without importing the loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from dragops_sync.files import DriftMode, FileIssue, GraphData, PatternFile
from dragops_sync.freeze import FreezeWindow
from dragops_sync.names import server_name
from dragops_sync.smoke_settings import SmokeSettings

__all__ = [
    "SETTINGS_FILE",
    "DesiredConnection",
    "DesiredPattern",
    "DesiredState",
    "InvalidFileGraph",
    "PruneBudget",
    "SyncOptions",
]

# The settings file's name, relative to the directory (issues about it block every write).
SETTINGS_FILE = "dragops-sync.yaml"


@dataclass(frozen=True)
class PruneBudget:
    """The most deletions one apply may make: a count, or a percentage of the managed patterns."""

    count: int | None = 10
    percent: float | None = None

    def limit(self, managed: int) -> int:
        """The budget for `managed` live managed patterns (a percentage rounds down)."""
        if self.percent is not None:
            return math.floor(managed * self.percent / 100)
        return self.count if self.count is not None else 0

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.percent:g}%"
        return str(self.count)


@dataclass(frozen=True)
class SyncOptions:
    """The options of `dragops-sync.yaml`, defaults applied (README "The directory")."""

    owner: str | None = None
    # The environment selected with --env (its owner and defaults are already applied above); None
    # without environments. A guessed or git-derived owner gets `@<environment>` appended.
    environment: str | None = None
    # The owners of the other environments of this directory (their patterns are invisible to this
    # one: not ours, not foreign), and those still to be completed with the git-derived owner
    # (`@<name>` suffixes, for environments without an owner of their own while the settings name none).
    sibling_owners: tuple[str, ...] = ()
    sibling_suffixes: tuple[str, ...] = ()
    deploy: bool = True
    drift: DriftMode = "warn"
    environment_id: str | None = None
    prune_enabled: bool = False
    prune_budget: PruneBudget = field(default_factory=PruneBudget)
    prune_retention: timedelta = timedelta(days=7)  # how long a pruned pattern stays in the recycle bin
    concurrency: int = 8
    ignore: tuple[str, ...] = ()
    freeze: tuple[FreezeWindow, ...] = ()  # when apply and the daemon write nothing
    smoke: SmokeSettings | None = None  # the default smoke test of deployed patterns


@dataclass(frozen=True)
class DesiredPattern:
    """One valid pattern file and its effective intent.

    `path` is relative to the directory (POSIX form). `keep` is true when the file says
    `sync.prune: false`: the pattern carries a keep tag and is never pruned, even after its file goes.
    `suspended` when it says `sync.suspend: true`: nothing is written for it, drift included.
    """

    path: str
    pattern: PatternFile
    deploy: bool
    environment_id: str | None
    drift: DriftMode
    keep: bool = False
    suspended: bool = False  # `sync.suspend: true`: the plan leaves the pattern alone
    smoke: SmokeSettings | None = None  # checks each deploy (the file's, else the settings' default)

    @property
    def name(self) -> str:
        """The pattern's name as the server stores it (what every comparison uses)."""
        return server_name(self.pattern.name)

    @property
    def name_as_written(self) -> str:
        """The name as the file writes it (may differ from `name` by surrounding whitespace)."""
        return self.pattern.name


@dataclass(frozen=True)
class DesiredConnection:
    """An API-key connection to exist, identified on the server by its display name.

    `api_key_env` is the name of the environment variable holding the key; the value itself is
    resolved only when applying (`settings.resolve_connections`) and never kept here.
    """

    name: str
    provider: str
    api_key_env: str
    display_name: str | None = None
    path: str = "connections.yaml"

    @property
    def server_name(self) -> str:
        """The display name the connection has on the server (the `displayName`, else the `name`)."""
        return self.display_name or self.name


@dataclass(frozen=True)
class InvalidFileGraph:
    """The well-formed graph of a pattern file that failed its schema check elsewhere.

    Such a file contributes no pattern, but its graph is still checked (a dangling edge, a missing
    trigger), so one `validate` lists every problem instead of the next one after each fix.
    """

    path: str
    graph: GraphData
    deploy: bool


@dataclass(frozen=True)
class DesiredState:
    """Everything a directory asks for, plus every problem found reading it.

    `issues` name their file; a file with an issue contributes no pattern (its name may be unknown),
    which is why prune is refused whenever `issues` is not empty. `pattern_files` counts every file
    found under `patterns/`, valid or not; `invalid_graphs` are the graphs of invalid files that the
    graph checks still look at.
    """

    root: str
    options: SyncOptions = field(default_factory=SyncOptions)
    patterns: tuple[DesiredPattern, ...] = ()
    connections: tuple[DesiredConnection, ...] = ()
    issues: tuple[FileIssue, ...] = ()
    pattern_files: int = 0
    invalid_graphs: tuple[InvalidFileGraph, ...] = ()
    # Names declared by files outside a `--name`/`--tag` target (targeting.select): never pruned.
    untargeted: frozenset[str] = frozenset()

    @property
    def settings_valid(self) -> bool:
        """False when `dragops-sync.yaml` itself is invalid: then nothing may be written."""
        return not any(issue.file == SETTINGS_FILE for issue in self.issues)

    @property
    def valid(self) -> bool:
        return not self.issues

    def name_notes(self) -> tuple[str, ...]:
        """One note per file whose name the server will store differently (surrounding spaces)."""
        return tuple(
            f"{dp.path}: name {dp.name_as_written!r} is written as {dp.name!r} "
            "(the server strips surrounding spaces; the sync compares the stripped name)"
            for dp in self.patterns
            if dp.name_as_written != dp.name
        )
