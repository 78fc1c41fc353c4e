"""`Pattern`: a DRAGOPS pattern (name, metadata and node graph) as a Pulumi dynamic resource.

The provider diffs locally through `dragops_sync.essence.essence`, the normaliser behind
`dragops-sync plan`, so a `pulumi preview` and a sync plan never disagree and Pulumi's float marshalling
or key order never shows up as a phantom change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from dragops_sync.api import (
    APIConnectionError,
    Client,
    ConflictError,
    DragopsError,
    NotFoundError,
    ServerError,
)
from dragops_sync.essence import essence, essence_hash
from dragops_sync.files import load_pattern_file
from dragops_sync.ownership import is_ownership_tag

from ._common import (
    DragopsProvider,
    DragopsProviderError,
    InputChecker,
    api_errors,
    contains_unknown,
    restore_ints,
    text,
)
from ._pattern_checks import check_graph, check_ignore_paths

# Inputs that are pattern content, in the order the API document lists them.
CONTENT_KEYS = ("name", "description", "tags", "is_public", "is_template", "graph")
# Outputs the server sets; declared up front so the resource exposes them as attributes.
SERVER_KEYS = ("version_number", "created_at", "updated_at", "content_hash")
# Pulumi input name -> keyword argument of `client.patterns.create/update`.
_API_KWARGS = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "is_public": "is_public",
    "is_template": "is_template",
    "graph": "graph_data",
}


def pattern_document(props: Mapping[str, Any]) -> dict[str, Any]:
    """The camelCase API document of a pattern's inputs (ints restored from Pulumi's doubles)."""
    document: dict[str, Any] = restore_ints(
        {
            "name": props.get("name"),
            "description": props.get("description") or "",
            "tags": list(props.get("tags") or []),
            "isPublic": bool(props.get("is_public") or False),
            "isTemplate": bool(props.get("is_template") or False),
            "graphData": props.get("graph") or {"nodes": [], "edges": []},
        }
    )
    return document


def comparable(props: Mapping[str, Any], ignore_paths: Any = None) -> dict[str, Any]:
    """The essence of a pattern's inputs, the `ignore_paths` JSON-pointer globs left out."""
    return essence(pattern_document(props), ignore=list(ignore_paths or []))


