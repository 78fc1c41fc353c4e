"""`Deployment`: a pattern deployed to the DRAGOPS execution engine, as a Pulumi dynamic resource.

Deploy means deployed: every deploy goes through `dragops_sync.operations.deploy_pattern`, which reads
the deployment back until it is active at the version the deploy answered (the same wait `dragops-sync
apply` uses); then the provider pauses or resumes it as the `paused` input asks. A deploy that fails
inside `create` is rolled back (the pattern is undeployed again unless it was deployed before), so a
failed create leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)
from pydantic import ValidationError as PydanticValidationError

from dragops_sync.api import APIError, Client, DragopsError, NotFoundError, ValidationError
from dragops_sync.models import Deployment as LiveDeployment
from dragops_sync.operations import (
    DeployConfirmationError,
    Deployed,
    current_deployment,
    deploy_pattern,
    describe_error,
    undeploy_pattern,
)
from dragops_sync.smoke import roll_back, run_smoke_test
from dragops_sync.smoke_settings import SmokeSettings
from dragops_sync.validate import TRIGGER_TYPES

from ._common import (
    DragopsProvider,
    DragopsProviderError,
    InputChecker,
    api_errors,
    contains_unknown,
)
from ._config import ConfigurationError
from ._shape import read_existing, resource_args, take_provider

INPUT_KEYS = ("pattern_id", "environment_id", "paused", "content_hash")
SERVER_KEYS = ("deployment_id", "status", "version_number", "live_version_number", "triggers")

# How long a deploy may stay `pending` before the provider gives up (default of the
# `activation_timeout` input and the `dragops:activationTimeout` stack config), and how often it looks.
ACTIVATION_TIMEOUT_SECONDS = 120.0
ACTIVATION_TIMEOUT_CONFIG = "dragops:activationTimeout"
POLL_INTERVAL_SECONDS = 0.2


def _triggers(model: Any) -> list[dict[str, Any]]:
    return [{"type": t.type, "node_id": t.node_id} for t in (getattr(model, "triggers", None) or [])]


class DeploymentProvider(DragopsProvider):
    """Deploy, redeploy, pause/resume and undeploy one pattern; the resource id is the deployment id."""

    # The stack-wide activation timeout, from `dragops:activationTimeout` (host only, set by configure).
    _default_timeout: float = ACTIVATION_TIMEOUT_SECONDS
    _host_only = (*DragopsProvider._host_only, "_default_timeout")

    def configure(self, req: ConfigureRequest) -> None:
        super().configure(req)
        key = ACTIVATION_TIMEOUT_CONFIG.replace("dragops:", f"{self.namespace}:", 1)
        self._default_timeout = activation_timeout_from_config(req.config.get(key))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        inputs = dict(news)
        inputs["pattern_id"] = checker.string("pattern_id", required=True)
        inputs["environment_id"] = checker.string("environment_id")
        inputs["paused"] = checker.boolean("paused")
        inputs["content_hash"] = checker.string("content_hash")
        checker.positive_number("activation_timeout", unit="seconds")
        smoke = news.get("smoke")
        if smoke is not None and not contains_unknown(smoke):
            try:
                SmokeSettings.model_validate(smoke)
            except PydanticValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'smoke'}: {e['msg']}" for e in exc.errors()
                )
                checker.fail("smoke", f"smoke is not a smoke test ({problems})")
        _check_deployable(checker, inputs.pop("graph", None))
        return CheckResult(inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Local: the deployment of another pattern is another deployment (replace); everything else is
        # a redeploy or a pause/resume in place. `activation_timeout` only says how long to wait, so a
        # new value alone changes nothing live (it applies to the next deploy).
        replaces = []
        if contains_unknown(news.get("pattern_id")) or news.get("pattern_id") != olds.get("pattern_id"):
            replaces.append("pattern_id")
        changed = replaces or any(
            contains_unknown(news.get(key)) or news.get(key) != olds.get(key)
            for key in ("environment_id", "paused", "content_hash")
        )
        if olds.get("status") not in ("active", "paused") or _redeployed_elsewhere(olds):
            # Refresh saw it pending or otherwise not running, or running a version someone else
            # deployed (from the dashboard, say): deploy the stack's content again.
            changed = True
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        pattern_id = props["pattern_id"]
        with self.client() as client, api_errors(f"deploying pattern {pattern_id}"):
            before = current_deployment(client, pattern_id)
            was_deployed = before is not None
            # The deploy and its wait roll themselves back; pausing after it is this create's part too.
            deployed = self._deploy(client, props, roll_back=True)
            _smoke_checked(client, props, deployed, before.version_number if before is not None else None)
            try:
                live = _apply_paused(client, props, deployed.deployment)
            except Exception:
                if not was_deployed:
                    # All-or-nothing: a deployment that never became what was asked for is removed.
                    # The original failure is what the user must see, not a failing cleanup.
                    with contextlib.suppress(DragopsError):
                        undeploy_pattern(client, pattern_id)
                raise
        result = deployed.result
        return CreateResult(result.deployment_id, _outputs(props, live, _triggers(result)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        pattern_id = props.get("pattern_id")
        if not pattern_id:
            return ReadResult("", {})
        with self.client() as client, api_errors(f"reading the deployment of pattern {pattern_id}"):
            live = current_deployment(client, pattern_id)
        if live is None:
            return ReadResult("", {})  # undeployed (or the pattern is gone): drop it from the state
        inputs = {
            "pattern_id": pattern_id,
            "environment_id": live.environment_id or props.get("environment_id"),
            "paused": live.status == "paused",
            "content_hash": props.get("content_hash"),
            "activation_timeout": props.get("activation_timeout"),
        }
        triggers = _triggers(live) or list(props.get("triggers") or [])
        outs = _outputs(inputs, live, triggers)
        ours = props.get("version_number")
        if ours is not None and live.version_number is not None and live.version_number != ours:
            # Someone else deployed since: keep the version this stack deployed beside the one running,
            # so the next diff redeploys the stack's content (and a destroy still owns what it saw).
            outs["version_number"] = ours
            outs["live_version_number"] = live.version_number
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        pattern_id = news["pattern_id"]
        redeploy = (
            olds.get("status") not in ("active", "paused")
            or _redeployed_elsewhere(olds)
            or any(news.get(key) != olds.get(key) for key in ("environment_id", "content_hash"))
        )
        triggers = list(olds.get("triggers") or [])
        with self.client() as client, api_errors(f"updating the deployment of pattern {pattern_id}"):
            if redeploy:
                before = current_deployment(client, pattern_id)
                deployed = self._deploy(client, news, roll_back=False)
                _smoke_checked(client, news, deployed, before.version_number if before is not None else None)
                live, triggers = deployed.deployment, _triggers(deployed.result)
            else:
                live = self._running(client, news)
            live = _apply_paused(client, news, live)
        return UpdateResult(_outputs(news, live, triggers))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        pattern_id = props.get("pattern_id")
        if not pattern_id:
            return
        with self.client() as client, api_errors(f"undeploying pattern {pattern_id}"):
            try:
                # Only the deployment this resource made: a replacement is
                # created, and redeploys, before the engine deletes the old resource at the end of the
                # update, and what it deployed is not this resource's to undeploy.
                undeploy_pattern(client, pattern_id, owned_versions=_owned_versions(props))
            except NotFoundError:
                return  # the pattern (or its deployment) is already gone

    def _deploy(self, client: Client, props: Mapping[str, Any], *, roll_back: bool) -> Deployed:
        """Deploy and confirm active at the deployed version; a failure says what to fix."""
        pattern_id = props["pattern_id"]
        timeout = self._timeout(props)
        try:
            return deploy_pattern(
                client,
                pattern_id,
                environment_id=props.get("environment_id"),
                wait=timeout,
                interval=POLL_INTERVAL_SECONDS,
                roll_back=roll_back,
            )
        except NotFoundError as exc:
            raise DragopsProviderError(f"cannot deploy pattern {pattern_id}: it does not exist") from exc
        except ValidationError as exc:
            # The server's per-node reasons are what the user has to fix.
            raise DragopsProviderError(
                f"deploying pattern {pattern_id} failed: {describe_error(exc)}"
            ) from exc
        except DeployConfirmationError as exc:
            raise DragopsProviderError(
                f"deploying pattern {pattern_id} failed: {describe_error(exc)}"
            ) from exc
        except APIError:
            raise  # a refusal or an outage of the API: api_errors says what the provider was doing
        except DragopsError as exc:
            # The deployment did not become active while the provider waited.
            raise DragopsProviderError(
                f"deploying pattern {pattern_id} failed: {describe_error(exc)}; a deploy may stay pending "
                f"for {timeout:g}s: raise the Deployment's activation_timeout or the stack's "
                f"{ACTIVATION_TIMEOUT_CONFIG} if the instance activates slowly"
            ) from exc

    def _running(self, client: Client, props: Mapping[str, Any]) -> LiveDeployment:
        """The deployment an update without a redeploy works on: active or paused (a pending one is
        waited for, as after a deploy)."""
        pattern_id = props["pattern_id"]
        live = current_deployment(client, pattern_id)
        if live is None:
            raise DragopsProviderError(
                f"pattern {pattern_id} is no longer deployed; run `pulumi refresh`, then `pulumi up` "
                "deploys it again"
            )
        if live.status == "pending":
            live = client.deployments.wait_until_active(
                pattern_id, timeout=self._timeout(props), interval=POLL_INTERVAL_SECONDS
            )
        return live

    def _timeout(self, props: Mapping[str, Any]) -> float:
        """The resource's `activation_timeout`, else the stack's `dragops:activationTimeout`, else 120 s."""
        timeout = props.get("activation_timeout")
        return float(timeout) if timeout is not None else self._default_timeout


def _owned_versions(props: Mapping[str, Any]) -> list[int] | None:
    """The deployed versions a Deployment's state says are its own: the one it deployed and one a
    refresh saw running (None when the state records neither, e.g. a hand-made state)."""
    versions = [props.get("version_number"), props.get("live_version_number")]
    owned = [int(v) for v in versions if isinstance(v, int | float) and not isinstance(v, bool)]
    return owned or None


def _check_deployable(checker: InputChecker, graph: Any) -> None:
    """Refuse, in check (so in a preview), to deploy a graph DRAGOPS would refuse for lack of a trigger.

    `graph` is the deployed pattern's graph, which `Deployment.of` passes for this check alone: it is
    taken out of the checked inputs, so it is not stored and never part of a diff (a stack written
    before it existed sees no change). Other graph problems are the Pattern's check's to report.
    """
    if graph is None or contains_unknown(graph) or not isinstance(graph, Mapping):
        return
    nodes = graph.get("nodes")
    types = {n.get("type") for n in nodes if isinstance(n, Mapping)} if isinstance(nodes, list) else set()
    if not types & TRIGGER_TYPES:
        checker.fail(
            "graph",
            "the pattern cannot be deployed: it has no trigger node; DRAGOPS deploys only a graph with one "
            f"of {', '.join(sorted(TRIGGER_TYPES))}",
        )


def _redeployed_elsewhere(olds: Mapping[str, Any]) -> bool:
    """Whether the last refresh saw the pattern running another version than the one this resource
    deployed (an out-of-band redeploy)."""
    seen = olds.get("live_version_number")
    return seen is not None and seen != olds.get("version_number")


def _apply_paused(client: Client, props: Mapping[str, Any], live: LiveDeployment) -> LiveDeployment:
    """Pause or resume a running deployment as the `paused` input asks (Pulumi's part of a deploy)."""
    pattern_id = props["pattern_id"]
    want_paused = bool(props.get("paused"))
    after: LiveDeployment | None = live
    if want_paused and live.status != "paused":
        client.deployments.pause(live.deployment_id)
        after = current_deployment(client, pattern_id)
    elif not want_paused and live.status == "paused":
        client.deployments.resume(live.deployment_id)
        after = current_deployment(client, pattern_id)
    if after is None or after.status != ("paused" if want_paused else "active"):
        raise DragopsProviderError(
            f"the deployment of pattern {pattern_id} is {getattr(after, 'status', 'gone')!r} after "
            f"{'pausing' if want_paused else 'resuming'} it"
        )
    return after


def activation_timeout_from_config(value: Any) -> float:
    """The `dragops:activationTimeout` stack config as seconds (unset: the 120 s default).

    A bad value fails `configure()` with a message naming the key, rather than waiting a surprising time.
    """
    if value is None or value == "":
        return ACTIVATION_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigurationError(
            f"{ACTIVATION_TIMEOUT_CONFIG} must be a positive number of seconds, got {value!r}"
        )
    return seconds


def _smoke_checked(
    client: Client, props: Mapping[str, Any], deployed: Deployed, previous_version: int | None
) -> None:
    """The `smoke` input's test of a deploy; when it fails, what ran before is put back (or the
    deployment removed when nothing ran) and the step fails with the run's error (`dragops_sync.smoke`)."""
    smoke = props.get("smoke")
    if not smoke:
        return
    pattern_id = props["pattern_id"]
    outcome = run_smoke_test(
        client, pattern_id, deployed.deployment.deployment_id, SmokeSettings.model_validate(smoke)
    )
    if outcome.passed:
        return
    how = roll_back(client, pattern_id, previous_version, environment_id=props.get("environment_id"))
    raise DragopsProviderError(f"deploying pattern {pattern_id}: {outcome.describe()}; {how}")


def _outputs(props: Mapping[str, Any], live: Any, triggers: list[dict[str, Any]]) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs["activation_timeout"] = props.get("activation_timeout")
    outs["paused"] = bool(props.get("paused") or False)
    outs["deployment_id"] = live.deployment_id
    outs["status"] = live.status
    outs["version_number"] = live.version_number
    outs["triggers"] = triggers
    return outs


@pulumi.input_type
class DeploymentArgs:
    """The inputs of a `Deployment`."""

    pattern_id: pulumi.Input[str]
    """The id of the pattern to deploy (usually `Pattern.id`); another pattern is another deployment."""
    environment_id: pulumi.Input[str] | None
    """The DRAGOPS environment to deploy into (None: the instance's default); a change redeploys."""
    paused: pulumi.Input[bool] | None
    """True keeps the deployment paused (its triggers do not fire); False or None keeps it running."""
    content_hash: pulumi.Input[str] | None
    """The `Pattern.content_hash` output: when it changes, the pattern is redeployed."""
    activation_timeout: pulumi.Input[float] | None
    """Seconds a deploy may stay pending before `pulumi up` fails (default: the stack's
    `dragops:activationTimeout`, else 120); changing it redeploys nothing."""
    smoke: pulumi.Input[Mapping[str, Any]] | None
    """A smoke test run after every deploy, as `sync.smoke` of a pattern file (`{"webhook": {"payload":
    ...}}` or `{"execute": {"input": ...}}`, `timeout`, `expectLogs`); when it fails, the previous
    deployment is restored and `pulumi up` fails with the run's error. Changing it redeploys nothing."""

    def __init__(
        self,
        *,
        pattern_id: pulumi.Input[str],
        environment_id: pulumi.Input[str] | None = None,
        paused: pulumi.Input[bool] | None = None,
        content_hash: pulumi.Input[str] | None = None,
        activation_timeout: pulumi.Input[float] | None = None,
        smoke: pulumi.Input[Mapping[str, Any]] | None = None,
    ) -> None:
        """`content_hash` takes the `Pattern.content_hash` output: when the pattern's content changes,
        the hash changes and the deployment redeploys (`Deployment.of(name, pattern)` wires both)."""
        self.pattern_id = pattern_id
        self.environment_id = environment_id
        self.paused = paused
        self.content_hash = content_hash
        self.activation_timeout = activation_timeout
        self.smoke = smoke

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "pattern_id": self.pattern_id,
            "environment_id": self.environment_id,
            "paused": self.paused,
            "content_hash": self.content_hash,
            "activation_timeout": self.activation_timeout,
        }
        if self.smoke is not None:  # absent otherwise: states written before it existed diff clean
            props["smoke"] = self.smoke
        return props


