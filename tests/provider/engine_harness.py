"""Drive the Pulumi SDK's real dynamic-provider host over gRPC, the way the Pulumi engine does.

The Pulumi CLI cannot be installed here, so this module stands in for the engine (see
`/work/shared/pulumi-testing.md` section 3.1, from which it is adapted):

* `ProviderHost` boots `python -u -m pulumi.dynamic` (what the CLI's `pulumi-resource-pulumi-python` shim
  execs), reads the port from the first stdout line, sends `GetPluginInfo` and `Configure` with the
  whole stack config (keys `namespace:key`), and keeps draining the host's stdout/stderr into `log`.
* `MiniEngine` copies the engine's step logic for dynamic resources from the `pulumi/pulumi` Go sources
  `pkg/resource/deploy/step_generator.go`, `step.go` and `pkg/resource/plugin/provider_plugin.go`:
  create, same (outputs kept!), update, replace in both orders (with the re-`Check` without olds),
  preview (Check and Diff only, unknowns kept), refresh (blank id = gone) and destroy.

Changes from the reference harness, after reading it critically:
* one engine drives several resource types (each `State` remembers its type token), so a whole program
  (pattern + deployment + webhook + connection) runs through one host;
* check failures raise `CheckFailedError` carrying `(property, reason)` pairs, not a bare `ValueError`;
* `additional_secret_outputs` stays applied after a refresh, as the engine keeps it in the state;
* every gRPC call is recorded in `calls`, so tests can assert e.g. "a preview sends no Create".
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterable, Mapping
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
    ) -> None:
        environ = {**os.environ, "PULUMI_PROJECT": project, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
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

    def plain_outputs(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.outputs.items()}


class MiniEngine:
    """The engine's step logic for dynamic resources (step_generator.go, step.go, provider_plugin.go)."""

    def __init__(
        self, host: ProviderHost, typ: str = DEFAULT_TYPE, project: str = "proj", stack: str = "dev"
    ) -> None:
        self.host = host
        self.default_type = typ
        self.prefix = f"urn:pulumi:{stack}::{project}::"
        self.state: dict[str, State] = {}
        self.ops: list[tuple[str, str]] = []  # (operation, resource name), for assertions
        self.calls: list[str] = []  # every gRPC method sent to the host, in order

    def urn(self, name: str, typ: str | None = None) -> str:
        return f"{self.prefix}{typ or self.default_type}::{name}"

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
        self.ops.append(("delete", state.urn.rsplit("::", 1)[1]))

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

    def up(
        self,
        name: str,
        provider: ResourceProvider | None,
        props: Mapping[str, Any],
        *,
        typ: str | None = None,
        delete_before_replace: bool | None = None,
        additional_secret_outputs: Iterable[str] = (),
        preview: bool = False,
    ) -> State | None:
        """One resource's step of `pulumi up` (or `pulumi preview` with `preview=True`).

        `provider=None` means `props` already carry `__provider` (captured from a real program).
        Returns the new state, the old state for a previewed change, or None for a previewed create.
        """
        news = dict(props)
        if provider is not None:
            news["__provider"] = rpc.wrap_rpc_secret(provider_blob(provider)[0])
        old = self.state.get(name)
        typ = typ or (old.typ if old else self.default_type)
        urn = self.urn(name, typ)
        if old is None:
            inputs = self._check(urn, {}, news, preview)
            if preview:
                self.ops.append(("preview-create", name))
                return None
            self.state[name] = self._create(name, typ, inputs, list(additional_secret_outputs))
            return self.state[name]
        inputs = self._check(urn, old.inputs, news, preview)
        response = self.diff(name, inputs)
        changes = response.changes
        if changes == DIFF_UNKNOWN:  # the engine compares old and new *inputs*, __provider included
            changes = DIFF_SOME if plain(old.inputs) != plain(inputs) else DIFF_NONE
        if changes == DIFF_NONE:
            self.ops.append(("same", name))
            # A same step keeps the OLD outputs (and so the old __provider for later Read/Delete).
            self.state[name] = State(urn, typ, old.id, inputs, old.outputs, old.secret_outputs)
        elif response.replaces:
            if preview:
                self.ops.append(("preview-replace", name))
                return old
            inputs = self._check(urn, {}, news, preview=False)  # the engine re-checks without olds
            dbr = response.deleteBeforeReplace if delete_before_replace is None else delete_before_replace
            if dbr:
                self._delete(old)
                del self.state[name]
            new = self._create(name, typ, inputs, old.secret_outputs)
            if not dbr:
                self._delete(old)  # create-before-delete, the default
            self.state[name] = new
        else:
            if preview:
                self.ops.append(("preview-update", name))
                return old
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

    def destroy(self, name: str) -> None:
        """`pulumi destroy` of one resource."""
        self._delete(self.state.pop(name))
