"""Drive the Pulumi SDK's real dynamic-provider host over gRPC, the way the Pulumi engine does.

The Pulumi CLI cannot be installed here, so this module stands in for the engine. What it copies, and the
`pulumi/pulumi` source each rule was read from, is written down in `docs/pulumi-engine.md`:

* `ProviderHost` boots `python -u -m pulumi.dynamic` (what the CLI's `pulumi-resource-pulumi-python` shim
  execs), reads the port from the first stdout line, sends `GetPluginInfo` and `Configure` with the
  whole stack config (keys `namespace:key`), and keeps draining the host's stdout/stderr into `log`.
* `MiniEngine` is the step generator and executor for dynamic resources: create, same (old outputs
  kept), update, replace (create-before-delete with the old resource deleted at the END of the update,
  or delete-before-replace when the provider's diff or the resource option asks, with the re-`Check`
  without olds), aliases (a rename that keeps the resource), `--replace` (no Diff asked), previews (Check
  and Diff only; a changed resource's outputs are its inputs, so every other output is unknown to the
  program), resources read by id (`get()`: external, never deleted), refresh (blank id = gone),
  destroy, and the pruning of resources a program stopped registering.

Beyond the engine's rules, for tests: one engine drives several resource types (each `State` remembers
its type token); check failures raise `CheckFailedError` with `(property, reason)` pairs; every gRPC call
is recorded in `calls` and every step in `ops`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc

DIFF_UNKNOWN = pb.DiffResponse.DIFF_UNKNOWN
DIFF_NONE = pb.DiffResponse.DIFF_NONE
DIFF_SOME = pb.DiffResponse.DIFF_SOME
DEFAULT_TYPE = "pulumi-python:dynamic:Resource"

_T = TypeVar("_T")


def provider_blob(provider: ResourceProvider) -> tuple[str, bool]:
    """Exactly what `dynamic.Resource.__init__` puts in `__provider`, and whether it captured secrets."""
    blob, contains_secrets = _serialize(True, serialize_provider, provider)
    return blob, contains_secrets


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    # A private loop, as the host uses: asyncio.run() would clear a caller's current loop (set_mocks).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def plain(value: Any) -> Any:
    """Engine -> provider marshalling with KeepSecrets=false: secrets travel unwrapped."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    return _run(rpc.serialize_properties(plain(dict(props)), {}))


def from_struct(struct: struct_pb2.Struct, keep_unknowns: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns)
    return result


