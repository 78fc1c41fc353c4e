"""`Pattern`: a DRAGOPS pattern (name, metadata and node graph) as a Pulumi dynamic resource.

The provider reads its inputs as a `dragops_sync.spec.PatternSpec` and diffs locally through the spec's
essence, the normaliser behind `dragops-sync plan`, so a `pulumi preview` and a sync plan never disagree
and Pulumi's float marshalling or key order never shows up as a phantom change. The writes are the shared
`dragops_sync.operations`; what stays here is Pulumi's: inputs, outputs and their diff.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from dragops_sync.api import ConflictError, NotFoundError
from dragops_sync.essence import essence_hash
from dragops_sync.files import load_pattern_file
from dragops_sync.operations import (
    AmbiguousNameError,
    NameTakenError,
    create_pattern,
    delete_pattern,
    find_pattern,
    update_pattern,
)
from dragops_sync.ownership import OWNER_TAG_PREFIX, is_ownership_tag, ownership_mark, strip_ownership_tags
from dragops_sync.refs import graph_references
from dragops_sync.spec import FIELDS, PatternSpec
from dragops_sync.variables import Variables

from ._common import (
    DragopsProvider,
    DragopsProviderError,
    InputChecker,
    api_errors,
    contains_unknown,
    text,
)
from ._pattern_checks import check_graph, check_ignore_paths
from ._shape import read_existing, resource_args, take_provider

# Inputs that are pattern content, in the order the API document lists them.
CONTENT_KEYS = tuple(f.pulumi for f in FIELDS)
# Outputs the server sets; declared up front so the resource exposes them as attributes.
SERVER_KEYS = ("version_number", "created_at", "updated_at", "content_hash", "owner_tag")
# The owner value of the mark a Pattern resource puts on its pattern: `dragops-sync:owner=pulumi-<hex>`.
OWNER_PREFIX = "pulumi-"


def _ignored(props: Mapping[str, Any]) -> list[str]:
    """The `ignore_paths` JSON-pointer globs: left out of every comparison and of the content hash."""
    return list(props.get("ignore_paths") or [])


def _new_owner_tag() -> str:
    """A fresh owner mark for one Pattern resource (random: a provider never learns its resource's URN)."""
    return f"{OWNER_TAG_PREFIX}{OWNER_PREFIX}{uuid.uuid4().hex[:12]}"


def _marked(spec: PatternSpec, owner_tag: str | None) -> PatternSpec:
    """The spec as written: the user's tags, then this resource's owner mark (when it has one)."""
    tags = strip_ownership_tags(spec.tags)
    return spec.with_tags([*tags, owner_tag] if owner_tag else tags)


def _outputs(
    props: Mapping[str, Any], pattern: Mapping[str, Any], owner_tag: str | None = None
) -> dict[str, Any]:
    """Outputs: the inputs echoed (the engine diffs against OLD OUTPUTS) plus the server's fields."""
    outs = {key: props.get(key) for key in CONTENT_KEYS}
    outs["adopt"] = bool(props.get("adopt") or False)
    outs["ignore_paths"] = _ignored(props)
    outs["version_number"] = pattern.get("versionNumber")
    outs["created_at"] = text(pattern.get("createdAt"))
    outs["updated_at"] = text(pattern.get("updatedAt"))
    # Ignored paths stay out of the hash too, so e.g. a node moved in the dashboard redeploys nothing.
    # The hash is in users' state (and feeds Deployment.content_hash): its recipe never changes.
    outs["content_hash"] = essence_hash(PatternSpec.from_pulumi(props).essence(ignore=_ignored(props)).value)
    # The mark this resource put on the pattern; its delete removes only a pattern still marked so (or
    # unmarked): after a rename, the new resource adopts and re-marks the pattern before the engine
    # deletes the old resource. None in states written before marks existed.
    outs["owner_tag"] = owner_tag
    return outs


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
        changed = _changed_fields(olds, news)
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        owner_tag = _new_owner_tag()
        spec = _marked(PatternSpec.from_pulumi(props), owner_tag)
        name = spec.name
        with self.client() as client, api_errors(f"creating pattern {name!r}"):
            try:
                found = find_pattern(client, name)
            except AmbiguousNameError as exc:
                ids = ", ".join(exc.ids)
                if not props.get("adopt"):
                    raise _name_in_use(name, ids) from exc
                raise DragopsProviderError(
                    f"cannot adopt pattern {name!r}: {len(exc.ids)} patterns carry that name ({ids}); "
                    "rename or delete all but one"
                ) from exc
            if found is not None and not props.get("adopt"):
                raise _name_in_use(name, found.id)
            if found is not None:
                pattern = update_pattern(client, found.id, spec)
            else:
                # All or nothing: a create whose answer was lost removes what it may have left.
                pattern = create_pattern(client, spec, all_or_nothing=True)
        live = pattern.to_api()
        return CreateResult(live["id"], _outputs(props, live, owner_tag))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.client() as client, api_errors(f"reading pattern {id_}"):
            try:
                pattern = client.patterns.get(id_)
            except NotFoundError:
                return ReadResult("", {})  # gone: a blank id drops it from the state
        live = pattern.to_api()
        spec = PatternSpec.from_live(live)
        inputs = {
            **spec.with_tags(strip_ownership_tags(spec.tags)).to_pulumi(),  # a mark is no user tag
            "adopt": bool(props.get("adopt") or False),
            "ignore_paths": _ignored(props),
        }
        return ReadResult(id_, _outputs(inputs, live, props.get("owner_tag")), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Send only the fields whose essence changed: a partial PUT leaves the rest as it is.
        changed = _changed_fields(olds, news)
        owner_tag = olds.get("owner_tag")
        spec = _marked(PatternSpec.from_pulumi(news), owner_tag)
        with self.client() as client, api_errors(f"updating pattern {id_}"):
            try:
                pattern = update_pattern(
                    client, id_, spec, fields=changed, previous_name=PatternSpec.from_pulumi(olds).name
                )
            except NameTakenError as exc:
                raise DragopsProviderError(str(exc)) from exc
            except NotFoundError as exc:
                raise DragopsProviderError(
                    f"pattern {id_} no longer exists in DRAGOPS; run `pulumi refresh` to drop it from the "
                    "state, then `pulumi up` creates it again"
                ) from exc
        return UpdateResult(_outputs(news, pattern.to_api(), owner_tag))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with self.client() as client, api_errors(f"deleting pattern {id_}"):
            owner = ownership_mark([props.get("owner_tag")]).owner
            try:
                # Already gone is what delete wanted; marked by another owner since, it is theirs.
                delete_pattern(client, id_, owned_only=True, owner=owner)
            except ConflictError as exc:
                raise DragopsProviderError(
                    f"pattern {id_} is still deployed, and DRAGOPS refuses to delete a deployed pattern; "
                    "undeploy it first (a Deployment resource of this stack is undeployed before its "
                    "pattern is deleted)"
                ) from exc


def resolve_file_references(
    path: Path, graph: Mapping[str, Any], ids: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """`graph` with each `${kind:NAME}` reference replaced by `ids[kind][NAME]` (a copy); raises naming
    the file, node and field of every reference without an id."""
    refs = graph_references(graph)
    if not refs:
        return dict(graph)
    resolved = copy.deepcopy(dict(graph))
    missing = []
    for ref in refs:
        table = ids.get(ref.kind, {})
        if ref.name not in table:
            missing.append(
                f"node {ref.node_id!r} ({ref.field}) references {ref.kind} {ref.name!r}: pass "
                f"{ref.kind}s={{{ref.name!r}: <its id>}} to Pattern.from_file"
            )
            continue
        resolved["nodes"][ref.index]["data"]["properties"][ref.key] = table[ref.name]
    if missing:
        raise DragopsProviderError(f"{path}: " + "; ".join(missing))
    return resolved


def _changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[str, ...]:
    """The API keys whose essence differs between the old outputs and the new inputs (the new
    `ignore_paths` left out of both)."""
    return PatternSpec.from_pulumi(news).changed_fields(PatternSpec.from_pulumi(olds), ignore=_ignored(news))


def _name_in_use(name: str, ids: str) -> DragopsProviderError:
    return DragopsProviderError(
        f"a pattern named {name!r} already exists (id {ids}); pattern names identify patterns. If you "
        "renamed its Pulumi resource, keep it with `opts=pulumi.ResourceOptions(aliases=[pulumi.Alias("
        "name=OLD_NAME)])`; otherwise pass adopt=True to take it over, or choose another name"
    )


@pulumi.input_type
class PatternArgs:
    """The inputs of a `Pattern`."""

    name: pulumi.Input[str]
    """The pattern's name, which identifies it in DRAGOPS (names are exact and should be unique)."""
    graph: pulumi.Input[Mapping[str, Any]]
    """The node graph (graphData): `{"nodes": [...], "edges": [...], "variables": [...]}`."""
    description: pulumi.Input[str] | None
    """A description shown in the dashboard (default empty)."""
    tags: pulumi.Input[list[pulumi.Input[str]]] | None
    """Tags; their order does not matter. `dragops-sync:*` tags are reserved."""
    is_public: pulumi.Input[bool] | None
    """Whether other users of the instance can see the pattern (default false)."""
    is_template: pulumi.Input[bool] | None
    """Whether the pattern is offered as a template (default false)."""
    adopt: pulumi.Input[bool] | None
    """True takes over an existing pattern of the same name instead of failing (Pulumi's `import` does
    not work for dynamic resources); e.g. after renaming the resource without an alias."""
    ignore_paths: pulumi.Input[list[str]] | None
    """JSON-pointer globs left out of every comparison, as in `dragops-sync.yaml`'s `ignore` (e.g.
    `/graphData/nodes/*/position`: nodes moved in the dashboard are not reverted, nothing redeploys)."""

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
        """Each argument is the input of the same name (see the attributes)."""
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
    """The pattern's name."""
    description: pulumi.Output[str]
    """Its description."""
    tags: pulumi.Output[list[str]]
    """Its tags (without the owner mark, see `owner_tag`)."""
    is_public: pulumi.Output[bool]
    """Whether it is public."""
    is_template: pulumi.Output[bool]
    """Whether it is a template."""
    graph: pulumi.Output[dict[str, Any]]
    """Its node graph, as declared (or as DRAGOPS holds it after a refresh)."""
    adopt: pulumi.Output[bool]
    """The `adopt` input."""
    ignore_paths: pulumi.Output[list[str]]
    """The `ignore_paths` input."""
    version_number: pulumi.Output[int]
    """The pattern's latest deployed version (0 until deployed; a deploy makes a new one)."""
    created_at: pulumi.Output[str]
    """When DRAGOPS created the pattern (ISO-8601)."""
    updated_at: pulumi.Output[str]
    """When its content last changed (ISO-8601)."""
    content_hash: pulumi.Output[str]
    """A hash of its content without the ignored paths (feed `Deployment`'s `content_hash` with it)."""
    owner_tag: pulumi.Output[str | None]
    """The tag marking the pattern as this resource's (`dragops-sync:owner=pulumi-<hex>`): a delete
    leaves a pattern someone else marked since. None for resources created before marks existed."""

    def __init__(
        self,
        resource_name: str,
        args: PatternArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """`Pattern("p", PatternArgs(name=..., graph=...))`, or with keywords: `Pattern("p", name=...,
        graph=...)`. `opts.provider` may be a `pulumi_dragops.Provider` (another instance)."""
        checked = resource_args(PatternArgs, args, kwargs, "Pattern")
        opts, namespace = take_provider(opts)
        props = {**checked.to_props(), **dict.fromkeys(SERVER_KEYS)}
        super().__init__(PatternProvider(namespace), resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],  # the name every Pulumi SDK's get() uses
        opts: pulumi.ResourceOptions | None = None,
    ) -> Pattern:
        """An existing pattern (by id), read and not managed: the program sees its outputs, and
        `pulumi destroy` leaves it. (`get_pattern(name=...)` looks one up by name.)"""
        props = dict.fromkeys((*CONTENT_KEYS, "adopt", "ignore_paths", *SERVER_KEYS))
        return read_existing(
            Pattern, PatternProvider, resource_name=resource_name, id=id, props=props, opts=opts
        )

    @classmethod
    def from_file(
        cls,
        resource_name: str,
        path: str | Path,
        *,
        name: pulumi.Input[str] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        ignore_paths: pulumi.Input[list[str]] | None = None,
        connections: Mapping[str, pulumi.Input[str]] | None = None,
        patterns: Mapping[str, pulumi.Input[str]] | None = None,
        variables: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> Pattern:
        """A pattern from a pattern file of the `dragops-sync` format (JSON or YAML, e.g. a DRAGOPS export).

        The file's optional `sync` block is deployment intent for `dragops-sync`; a Pulumi program states
        deployment with a `Deployment` resource instead, so it is ignored here. `name` overrides the
        file's name (e.g. to suffix it per stack). A bad file raises `PatternFileError` naming the field.

        References by name, as dragops-sync files write them (`connectionId: "${connection:slack-alerts}"`,
        `patternId: "${pattern:Enrich Issue}"`), are resolved from `connections` and `patterns`: names to
        ids, usually outputs of this program (`connections={"slack-alerts": slack.id}`). A reference
        neither maps raises `DragopsProviderError` naming the file, the node and the field, rather than
        deploying the placeholder as an id.

        `variables` are put in for `${var:NAME}` in the file, as `dragops-sync --env` puts in an
        environment's (usually the stack's config, so one file serves every stack); an undefined one
        raises `PatternFileError` naming the field.
        """
        given = Variables(pulumi.get_stack(), dict(variables)) if variables is not None else None
        document = load_pattern_file(Path(path), variables=given).document()
        content = PatternSpec.from_document(document).to_pulumi()
        content["graph"] = resolve_file_references(
            Path(path), content["graph"], {"connection": connections or {}, "pattern": patterns or {}}
        )
        if name is not None:
            content["name"] = name
        args = PatternArgs(**content, adopt=adopt, ignore_paths=ignore_paths)
        return cls(resource_name, args, opts)
