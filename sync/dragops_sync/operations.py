"""The write rules, once: what `apply`, the daemon and the Pulumi provider do to a live instance.

Each function is one operation on one object through the client, with the rule that makes it safe:

* `find_pattern`: identity is the exact name (the server's search matches parts, and names are not
  unique, D8), so "the pattern called X" is zero or one pattern, and several is an error;
* `create_pattern`: a lost answer is recovered by the client (it finds the twin it made, never a
  duplicate); `all_or_nothing` also removes what a create that failed with an unknown outcome left;
* `update_pattern`: a partial update of the fields asked for; a rename never takes a name in use;
* `deploy_pattern`: deploy means deployed, so the deployment is read back until it is active at the
  version the deploy answered (D9, D11), and a different version is an error; `roll_back` undeploys
  again when a pattern that was not deployed never became active;
* `undeploy_pattern`, `delete_pattern`: idempotent ends (gone is done), acting only on what the caller
  still owns when it says what it owns (a deployment at a version it made, a pattern with its mark);
* `describe_error`: one line about a failed write, for a person.

They take the client as their first argument and return the API's models; nothing here decides what
should be written (that is the planner's job) or keeps state between calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dragops_sync.api import (
    APIConnectionError,
    APIError,
    Client,
    DragopsError,
    NotFoundError,
    ServerError,
)
from dragops_sync.essence import Essence
from dragops_sync.models import Deployment, DeployResult, Pattern, PatternSummary
from dragops_sync.ownership import ownership_mark
from dragops_sync.spec import PatternSpec

__all__ = [
    "DEFAULT_DEPLOY_WAIT",
    "DEFAULT_POLL_INTERVAL",
    "AmbiguousNameError",
    "DeployConfirmationError",
    "Deployed",
    "NameTakenError",
    "TwinReduction",
    "create_pattern",
    "current_deployment",
    "delete_pattern",
    "deploy_pattern",
    "describe_error",
    "find_pattern",
    "reduce_twins",
    "undeploy_pattern",
    "update_pattern",
]

# Seconds a deploy may stay `pending` before it counts as failed, and how often it is read back.
DEFAULT_DEPLOY_WAIT = 60.0
DEFAULT_POLL_INTERVAL = 0.5


class AmbiguousNameError(DragopsError):
    """Several live patterns carry the name that should identify one."""

    def __init__(self, name: str, ids: Iterable[str]) -> None:
        self.name = name
        self.ids = tuple(ids)
        super().__init__(f"{len(self.ids)} patterns are named {name!r} ({', '.join(self.ids)})")


class NameTakenError(DragopsError):
    """A rename would give a pattern the name of another one."""


class DeployConfirmationError(DragopsError):
    """The deploy was accepted, but the deployment did not read back active at the deployed version."""


@dataclass(frozen=True)
class Deployed:
    """A confirmed deploy: the deploy's answer (triggers) and the deployment read back active."""

    result: DeployResult
    deployment: Deployment


def find_pattern(client: Client, name: str) -> PatternSummary | None:
    """The live pattern called exactly `name`, or None; `AmbiguousNameError` when several are."""
    found = client.patterns.find_by_name(name)
    if len(found) > 1:
        raise AmbiguousNameError(name, (p.id for p in found))
    return found[0] if found else None


def create_pattern(client: Client, spec: PatternSpec, *, all_or_nothing: bool = False) -> Pattern:
    """Create `spec`. With `all_or_nothing`, a create whose outcome stayed unknown (a 5xx or a lost
    connection after the client's own recovery and retries) removes any pattern of that name that
    appeared meanwhile, so a failure leaves nothing behind (a Pulumi create must)."""
    before = {p.id for p in client.patterns.find_by_name(spec.name)} if all_or_nothing else set()
    try:
        return client.patterns.create(spec)
    except (ServerError, APIConnectionError) as exc:
        if all_or_nothing:
            _remove_strays(client, spec.name, known=before, cause=exc)
        raise


def _remove_strays(client: Client, name: str, *, known: set[str], cause: DragopsError) -> None:
    try:
        for stray in client.patterns.find_by_name(name):
            if stray.id not in known:
                client.patterns.delete(stray.id)
    except DragopsError as exc:
        raise DragopsError(
            f"creating pattern {name!r} failed ({describe_error(cause)}), and removing what the failed "
            f"create may have left also failed ({describe_error(exc)}); look for a stray pattern named "
            f"{name!r}"
        ) from exc


