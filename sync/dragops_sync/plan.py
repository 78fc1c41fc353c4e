"""The plan as data: typed actions, refusals and errors, with a stable JSON form.

`planner.build_plan` produces a `Plan`; `apply` walks its items in order (one result per item), `render`
prints it, and `Plan.to_dict()` is the documented machine form (`docs/plan-json.md`, `formatVersion` 1,
`formatMinorVersion` 2). Nothing here computes anything: it is the vocabulary shared by the planner
and whoever executes or shows a plan.

Each item that writes carries its *operation*, a small tagged union (`PatternCreate`, `PatternUpdate`,
`DeploymentChange`, `Undeploy`, `PatternDelete`, `ConnectionCreate`) that the applier `match`es on;
its `phase` (the apply order) and `depends_on` (the keys of the items it needs) are set once by the
planner. None of the three is part of the JSON form.

Pure data, no I/O. Secrets never enter a plan: connections carry the *name* of their environment
variable only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from dragops_sync.diff import FieldChange
from dragops_sync.files import FileIssue
from dragops_sync.graph_changes import NO_GRAPH, GraphChange, describe_changes
from dragops_sync.smoke_settings import SmokeSettings
from dragops_sync.spec import PatternSpec
from dragops_sync.target_spec import Target

__all__ = [
    "CHANGE_KINDS",
    "PLAN_FORMAT_MINOR_VERSION",
    "PLAN_FORMAT_VERSION",
    "WRITE_KINDS",
    "ActionKind",
    "ConnectionCreate",
    "ConnectionKeyUpdate",
    "DeploymentChange",
    "ItemKey",
    "Operation",
    "PatternBin",
    "PatternCreate",
    "PatternDelete",
    "PatternUpdate",
    "Phase",
    "Plan",
    "PlanError",
    "PlanItem",
    "PlanOptions",
    "PlanRefusal",
    "RefusalReason",
    "Resource",
    "TwinReduce",
    "Undeploy",
    "key_of",
]

PLAN_FORMAT_VERSION = 1
PLAN_FORMAT_MINOR_VERSION = 2
"""Counts the additions within `PLAN_FORMAT_VERSION` (1: items' `graphChanges`; 2: the kinds `bin`
and `binned` of the recycle bin)."""


class ActionKind(StrEnum):
    """What the plan does (or reports) for one object."""

    CREATE = "create"  # a pattern or connection the instance lacks
    UPDATE = "update"  # write the desired content over a managed pattern (also: drift revert, --force)
    ADOPT = "adopt"  # take over an unmanaged pattern of the same name (explicit opt-in), writing the mark
    DEPLOY = "deploy"  # deploy a pattern that should be and is not
    REDEPLOY = "redeploy"  # the graph changed while deployed, or the deployment is stale
    UNDEPLOY = "undeploy"  # the file says deploy: false, or before prune moves a pattern to the bin
    BIN = "bin"  # prune: a managed pattern whose file is gone goes to the recycle bin (recycle_bin.py)
    DELETE = "delete"  # prune: a pattern in the recycle bin for longer than prune.retention is purged
    DRIFT = "drift"  # live edited since the last apply, git unchanged (observe/warn: reported only)
    CONFLICT = "conflict"  # live and git both changed since the last apply; never overwritten without --force
    UNMANAGED = "unmanaged"  # a live pattern of that name exists but is not ours: left alone
    INVALID = "invalid"  # the file has issues: nothing is written for it
    SUSPENDED = "suspended"  # the file says sync.suspend: true: left alone (no write, revert or prune)
    ROLLED_BACK = "rolled_back"  # this content failed its smoke test and was rolled back: not redeployed
    ORPHANED = "orphaned"  # ours, no file declares it, prune is off: live no longer matches git
    BINNED = "binned"  # in the recycle bin (its file is gone and prune moved it there): reported only
    REDUCE_TWINS = "reduce_twins"  # identical live patterns of ours share the name (two writers): keep one
    NOOP = "noop"  # in sync (possibly with a quiet refresh of a stale mark)


class Resource(StrEnum):
    PATTERN = "pattern"
    DEPLOYMENT = "deployment"
    CONNECTION = "connection"


class RefusalReason(StrEnum):
    """Why prune deleted nothing (the safeguards of docs/decisions.md D21)."""

    INVALID_FILES = "invalid_files"
    EMPTY_DESIRED = "empty_desired"
    OVER_BUDGET = "over_budget"


# Kinds that make `plan --detailed-exitcode` exit 2. DRIFT counts unless its mode is observe.
CHANGE_KINDS = frozenset(
    {
        ActionKind.CREATE,
        ActionKind.UPDATE,
        ActionKind.ADOPT,
        ActionKind.DEPLOY,
        ActionKind.REDEPLOY,
        ActionKind.UNDEPLOY,
        ActionKind.BIN,
        ActionKind.DELETE,
        ActionKind.ROLLED_BACK,
        ActionKind.ORPHANED,
        ActionKind.REDUCE_TWINS,
        ActionKind.CONFLICT,
        ActionKind.UNMANAGED,
    }
)

# Kinds that write to the instance when applied.
WRITE_KINDS = frozenset(
    {
        ActionKind.CREATE,
        ActionKind.UPDATE,
        ActionKind.ADOPT,
        ActionKind.DEPLOY,
        ActionKind.REDEPLOY,
        ActionKind.UNDEPLOY,
        ActionKind.BIN,
        ActionKind.DELETE,
        ActionKind.REDUCE_TWINS,
    }
)


@dataclass(frozen=True)
class PlanOptions:
    """How to plan, beyond what the directory says; built once at the CLI edge and passed whole.

    `owner` None: the settings' owner (the caller derives one from git when neither is set);
    `prune` None: `prune.enabled` of the settings. `force` overwrites conflicts; `adopt` takes over
    unmanaged patterns of the same name. `environment`: the `--env` of a directory that declares
    environments (its files, variables, owner and defaults are read for that one).

    Set by the caller that derived the owner from git (`cycle.resolve_owner`), never by a user:
    `owner_guessed` when no git remote names the directory (prune and adopt then refuse to run), and
    `legacy_owner`, the default owner of earlier versions, whose marks on patterns a file here
    declares are ours (and re-marked); and `sibling_owners`, the owners of this directory's other
    environments, whose patterns this plan neither touches nor counts as another's.
    """

    owner: str | None = None
    prune: bool | None = None
    force: bool = False
    adopt: bool = False
    environment: str | None = None
    sibling_owners: tuple[str, ...] = ()
    retry_rolled_back: bool = False
    target: Target = field(default_factory=Target)
    owner_guessed: bool = False
    legacy_owner: str | None = None


class Phase(IntEnum):
    """When an item is applied: every item of a phase finishes before the next phase starts.

    Connections first (patterns may use them), then pattern writes (a deploy needs its pattern),
    deployment changes, and last the prune: undeploys, then deletes (the API refuses to delete a
    deployed pattern).
    """

    CONNECTIONS = 0
    PATTERN_WRITES = 1
    DEPLOYMENTS = 2
    PRUNE_UNDEPLOYS = 3
    PRUNE_DELETES = 4


# -- operations: what applying an item writes -----------------------------------------------------


@dataclass(frozen=True)
class PatternCreate:
    """Create the pattern `spec` (its tags already carry the ownership mark)."""

    spec: PatternSpec


@dataclass(frozen=True)
class PatternUpdate:
    """Write `spec` over the item's pattern: every field, or only the API keys in `fields`.

    An update, an adoption and a drift revert write every field; a mark refresh writes only `tags`.
    """

    spec: PatternSpec
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DeploymentChange:
    """Deploy (or redeploy) the item's pattern, into `environment_id` (None: the default one); with
    `smoke`, check the deploy with that test event and roll back when it fails (`content_hash`: the
    essence hash of the content deployed, remembered on the pattern when it is rolled back)."""

    environment_id: str | None = None
    smoke: SmokeSettings | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class Undeploy:
    """Undeploy the item's pattern."""


