"""`dragops-sync`: the command line. Argument parsing and output only; the work lives in the modules.

Commands: validate, plan, apply, export, watch, status, schema. Connection options (`--url`,
`--token`, `--email`, `--ca-bundle`, `--local`, `-v`) are accepted before or after the command name;
the password only comes from `DRAGOPS_PASSWORD`. Exit codes follow Terraform: 0 success (with
`plan --detailed-exitcode`: no changes), 1 error, 2 changes present (only with `--detailed-exitcode`).
A usage error exits 1 as well, so 2 always means "changes". Errors print one line to stderr (a
traceback only with `-v`) and never a secret.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from dragops_sync._cli_source import (
    RepoArgs,
    checkout_options,
    follow_options,
    local_ref_option,
    one_shot_directory,
    remote_source,
)
from dragops_sync._cli_support import (
    Cli,
    Options,
    allow_empty_option,
    cache_options,
    color_wanted,
    connection_options,
    declared_environments,
    directory_arg,
    environment_selected,
    environment_variables,
    merge_options,
    observer_for,
    open_client,
    plan_options,
    stop_on_signals,
)
from dragops_sync._documents import locate_issues
from dragops_sync.annotations import GITHUB, github_annotations, output_format
from dragops_sync.apply import ApplyOptions, ResultStatus
from dragops_sync.apply_progress import ApplyProgress
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.dashboard import UI_TOKEN_ENV
from dragops_sync.directory import SETTINGS_FILE, load_directory, notification_targets
from dragops_sync.errors import DragopsError
from dragops_sync.export import export_patterns
from dragops_sync.gitpull import head_commit
from dragops_sync.graph_changes import NO_GRAPH
from dragops_sync.local_ref import directory_at_ref
from dragops_sync.notify import Notifier
from dragops_sync.observe import LiveObserver
from dragops_sync.pattern_picture import draw, find_subject, graph_at_ref
from dragops_sync.pattern_report import render_status_json, render_status_table, status_rows
from dragops_sync.plan import ActionKind, Plan, PlanOptions, Resource, key_of
from dragops_sync.push_hooks import WEBHOOK_SECRET_ENV
from dragops_sync.reconciler import problems_of
from dragops_sync.refs import reference_targets, resolve_references
from dragops_sync.render import render
from dragops_sync.restore import restore_from_bin
from dragops_sync.saved_plan import SavedPlan, exactly_the_saved_plan, only_the_saved_writes, read_saved_plan
from dragops_sync.schema import SCHEMA_KINDS, all_schemas, json_schema
from dragops_sync.suspension import set_suspended
from dragops_sync.target_spec import Target
from dragops_sync.validate import NodeLibrary, validate_desired

__all__ = [
    "ApplyDeclined",
    "apply",
    "cli",
    "export",
    "main",
    "plan",
    "render_command",
    "restore",
    "resume",
    "schema",
    "status",
    "suspend",
    "validate",
    "watch",
]

# --local keeps its instance's state inside DIR; a checkout at a ref is temporary, so it would plan
# against an empty instance.
_LOCAL_AT_REF = "--local keeps its state inside DIR: it does not go with --ref or --repo"

# Where `_plan` leaves the instance URL it planned against (a saved plan records it).
_INSTANCE = "dragops_sync.instance_url"

_IGNORE_FREEZE = "--ignore-freeze"
_IGNORE_FREEZE_HELP = "Write even inside a freeze window of dragops-sync.yaml (an emergency; logged)."


class ApplyDeclined(DragopsError):
    """The person at the terminal did not answer `yes`: nothing was written."""


_NAME_HELP = "Only patterns whose name matches GLOB (repeatable), and what they reference."
_TAG_HELP = "Only patterns whose file carries TAG (repeatable), and what they reference."


def _targeted(planning: PlanOptions, names: Sequence[str], tags: Sequence[str]) -> PlanOptions:
    return replace(planning, target=Target(tuple(names), tuple(tags))) if names or tags else planning


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@connection_options
@click.version_option(package_name="dragops-iac", prog_name="dragops-sync")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """Keep DRAGOPS patterns in git: validate, plan, apply, export, watch, status.

    DIR holds dragops-sync.yaml (optional settings), patterns/*.json|yaml (one DRAGOPS export
    document per file) and connections.yaml (optional; keys only as ${ENV_VAR}).

    Exit codes: 0 success, 1 error (invalid file, failed write, refused change), 2 changes present
    (only with plan --detailed-exitcode).
    """
    merge_options(ctx, **options)


# -- helpers ---------------------------------------------------------------------------------------


def _plan(ctx: click.Context, directory: Path, planning: PlanOptions, cache_dir: Path | None) -> CycleResult:
    """A dry-run cycle (plan, status): nothing is written (but the live cache, see `cache_options`)."""
    with open_client(ctx, directory) as client:
        ctx.meta[_INSTANCE] = client.settings.instance_url
        observer = observer_for(ctx, client, cache_dir)
        return run_cycle(
            client, directory, observer=observer, planning=planning, dry_run=True, env=os.environ
        )


def _apply(
    ctx: click.Context,
    directory: Path,
    planning: PlanOptions,
    applying: ApplyOptions,
    cache_dir: Path | None,
    *,
    before: Callable[[Plan], None],
    progress: ApplyProgress | None = None,
    saved: SavedPlan | None = None,
) -> tuple[CycleResult, list[str]]:
    """A cycle that writes; SIGTERM or a first Ctrl-C lets the writes in flight finish.

    `before` sees the plan of the first round before anything is written (it shows it, may ask, may
    raise `ApplyDeclined`); `progress` hears every result. With a `saved` plan, exactly its writes
    (refused with `StalePlanError`, nothing written, when they changed). Returns the notes about what
    a saved plan leaves out."""
    notes: list[str] = []
    with open_client(ctx, directory) as client, stop_on_signals() as stop:
        rounds = 0

        def first_round_shown(plan: Plan, _desired: object) -> Plan:
            nonlocal rounds
            rounds += 1
            if saved is not None and rounds > 1:
                return only_the_saved_writes(saved, plan)
            if rounds > 1:
                return plan
            if saved is not None:
                plan, left = exactly_the_saved_plan(saved, plan, instance=client.settings.instance_url)
                notes.extend(left)
            before(plan)
            return plan

        result = run_cycle(
            client,
            directory,
            observer=observer_for(ctx, client, cache_dir),
            planning=planning,
            applying=applying,
            env=os.environ,
            stop_event=stop,
            on_result=progress.result if progress is not None else None,
            select=first_round_shown,
        )
    return result, notes


def _notify(result: CycleResult) -> None:
    """Tell the `notifications:` of the directory what this apply changed and what went wrong (CI
    hears about failures too); waits a bounded time for the messages to go out."""
    targets = notification_targets(result.directory)
    if not targets or result.report is None:
        return
    notifier = Notifier(
        targets, env=os.environ, context={"owner": result.owner, "env": result.plan.environment}
    )
    written = result.report.count(ResultStatus.OK)
    applied = f"apply wrote {written} change(s)" if written else None
    notifier.cycle(problems_of(result, result.report), commit=head_commit(result.directory), applied=applied)
    notifier.close(timeout=10)


# -- commands --------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json", GITHUB]),
    help="text (the default), json, or github (text plus GitHub Actions annotations; the default "
    "when GITHUB_ACTIONS=true).",
)
@local_ref_option
@allow_empty_option
@connection_options
@click.pass_context
def validate(
    ctx: click.Context, /, *, directory: str, output: str | None, ref: str | None, **options: Any
) -> int:
    """Check the files offline; with a URL (or --local) also node types, pins and ${...} references.

    With --ref REF, DIR as committed at REF (a branch, tag or commit of its repository)."""
    opts = merge_options(ctx, **options)
    if ref is None:
        return _validate_environments(ctx, opts, directory_arg(directory), output)
    directory_arg(directory)
    if opts.local:
        raise click.UsageError(_LOCAL_AT_REF)
    with directory_at_ref(Path(directory), ref) as at_ref:
        return _validate_environments(ctx, opts, at_ref, output)


def _validate_environments(ctx: click.Context, opts: Options, root: Path, output: str | None) -> int:
    """`validate`: the --env given, else each environment the settings declare (else the directory
    as it is); exit 1 when any of them has a problem. JSON: one document, with one entry per
    environment under `environments` when several were checked."""
    output = output_format(output, os.environ)
    names: list[str | None] = [opts.env] if opts.env else [*declared_environments(root)] or [None]
    docs = []
    for name in names:
        if output != "json" and len(names) > 1:
            click.echo(f"== environment {name}")
        if name is None:
            docs.append(_validate(ctx, opts, root, output, None))
            continue
        with environment_selected(ctx, name) as selected:
            docs.append(_validate(ctx, selected, root, output, name))
    valid = all(doc["valid"] for doc in docs)
    if output == "json":
        combined = docs[0] if len(docs) == 1 else {"valid": valid, "environments": docs}
        click.echo(json.dumps(combined, indent=2, ensure_ascii=False))
    return 0 if valid else 1


def _validate(
    ctx: click.Context, opts: Options, root: Path, output: str, environment: str | None
) -> dict[str, Any]:
    """Validate one environment (or the directory without environments); print the text form, and
    return the JSON form."""
    desired = load_directory(root, environment=environment)
    library = None
    if opts.local or opts.url or os.environ.get("DRAGOPS_URL"):
        with open_client(ctx, root) as client:
            library = NodeLibrary(client.nodes.library().values())
            # References by name must point at something live or declared: three list calls, no GET.
            live = LiveObserver(client).observe(names=set())
            desired, _ = resolve_references(desired, reference_targets(live))
    issues = locate_issues(validate_desired(desired, node_library=library), root)
    doc = {
        "valid": not issues,
        "environment": environment,
        "patternFiles": desired.pattern_files,
        "patterns": len(desired.patterns),
        "online": library is not None,
        "issues": [i.to_dict() for i in issues],
        "notes": list(desired.name_notes()),
    }
    if output == "json":
        return doc
    # Grouped by file (stable: each file's problems keep their order), so a user fixes one file at a time.
    for issue in sorted(issues, key=lambda i: i.file or ""):
        click.echo(f"{issue.where() or '-'}: {issue.field}: {issue.message}", err=True)
    for note in desired.name_notes():
        click.echo(f"Note: {note}", err=True)
    if output == GITHUB:
        click.echo(github_annotations(issues), nl=False)
    where = "against the instance's node library" if library is not None else "offline"
    if issues:
        click.echo(f"{len(issues)} problem(s) in {root} ({where}).", err=True)
    else:
        click.echo(f"{len(desired.patterns)} pattern file(s) valid ({where}).")
    return doc


@cli.command()
@click.argument("directory", metavar="[DIR]", required=False)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 only when everything is in sync, 2 when the plan holds any item (create, update, "
    "deploy change, prune, drift, conflict, unmanaged), 1 on errors.",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json", "markdown", GITHUB]),
    help="text (the default; coloured on a terminal), json (stable, docs/plan-json.md), markdown (a PR "
    "comment) or github (text plus GitHub Actions annotations; the default when GITHUB_ACTIONS=true).",
)
@click.option("--name", "names", metavar="GLOB", multiple=True, help=_NAME_HELP)
@click.option("--tag", "tags", metavar="TAG", multiple=True, help=_TAG_HELP)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    help="Also save the plan to FILE; `apply FILE` applies exactly it (refused if what it touches changed).",
)
@plan_options
@cache_options
@checkout_options
@allow_empty_option
@connection_options
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    *,
    directory: str | None,
    detailed_exitcode: bool,
    output: str | None,
    names: tuple[str, ...],
    tags: tuple[str, ...],
    out: str | None,
    planning: PlanOptions,
    cache_dir: Path | None,
    remote: RepoArgs,
    **options: Any,
) -> int:
    """Show what apply would change (nothing is written). DIR, or --repo URL [--ref REF]."""
    opts = merge_options(ctx, **options)
    if opts.local and (remote["ref"] or remote["repo_url"]):
        raise click.UsageError(_LOCAL_AT_REF)
    if out and (remote["ref"] or remote["repo_url"]):
        raise click.UsageError("--out needs DIR: a saved plan is applied to the directory it was made from")
    planning = _targeted(planning, names, tags)
    with one_shot_directory(directory, remote) as checkout:
        root = checkout or directory_arg(directory or "")
        result = _plan(ctx, root, planning, cache_dir)
    if out:
        saved = SavedPlan.of(
            result.plan, planning, directory=root, commit=head_commit(root), instance=ctx.meta.get(_INSTANCE)
        )
        Path(out).write_text(saved.to_json(), encoding="utf-8")
    output = output_format(output, os.environ)
    fmt = "text" if output == GITHUB else output
    click.echo(render(result.plan, fmt, color=output == "text" and color_wanted(ctx)), nl=False)  # type: ignore[arg-type]
    if output == GITHUB:
        click.echo(github_annotations(result.plan.issues), nl=False)
    if out:
        click.echo(f"Saved the plan to {out}: `dragops-sync apply {out}` applies exactly it.", err=True)
    return result.exit_code(detailed=detailed_exitcode)


@cli.command()
@click.argument("directory", metavar="[DIR]", required=False)
@click.option("--concurrency", type=click.IntRange(1, 256), help="Parallel writes (default: settings, 8).")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(_IGNORE_FREEZE, is_flag=True, help=_IGNORE_FREEZE_HELP)
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Do not ask before writing (a terminal is asked after the plan; without one, never).",
)
@click.option("--name", "names", metavar="GLOB", multiple=True, help=_NAME_HELP)
@click.option("--tag", "tags", metavar="TAG", multiple=True, help=_TAG_HELP)
@plan_options
@cache_options
@checkout_options
@allow_empty_option
@connection_options
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    *,
    directory: str | None,
    concurrency: int | None,
    output: str,
    ignore_freeze: bool,
    auto_approve: bool,
    names: tuple[str, ...],
    tags: tuple[str, ...],
    planning: PlanOptions,
    cache_dir: Path | None,
    remote: RepoArgs,
    **options: Any,
) -> int:
    """Make the instance match the directory (the plan, then one result per item).

    Writes connections, then patterns, then deployments (each deploy is read back active at its new
    version); a failed item does not stop the others. Needs every ${VAR} of connections.yaml set.
    Exits 1 when any write failed or a change was refused (conflict, unmanaged, invalid file).
    DIR, or --repo URL [--ref REF] (a shallow clone in a temporary directory, removed afterwards), or
    a FILE saved by `plan --out FILE`: exactly that plan, refused when what it touches changed since.
    """
    opts = merge_options(ctx, **options)
    if opts.local and (remote["ref"] or remote["repo_url"]):
        raise click.UsageError(_LOCAL_AT_REF)
    applying = ApplyOptions(concurrency=concurrency, ignore_freeze=ignore_freeze)
    text = output == "text"
    color = text and color_wanted(ctx)
    progress = ApplyProgress(terminal=text and sys.stderr.isatty(), color=color) if text else None
    shown: list[Plan] = []

    def show_and_confirm(plan: Plan) -> None:
        """The plan first; on a terminal, the question; then the progress of the writes."""
        shown.append(plan)
        writes = sum(1 for item in plan.items if item.writes) if not plan.blocked else 0
        if text:
            click.echo(render(plan, "text", color=color), nl=False)
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if writes and interactive and not auto_approve:
            answer = click.prompt(
                f"Apply these {writes} change(s)? Only 'yes' applies", default="", show_default=False
            )
            if answer.strip().lower() not in ("yes", "y"):
                raise ApplyDeclined("Apply cancelled: nothing was written.")
        if progress is not None:
            progress.start(writes)

    saved: SavedPlan | None = None
    if directory is not None and Path(directory).is_file():
        if names or tags or remote["repo_url"] or remote["ref"]:
            raise click.UsageError(
                "a saved plan is applied as it was made: no --name, --tag, --repo or --ref"
            )
        saved = read_saved_plan(Path(directory))
        root = Path(saved.directory)
        if not root.is_dir():
            raise click.UsageError(f"the saved plan's directory {root} does not exist here")
    try:
        if saved is not None:
            result, notes = _apply(
                ctx,
                root,
                saved.planning(),
                applying,
                cache_dir,
                before=show_and_confirm,
                progress=progress,
                saved=saved,
            )
        else:
            planning = _targeted(planning, names, tags)
            with one_shot_directory(directory, remote) as checkout:
                root = checkout or directory_arg(directory or "")
                result, notes = _apply(
                    ctx, root, planning, applying, cache_dir, before=show_and_confirm, progress=progress
                )
    finally:
        if progress is not None:
            progress.finish()
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    report = result.report
    assert report is not None
    _notify(result)
    if output == "json":
        doc = {"plan": result.plan.to_dict(), "apply": report.to_dict(), "ok": result.ok}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return result.exit_code()
    if not shown:  # blocked before the writes (invalid settings, a freeze): the plan says why
        click.echo(render(result.plan, "text", color=color), nl=False)
    counted = [s for s in ResultStatus if s != ResultStatus.UNCHANGED and report.count(s)]
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in counted)
    verdict = "Apply complete" if result.ok else "Apply incomplete"
    plan = result.plan
    problems = len(plan.errors) + len(plan.refusals) + len(plan.issues)
    why = f"; {problems} problem(s) listed above (Error/Refused/Invalid)" if problems else ""
    click.echo(f"{verdict} in {result.duration:.1f} s: {counts or 'nothing to do'}{why}.")
    return result.exit_code()


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--tag", metavar="T", help="Only patterns carrying this tag.")
@click.option("--name", "name_glob", metavar="GLOB", help="Only patterns whose name matches this glob.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@connection_options
@click.pass_context
def export(
    ctx: click.Context,
    /,
    *,
    directory: str,
    tag: str | None,
    name_glob: str | None,
    fmt: str,
    output: str,
    **options: Any,
) -> int:
    """Write live patterns as files under DIR/patterns (DIR is created if needed)."""
    opts = merge_options(ctx, **options)
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    variables = environment_variables(root, opts.env)
    with open_client(ctx, root) as client:
        result = export_patterns(
            client,
            root,
            tag=tag,
            name_glob=name_glob,
            fmt=fmt,  # type: ignore[arg-type]
            variables=variables,
        )
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    for file in result.files:
        click.echo(f"{'wrote' if file.changed else 'unchanged'} {file.path} ({file.name})")
    if result.settings_written:
        click.echo(f"wrote {SETTINGS_FILE} (minimal settings)")
    click.echo(f"Exported {len(result.files)} pattern(s) to {root}.")
    return 0


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--owner", metavar="ID", help="Ownership id (default: settings, org/repo:path, dir name).")
@allow_empty_option
@cache_options
@connection_options
@click.pass_context
def status(
    ctx: click.Context,
    /,
    *,
    directory: str,
    output: str,
    owner: str | None,
    cache_dir: Path | None,
    **options: Any,
) -> int:
    """Per pattern: sync state, deployment and version, last run."""
    opts = merge_options(ctx, **options)
    root = directory_arg(directory)
    result = _plan(ctx, root, PlanOptions(owner=owner, environment=opts.env), cache_dir)
    rows = status_rows(result.plan, result.observation)
    if output == "json":
        environment = result.plan.environment
        click.echo(render_status_json(rows, owner=result.owner, environment=environment), nl=False)
    else:
        click.echo(render_status_table(rows, owner=result.owner, color=color_wanted(ctx)), nl=False)
        for issue in result.plan.issues:
            click.echo(f"Invalid: {issue}", err=True)
    return 0 if result.plan.valid else 1


@cli.command()
@click.argument("directory", metavar="[DIR]", required=False)
@click.option(
    "--interval", type=click.FloatRange(min=1), default=60.0, show_default=True, help="Resync every N s."
)
@click.option(
    "--status-addr",
    default="127.0.0.1:9099",
    show_default=True,
    help="HOST:PORT of /healthz, /readyz, /metrics, /status (:PORT listens on every interface).",
)
@click.option(
    "--git-pull",
    is_flag=True,
    help="Fast-forward the checkout from its upstream (git pull --ff-only) at start and before each "
    "interval cycle; file-event cycles do not pull.",
)
@click.option(_IGNORE_FREEZE, is_flag=True, help=_IGNORE_FREEZE_HELP)
@cache_options
@plan_options
@follow_options
@allow_empty_option
@connection_options
@click.pass_context
def watch(
    ctx: click.Context,
    /,
    *,
    directory: str | None,
    interval: float,
    status_addr: str,
    git_pull: bool,
    ignore_freeze: bool,
    planning: PlanOptions,
    cache_dir: Path | None,
    remote: RepoArgs,
    **options: Any,
) -> int:
    """Reconcile on every file change and every --interval seconds, until SIGTERM/SIGINT.

    DIR, or --repo URL [--branch B] [--path SUBDIR]: the daemon clones the repository itself and
    fetches it at start and before every interval cycle (a force push is followed).
    """
    watch_options = merge_options(ctx, **options)
    if remote["repo_url"] and git_pull:
        raise click.UsageError("--git-pull is for DIR; with --repo the daemon fetches its own clone")
    # Imported here: the daemon (and watchfiles) load only when watching.
    from dragops_sync.daemon import DaemonSettings, ensure_logging, run_daemon

    if remote["repo_url"]:
        ensure_logging()  # the clone's lines (cloned, fetched, recloned) are the daemon's first
    source = remote_source(directory, remote)
    root = source.directory if source is not None else directory_arg(directory or "")

    with open_client(ctx, root) as client:
        settings = DaemonSettings(
            root,
            interval=interval,
            status_addr=status_addr,
            git_pull=git_pull,
            planning=planning,
            applying=ApplyOptions(ignore_freeze=ignore_freeze),
            source=source,
            cache_dir=None if watch_options.local else cache_dir,  # --local: a new port each run
            ui_token=os.environ.get(UI_TOKEN_ENV) or None,
            webhook_secret=os.environ.get(WEBHOOK_SECRET_ENV) or None,
        )
        code = run_daemon(settings, client=client, env=os.environ)
    return int(code or 0)


def _suspension(directory: str, name: str, suspended: bool) -> int:
    path, changed = set_suspended(Path(directory), name, suspended)
    where = path.relative_to(directory)
    word = "suspended" if suspended else "resumed"
    if not changed:
        click.echo(f"{name!r} is already {word} ({where}).")
        return 0
    click.echo(f"{word} {name!r} ({where}); commit the change so every writer sees it.")
    return 0


@cli.command()
@click.argument("directory", metavar="DIR")
@click.argument("name")
def suspend(directory: str, name: str) -> int:
    """Leave pattern NAME alone (sync.suspend: true in its file): no write, no drift revert, no prune."""
    return _suspension(directory, name, True)


@cli.command()
@click.argument("directory", metavar="DIR")
@click.argument("name")
def resume(directory: str, name: str) -> int:
    """Manage pattern NAME again (removes sync.suspend from its file)."""
    return _suspension(directory, name, False)


@cli.command()
@click.argument("directory", metavar="DIR")
@click.argument("name")
@click.option("--owner", metavar="ID", help="Ownership id (default: settings, org/repo:path, dir name).")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@connection_options
@click.pass_context
def restore(
    ctx: click.Context, /, *, directory: str, name: str, owner: str | None, fmt: str, **options: Any
) -> int:
    """Take pattern NAME out of the recycle bin: write its file into DIR/patterns/ (as export does)
    and clear its bin mark; commit the file and the next apply deploys it again, same id and history."""
    opts = merge_options(ctx, **options)
    root = Path(directory)
    if not root.is_dir():
        raise click.UsageError(f"{directory} is not a directory")
    planning = _targeted(PlanOptions(owner=owner, environment=opts.env), (glob.escape(name.strip()),), ())
    result = _plan(ctx, root, planning, None)  # only that name is compared
    binned = [i for i in result.plan.items if i.kind == ActionKind.BINNED and i.name == name.strip()]
    if not binned:
        raise click.ClickException(
            f"no pattern named {name!r} of owner {result.owner!r} is in the recycle bin "
            "(`dragops-sync status DIR` lists what is)"
        )
    variables = environment_variables(root, opts.env)
    with open_client(ctx, root) as client:
        done = restore_from_bin(client, root, str(binned[0].pattern_id), fmt=fmt, variables=variables)  # type: ignore[arg-type]
    then = "deploys it again" if done.deploys else "brings it back (not deployed, as before)"
    click.echo(
        f"Restored {done.name!r} ({done.pattern_id}) to {done.file}: commit it, and the next apply {then}."
    )
    return 0


@cli.command("render")
@click.argument("file_or_name", metavar="FILE_OR_NAME")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The sync directory (default: the file's; for a NAME, the current directory).",
)
@click.option(
    "--against",
    metavar="live|REF",
    help="Colour the changes from the live pattern (live) or from the file at a git ref (HEAD, main, v1...).",
)
@click.option("--format", "fmt", type=click.Choice(["svg", "mermaid"]), default="svg", show_default=True)
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    show_default=True,
    help="The file to write (- : standard output).",
)
@cache_options
@connection_options
@click.pass_context
def render_command(
    ctx: click.Context,
    /,
    *,
    file_or_name: str,
    directory: Path | None,
    against: str | None,
    fmt: str,
    out: str,
    cache_dir: Path | None,
    **options: Any,
) -> int:
    """Draw a pattern (a file, or the NAME of one in the directory) as SVG, at the positions the DRAGOPS
    editor saved (a layered layout without them); --against colours what changed: added green,
    changed amber, removed red."""
    opts = merge_options(ctx, **options)
    subject = find_subject(file_or_name, directory, opts.env)
    before: Mapping[str, Any] | None = None
    if against == "live":
        planning = _targeted(PlanOptions(environment=opts.env), (glob.escape(subject.name),), ())
        result = _plan(ctx, subject.directory, planning, cache_dir)
        item = next((i for i in result.plan.items if i.key == key_of(Resource.PATTERN, subject.name)), None)
        graphs = item.compared_graphs() if item is not None else None
        if item is None or item.live_content is None:
            click.echo(f"{subject.name!r} is not live (or not this directory's): drawn as all new.", err=True)
        if graphs is not None:  # compared as the plan compares them, placed as the file saves them
            before, after = graphs
            subject = replace(subject, graph=after, placed_by=subject.graph)
        else:
            before = NO_GRAPH
    elif against:
        before = graph_at_ref(subject, against)
    picture = draw(subject, before, fmt)
    with click.open_file(out, "w", encoding="utf-8") as stream:
        stream.write(picture)
    if out != "-":
        click.echo(f"Drew {subject.name!r} ({subject.file}) to {out}.", err=True)
    return 0


@cli.command()
@click.argument("kind", required=False, type=click.Choice(list(SCHEMA_KINDS)))
def schema(kind: str | None) -> int:
    """Print the JSON Schema of pattern files, dragops-sync.yaml or connections.yaml (all when omitted)."""
    doc = json_schema(kind) if kind else all_schemas()  # type: ignore[arg-type]
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console-script entry point (`dragops-sync`)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="dragops-sync")
    sys.exit(0)  # pragma: no cover - cli.main always exits