def _outputs(props: Mapping[str, Any], pattern: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs: the inputs echoed (the engine diffs against OLD OUTPUTS) plus the server's fields."""
    outs = {key: props.get(key) for key in CONTENT_KEYS}
    outs["adopt"] = bool(props.get("adopt") or False)
    outs["ignore_paths"] = list(props.get("ignore_paths") or [])
    outs["version_number"] = pattern.get("versionNumber")
    outs["created_at"] = text(pattern.get("createdAt"))
    outs["updated_at"] = text(pattern.get("updatedAt"))
    # Ignored paths stay out of the hash too, so e.g. a node moved in the dashboard redeploys nothing.
    outs["content_hash"] = essence_hash(comparable(props, props.get("ignore_paths")))
    return outs


def _live_props(pattern: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": pattern.get("name"),
        "description": pattern.get("description") or "",
        "tags": list(pattern.get("tags") or []),
        "is_public": bool(pattern.get("isPublic")),
        "is_template": bool(pattern.get("isTemplate")),
        "graph": pattern.get("graphData") or {"nodes": [], "edges": []},
    }


class PatternProvider(DragopsProvider):
    """CRUD of one DRAGOPS pattern; the resource id is the pattern id."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        inputs = dict(news)
        inputs["name"] = checker.string("name", required=True)
        inputs["description"] = checker.string("description", default="")
        inputs["tags"] = checker.string_list("tags")
        if isinstance(inputs["tags"], list):
            for tag in inputs["tags"]:
                if is_ownership_tag(tag):
                    checker.fail("tags", f"tag {tag!r} is reserved for dragops-sync's ownership mark")
        inputs["is_public"] = checker.boolean("is_public")
        inputs["is_template"] = checker.boolean("is_template")
        inputs["adopt"] = checker.boolean("adopt")
        inputs["ignore_paths"] = check_ignore_paths(checker)
        if news.get("graph") is None:
            checker.fail("graph", "graph is required: an object with nodes and edges")
        else:
            inputs["graph"] = check_graph(checker, news["graph"])
        return CheckResult(inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Computed locally, no API call. `adopt` only matters at create time and `ignore_paths` only
        # shapes the comparison, so neither is compared itself.
        if any(contains_unknown(news.get(key)) for key in (*CONTENT_KEYS, "ignore_paths")):
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        ignore = news.get("ignore_paths")
        changed = comparable(olds, ignore) != comparable(news, ignore)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        document = pattern_document(props)
        name = document["name"]
        fields = _api_fields(document, CONTENT_KEYS)
        with self.client() as client, api_errors(f"creating pattern {name!r}"):
            same_name = _ids_named(client, name)
            if same_name and not props.get("adopt"):
                raise DragopsProviderError(
                    f"a pattern named {name!r} already exists (id {', '.join(same_name)}); pattern names "
                    "identify patterns, so pass adopt=True to take it over, or choose another name"
                )
            if len(same_name) > 1:
                raise DragopsProviderError(
                    f"cannot adopt pattern {name!r}: {len(same_name)} patterns carry that name "
                    f"({', '.join(same_name)}); rename or delete all but one"
                )
            if same_name:
                pattern = client.patterns.update(same_name[0], **fields)
            else:
                try:
                    pattern = client.patterns.create(**fields)
                except (ServerError, APIConnectionError):
                    # The answer may have been lost after the server committed the create: remove any
                    # pattern of that name that appeared meanwhile, so a failed create leaves nothing.
                    _remove_new(client, name, known=same_name)
                    raise
        live = pattern.to_api()
        return CreateResult(live["id"], _outputs(props, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.client() as client, api_errors(f"reading pattern {id_}"):
            try:
                pattern = client.patterns.get(id_)
            except NotFoundError:
                return ReadResult("", {})  # gone: a blank id drops it from the state
        live = pattern.to_api()
        inputs = {
            **_live_props(live),
            "adopt": bool(props.get("adopt") or False),
            "ignore_paths": list(props.get("ignore_paths") or []),
        }
        return ReadResult(id_, _outputs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ignore = news.get("ignore_paths")
        desired, current = comparable(news, ignore), comparable(olds, ignore)
        # Send only the fields whose essence changed: a partial PUT leaves the rest as it is.
        changed = [key for key in CONTENT_KEYS if desired[_ESSENCE_KEY[key]] != current[_ESSENCE_KEY[key]]]
        fields = _api_fields(pattern_document(news), changed)
        with self.client() as client, api_errors(f"updating pattern {id_}"):
            if "name" in fields:
                taken = [other for other in _ids_named(client, fields["name"]) if other != id_]
                if taken:
                    raise DragopsProviderError(
                        f"cannot rename pattern {id_} to {fields['name']!r}: another pattern has that name "
                        f"({', '.join(taken)})"
                    )
            try:
                pattern = client.patterns.update(id_, **fields) if fields else client.patterns.get(id_)
            except NotFoundError as exc:
                raise DragopsProviderError(
                    f"pattern {id_} no longer exists in DRAGOPS; run `pulumi refresh` to drop it from the "
                    "state, then `pulumi up` creates it again"
                ) from exc
        return UpdateResult(_outputs(news, pattern.to_api()))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with self.client() as client, api_errors(f"deleting pattern {id_}"):
            try:
                client.patterns.delete(id_)
            except NotFoundError:
                return  # already gone: that is what delete wanted
            except ConflictError as exc:
                raise DragopsProviderError(
                    f"pattern {id_} is still deployed, and DRAGOPS refuses to delete a deployed pattern; "
                    "undeploy it first (a Deployment resource of this stack is undeployed before its "
                    "pattern is deleted)"
                ) from exc


_ESSENCE_KEY = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "is_public": "isPublic",
    "is_template": "isTemplate",
    "graph": "graphData",
}


def _api_fields(document: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Keyword arguments of `client.patterns.create/update` for the given input keys."""
    return {_API_KWARGS[key]: document[_ESSENCE_KEY[key]] for key in keys}


def _ids_named(client: Client, name: str) -> list[str]:
    # Identity is the exact name (the server's `search` is a partial match; find_by_name filters it).
    return [summary.id for summary in client.patterns.find_by_name(name)]


def _remove_new(client: Client, name: str, *, known: list[str]) -> None:
    try:
        for stray in _ids_named(client, name):
            if stray not in known:
                client.patterns.delete(stray)
    except DragopsError as exc:
        raise DragopsProviderError(
            f"creating pattern {name!r} failed, and removing what the failed create may have left also "
            f"failed ({exc}); look for a stray pattern named {name!r}"
        ) from exc


class PatternArgs:
    """The inputs of a `Pattern`."""

    name: pulumi.Input[str]
    graph: pulumi.Input[Mapping[str, Any]]
    description: pulumi.Input[str] | None
    tags: pulumi.Input[list[pulumi.Input[str]]] | None
    is_public: pulumi.Input[bool] | None
    is_template: pulumi.Input[bool] | None
    adopt: pulumi.Input[bool] | None
    ignore_paths: pulumi.Input[list[str]] | None

    def __init__(
        self,
        *,
        name: pulumi.Input[str],
        graph: pulumi.Input[Mapping[str, Any]],
        description: pulumi.Input[str] | None = None,
        tags: pulumi.Input[list[pulumi.Input[str]]] | None = None,
        is_public: pulumi.Input[bool] | None = None,
        is_template: pulumi.Input[bool] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        ignore_paths: pulumi.Input[list[str]] | None = None,
    ) -> None:
        """`graph` is the pattern's graphData: `{"nodes": [...], "edges": [...], "variables": [...]}`.

        `adopt=True` takes over an existing pattern of the same name instead of failing (Pulumi's
        `import` does not work for dynamic resources). `ignore_paths` are JSON-pointer globs left out of
        every comparison, as in `dragops-sync.yaml`'s `ignore` (e.g. `/graphData/nodes/*/position`, so
        nodes moved in the dashboard are not reverted and redeploy nothing).
        """
        self.name = name
        self.graph = graph
        self.description = description
        self.tags = tags
        self.is_public = is_public
        self.is_template = is_template
        self.adopt = adopt
        self.ignore_paths = ignore_paths

    def to_props(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": self.tags,
            "is_public": self.is_public,
            "is_template": self.is_template,
            "graph": self.graph,
            "adopt": self.adopt,
            "ignore_paths": self.ignore_paths,
        }


class Pattern(Resource, module="dragops", name="Pattern"):
    """A DRAGOPS pattern. Its `id` is the pattern id; `content_hash` changes whenever its content does."""

    name: pulumi.Output[str]
    description: pulumi.Output[str]
    tags: pulumi.Output[list[str]]
    is_public: pulumi.Output[bool]
    is_template: pulumi.Output[bool]
    graph: pulumi.Output[dict[str, Any]]
    adopt: pulumi.Output[bool]
    ignore_paths: pulumi.Output[list[str]]
    version_number: pulumi.Output[int]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    content_hash: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: PatternArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**args.to_props(), **dict.fromkeys(SERVER_KEYS)}
        super().__init__(PatternProvider(), resource_name, props, opts)

    @classmethod
    def from_file(
        cls,
        resource_name: str,
        path: str | Path,
        *,
        name: pulumi.Input[str] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        ignore_paths: pulumi.Input[list[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> Pattern:
        """A pattern from a pattern file of the `dragops-sync` format (JSON or YAML, e.g. a DRAGOPS export).

        The file's optional `sync` block is deployment intent for `dragops-sync`; a Pulumi program states
        deployment with a `Deployment` resource instead, so it is ignored here. `name` overrides the
        file's name (e.g. to suffix it per stack). A bad file raises `PatternFileError` naming the field.
        """
        document = load_pattern_file(Path(path)).document()
        args = PatternArgs(
            name=name if name is not None else document["name"],
            graph=document["graphData"],
            description=document["description"],
            tags=document["tags"],
            is_public=document["isPublic"],
            is_template=document["isTemplate"],
            adopt=adopt,
            ignore_paths=ignore_paths,
        )
        return cls(resource_name, args, opts)