def annotate_secrets(outs: Mapping[str, Any], ins: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's `annotateSecrets`: an output is secret when the same-named input was secret."""
    return {k: rpc.wrap_rpc_secret(v) if rpc.is_rpc_secret(ins.get(k)) else v for k, v in outs.items()}


def mark_secret(outs: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """`ResourceOptions(additional_secret_outputs=[...])`, applied by the engine to the new state."""
    keys = set(keys)
    return {
        k: rpc.wrap_rpc_secret(v) if k in keys and not rpc.is_rpc_secret(v) else v for k, v in outs.items()
    }


class CheckFailedError(Exception):
    """`Check` answered with failures; the engine stops the step and shows them per property."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{prop}: {reason}" for prop, reason in failures))
        self.failures = failures


class ProviderHost:
    """The SDK's `DynamicResourceProviderServicer` in its own process, booted as the engine boots it."""

    def __init__(
        self,
        project: str = "proj",
        stack_config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        """`command` boots another plugin (the native provider: its entry point and the engine's
        address); its `Configure` then gets `stack_config` as the provider's own settings."""
        environ = {**os.environ, "PULUMI_PROJECT": project, **(env or {})}
        self.proc = subprocess.Popen(
            list(command) if command is not None else [sys.executable, "-u", "-m", "pulumi.dynamic"],
            env=environ,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        first = self.proc.stdout.readline()  # the engine reads the port from the first stdout line
        if not first.strip().isdigit():
            self.proc.kill()
            raise RuntimeError(f"dynamic provider host did not print a port: {first!r}")
        self.port = int(first)
        self.log: list[str] = []  # keep draining both pipes: provider prints must never block the host
        self._drainers = [
            threading.Thread(target=self._drain, args=(pipe,), daemon=True)
            for pipe in (self.proc.stdout, self.proc.stderr)
        ]
        for thread in self._drainers:
            thread.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.info = self.stub.GetPluginInfo(empty_pb2.Empty())
        # Dynamic providers get the FULL stack config, keys 'namespace:key' (secrets wrapped; the host
        # unwraps them).
        self.configure_response = self.stub.Configure(
            pb.ConfigureRequest(
                args=_run(rpc.serialize_properties(dict(stack_config or {}), {})),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
            )
        )

    def _drain(self, pipe: Any) -> None:
        for line in pipe:
            self.log.append(line)

    def output(self) -> str:
        """Everything the host printed so far (stdout and stderr)."""
        return "".join(self.log)

    def close(self) -> None:
        # SIGINT is the host's own clean exit path (KeyboardInterrupt), which lets coverage write its data.
        self.channel.close()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for thread in self._drainers:
            thread.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@dataclass
class State:
    """One resource's entry in the stack state."""

    urn: str
    typ: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_outputs: list[str] = field(default_factory=list)
    external: bool = False  # read with `get()`: never deleted by the engine

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]

    def plain_outputs(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.outputs.items()}


@dataclass
class _Run:
    """One `pulumi up` (or `pulumi preview`) in progress: which resources the program registered."""

    preview: bool
    replace: frozenset[str]
    registered: list[str] = field(default_factory=list)


class MiniEngine:
    """The engine's step logic for dynamic resources; see docs/pulumi-engine.md for each rule's source.

    `up()` is one resource's registration. Inside `with engine.update(...):` the calls are one deployment:
    the old resource of a create-before-delete replacement is deleted when the block ends (after every
    create and update), as are, with `prune=True`, the resources the program no longer registers (a
    rename without an alias). Outside such a block each `up()` is its own one-resource update.
    """

    def __init__(
        self, host: ProviderHost, typ: str = DEFAULT_TYPE, project: str = "proj", stack: str = "dev"
    ) -> None:
        self.host = host
        self.default_type = typ
        self.prefix = f"urn:pulumi:{stack}::{project}::"
        self.state: dict[str, State] = {}
        # Old resources replaced create-before-delete, waiting for the end of the update (the engine keeps
        # them in the state marked `delete: true`; a failed update leaves them for the next one).
        self.pending_deletes: list[State] = []
        self.ops: list[tuple[str, str]] = []  # (operation, resource name), for assertions
        self.calls: list[str] = []  # every gRPC method sent to the host, in order
        self._run: _Run | None = None

    def urn(self, name: str, typ: str | None = None) -> str:
        return f"{self.prefix}{typ or self.default_type}::{name}"

    # -- one deployment ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def update(
        self,
        *,
        preview: bool = False,
        replace: Iterable[str] = (),
        prune: bool = False,
        refresh: bool = False,
    ) -> Iterator[MiniEngine]:
        """One `pulumi up` (`preview=True`: `pulumi preview`); `replace` names the `--replace` targets,
        `refresh=True` is `up --refresh` (every resource is read before the program runs).

        When the block ends without an error, the deletes run (GenerateDeletes): replaced old resources,
        and with `prune=True` every resource of the state the program did not register, dependents first
        (the reverse of the order they were created in). A preview only records what it would delete.
        """
        if self._run is not None:
            raise RuntimeError("updates do not nest")
        if refresh:
            self.refresh_all()
        self._run = run = _Run(preview=preview, replace=frozenset(replace))
        try:
            yield self
        finally:
            self._run = None
        condemned = list(self.pending_deletes) if not preview else []
        if prune:
            condemned += [s for n, s in self.state.items() if n not in run.registered]
        for state in reversed(condemned):
            if state.external:
                self.state.pop(state.name, None)
                continue
            if preview:
                self.ops.append(("preview-delete", state.name))
                continue
            self._delete(state)
            if state in self.pending_deletes:
                self.pending_deletes.remove(state)
            elif self.state.get(state.name) is state:
                del self.state[state.name]

    # -- the provider calls ---------------------------------------------------------------------------

    def _check(
        self, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], preview: bool
    ) -> dict[str, Any]:
        self.calls.append("Check")
        response = self.host.stub.Check(pb.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news)))
        if response.failures:
            raise CheckFailedError([(f.property, f.reason) for f in response.failures])
        return annotate_secrets(from_struct(response.inputs, keep_unknowns=preview), news)

    def _create(self, name: str, typ: str, inputs: dict[str, Any], secret_outputs: list[str]) -> State:
        urn = self.urn(name, typ)
        self.calls.append("Create")
        response = self.host.stub.Create(pb.CreateRequest(urn=urn, properties=to_struct(inputs)))
        assert response.id, "plugin returned empty resource.ID from create"
        self.ops.append(("create", name))
        outs = mark_secret(annotate_secrets(from_struct(response.properties, False), inputs), secret_outputs)
        return State(urn, typ, response.id, inputs, outs, secret_outputs)

    def _delete(self, state: State) -> None:
        self.calls.append("Delete")
        self.host.stub.Delete(
            pb.DeleteRequest(
                id=state.id,
                urn=state.urn,
                properties=to_struct(state.outputs),
                old_inputs=to_struct(state.inputs),
            )
        )
        self.ops.append(("delete", state.name))

    def diff(self, name: str, news: Mapping[str, Any]) -> pb.DiffResponse:
        """One raw Diff of the stored resource against (already checked) new inputs."""
        old = self.state[name]
        self.calls.append("Diff")
        return self.host.stub.Diff(
            pb.DiffRequest(
                id=old.id,
                urn=old.urn,
                olds=to_struct(old.outputs),
                news=to_struct(news),
                old_inputs=to_struct(old.inputs),
            )
        )

    # -- registration ---------------------------------------------------------------------------------

    def up(
        self,
        name: str,
        provider: ResourceProvider | None,
        props: Mapping[str, Any],
        *,
        typ: str | None = None,
        aliases: Iterable[str] = (),
        delete_before_replace: bool | None = None,
        additional_secret_outputs: Iterable[str] = (),
        preview: bool = False,
    ) -> State | None:
        """One resource's registration in `pulumi up` (or `pulumi preview`).

        `provider=None` means `props` already carry `__provider` (captured from a real program).
        `aliases` are the resource's former names (`ResourceOptions(aliases=[...])`): the old state is
        found under one of them and carries on under `name`. Returns the new state; for a preview, None
        for a create and otherwise what the program sees: the old outputs for a same step, the checked
        inputs as outputs for an update or replace (the host does not support previews, so the engine
        hands back the inputs, and every output that is not an input is unknown to the program).
        """
        if self._run is None:
            with self.update(preview=preview):
                return self.up(
                    name,
                    provider,
                    props,
                    typ=typ,
                    aliases=aliases,
                    delete_before_replace=delete_before_replace,
                    additional_secret_outputs=additional_secret_outputs,
                )
        run = self._run
        if name in run.registered:
            raise RuntimeError(f"duplicate resource URN for {name!r}")
        run.registered.append(name)
        preview = run.preview
        news = dict(props)
        if provider is not None:
            news["__provider"] = rpc.wrap_rpc_secret(provider_blob(provider)[0])
        old_name = name if name in self.state else next((a for a in aliases if a in self.state), None)
        old = self.state.get(old_name) if old_name is not None else None
        typ = typ or (old.typ if old else self.default_type)
        urn = self.urn(name, typ)
        if old is None:
            inputs = self._check(urn, {}, news, preview)
            if preview:
                self.ops.append(("preview-create", name))
                return None
            self.state[name] = self._create(name, typ, inputs, list(additional_secret_outputs))
            return self.state[name]
        if old_name != name:
            # An alias: the same resource under a new URN (getOldResource); no delete, no create.
            self.ops.append(("alias", f"{old_name}->{name}"))
            if not preview:
                run.registered.append(old_name)  # the old URN is operated on, never pruned
                del self.state[old_name]
                old = self.state[name] = State(urn, typ, old.id, old.inputs, old.outputs, old.secret_outputs)
        inputs = self._check(urn, old.inputs, news, preview)
        if name in run.replace:
            # `--replace`: the engine blames the id and never asks the provider (stepGenerator.diff).
            changes, replaces, provider_dbr = DIFF_SOME, ["id"], False
        else:
            response = self.diff(name if name in self.state else old.name, inputs)
            changes, replaces, provider_dbr = (
                response.changes,
                list(response.replaces),
                response.deleteBeforeReplace,
            )
            if changes == DIFF_UNKNOWN:  # the engine compares old and new *inputs*, __provider included
                changes = DIFF_SOME if plain(old.inputs) != plain(inputs) else DIFF_NONE
        if changes == DIFF_NONE:
            self.ops.append(("preview-same" if preview else "same", name))
            same = State(urn, typ, old.id, inputs, old.outputs, old.secret_outputs)  # OLD outputs kept
            if not preview:
                self.state[name] = same
            return same
        if replaces:
            if name not in run.replace:
                inputs = self._check(urn, {}, news, preview)  # the engine re-checks without olds
            if preview:
                self.ops.append(("preview-replace", name))
                return State(urn, typ, "", inputs, dict(inputs), old.secret_outputs)
            dbr = provider_dbr if delete_before_replace is None else delete_before_replace
            if dbr:
                self._delete(old)
                del self.state[name]
            new = self._create(name, typ, inputs, old.secret_outputs)
            if not dbr:
                self.pending_deletes.append(old)  # deleted at the end of the update
            self.state[name] = new
            return new
        if preview:
            self.ops.append(("preview-update", name))
            return State(urn, typ, old.id, inputs, dict(inputs), old.secret_outputs)
        self.calls.append("Update")
        update = self.host.stub.Update(
            pb.UpdateRequest(
                id=old.id,
                urn=urn,
                olds=to_struct(old.outputs),
                news=to_struct(inputs),
                old_inputs=to_struct(old.inputs),
            )
        )
        self.ops.append(("update", name))
        outs = mark_secret(
            annotate_secrets(from_struct(update.properties, False), inputs), old.secret_outputs
        )
        self.state[name] = State(urn, typ, old.id, inputs, outs, old.secret_outputs)
        return self.state[name]

    # -- refresh and destroy --------------------------------------------------------------------------

    def refresh(self, name: str) -> State | None:
        """`pulumi refresh` of one resource: Read; a blank id drops it from the state."""
        state = self.state[name]
        self.calls.append("Read")
        response = self.host.stub.Read(
            pb.ReadRequest(
                id=state.id,
                urn=state.urn,
                properties=to_struct(state.outputs),
                inputs=to_struct(state.inputs),
            )
        )
        self.ops.append(("read", name))
        if not response.id:
            del self.state[name]
            return None
        state.id = response.id
        state.outputs = mark_secret(
            annotate_secrets(from_struct(response.properties, False), state.outputs), state.secret_outputs
        )
        if response.HasField("inputs"):
            state.inputs = annotate_secrets(from_struct(response.inputs, False), state.inputs)
        return state

    def refresh_all(self) -> None:
        """`pulumi refresh` (or `up --refresh`'s first half): every resource of the state, in order."""
        for name in list(self.state):
            self.refresh(name)

    def read_resource(
        self, name: str, provider: ResourceProvider | None, id_: str, props: Mapping[str, Any], *, typ: str
    ) -> State | None:
        """A resource read by id (`Resource.get`, `opts.id`): `Read(id, properties=the given inputs)`; the
        state entry is external, which the engine never deletes (GenerateReadSteps, ReadStep)."""
        news = dict(props)
        if provider is not None:
            news["__provider"] = rpc.wrap_rpc_secret(provider_blob(provider)[0])
        urn = self.urn(name, typ)
        self.calls.append("Read")
        struct = to_struct(news)  # ReadStep.Apply sends the given inputs as both inputs and state
        response = self.host.stub.Read(pb.ReadRequest(id=id_, urn=urn, properties=struct, inputs=struct))
        self.ops.append(("read-external", name))
        if not response.id:
            raise LookupError(f"resource {name!r} ({typ}) with id {id_!r} does not exist")
        outs = annotate_secrets(from_struct(response.properties, False), news)
        self.state[name] = State(urn, typ, response.id, news, outs, external=True)
        if self._run is not None:
            self._run.registered.append(name)
        return self.state[name]

    def destroy(self, name: str) -> None:
        """`pulumi destroy` of one resource (an external one is only forgotten)."""
        state = self.state.pop(name)
        if state.external:
            self.ops.append(("forget", name))
            return
        self._delete(state)

    def destroy_all(self) -> None:
        """`pulumi destroy`: every resource, dependents (created later) first."""
        for name in reversed(list(self.state)):
            self.destroy(name)
