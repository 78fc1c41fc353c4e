"""Run a real Pulumi program file under `set_mocks`, with invented outputs or through the real host.

`RecordingMocks` proves the wiring (types, inputs, Outputs across resources, secrets, pickling) without
running provider code. `EngineBackedMocks` forwards each dynamic resource's SDK-serialised inputs,
`__provider` blob included, to `MiniEngine.up`, so the program runs end to end: program -> SDK -> real
host over gRPC -> provider -> HTTP -> emulator. Other resource types (e.g. `pulumi_github`) are recorded
and echoed, which is what "its tests mock the GitHub resource" means.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from engine_harness import MiniEngine, plain
from pulumi.runtime import rpc

DYNAMIC_PREFIX = "pulumi-python:dynamic/"


class RecordingMocks(pulumi.runtime.Mocks):
    """Plain mocks: record every registration and answer with `invent(args)` (id, outputs)."""

    def __init__(
        self, invent: Callable[[pulumi.runtime.MockResourceArgs], tuple[str, dict[str, Any]]]
    ) -> None:
        self.seen: list[pulumi.runtime.MockResourceArgs] = []
        self.invent = invent

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.seen.append(args)
        return self.invent(args)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def by_type(self, token: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [a for a in self.seen if a.typ == token]


class EngineBackedMocks(RecordingMocks):
    """Dynamic resources go through the real provider host; anything else is recorded and echoed."""

    def __init__(self, engine: MiniEngine, *, preview: bool = False, prefix: str = DYNAMIC_PREFIX) -> None:
        """`prefix`: the type tokens the engine's plugin serves (the dynamic host's by default;
        `dragops:` for the native provider plugin)."""
        super().__init__(lambda args: (f"{args.name}-id", dict(args.inputs)))
        self.engine = engine
        self.preview = preview
        self.prefix = prefix

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not args.typ.startswith(self.prefix):
            return super().new_resource(args)
        self.seen.append(args)
        if args.resource_id:  # Resource.get(): read, not managed
            read = self.engine.read_resource(
                engine_key(args), None, args.resource_id, dict(args.inputs), typ=args.typ
            )
            assert read is not None
            return read.id, {k: plain(v) for k, v in read.outputs.items() if k != "__provider"}
        state = self.engine.up(engine_key(args), None, dict(args.inputs), typ=args.typ, preview=self.preview)
        if state is None:  # a previewed create: the engine has no id or outputs yet
            return "", {}
        return state.id, {k: plain(v) for k, v in state.outputs.items() if k != "__provider"}


def engine_key(args: pulumi.runtime.MockResourceArgs) -> str:
    """The harness keys its state by name; a program reuses one name across types (as URNs allow), so the
    key is `Kind:name`, e.g. `Pattern:webhook-logger`."""
    return f"{args.typ.rsplit(':', 1)[1]}:{args.name}"


def run_program(
    program: Path,
    mocks: pulumi.runtime.Mocks,
    *,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    project: str = "proj",
    stack: str = "dev",
    preview: bool = False,
) -> dict[str, Any]:
    """Run `program` (a Pulumi `__main__.py`) under `mocks`; returns its module namespace."""
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview)
    pulumi.runtime.set_all_config(dict(config or {}), secret_keys or [])
    return runpy.run_path(str(program), run_name="__main__")


def unwrap(value: Any) -> Any:
    return rpc.unwrap_rpc_secret(value)