def update_pattern(
    client: Client,
    pattern_id: str,
    spec: PatternSpec,
    *,
    fields: Iterable[str] | None = None,
    previous_name: str | None = None,
) -> Pattern:
    """Write `spec` over pattern `pattern_id`: all fields, or only the API keys in `fields`.

    When `previous_name` is given and differs from `spec.name` (a rename), another pattern already
    called `spec.name` stops the update with `NameTakenError`: names identify patterns. An empty
    `fields` writes nothing and returns the pattern as it is.
    """
    keys = None if fields is None else tuple(fields)
    if previous_name is not None and previous_name != spec.name and (keys is None or "name" in keys):
        taken = [p.id for p in client.patterns.find_by_name(spec.name) if p.id != pattern_id]
        if taken:
            raise NameTakenError(
                f"cannot rename pattern {pattern_id} to {spec.name!r}: another pattern has that name "
                f"({', '.join(taken)})"
            )
    if keys == ():
        return client.patterns.get(pattern_id)
    return client.patterns.update(pattern_id, spec, fields=keys)


def current_deployment(client: Client, pattern_id: str) -> Deployment | None:
    """The pattern's deployment when it is deployed (active, pending or paused), else None."""
    try:
        live = client.deployments.get(pattern_id)
    except NotFoundError:
        return None
    return live if live.deployed else None


def deploy_pattern(
    client: Client,
    pattern_id: str,
    *,
    environment_id: str | None = None,
    wait: float = DEFAULT_DEPLOY_WAIT,
    interval: float = DEFAULT_POLL_INTERVAL,
    roll_back: bool = False,
    same_content_ok: bool = False,
) -> Deployed:
    """Deploy (or redeploy) a pattern and read it back until it is active at the deployed version.

    A pending deployment is polled for at most `wait` seconds; a paused or undeployed one fails at once
    (it will not become active by waiting); one active at another version than the deploy answered
    raises `DeployConfirmationError` (someone else deployed meanwhile) — unless `same_content_ok` and
    that later version has the same graph (a second writer of the same directory: D48). With
    `roll_back`, a pattern that was not deployed before is undeployed again when any of this fails, so
    a failed deploy leaves
    nothing running (the original error is raised; a failed roll-back is added as a note).
    """
    was_deployed = roll_back and current_deployment(client, pattern_id) is not None
    result = client.deployments.deploy(pattern_id, environment_id=environment_id)
    try:
        expected = result.version_number
        live = client.deployments.wait_until_active(
            pattern_id, version_number=expected, timeout=wait, interval=interval
        )
        raced = expected is not None and live.version_number != expected
        if raced and not (
            same_content_ok and _same_content(client, pattern_id, expected or 0, live.version_number)
        ):
            raise DeployConfirmationError(
                f"deployed version {expected}, but the deployment reads back at version "
                f"{live.version_number} (someone else deployed meanwhile?)"
            )
    except DragopsError as exc:
        if roll_back and not was_deployed:
            try:
                client.deployments.undeploy(pattern_id)
            except DragopsError as cleanup:
                exc.add_note(
                    f"rolling back (undeploying {pattern_id}) also failed: {describe_error(cleanup)}"
                )
        raise
    return Deployed(result, live)


def _same_content(client: Client, pattern_id: str, ours: int, running: int | None) -> bool:
    """Whether the version running is a later deploy of the same graph as ours (a second writer
    deploying the same content at the same moment), which is what was asked for."""
    if running is None or running < ours:
        return False
    try:
        return (
            client.patterns.version(pattern_id, ours).graph_data
            == client.patterns.version(pattern_id, running).graph_data
        )
    except DragopsError:
        return False


def undeploy_pattern(
    client: Client, pattern_id: str, *, owned_versions: Collection[int] | None = None
) -> bool:
    """Take a pattern off the engine (idempotent); raises when the answer is not `undeployed`.

    With `owned_versions` (the versions the caller deployed or last saw running), the pattern is
    undeployed only while its live deployment is still at one of them: a deployment made since by someone
    else (the replacement of a Pulumi resource, which the engine creates before it deletes the old one,
    or another tool) is not the caller's to stop, and is left running. Returns whether it undeployed.
    """
    if owned_versions is not None:
        live = current_deployment(client, pattern_id)
        if live is None:
            return False
        if live.version_number is not None and live.version_number not in set(owned_versions):
            return False
    status = client.deployments.undeploy(pattern_id)
    if status.status != "undeployed":
        raise DragopsError(f"undeploy answered {status.status!r}")
    return True


