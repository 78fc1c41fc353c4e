"""`PatternSpec`: a pattern's content as people write it, the one value every comparison and write uses.

A pattern file, a live pattern and a Pulumi `Pattern`'s inputs all become a `PatternSpec`; the planner
compares specs through `essence()`, the client sends `to_api()`, and the Pulumi provider reads its
inputs with `from_pulumi()` and writes its state with `to_pulumi()`. The pattern's fields are listed
once, in `pattern_fields.FIELDS`: a new field is added there and as a `PatternSpec` attribute (and,
when it is not compared as it is, its rule in `essence`), and in the file format (`files.PatternFile`).

Pure: no I/O, no clock, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dragops_sync.essence import Essence, EssenceMemo, canonical_json, restore_integers
from dragops_sync.pattern_fields import FIELDS, PatternField

__all__ = ["FIELDS", "PatternField", "PatternSpec", "empty_graph"]


_BY_API = {f.api: f for f in FIELDS}
_BY_ATTRIBUTE = {f.attribute: f for f in FIELDS}


def empty_graph() -> dict[str, Any]:
    """The graph of a pattern without nodes (what the server stores when none is sent)."""
    return {"nodes": [], "edges": []}


@dataclass(frozen=True)
class PatternSpec:
    """The content of one pattern: name, description, tags, visibility flags and node graph.

    Frozen: `replace()` (or `with_tags`) makes a changed copy. `graph_data` is plain JSON data and
    shared, never changed in place; `to_api()` hands out copies of the containers it builds.
    """

    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    is_public: bool = False
    is_template: bool = False
    graph_data: Mapping[str, Any] = field(default_factory=empty_graph)

    # -- constructors -----------------------------------------------------------------------------

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> PatternSpec:
        """From a camelCase document: a pattern file's export document or the API's pattern JSON.

        Keys that are not pattern content (ids, timestamps, `formatVersion`, `sync`) are ignored;
        absent fields take their defaults.
        """
        description = document.get("description")
        graph = document.get("graphData")
        return cls(
            name=document.get("name") or "",
            description="" if description is None else description,
            tags=tuple(document.get("tags") or ()),
            is_public=bool(document.get("isPublic") or False),
            is_template=bool(document.get("isTemplate") or False),
            graph_data=empty_graph() if graph is None else graph,
        )

    @classmethod
    def from_live(cls, pattern: Any) -> PatternSpec:
        """From a live pattern: a `models.Pattern` (or anything with `to_api()`) or its API JSON."""
        to_api = getattr(pattern, "to_api", None)
        document = to_api() if callable(to_api) else pattern
        if not isinstance(document, Mapping):
            raise TypeError(f"a live pattern must be a model or a JSON object, got {type(pattern).__name__}")
        return cls.from_document(document)

    @classmethod
    def from_pulumi(cls, props: Mapping[str, Any]) -> PatternSpec:
        """From a Pulumi `Pattern`'s inputs (snake_case); integral floats become ints again, since
        Pulumi marshals every number as a double (a node at x=1 arrives as 1.0)."""
        document = {f.api: props.get(f.pulumi) for f in FIELDS}
        return cls.from_document(restore_integers(document))

    # -- views ------------------------------------------------------------------------------------

    def to_api(self, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The camelCase body of a pattern create or update (`fields`: only these API keys)."""
        wanted = [_BY_API[key] for key in fields] if fields is not None else FIELDS
        body: dict[str, Any] = {}
        for f in wanted:
            value = getattr(self, f.attribute)
            if f.attribute == "tags":
                value = list(value)
            elif f.attribute == "graph_data":
                value = dict(value)
            body[f.api] = value
        return body

    def to_pulumi(self) -> dict[str, Any]:
        """The Pulumi inputs this content is written as (snake_case, `graph` for the graph)."""
        return {f.pulumi: value for f, value in zip(FIELDS, self.to_api().values(), strict=True)}

    def essence(self, *, ignore: Sequence[str] = (), memo: EssenceMemo | None = None) -> Essence:
        """The comparable form (see `dragops_sync.essence`), through `memo` when one is given."""
        document = self.to_api()
        return memo.get(document, ignore=ignore) if memo is not None else Essence.of(document, ignore=ignore)

    def changed_fields(self, other: PatternSpec, *, ignore: Sequence[str] = ()) -> tuple[str, ...]:
        """The API keys whose essence differs between `self` and `other`, in `FIELDS` order."""
        mine, theirs = self.essence(ignore=ignore).value, other.essence(ignore=ignore).value
        return tuple(
            f.api for f in FIELDS if canonical_json(mine.get(f.api)) != canonical_json(theirs.get(f.api))
        )

    def with_tags(self, tags: Iterable[str]) -> PatternSpec:
        """This content with `tags` (e.g. the user's tags plus the ownership mark)."""
        return replace(self, tags=tuple(tags))

    @staticmethod
    def api_key(attribute: str) -> str:
        """The API spelling of a `PatternSpec` attribute (`is_public` -> `isPublic`)."""
        return _BY_ATTRIBUTE[attribute].api
