"""Reading a sync directory: `dragops-sync.yaml`, `connections.yaml`, and the whole tree.

`load_directory(path)` reads the settings, every file under `patterns/` and the connections, and
returns a `DesiredState` with every issue found (each naming its file and field), so one run reports
all problems. Strict like the pattern files: unknown fields and wrong types are errors.

Secrets: `connections.yaml` may hold API keys only as `${ENV_VAR}` references. A literal is an error
that names the file and the entry, never the value. `resolve_connections` turns references into values
from an environment mapping passed in (the caller reads `os.environ` at the edge); a missing variable
is an error naming the variable. Resolved keys are hidden from reprs.

The directory is untrusted (a pull request can add any file): a file or folder that resolves outside
it (a symbolic link to /etc/passwd, or to a valid pattern file elsewhere on the host) is an issue and
is never read, so its content can neither be echoed in a message nor written to DRAGOPS. Links that
stay inside are followed. The caps on what is read are in `limits`.

Reads files only; no network, no clock, no writes, no environment access of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from dragops_sync._documents import (
    DOCUMENT_FIELD,
    FileFormatError,
    FileIssue,
    issues_from_validation,
    place_issues,
    read_located,
)
from dragops_sync._locations import Positions
from dragops_sync.api import Rates
from dragops_sync.desired import (
    SETTINGS_FILE,
    DesiredConnection,
    DesiredPattern,
    DesiredState,
    InvalidFileGraph,
    PruneBudget,
    SyncOptions,
)
from dragops_sync.environments import (
    EnvironmentSelectionError,
    EnvironmentSettings,
    Selection,
    environment_owner,
    select_environment,
)
from dragops_sync.files import (
    PATTERN_SUFFIXES,
    DriftMode,
    PatternFile,
    PatternFileCache,
    PatternFileError,
    load_pattern_file,
)
from dragops_sync.freeze import FreezeWindow, parse_duration
from dragops_sync.notify_settings import NotificationTarget
from dragops_sync.smoke_settings import SmokeSettings
from dragops_sync.variables import Variables

__all__ = [
    "CONNECTIONS_FILE",
    "PATTERNS_DIR",
    "SETTINGS_FILE",
    "ConnectionEntry",
    "ConnectionsError",
    "ConnectionsFile",
    "DefaultsSettings",
    "PruneSettings",
    "RateSettings",
    "ResolvedConnection",
    "SettingsError",
    "SyncSettings",
    "environment_variables",
    "load_connections",
    "load_directory",
    "load_settings",
    "notification_targets",
    "outside_directory",
    "parse_budget",
    "resolve_connections",
]

CONNECTIONS_FILE = "connections.yaml"
PATTERNS_DIR = "patterns"

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


class SettingsError(FileFormatError):
    """`dragops-sync.yaml` is unreadable or invalid."""


class ConnectionsError(FileFormatError):
    """`connections.yaml` is invalid, or a referenced environment variable is missing."""


def parse_budget(value: object) -> PruneBudget:
    """`10`, `"10"` or `"20%"` -> PruneBudget; raise ValueError with a sentence otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("budget must not be negative")
        return PruneBudget(count=value)
    if isinstance(value, str) and (match := _BUDGET.match(value)):
        number, percent = float(match.group(1)), match.group(2) == "%"
        if percent:
            if number > 100:
                raise ValueError("a budget percentage must be between 0% and 100%")
            return PruneBudget(count=None, percent=number)
        if number.is_integer():
            return PruneBudget(count=int(number))
    raise ValueError('budget must be a whole number of patterns (10) or a percentage ("20%")')


