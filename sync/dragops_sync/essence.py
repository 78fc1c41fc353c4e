"""The essence of a pattern: the one normaliser behind every comparison.

`dragops-sync plan` and the Pulumi provider's `diff` both compare patterns through `essence()`, so a
preview and a plan never disagree (normalise before diffing, as gitops-engine does). The essence keeps
what a user writes (name, description, tags, visibility flags, graph) and drops what the server sets
(ids, timestamps, version numbers), the file-only `formatVersion` and `sync` block, and the sync's own
ownership tags. It also removes representation noise: tag order, node/edge order, absent-vs-default
values, and float-vs-int marshalling (Pulumi marshals every number as a float).

This module is pure: no I/O, no clock, no network.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dragops_sync.ownership import is_ownership_tag
from dragops_sync.pattern_fields import FIELDS

__all__ = [
    "ESSENCE_KEYS",
    "GRAPH_KEYS",
    "Essence",
    "EssenceMemo",
    "canonical_json",
    "essence",
    "essence_hash",
    "restore_integers",
    "short_hash",
]

# The comparable fields (API spelling), in the order they are reported.
ESSENCE_KEYS = tuple(f.api for f in FIELDS)

GRAPH_KEYS = ("nodes", "edges", "variables")

# snake_case spellings accepted as well, so a model dump or Pulumi inputs normalise the same way.
_ALIASES = {f.attribute: f.api for f in FIELDS if f.attribute != f.api}

# Length of the applied hash kept in the ownership tag (docs/decisions.md D19).
_SHORT_HASH_LEN = 12


def canonical_json(obj: Any) -> str:
    """Serialise `obj` deterministically: sorted keys, compact separators, UTF-8 kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def essence_hash(ess: Mapping[str, Any]) -> str:
    """The sha256 hex digest of the canonical JSON of an essence."""
    return hashlib.sha256(canonical_json(ess).encode("utf-8")).hexdigest()


def short_hash(ess: Mapping[str, Any]) -> str:
    """The first 12 hex digits of `essence_hash`: what the `applied` ownership tag records."""
    return essence_hash(ess)[:_SHORT_HASH_LEN]


