"""Between the provider protocol's `PropertyValue`s and the plain Python values the shared resource logic
takes (the logic the dynamic provider runs too).

* A preview's unknown becomes the SDK's `Unknown`, which the shared checks already let through
  (`_common.is_unknown`), and back. On the wire an unknown is the protocol's sentinel string
  (`rpc.UNKNOWN`); this version of the experimental API passes it through as a plain string (and
  cannot marshal its own `Computed`), so both spellings are read and the sentinel is written.
* Numbers travel as floats (the protocol has no integers); a whole float becomes an `int` again, so a
  graph read back compares equal to the file it came from.
* Secrets: `secret_keys` of a map come back marked secret, and so does any value that was secret on
  the way in (`secrets_of` finds them), so a secret input never lands in the state in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc

__all__ = ["from_plain", "map_from_plain", "map_to_plain", "secrets_of", "to_plain"]


def to_plain(value: PropertyValue) -> Any:
    """One property value as plain Python (secrets unwrapped: the caller keeps track of them)."""
    raw = value.value
    if isinstance(raw, Computed) or raw == rpc.UNKNOWN:
        return Unknown()  # type: ignore[no-untyped-call]
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else raw
    if isinstance(raw, Mapping):
        return {k: to_plain(v) for k, v in raw.items()}
    if isinstance(raw, tuple):
        return [to_plain(v) for v in raw]
    return raw


def map_to_plain(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: to_plain(v) for k, v in values.items()}


def from_plain(value: Any, *, secret: bool = False) -> PropertyValue:
    """A plain value as a property value; `secret` marks the whole value."""
    if isinstance(value, Unknown):
        converted = PropertyValue(rpc.UNKNOWN)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        converted = PropertyValue(value)
    elif isinstance(value, int | float):
        converted = PropertyValue(float(value))
    elif isinstance(value, Mapping):
        converted = PropertyValue({str(k): from_plain(v) for k, v in value.items()})
    elif isinstance(value, list | tuple):
        converted = PropertyValue([from_plain(v) for v in value])
    else:
        converted = PropertyValue(str(value))
    return converted.with_secret(True) if secret else converted


def map_from_plain(values: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> dict[str, PropertyValue]:
    secret = set(secret_keys)
    return {k: from_plain(v, secret=k in secret) for k, v in values.items()}


def secrets_of(values: Mapping[str, PropertyValue]) -> set[str]:
    """The keys whose value is (or holds) a secret."""
    return {k for k, v in values.items() if v.contains_secret()}