@dataclass(frozen=True)
class PatternBin:
    """Put the item's pattern in the recycle bin: add `tag` (`recycle_bin.bin_tag`) to its tags."""

    tag: str


@dataclass(frozen=True)
class PatternDelete:
    """Delete the item's pattern (prune's purge of the recycle bin)."""


@dataclass(frozen=True)
class ConnectionCreate:
    """Create an API-key connection; the key is read from the environment variable `env_var` at apply."""

    provider: str
    env_var: str


@dataclass(frozen=True)
class ConnectionKeyUpdate:
    """Write the connection's key again, read from the environment variable `env_var` at apply (its
    salted fingerprint says it changed, or was never recorded: `key_registry`)."""

    provider: str
    env_var: str


@dataclass(frozen=True)
class TwinReduce:
    """Keep the item's pattern (the oldest of identical twins) and remove the `others` (undeployed
    first when deployed): what two writers that both created one name leave behind."""

    others: tuple[str, ...]


Operation = (
    PatternCreate
    | PatternUpdate
    | DeploymentChange
    | Undeploy
    | PatternBin
    | PatternDelete
    | ConnectionCreate
    | ConnectionKeyUpdate
    | TwinReduce
)

# How one item of a plan is named by the items that depend on it (`PlanItem.key`).
ItemKey = str


def key_of(resource: Resource, name: str) -> ItemKey:
    """The key of the item on `resource` named `name` (see `PlanItem.key`)."""
    return f"{resource}:{name}"


