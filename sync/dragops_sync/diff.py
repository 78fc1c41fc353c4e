"""Field-level differences between two essences, as a plan shows them.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dragops_sync.essence import ESSENCE_KEYS, GRAPH_KEYS, canonical_json

__all__ = ["FieldChange", "diff_essence", "graph_changed"]


@dataclass(frozen=True)
class FieldChange:
    """One difference between two essences.

    `path` is a JSON pointer into the essence, except that inside a list of objects with unique
    string ids (nodes, edges) the segment is the element's id rather than its index, so inserting a
    node does not shift every later path. `before` is the live value, `after` the desired one; `op`
    says whether the field is added, removed or replaced (an absent side is None).
    """

    path: str
    before: Any
    after: Any
    op: Literal["add", "remove", "replace"] = "replace"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "before": self.before, "after": self.after}


def diff_essence(desired: Mapping[str, Any], live: Mapping[str, Any]) -> list[FieldChange]:
    """The field-level changes that turn `live` into `desired` (both already essences)."""
    changes: list[FieldChange] = []
    _diff(desired, live, "", changes)
    return changes


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _ids(items: list[Any]) -> list[str] | None:
    ids = [i.get("id") for i in items if isinstance(i, Mapping)]
    if len(ids) != len(items) or not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return ids  # type: ignore[return-value]


def _same(a: Any, b: Any) -> bool:
    """Whether ``canonical_json(a) == canonical_json(b)``, without serialising plain JSON data.

    Anything but plain JSON data (non-string keys, other types) is compared by the rule itself.
    """
    ta, tb = type(a), type(b)
    if ta is dict and tb is dict:
        if not all(type(k) is str for k in a) or not all(type(k) is str for k in b):
            return canonical_json(a) == canonical_json(b)  # keys that JSON turns into strings
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if ta in _ARRAYS and tb in _ARRAYS:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if ta is float and tb is float:
        return repr(a) == repr(b)  # as JSON writes them: -0.0 is not 0.0, and NaN is NaN
    if ta in _SCALARS and tb in _SCALARS:
        # One JSON type each (True is not 1, 1 is not 1.0: their texts differ), else no match.
        return ta is tb and a == b
    return canonical_json(a) == canonical_json(b)


# The exact types of plain JSON data, for `_same`.
_ARRAYS = (list, tuple)
_SCALARS = (str, int, bool, float, type(None))


def _str_keys(mapping: Mapping[Any, Any]) -> bool:
    return all(type(k) is str for k in mapping)


def _diff(after: Any, before: Any, path: str, out: list[FieldChange]) -> None:
    # Containers are descended without comparing them first (a comparison at every level would
    # cost the depth times the size); equal parts simply report nothing. Values are compared where
    # the descent stops, as their canonical JSON would be.
    if isinstance(after, Mapping) and isinstance(before, Mapping):
        if not (_str_keys(after) and _str_keys(before)) and canonical_json(after) == canonical_json(before):
            return  # keys that JSON writes as strings ({1: x} is {"1": x}): equal, key for key or not
        first = ESSENCE_KEYS if path == "" else GRAPH_KEYS if path == "/graphData" else ()
        keys = [k for k in first if k in after or k in before]
        keys += sorted((set(after) | set(before)) - set(keys), key=str)
        for key in keys:
            sub = f"{path}/{_escape(str(key))}"
            if key not in before:
                out.append(FieldChange(sub, None, after[key], "add"))
            elif key not in after:
                out.append(FieldChange(sub, before[key], None, "remove"))
            else:
                _diff(after[key], before[key], sub, out)
        return
    if isinstance(after, list) and isinstance(before, list):
        after_ids, before_ids = _ids(after), _ids(before)
        if after_ids is not None and before_ids is not None and (after or before):
            by_after = dict(zip(after_ids, after, strict=True))
            by_before = dict(zip(before_ids, before, strict=True))
            for item_id in sorted(set(after_ids) | set(before_ids)):
                sub = f"{path}/{_escape(item_id)}"
                if item_id not in by_before:
                    out.append(FieldChange(sub, None, by_after[item_id], "add"))
                elif item_id not in by_after:
                    out.append(FieldChange(sub, by_before[item_id], None, "remove"))
                else:
                    _diff(by_after[item_id], by_before[item_id], sub, out)
            return
        scalars = all(not isinstance(v, Mapping | list) for v in [*after, *before])
        if len(after) == len(before) and not scalars:
            for index, (a, b) in enumerate(zip(after, before, strict=True)):
                _diff(a, b, f"{path}/{index}", out)
            return
    if not _same(after, before):
        out.append(FieldChange(path or "/", before, after, "replace"))


def graph_changed(changes: Sequence[FieldChange]) -> bool:
    """Whether any of `changes` is in the graph (a deployed pattern then needs a redeploy)."""
    return any(change.path == "/graphData" or change.path.startswith("/graphData/") for change in changes)
