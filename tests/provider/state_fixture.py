"""The recorded stack of release 0.1.0: where it lives, its JSON format, and the program that made it.

`fixtures/make_state_v0_1.py` wrote it once; `test_provider_state_upgrade.py` loads it. The JSON keeps
each resource the way a Pulumi checkpoint does (`urn`, `type`, `id`, `inputs`, `outputs`,
`additionalSecretOutputs`), plus what the release's `Read` answered for it right after that `pulumi up`
(`refreshed`: id, inputs, outputs), secrets in the form of `pulumi stack export --show-secrets`:
`{"4dabf…": "1b47…", "plaintext": "<the value as JSON>"}` (a real checkpoint holds `ciphertext` there; this
harness has no secrets manager, and every secret in the fixture is a test value).

The program runs under `set_mocks` with each dynamic resource sent through `MiniEngine.up`, like
`EngineBackedMocks`, and additionally with the `additional_secret_outputs` each resource declares (the
engine keeps those in the state; plain mocks never see resource options).
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from engine_harness import MiniEngine, State, plain
from program_harness import DYNAMIC_PREFIX, EngineBackedMocks, engine_key
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PROGRAM = FIXTURES / "state_v0_1_program.py"
STATE_JSON = FIXTURES / "state-v0.1.0.json"
STATE_DB = FIXTURES / "state-v0.1.0.sqlite"

PROJECT = "proj"
STACK = "upgrade"
# The fixture user of the emulator database and the program's secret: sentinel test values only.
EMAIL = "state-fixture@example.test"
PASSWORD = "SENTINEL-state-v0.1.0-password!"
SLACK_TOKEN = "xoxb-SENTINEL-state-v0.1.0"

# Pulumi's property-value signatures (sdk/go/common/resource/properties.go): a wire and file format.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def to_export(value: Any) -> Any:
    """Harness values (secrets wrapped the rpc way) -> the checkpoint's JSON (secrets as `plaintext`)."""
    if rpc.is_rpc_secret(value):
        return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(to_export(rpc.unwrap_rpc_secret(value)))}
    if isinstance(value, dict):
        return {k: to_export(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_export(v) for v in value]
    return value


def from_export(value: Any) -> Any:
    """The checkpoint's JSON -> harness values (the inverse of `to_export`)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return rpc.wrap_rpc_secret(from_export(json.loads(value["plaintext"])))
        return {k: from_export(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_export(v) for v in value]
    return value


def without_secrets(value: Any) -> Any:
    """The checkpoint's JSON with every secret-marked value blanked: what may be read in clear."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {SIG_KEY: SECRET_SIG, "plaintext": "[secret]"}
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def _rebased(value: Any, old_url: str, new_url: str) -> Any:
    if isinstance(value, str) and value.startswith(old_url):
        return new_url + value[len(old_url) :]
    if isinstance(value, dict):
        return {k: _rebased(v, old_url, new_url) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebased(v, old_url, new_url) for v in value]
    return value


@dataclass(frozen=True)
class RecordedStack:
    """A stack as the release wrote it: config (secrets wrapped) and each resource's state by key, and
    the state a refresh by the release made of it (`refreshed`, same keys)."""

    instance_url: str
    config: dict[str, Any]
    states: dict[str, State]  # keyed `Kind:name` (program_harness.engine_key), in creation order
    refreshed: dict[str, State]

    def host_config(self, url: str) -> dict[str, Any]:
        """The whole stack config the provider host is configured with, pointing at `url`."""
        return {**self.config, "dragops:url": url}


def save_stack(path: Path, *, about: str, release: Mapping[str, str], stack: RecordedStack) -> None:
    document = {
        "about": about,
        "release": dict(release),
        "project": PROJECT,
        "stack": STACK,
        "instance_url": stack.instance_url,
        "config": to_export(stack.config),
        "resources": [
            {
                "key": key,
                "urn": state.urn,
                "type": state.typ,
                "id": state.id,
                "inputs": to_export(state.inputs),
                "outputs": to_export(state.outputs),
                "additionalSecretOutputs": list(state.secret_outputs),
                "refreshed": {
                    "id": stack.refreshed[key].id,
                    "inputs": to_export(stack.refreshed[key].inputs),
                    "outputs": to_export(stack.refreshed[key].outputs),
                },
            }
            for key, state in stack.states.items()
        ],
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_stack(path: Path, *, instance_url: str | None = None) -> RecordedStack:
    """The recorded stack; with `instance_url`, values naming the recorded instance's address name that
    one instead (the webhook `url`): the instance moved ports, not the user's stack."""
    document = json.loads(path.read_text(encoding="utf-8"))
    old_url = document["instance_url"]
    new_url = instance_url or old_url

    def state(entry: Mapping[str, Any], values: Mapping[str, Any]) -> State:
        return State(
            urn=entry["urn"],
            typ=entry["type"],
            id=values["id"],
            inputs=_rebased(from_export(values["inputs"]), old_url, new_url),
            outputs=_rebased(from_export(values["outputs"]), old_url, new_url),
            secret_outputs=list(entry["additionalSecretOutputs"]),
        )

    resources = document["resources"]
    return RecordedStack(
        new_url,
        from_export(document["config"]),
        states={entry["key"]: state(entry, entry) for entry in resources},
        refreshed={entry["key"]: state(entry, entry["refreshed"]) for entry in resources},
    )


class StackMocks(EngineBackedMocks):
    """`EngineBackedMocks` also applying each resource's `additional_secret_outputs`, as the engine does."""

    def __init__(self, engine: MiniEngine) -> None:
        super().__init__(engine)
        self.secret_outputs: dict[str, list[str]] = {}  # by engine key, as the program declared them

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC_PREFIX):
            return super().new_resource(args)
        self.seen.append(args)
        key = engine_key(args)
        state = self.engine.up(
            key, None, dict(args.inputs), typ=args.typ, additional_secret_outputs=self.secret_outputs[key]
        )
        assert state is not None
        return state.id, {k: plain(v) for k, v in state.outputs.items() if k != "__provider"}


class _OptionsMonitor(MockMonitor):
    """The SDK's mock monitor, handing each registration's `additionalSecretOutputs` to the mocks."""

    def __init__(self, mocks: StackMocks) -> None:
        super().__init__(mocks)
        self.stack_mocks = mocks

    def RegisterResource(self, request: Any) -> Any:
        if request.type.startswith(DYNAMIC_PREFIX):  # not the root `pulumi:pulumi:Stack`
            key = f"{request.type.rsplit(':', 1)[1]}:{request.name}"
            self.stack_mocks.secret_outputs[key] = list(request.additionalSecretOutputs)
        return super().RegisterResource(request)


def run_stack_program(engine: MiniEngine, config: Mapping[str, Any]) -> StackMocks:
    """`pulumi up` of the fixture program through `engine` (whose state may hold an older release's)."""
    mocks = StackMocks(engine)
    secret_keys = [key for key, value in config.items() if rpc.is_rpc_secret(value)]

    @pulumi.runtime.test
    def up() -> Any:
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=STACK, preview=False, monitor=_OptionsMonitor(mocks)
        )
        pulumi.runtime.set_all_config({k: str(plain(v)) for k, v in config.items()}, secret_keys)
        ns = runpy.run_path(str(PROGRAM), run_name="__main__")
        return pulumi.Output.all(
            *(ns[name].id for name in ("inline", "logger", "deployment", "webhook", "slack"))
        )

    up()
    return mocks


def secret_keys(props: Mapping[str, Any]) -> set[str]:
    return {key for key, value in props.items() if rpc.is_rpc_secret(value)}


def clear_text_leaks(document: Any, needles: Iterable[str]) -> list[str]:
    """The `needles` found in `document` (checkpoint JSON) outside secret-marked values."""
    text = json.dumps(without_secrets(document))
    return [needle for needle in needles if needle in text]