class DefaultsSettings(BaseModel):
    """`defaults`: the deployment intent of a file without its own `sync` block."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    deploy: bool = True
    drift: DriftMode = "warn"
    environment_id: str | None = Field(default=None, alias="environmentId")
    smoke: SmokeSettings | None = None


class PruneSettings(BaseModel):
    """`prune`: off by default; `budget` caps what one apply moves to the recycle bin or purges;
    `retention` is how long a pruned pattern stays in the bin before `apply --prune` deletes it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    enabled: bool = False
    budget: int | str = Field(default=10, json_schema_extra={"examples": [10, "20%"]})
    retention: str = Field(default="7d", json_schema_extra={"examples": ["7d", "36h", "30d"]})

    @field_validator("retention")
    @classmethod
    def _valid_retention(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("budget", mode="before")
    @classmethod
    def _valid_budget(cls, value: object) -> object:
        parse_budget(value)
        return value


class RateSettings(BaseModel):
    """`rate: {read: N, write: N}`: requests per second for reads and writes, each paced on its own."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # The server's documented limits per user (1,200 reads and 300 writes a minute); a run sharing the
    # account with others should take a share of them.
    read: float = Field(default=Rates().read, gt=0)
    write: float = Field(default=Rates().write, gt=0)

    @field_validator("read", "write", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SyncSettings(BaseModel):
    """`dragops-sync.yaml`: all optional (README "The directory")."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    owner: str | None = Field(default=None, min_length=1)
    defaults: DefaultsSettings = Field(default_factory=DefaultsSettings)
    prune: PruneSettings = Field(default_factory=PruneSettings)
    concurrency: int = Field(default=8, ge=1, le=256)
    # One number: one budget for every request (requests/s); a mapping: separate read and write budgets.
    rate: float | RateSettings = Field(default_factory=RateSettings)
    ignore: list[str] = Field(default_factory=list)
    environments: list[EnvironmentSettings] = Field(default_factory=list)
    freeze: list[FreezeWindow] = Field(default_factory=list)
    notifications: list[NotificationTarget] = Field(default_factory=list)

    @field_validator("environments")
    @classmethod
    def _unique_environments(cls, value: list[EnvironmentSettings]) -> list[EnvironmentSettings]:
        names = [e.name for e in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"environment {twice[0]!r} is declared twice")
        return value

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_is_a_number(cls, value: object) -> object:
        # strict floats refuse ints; `rate: 10` is what people write
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @field_validator("rate")
    @classmethod
    def _positive_rate(cls, value: float | RateSettings) -> float | RateSettings:
        if isinstance(value, float) and not value > 0:
            raise ValueError("rate must be a positive number of requests per second, or {read: N, write: N}")
        return value

    def client_rate(self) -> float | Rates:
        """The `rate` as the client's limiter takes it."""
        if isinstance(self.rate, RateSettings):
            return Rates(read=self.rate.read, write=self.rate.write)
        return self.rate

    @field_validator("ignore")
    @classmethod
    def _pointers(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p.startswith("/")]
        if bad:
            raise ValueError('each ignore entry must be a JSON pointer starting with "/"')
        return value

    def environment(self, name: str | None) -> EnvironmentSettings | None:
        """The environment `--env NAME` selects; raises `EnvironmentSelectionError` (see
        `environments.select_environment`)."""
        return select_environment(self.environments, name)

    def options(self, environment: EnvironmentSettings | None = None) -> SyncOptions:
        """The settings as the plain options the planner reads; with `environment`, its owner and
        its defaults over the base ones."""
        siblings: list[str] = []
        suffixes: list[str] = []
        if environment is None:
            owner, defaults = self.owner, self.defaults
        else:
            owner = environment_owner(environment, self.owner) if self.owner else environment.owner
            given = environment.defaults.model_dump(exclude_none=True)
            defaults = self.defaults.model_copy(update=given)
            for other in self.environments:
                if other.name == environment.name:
                    continue
                if other.owner or self.owner:
                    siblings.append(environment_owner(other, self.owner or ""))
                else:
                    suffixes.append(f"@{other.name}")
        return SyncOptions(
            owner=owner,
            environment=environment.name if environment is not None else None,
            sibling_owners=tuple(siblings),
            sibling_suffixes=tuple(suffixes),
            deploy=defaults.deploy,
            drift=defaults.drift,
            environment_id=defaults.environment_id,
            prune_enabled=self.prune.enabled,
            prune_budget=parse_budget(self.prune.budget),
            prune_retention=parse_duration(self.prune.retention),
            concurrency=self.concurrency,
            ignore=tuple(self.ignore),
            freeze=tuple(self.freeze),
            smoke=defaults.smoke,
        )


class ConnectionEntry(BaseModel):
    """One API-key connection; `apiKey` must be a `${ENV_VAR}` reference."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    api_key: str = Field(alias="apiKey")
    display_name: str | None = Field(default=None, alias="displayName", min_length=1)

    @field_validator("api_key")
    @classmethod
    def _reference_only(cls, value: str, info: ValidationInfo) -> str:
        if not _ENV_REF.match(value):
            entry = info.data.get("name")
            which = f" of connection {entry!r}" if isinstance(entry, str) else ""
            # Never quote the value: it is probably the secret itself.
            raise ValueError(
                f"apiKey{which} must be an environment variable reference like ${{SLACK_TOKEN}}; "
                "literal secrets are not allowed in connections.yaml"
            )
        return value

    @property
    def env_var(self) -> str:
        match = _ENV_REF.match(self.api_key)
        assert match is not None  # checked by the validator
        return match.group(1)


class ConnectionsFile(BaseModel):
    """`connections.yaml`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    connections: list[ConnectionEntry] = Field(default_factory=list)


def _allowed(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


_SETTINGS_ALLOWED = {
    "": _allowed(SyncSettings),
    "defaults": _allowed(DefaultsSettings),
    "defaults.smoke": _allowed(SmokeSettings),
    "prune": _allowed(PruneSettings),
    "environments[]": _allowed(EnvironmentSettings),
    "freeze[]": _allowed(FreezeWindow),
    "notifications[]": _allowed(NotificationTarget),
}


# The issue on a file or folder that leads out of the sync directory; says nothing of the target.
_OUTSIDE = "a symbolic link to a place outside the sync directory; not read"


def outside_directory(root: Path, path: Path) -> bool:
    """Whether `path` (under `root`) resolves to a place outside `root`: through a symbolic link of
    its own or of a folder on the way. A link loop counts as outside (it leads nowhere readable)."""
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return True


def _read_mapping(path: Path) -> tuple[dict[str, Any] | None, list[FileIssue], Positions | None]:
    # Settings and connections live at the root of the sync directory: their folder is the root.
    if outside_directory(path.parent, path):
        return None, [FileIssue(DOCUMENT_FIELD, _OUTSIDE)], None
    read = read_located(path)
    data, issues = read.data, read.issues
    if data is None and issues:
        return None, issues, None
    if data is None:
        return {}, issues, None  # an empty file: every default
    if not isinstance(data, dict):
        issue = FileIssue(DOCUMENT_FIELD, f"expected a mapping at the top level, got {type(data).__name__}")
        return None, [*issues, *place_issues([issue], read.positions)], None
    return data, issues, read.positions


def load_settings(path: Path) -> SyncSettings:
    """Read `dragops-sync.yaml`; a missing file means every default. Raise `SettingsError`."""
    if not path.exists() and not path.is_symlink():
        return SyncSettings()
    data, issues, positions = _read_mapping(path)
    settings: SyncSettings | None = None
    if data is not None:
        try:
            settings = SyncSettings.model_validate(data)
        except ValidationError as exc:
            issues += place_issues(issues_from_validation(exc, allowed=_SETTINGS_ALLOWED), positions)
    if issues or settings is None:
        raise SettingsError(path, issues)
    return settings


def notification_targets(directory: Path) -> list[NotificationTarget]:
    """The `notifications:` of DIR's settings ([] when none, or when the settings are invalid: the
    cycle reports those itself)."""
    try:
        return list(load_settings(Path(directory) / SETTINGS_FILE).notifications)
    except SettingsError:
        return []


def load_connections(path: Path) -> ConnectionsFile:
    """Read `connections.yaml`; a missing file means no connections. Raise `ConnectionsError`."""
    if not path.exists() and not path.is_symlink():
        return ConnectionsFile()
    data, issues, positions = _read_mapping(path)
    parsed: ConnectionsFile | None = None
    if data is not None:
        try:
            parsed = ConnectionsFile.model_validate(data)
        except ValidationError as exc:
            allowed = {"": _allowed(ConnectionsFile), "connections[]": _allowed(ConnectionEntry)}
            issues += place_issues(issues_from_validation(exc, allowed=allowed), positions)
    if parsed is not None:
        seen: dict[str, int] = {}
        for index, entry in enumerate(parsed.connections):
            key = entry.display_name or entry.name
            if key in seen:
                message = f"duplicate connection {key!r} (also connections[{seen[key]}])"
                issues += place_issues([FileIssue(f"connections[{index}].name", message)], positions)
            seen.setdefault(key, index)
    if issues or parsed is None:
        raise ConnectionsError(path, issues)
    return parsed


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection with its API key read from the environment; the key never shows in a repr."""

    name: str
    provider: str
    display_name: str
    api_key_env: str
    api_key: str = field(repr=False)


def resolve_connections(
    connections: Sequence[DesiredConnection], env: Mapping[str, str]
) -> list[ResolvedConnection]:
    """Read each connection's key from `env`; raise `ConnectionsError` naming every missing variable."""
    issues: list[FileIssue] = []
    resolved: list[ResolvedConnection] = []
    for index, conn in enumerate(connections):
        value = env.get(conn.api_key_env)
        if not value:
            message = f"environment variable {conn.api_key_env} is not set (connection {conn.name!r})"
            issues.append(FileIssue(f"connections[{index}].apiKey", message, conn.path))
            continue
        resolved.append(
            ResolvedConnection(conn.name, conn.provider, conn.server_name, conn.api_key_env, value)
        )
    if issues:
        raise ConnectionsError(CONNECTIONS_FILE, issues)
    return resolved


def _intent(pattern: PatternFile, options: SyncOptions) -> tuple[bool, str | None, DriftMode, bool]:
    sync = pattern.sync
    deploy = options.deploy if sync is None or sync.deploy is None else sync.deploy
    env = options.environment_id if sync is None or sync.environment_id is None else sync.environment_id
    drift = options.drift if sync is None or sync.drift is None else sync.drift
    keep = sync is not None and sync.prune is False
    return deploy, env, drift, keep


def environment_variables(directory: Path, name: str | None) -> Variables | None:
    """The `${var:NAME}` values of environment `name` in DIR's settings (None without --env). Raises
    `EnvironmentSelectionError` for a name the settings do not declare, `SettingsError` for invalid
    settings."""
    if name is None:
        return None
    chosen = load_settings(directory / SETTINGS_FILE).environment(name)
    return Variables(chosen.name, dict(chosen.variables)) if chosen is not None else None


def load_directory(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    files: PatternFileCache | None = None,
    environment: str | None = None,
) -> DesiredState:
    """Read a sync directory into a `DesiredState`, collecting every issue.

    Reads `dragops-sync.yaml`, `patterns/*.json|yaml|yml` (hidden files are skipped; any other file or
    folder there is an issue) and `connections.yaml`. Two files with one pattern name is an issue on
    each, naming the other. With `env`, every `${VAR}` a connection references must be set in it
    (checked by name; values are not kept). `files` keeps the parsed pattern files between the
    reads of a long-running caller, so only the files whose bytes changed are parsed again.

    `environment` selects one of the settings' `environments` (module `environments`): only its
    files are read, its `${var:NAME}` values put in, its owner and defaults used, and its
    connections' keys read from its variables. An unknown name, or none while environments are
    declared, is an issue on the settings (so nothing is compared or written).
    """
    root = Path(path)
    issues: list[FileIssue] = []

    options = SyncOptions()
    chosen: EnvironmentSettings | None = None
    try:
        settings = load_settings(root / SETTINGS_FILE)
        chosen = settings.environment(environment)
        options = settings.options(chosen)
    except SettingsError as exc:
        issues += [i.in_file(SETTINGS_FILE) for i in exc.issues]
    except EnvironmentSelectionError as exc:
        issues.append(FileIssue("environments", str(exc), SETTINGS_FILE))

    variables = Variables(chosen.name, dict(chosen.variables)) if chosen is not None else None
    selection = chosen.selection() if chosen is not None else Selection()
    found = _load_patterns(root, options, files, variables, selection)
    issues += found.issues
    issues += _duplicate_names(found.patterns)
    issues += _case_collisions(root)
    if chosen is not None:
        issues += [
            FileIssue("include", f"environment {chosen.name!r} includes {entry}: no such file", SETTINGS_FILE)
            for entry in selection.missing(found.paths)
        ]

    connections: list[DesiredConnection] = []
    try:
        parsed = load_connections(root / CONNECTIONS_FILE)
    except ConnectionsError as exc:
        issues += [i.in_file(CONNECTIONS_FILE) for i in exc.issues]
    else:
        keys = dict(chosen.connections) if chosen is not None else {}
        for item in parsed.connections:
            key_env = keys.pop(item.name, item.env_var)
            connections.append(DesiredConnection(item.name, item.provider, key_env, item.display_name))
        for name in sorted(keys):  # what is left names no connection of connections.yaml
            assert chosen is not None
            message = f"environment {chosen.name!r} names connection {name!r}, not in {CONNECTIONS_FILE}"
            issues.append(FileIssue("connections", message, SETTINGS_FILE))
        if env is not None:
            try:
                resolve_connections(connections, env)
            except ConnectionsError as exc:
                issues += exc.issues

    return DesiredState(
        root=str(root),
        options=options,
        patterns=tuple(found.patterns),
        connections=tuple(connections),
        issues=tuple(issues),
        pattern_files=found.files,
        invalid_graphs=tuple(found.invalid_graphs),
    )


@dataclass
class _FoundPatterns:
    """What `patterns/` holds: the valid files, the graphs of the invalid ones, and every issue."""

    patterns: list[DesiredPattern] = field(default_factory=list)
    invalid_graphs: list[InvalidFileGraph] = field(default_factory=list)
    issues: list[FileIssue] = field(default_factory=list)
    files: int = 0
    paths: list[str] = field(default_factory=list)  # every file of patterns/, taken or not


def _load_patterns(
    root: Path,
    options: SyncOptions,
    files: PatternFileCache | None,
    variables: Variables | None = None,
    selection: Selection = Selection(),  # noqa: B008 (frozen)
) -> _FoundPatterns:
    found = _FoundPatterns()
    read: list[Path] = []
    patterns_dir = root / PATTERNS_DIR
    if patterns_dir.is_symlink() and outside_directory(root, patterns_dir):
        found.issues.append(FileIssue(DOCUMENT_FIELD, _OUTSIDE, PATTERNS_DIR))
        return found
    if not patterns_dir.is_dir():
        if patterns_dir.exists():
            found.issues.append(FileIssue(DOCUMENT_FIELD, "patterns must be a folder", PATTERNS_DIR))
        return found
    for entry in sorted(patterns_dir.iterdir(), key=lambda p: p.name):
        rel = f"{PATTERNS_DIR}/{entry.name}"
        if entry.name.startswith("."):
            continue  # .gitkeep and editor files
        # patterns/ itself stays inside (checked above), so only a link can lead out.
        if entry.is_symlink() and outside_directory(root, entry):
            found.issues.append(FileIssue(DOCUMENT_FIELD, _OUTSIDE, rel))
            continue
        if entry.is_dir():
            found.issues.append(FileIssue(DOCUMENT_FIELD, "sub-folders of patterns/ are not read", rel))
            continue
        if entry.suffix.lower() not in PATTERN_SUFFIXES:
            message = "not a pattern file: patterns/ holds only .json, .yaml and .yml files"
            found.issues.append(FileIssue(DOCUMENT_FIELD, message, rel))
            continue
        found.paths.append(rel)
        if not selection.takes_path(rel):
            continue  # another environment's file: not read, so its variables are not needed here
        found.files += 1
        read.append(entry)
        try:
            if files is None:
                pattern = load_pattern_file(entry, variables=variables)
            else:
                pattern = files.load(entry, variables=variables)
        except PatternFileError as exc:
            found.issues += [i.in_file(rel) for i in exc.issues]
            if exc.graph is not None:
                deploy = options.deploy if exc.deploy is None else exc.deploy
                found.invalid_graphs.append(InvalidFileGraph(rel, exc.graph, deploy))
            continue
        if not selection.takes_tags(pattern.tags):
            continue
        deploy, env_id, drift, keep = _intent(pattern, options)
        suspended = pattern.sync is not None and pattern.sync.suspend is True
        smoke = pattern.sync.smoke if pattern.sync is not None and pattern.sync.smoke else options.smoke
        found.patterns.append(DesiredPattern(rel, pattern, deploy, env_id, drift, keep, suspended, smoke))
    if files is not None:
        files.retain(read)
    return found


def _duplicate_names(patterns: list[DesiredPattern]) -> list[FileIssue]:
    """An issue on each file of a name that two or more files declare, naming the others."""
    by_name: dict[str, list[str]] = {}
    for desired in patterns:
        by_name.setdefault(desired.name, []).append(desired.path)
    issues: list[FileIssue] = []
    for name, files in by_name.items():
        for file in files if len(files) > 1 else ():
            others = ", ".join(f for f in files if f != file)
            issues.append(FileIssue("name", f"duplicate pattern name {name!r} (also in {others})", file))
    return issues


def _case_collisions(root: Path) -> list[FileIssue]:
    """An issue on each file of `patterns/` whose name differs from another's only in case: on a
    case-insensitive checkout (macOS, Windows) only one of them exists, so the two cannot both be meant."""
    folder = root / PATTERNS_DIR
    if not folder.is_dir() or outside_directory(root, folder):
        return []
    by_folded: dict[str, list[str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.startswith("."):
            by_folded.setdefault(entry.name.casefold(), []).append(entry.name)
    issues: list[FileIssue] = []
    for names in by_folded.values():
        for name in names if len(names) > 1 else ():
            others = ", ".join(f"{PATTERNS_DIR}/{n}" for n in names if n != name)
            message = (
                f"file name differs from {others} only in case; a case-insensitive checkout keeps only "
                "one of them: rename one"
            )
            issues.append(FileIssue(DOCUMENT_FIELD, message, f"{PATTERNS_DIR}/{name}"))
    return issues