def delete_pattern(
    client: Client, pattern_id: str, *, owned_only: bool = False, owner: str | None = None
) -> bool:
    """Delete a pattern; False when it was already gone. A deployed pattern raises `ConflictError`
    (the API refuses to delete it: undeploy first).

    With `owned_only`, the pattern is deleted only when the owner mark on it (`dragops-sync:owner=`) is
    absent or is `owner`, the caller's own: a pattern another owner has marked since (a Pulumi resource
    that adopted it, which the engine creates before it deletes the old resource, or dragops-sync) is
    not the caller's to delete, and is left as it is (False).
    """
    with contextlib.suppress(NotFoundError):
        if owned_only:
            marked = ownership_mark(client.patterns.get(pattern_id).tags).owner
            if marked is not None and marked != owner:
                return False
        client.patterns.delete(pattern_id)
        return True
    return False


@dataclass(frozen=True)
class TwinReduction:
    """What `reduce_twins` did: the pattern kept, the twins removed, and the twins left alone (same
    name, but another owner's or different content: a conflict for a person)."""

    kept: str
    removed: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


def _identity(pattern: Mapping[str, Any]) -> str:
    # The content a twin must share to be a duplicate: the essence without the owner mark.
    return Essence.of(pattern).canonical


def _age(pattern: Mapping[str, Any]) -> tuple[str, str]:
    return (str(pattern.get("createdAt") or ""), str(pattern.get("id") or ""))


def reduce_twins(client: Client, pattern_id: str, *, owner: str) -> TwinReduction:
    """After a create: reduce the live patterns named like `pattern_id` that carry `owner`'s mark and
    the same content to one — the oldest (`createdAt`, then id) is kept, the others undeployed and
    deleted. Two writers that both saw "no pattern of this name" (a daemon and a CI apply, two merges)
    both create it; each then reduces, and both keep the same one. Twins of another owner or with
    other content are left for a person (the plan reports them).
    """
    created = client.patterns.get(pattern_id).to_api()
    name = str(created.get("name"))
    same_name = [s for s in client.patterns.find_by_name(name) if s.id != pattern_id]
    if not same_name:
        return TwinReduction(kept=pattern_id)
    identity = _identity(created)
    twins: list[Mapping[str, Any]] = [created]
    left: list[str] = []
    for summary in same_name:
        if ownership_mark(summary.tags).owner != owner:
            left.append(summary.id)
            continue
        try:
            twin = client.patterns.get(summary.id).to_api()
        except NotFoundError:
            continue  # the other writer removed it meanwhile
        if _identity(twin) == identity:
            twins.append(twin)
        else:
            left.append(summary.id)
    twins.sort(key=_age)
    kept, extra = str(twins[0]["id"]), [str(t["id"]) for t in twins[1:]]
    removed = []
    for twin_id in extra:
        with contextlib.suppress(NotFoundError):
            if current_deployment(client, twin_id) is not None:
                undeploy_pattern(client, twin_id)
            if delete_pattern(client, twin_id, owned_only=True, owner=owner):
                removed.append(twin_id)
    return TwinReduction(kept, tuple(removed), tuple(left))


def describe_error(exc: BaseException) -> str:
    """One line about a failed write; a 422 deploy names each node or edge at fault."""
    if isinstance(exc, APIError) and isinstance(exc.details, list) and exc.details:
        parts = []
        for detail in exc.details:
            if not isinstance(detail, Mapping):
                continue
            labels = (("nodeId", "node"), ("edgeId", "edge"))
            where = " ".join(f"{label} {detail[key]}" for key, label in labels if detail.get(key))
            parts.append(f"{where}: {detail.get('message', '')}" if where else str(detail.get("message", "")))
        if parts:
            return f"{exc.status} {exc.code or ''}".rstrip() + f": {exc.message} — " + "; ".join(parts)
    return str(exc) or type(exc).__name__