class Deployment(Resource, module="dragops", name="Deployment"):
    """The deployment of a pattern. Destroying it undeploys the pattern (when what runs is still the
    version it deployed: a replacement's redeploy, or someone else's, is left running)."""

    pattern_id: pulumi.Output[str]
    """The deployed pattern's id."""
    environment_id: pulumi.Output[str | None]
    """The environment it is deployed into, as declared (or as DRAGOPS reports it after a refresh)."""
    paused: pulumi.Output[bool]
    """Whether the deployment is paused."""
    content_hash: pulumi.Output[str | None]
    """The `content_hash` input it was last deployed for."""
    activation_timeout: pulumi.Output[float | None]
    """The `activation_timeout` input."""
    deployment_id: pulumi.Output[str]
    """DRAGOPS's deployment id (also the resource id); it stays the same across redeploys."""
    status: pulumi.Output[str]
    """`active` or `paused` after an up; a refresh may see `pending` (the next up waits or redeploys)."""
    version_number: pulumi.Output[int]
    """The pattern version this resource deployed (every deploy makes a new version)."""
    live_version_number: pulumi.Output[int | None]
    """Set by a refresh that saw another version running than `version_number` (deployed out of band);
    the next up redeploys the stack's content. None otherwise."""
    triggers: pulumi.Output[list[dict[str, Any]]]
    """The deployed trigger nodes, `[{"type": "OnWebhook", "node_id": "node_1"}, ...]` (feed
    `Webhook`'s `triggers` input with it: `Webhook.of(name, deployment)`)."""

    def __init__(
        self,
        resource_name: str,
        args: DeploymentArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """`Deployment("d", DeploymentArgs(pattern_id=...))`, or with keywords: `Deployment("d",
        pattern_id=...)`. `opts.provider` may be a `pulumi_dragops.Provider` (another instance)."""
        checked = resource_args(DeploymentArgs, args, kwargs, "Deployment")
        opts, namespace = take_provider(opts)
        props = {**checked.to_props(), **dict.fromkeys(SERVER_KEYS)}
        super().__init__(DeploymentProvider(namespace), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],  # the name every Pulumi SDK's get() uses
        *,
        pattern_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> Deployment:
        """An existing deployment (of `pattern_id`, deployment id `id`), read and not managed: the
        program sees its outputs, and `pulumi destroy` leaves it running."""
        props = {"pattern_id": pattern_id, **dict.fromkeys(SERVER_KEYS)}
        return read_existing(
            Deployment, DeploymentProvider, resource_name=resource_name, id=id, props=props, opts=opts
        )

    @classmethod
    def of(
        cls,
        resource_name: str,
        pattern: Any,
        *,
        environment_id: pulumi.Input[str] | None = None,
        paused: pulumi.Input[bool] | None = None,
        activation_timeout: pulumi.Input[float] | None = None,
        smoke: pulumi.Input[Mapping[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> Deployment:
        """Deploy a `Pattern` of the same program, redeploying whenever its content changes (and,
        with `smoke`, checking every deploy: `DeploymentArgs.smoke`)."""
        args = DeploymentArgs(
            pattern_id=pattern.id,
            content_hash=pattern.content_hash,
            environment_id=environment_id,
            paused=paused,
            activation_timeout=activation_timeout,
            smoke=smoke,
        )
        deployment = cls.__new__(cls)
        checked, namespace = take_provider(opts)
        # The pattern's graph rides along for check alone (a preview refuses a graph without a trigger);
        # check takes it out again, so the state never holds it.
        props = {**args.to_props(), "graph": getattr(pattern, "graph", None), **dict.fromkeys(SERVER_KEYS)}
        Resource.__init__(deployment, DeploymentProvider(namespace), resource_name, props, checked)
        return deployment