def essence(pattern: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> dict[str, Any]:
    """The comparable content of a pattern (an API pattern dict or a pattern-file document).

    Keeps name, description, tags, isPublic, isTemplate and graphData; fills their defaults; strips
    ownership tags and sorts (and de-duplicates) the rest; turns integral floats into ints anywhere;
    sorts nodes, edges and variables by id (variables by name); drops an empty `variables` list.
    `ignore` holds JSON-pointer globs (`*` matches any key or index, fnmatch within a segment) whose
    targets are removed, e.g. `/graphData/nodes/*/position`.
    """
    src: dict[str, Any] = {}
    for key, value in pattern.items():
        name = _ALIASES.get(key, key)
        # A camelCase key wins over its snake_case twin when both are present.
        if name in ESSENCE_KEYS and (name == key or name not in src):
            src[name] = value

    pattern_name = src.get("name")
    description = src.get("description")
    tags = src.get("tags") or []
    ess: dict[str, Any] = {
        # the server strips surrounding whitespace from names; so must the comparison
        "name": pattern_name.strip() if isinstance(pattern_name, str) else pattern_name,
        "description": "" if description is None else description,
        "tags": _user_tags(tags),
        "isPublic": bool(src.get("isPublic") or False),
        "isTemplate": bool(src.get("isTemplate") or False),
        "graphData": _graph(src.get("graphData")),
    }
    ess = restore_integers(ess)
    for pointer in ignore:
        _remove_pointer(ess, _split_pointer(pointer))
    return ess


@dataclass(frozen=True)
class Essence:
    """An essence with its canonical JSON and short hash, each computed once.

    `value` may be shared (an `EssenceMemo` hands the same one to every caller): read it, never
    change it.
    """

    value: dict[str, Any]
    canonical: str
    short_hash: str

    @classmethod
    def of(cls, pattern: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> Essence:
        """Compute the essence of `pattern` (see `essence`), its canonical JSON and short hash."""
        value = essence(pattern, ignore=ignore)
        text = canonical_json(value)
        return cls(value, text, _sha256(text)[:_SHORT_HASH_LEN])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EssenceMemo:
    """Essences computed before, by content, so a reconcile of unchanged patterns computes none.

    The key is the digest of the canonical JSON of exactly the fields `essence` reads, plus `ignore`:
    equal inputs give an equal essence whatever document they come from (a file, the API, a cache),
    so nothing (an `updatedAt`, a version number) has to be trusted. Serialising the inputs runs in
    C and costs a fraction of normalising them.

    Two generations bound the memory: `rotate()` (once per reconcile) drops what the reconcile
    before the last one used and this one did not. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: dict[tuple[str, tuple[str, ...]], Essence] = {}
        self._previous: dict[tuple[str, tuple[str, ...]], Essence] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._current.keys() | self._previous.keys())

    def __repr__(self) -> str:
        return f"EssenceMemo(entries={len(self)})"

    def get(self, pattern: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> Essence:
        """The `Essence` of `pattern`, computed only when these inputs were not seen lately."""
        inputs = {k: v for k, v in pattern.items() if _ALIASES.get(k, k) in ESSENCE_KEYS}
        try:
            key = (_sha256(canonical_json(inputs)), tuple(ignore))
        except (TypeError, ValueError):
            # Not serialisable as it stands (YAML allows keys of mixed types, which cannot be
            # sorted): no key, so computed every time, as without a memo.
            return Essence.of(pattern, ignore=ignore)
        with self._lock:
            found = self._current.get(key)
            if found is None and (found := self._previous.pop(key, None)) is not None:
                self._current[key] = found
        if found is not None:
            return found
        made = Essence.of(pattern, ignore=ignore)
        with self._lock:
            self._current[key] = made
        return made

    def rotate(self) -> None:
        """Start a new generation: entries unused since the last rotation are forgotten."""
        with self._lock:
            self._previous, self._current = self._current, {}


def _user_tags(tags: Any) -> Any:
    if not isinstance(tags, list | tuple):
        return tags  # not a list: compared as is (validation reports it)
    # De-duplicated by canonical JSON; a string is its own key (serialising it would only cost
    # time), and a tuple key never equals a string one.
    unique = {t if isinstance(t, str) else (canonical_json(t),): t for t in tags if not is_ownership_tag(t)}
    return sorted(unique.values(), key=_sort_key)


def _sort_key(value: Any) -> tuple[int, str]:
    # Strings first in their natural order; anything else after, by its canonical JSON.
    return (0, value) if isinstance(value, str) else (1, canonical_json(value))


def _by_field(items: list[Any], field: str) -> list[Any]:
    def rank(item: Any) -> tuple[int, str]:
        if isinstance(item, Mapping) and isinstance(item.get(field), str):
            return (0, item[field])
        return (1, "")

    def key(item: Any) -> tuple[int, str, str]:
        return (*rank(item), canonical_json(item))

    # Ids are unique in any sane graph, and then the id alone fixes the order; the canonical JSON
    # (costly to build) only breaks ties, so it is computed only when there is one.
    ranks = [rank(item) for item in items]
    if len(set(ranks)) == len(ranks):
        return [item for _, item in sorted(zip(ranks, items, strict=True), key=lambda pair: pair[0])]
    return sorted(items, key=key)


def _graph(graph: Any) -> Any:
    if graph is None:
        return {"nodes": [], "edges": []}
    if not isinstance(graph, Mapping):
        return graph  # not a graph: compared as is (validation reports it); _numbers copies it
    out = dict(graph)  # containers are rebuilt by _numbers, so the caller's data is never shared
    for key, field in (("nodes", "id"), ("edges", "id")):
        value = out.get(key)
        if value is None:
            out[key] = []
        elif isinstance(value, list):
            out[key] = _by_field(value, field)
    variables = out.get("variables")
    if variables is None or variables == []:
        out.pop("variables", None)
    elif isinstance(variables, list):
        out["variables"] = _by_field(variables, "name")
    return out


def restore_integers(value: Any) -> Any:
    """Integral floats become ints, recursively (1.0 -> 1, -0.0 -> 0); bools are left alone.

    Pulumi marshals every number as a double, so inputs read back from it need this too.
    """
    # Exact-type fast paths for what parsed JSON is made of; the general checks below are the rule.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k: restore_integers(v) for k, v in value.items()}
    if kind is list:
        return [restore_integers(v) for v in value]
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {k: restore_integers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [restore_integers(v) for v in value]
    return value


def _split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    parts = pointer.lstrip("/").split("/")
    return [p.replace("~1", "/").replace("~0", "~") for p in parts]


def _remove_pointer(node: Any, parts: list[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        for key in [k for k in node if fnmatch.fnmatchcase(str(k), head)]:
            if rest:
                _remove_pointer(node[key], rest)
            else:
                del node[key]
    elif isinstance(node, list):
        matches = [i for i in range(len(node)) if fnmatch.fnmatchcase(str(i), head)]
        if rest:
            for i in matches:
                _remove_pointer(node[i], rest)
        else:
            for i in reversed(matches):
                del node[i]