@dataclass(frozen=True)
class PlanItem:
    """One action on one object.

    `operation` is what applying it writes (None: nothing); `phase` and `depends_on` (keys of the
    items it needs: a deploy its pattern's write, a prune delete its undeploy) are set by the planner,
    and an item built without a phase is never applied. `pattern_id` is None for a pattern the same
    apply creates (apply takes the id from the result of the create it depends on).
    """

    kind: ActionKind
    resource: Resource
    name: str
    reason: str = ""
    file: str | None = None
    pattern_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    desired_hash: str | None = None
    live_hash: str | None = None
    applied_hash: str | None = None
    drift_mode: str | None = None
    environment_id: str | None = None
    refresh_mark: bool = False
    forced: bool = False
    provider: str | None = None
    env_var: str | None = None
    operation: Operation | None = None
    phase: Phase | None = None
    depends_on: tuple[ItemKey, ...] = ()
    # The compared contents (essences) of a pattern item: live's (None for a create) and the file's,
    # and the file's graph as written (its saved positions place a picture's nodes). They only
    # describe the change (graph_changes(), compared_graphs()); equality and repr leave them out.
    live_content: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    file_content: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    file_graph: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> ItemKey:
        """This item's name in other items' `depends_on`: its resource and name (unique in a plan
        without errors: one pattern item and at most one deployment item per name)."""
        return key_of(self.resource, self.name)

    @property
    def is_change(self) -> bool:
        if self.kind == ActionKind.DRIFT:
            return self.drift_mode != "observe"
        return self.kind in CHANGE_KINDS

    @property
    def writes(self) -> bool:
        return self.kind in WRITE_KINDS or (self.kind == ActionKind.NOOP and self.refresh_mark)

    def graph_changes(self) -> tuple[GraphChange, ...]:
        """The change from live to the file in the editor's terms (nodes, wires, pins, fields); empty
        when the item compares no contents (a create, a deployment, a connection) or they are equal."""
        if self.live_content is None or self.file_content is None:
            return ()
        return tuple(describe_changes(self.live_content, self.file_content))

    def compared_graphs(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(live's graph, the file's graph) as the plan compared them, live's empty for a pattern not
        live yet; None for an item that compares no contents (a deployment, a connection)."""
        if self.file_content is None:
            return None
        before = self.live_content["graphData"] if self.live_content is not None else NO_GRAPH
        return before, self.file_content["graphData"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "resource": str(self.resource),
            "name": self.name,
            "file": self.file,
            "patternId": self.pattern_id,
            "reason": self.reason,
            "changes": [c.to_dict() for c in self.changes],
            "graphChanges": [c.to_dict() for c in self.graph_changes()],
            "hashes": {"desired": self.desired_hash, "live": self.live_hash, "applied": self.applied_hash},
            "driftMode": self.drift_mode,
            "environmentId": self.environment_id,
            "refreshMark": self.refresh_mark,
            "forced": self.forced,
            "connection": (
                {"provider": self.provider, "envVar": self.env_var}
                if self.resource == Resource.CONNECTION
                else None
            ),
        }


@dataclass(frozen=True)
class PlanError:
    """A problem that forbids every write of this plan (apply stops before writing anything)."""

    code: str
    message: str
    names: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "names": list(self.names),
            "files": list(self.files),
        }


@dataclass(frozen=True)
class PlanRefusal:
    """Prune was asked for and refused: nothing is deleted. `candidates` are the names it would delete."""

    reason: RefusalReason
    message: str
    candidates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"reason": str(self.reason), "message": self.message, "candidates": list(self.candidates)}


@dataclass(frozen=True)
class Plan:
    """Desired vs live, as ordered actions: connections, pattern writes, deployments, then deletions."""

    owner: str
    items: tuple[PlanItem, ...] = ()
    errors: tuple[PlanError, ...] = ()
    refusals: tuple[PlanRefusal, ...] = ()
    issues: tuple[FileIssue, ...] = ()
    notes: tuple[str, ...] = ()
    prune: bool = False
    force: bool = False
    environment: str | None = None  # the --env it was made for (None: no environments)
    target: Target = field(default_factory=Target)  # --name/--tag: only these (and what they reference)

    @property
    def has_changes(self) -> bool:
        """True when anything is to do or to look at: `plan --detailed-exitcode` exits 2."""
        return any(item.is_change for item in self.items)

    @property
    def blocked(self) -> bool:
        """True when apply must write nothing at all (duplicate names, invalid settings, ...)."""
        return bool(self.errors)

    @property
    def valid(self) -> bool:
        """No errors, no file issues and no refusals: `plan` and `apply` exit 1 otherwise."""
        return not (self.errors or self.issues or self.refusals)

    def summary(self) -> dict[str, int]:
        """How many items of each kind, every kind present (zeros included), in ActionKind order."""
        counts = Counter(item.kind for item in self.items)
        return {str(kind): counts.get(kind, 0) for kind in ActionKind}

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (schema: docs/plan-json.md)."""
        return {
            "formatVersion": PLAN_FORMAT_VERSION,
            "formatMinorVersion": PLAN_FORMAT_MINOR_VERSION,
            "owner": self.owner,
            "environment": self.environment,
            "target": self.target.to_dict() if self.target else None,
            "prune": self.prune,
            "force": self.force,
            "hasChanges": self.has_changes,
            "valid": self.valid,
            "summary": self.summary(),
            "errors": [e.to_dict() for e in self.errors],
            "refusals": [r.to_dict() for r in self.refusals],
            "issues": [i.to_dict() for i in self.issues],
            "notes": list(self.notes),
            "items": [i.to_dict() for i in self.items],
        }
