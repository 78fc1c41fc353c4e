"""Test-only dynamic providers that record what the real host hands them (importable by the host too).

Providers are pickled by reference, so the host must import this module: the provider host fixtures put
this directory on the host's PYTHONPATH (as a real program's directory is the host's cwd).
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pulumi.output import Unknown


def _describe(value: Any) -> Any:
    """A JSON-safe picture of a value: its type name and, for containers, their members."""
    if isinstance(value, Unknown):
        return "<Unknown>"
    if isinstance(value, dict):
        return {k: _describe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_describe(v) for v in value]
    return f"{type(value).__name__}:{value!r}"


class EchoProvider(ResourceProvider):
    """Echoes what it was given: check returns the picture of `news` under `seen`, create its inputs."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(
            {**news, "seen": _describe({k: v for k, v in news.items() if k != "__provider"})}, []
        )

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=True, replaces=["region"], stables=["id"], delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(
            "echo-1", {"got": _describe({k: v for k, v in props.items() if k != "__provider"})}
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult("", {})


class DefaultDiffProvider(ResourceProvider):
    """No diff() override: the host answers DIFF_UNKNOWN and the engine compares inputs itself."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("dd-1", dict(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(dict(news))


class ZonedProvider(ResourceProvider):
    """A resource whose `zone` cannot change in place: a new zone is a replacement, and the provider
    asks for delete-before-replace when the input `dbr` is true. Outputs add a server-made `serial`."""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in ("zone", "size") if olds.get(k) != news.get(k)]
        return DiffResult(
            changes=bool(changed),
            replaces=[k for k in changed if k == "zone"],
            delete_before_replace=bool(news.get("dbr")),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        import uuid

        serial = uuid.uuid4().hex[:8]
        return CreateResult(f"{props.get('zone')}-{serial}", {**props, "serial": serial})

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, "serial": id_.rsplit("-", 1)[1]})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("fail_delete"):
            raise RuntimeError(f"refusing to delete {id_}")
