"""`dragops-sync`: the command line. Argument parsing and output only; the work lives in the modules.

Commands: validate, plan, apply, export, watch, status, schema. Connection options (`--url`,
`--token`, `--email`, `--ca-bundle`, `--local`, `-v`) are accepted before or after the command name;
the password only comes from `DRAGOPS_PASSWORD`. Exit codes follow Terraform: 0 success (with
`plan --detailed-exitcode`: no changes), 1 error, 2 changes present (only with `--detailed-exitcode`).
A usage error exits 1 as well, so 2 always means "changes". Errors print one line to stderr (a
traceback only with `-v`) and never a secret.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.text import Text

from dragops_sync.api import Client, DragopsError
from dragops_sync.apply import ItemResult, ResultStatus
from dragops_sync.cycle import CycleResult, run_cycle
from dragops_sync.export import export_patterns
from dragops_sync.files import FileFormatError
from dragops_sync.local import LocalError, local_instance
from dragops_sync.observe import LiveObserver
from dragops_sync.render import render
from dragops_sync.schema import SCHEMA_KINDS, all_schemas, json_schema
from dragops_sync.settings import SETTINGS_FILE, SettingsError, load_directory, load_settings
from dragops_sync.status import render_status_json, render_status_table, status_rows
from dragops_sync.validate import NodeLibrary, validate_desired

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

_META = "dragops_sync.options"
_OWNER_HELP = "Ownership id (default: dragops-sync.yaml, else the git remote, else the dir name)."
_RESULT_SIGNS = {
    ResultStatus.OK: "✓",
    ResultStatus.FAILED: "✗",
    ResultStatus.SKIPPED: "-",
    ResultStatus.REFUSED: "!",
    ResultStatus.UNCHANGED: "=",
}


@dataclass(frozen=True)
class Options:
    """The connection options, merged from before and after the command name."""

    url: str | None = None
    token: str | None = None
    email: str | None = None
    ca_bundle: str | None = None
    local: bool = False
    verbose: int = 0


def _merge(ctx: click.Context, **given: Any) -> Options:
    current: Options = ctx.meta.get(_META, Options())
    changes = {k: v for k, v in given.items() if v not in (None, False, 0)}
    merged = replace(current, **changes)
    ctx.meta[_META] = merged
    if merged.verbose:
        _enable_logging(logging.DEBUG if merged.verbose > 1 else logging.INFO)
    return merged


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time of the record (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _enable_logging(level: int) -> None:
    """Log the sync's own sentences (retries, cycles) to stderr; secrets never reach these loggers."""
    logger = logging.getLogger("dragops_sync")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def _connection_options(func: F) -> F:
    """The options every command (and the group) accepts."""
    decorators = [
        click.option("--url", metavar="URL", help="Instance base URL (env DRAGOPS_URL)."),
        click.option("--token", metavar="TOKEN", help="Bearer token (env DRAGOPS_TOKEN)."),
        click.option(
            "--email", metavar="EMAIL", help="Login email (env DRAGOPS_EMAIL; password: DRAGOPS_PASSWORD)."
        ),
        click.option("--ca-bundle", metavar="FILE", help="CA bundle for TLS (env DRAGOPS_CA_BUNDLE)."),
        click.option(
            "--local",
            is_flag=True,
            default=False,
            help="Use an embedded emulator (state in DIR/.dragops-local).",
        ),
        click.option("-v", "--verbose", count=True, help="Log requests and retries; show tracebacks."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class _Cli(click.Group):
    """A group whose errors are one line on stderr and exit 1 (usage errors too: 2 means changes)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (DragopsError, FileFormatError, LocalError, OSError, ValueError) as exc:
            _fail(ctx, exc)


def _fail(ctx: click.Context, exc: BaseException) -> NoReturn:
    options: Options = ctx.meta.get(_META, Options())
    if options.verbose:
        traceback.print_exception(exc, file=sys.stderr)
    first, *rest = str(exc).splitlines() or [type(exc).__name__]
    click.echo(f"Error: {first}", err=True)
    for line in rest:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@_connection_options
@click.version_option(package_name="dragops-iac", prog_name="dragops-sync")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """Keep DRAGOPS patterns in git: validate, plan, apply, export, watch, status."""
    _merge(ctx, **options)


# -- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _client(ctx: click.Context, directory: Path) -> Iterator[Client]:
    """The client for this command: the embedded emulator with --local, else the given instance."""
    options: Options = ctx.meta[_META]
    rate = _settings_rate(directory)
    if options.local:
        if options.url:
            raise click.UsageError("--local and --url exclude each other")
        with (
            local_instance(directory) as local,
            Client(base_url=local.url, email=local.email, password=local.password, rate=rate) as client,
        ):
            yield client
        return
    with Client(
        base_url=options.url,
        token=options.token,
        email=options.email,
        ca_bundle=options.ca_bundle,
        rate=rate,
    ) as client:
        yield client


def _settings_rate(directory: Path) -> float | None:
    try:
        return load_settings(directory / SETTINGS_FILE).rate
    except SettingsError:
        return None  # reported by the command itself, with every other issue


def _directory(path: str) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise click.UsageError(f"{path} is not a directory")
    return root


def _stdout_tty() -> bool:
    return sys.stdout.isatty()


def _progress() -> Callable[[ItemResult], None] | None:
    """A line per finished item on stderr, only on a TTY."""
    if not sys.stderr.isatty():
        return None
    console = Console(stderr=True, highlight=False)
    lock = threading.Lock()

    def show(result: ItemResult) -> None:
        if result.status == ResultStatus.UNCHANGED:
            return
        with lock:
            item = result.item
            console.print(
                Text(f"{_RESULT_SIGNS[result.status]} {item.kind.value} {item.resource.value} {item.name}")
            )

    return show


def _cycle(ctx: click.Context, directory: Path, *, dry_run: bool, **kwargs: Any) -> CycleResult:
    with _client(ctx, directory) as client:
        observer = LiveObserver(client)
        return run_cycle(client, directory, observer=observer, dry_run=dry_run, env=os.environ, **kwargs)


# -- commands --------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_connection_options
@click.pass_context
def validate(ctx: click.Context, /, *, directory: str, output: str, **options: Any) -> int:
    """Check the files offline; with a URL (or --local), node types and pins against the node library."""
    opts = _merge(ctx, **options)
    root = _directory(directory)
    desired = load_directory(root)
    library = None
    if opts.local or opts.url or os.environ.get("DRAGOPS_URL"):
        with _client(ctx, root) as client:
            library = NodeLibrary(client.nodes.library().values())
    issues = validate_desired(desired, node_library=library)
    if output == "json":
        doc = {
            "valid": not issues,
            "patternFiles": desired.pattern_files,
            "patterns": len(desired.patterns),
            "online": library is not None,
            "issues": [i.to_dict() for i in issues],
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for issue in issues:
            click.echo(f"{issue.file or '-'}: {issue.field}: {issue.message}", err=True)
        where = "against the instance's node library" if library is not None else "offline"
        if issues:
            click.echo(f"{len(issues)} problem(s) in {root} ({where}).", err=True)
        else:
            click.echo(f"{len(desired.patterns)} pattern file(s) valid ({where}).")
    return 1 if issues else 0


def _plan_options(func: F) -> F:
    func = click.option("--adopt", is_flag=True, help="Take over unmanaged live patterns of the same name.")(
        func
    )
    func = click.option("--force", is_flag=True, help="Overwrite conflicts (live and git both changed).")(
        func
    )
    func = click.option(
        "--prune/--no-prune",
        default=None,
        help="Delete managed patterns whose file is gone (default: settings).",
    )(func)
    return click.option(
        "--owner", metavar="ID", help="Ownership id (default: settings, git remote, dir name)."
    )(func)


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan holds any change.")
@click.option(
    "--output", "-o", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@_plan_options
@_connection_options
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    *,
    directory: str,
    detailed_exitcode: bool,
    output: str,
    owner: str | None,
    prune: bool | None,
    force: bool,
    adopt: bool,
    **options: Any,
) -> int:
    """Show what apply would change (nothing is written)."""
    _merge(ctx, **options)
    root = _directory(directory)
    result = _cycle(ctx, root, dry_run=True, owner=owner, prune=prune, force=force, adopt=adopt)
    click.echo(render(result.plan, output, color=output == "text" and _stdout_tty()), nl=False)  # type: ignore[arg-type]
    return result.exit_code(detailed=detailed_exitcode)


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Parallel writes (default: settings, 8).")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_plan_options
@_connection_options
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    *,
    directory: str,
    concurrency: int | None,
    output: str,
    owner: str | None,
    prune: bool | None,
    force: bool,
    adopt: bool,
    **options: Any,
) -> int:
    """Make the instance match the directory."""
    _merge(ctx, **options)
    root = _directory(directory)
    result = _cycle(
        ctx,
        root,
        dry_run=False,
        owner=owner,
        prune=prune,
        force=force,
        adopt=adopt,
        concurrency=concurrency,
        on_result=_progress(),
    )
    report = result.report
    assert report is not None
    if output == "json":
        doc = {"plan": result.plan.to_dict(), "apply": report.to_dict(), "ok": result.ok}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(render(result.plan, "text", color=_stdout_tty()), nl=False)
        for item_result in report.results:
            if item_result.status == ResultStatus.UNCHANGED:
                continue
            item = item_result.item
            sign = _RESULT_SIGNS[item_result.status]
            line = (
                f"{sign} {item_result.status.value:<8} {item.kind.value} {item.resource.value} {item.name!r}"
            )
            click.echo(f"{line}: {item_result.message}" if item_result.message else line)
        shown = [s for s in ResultStatus if s != ResultStatus.UNCHANGED and report.count(s)]
        counts = ", ".join(f"{report.count(s)} {s.value}" for s in shown)
        verdict = "Apply complete" if result.ok else "Apply incomplete"
        click.echo(f"{verdict}: {counts or 'nothing to do'}.")
    return result.exit_code()


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option("--tag", metavar="T", help="Only patterns carrying this tag.")
@click.option("--name", "name_glob", metavar="GLOB", help="Only patterns whose name matches this glob.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_connection_options
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
    _merge(ctx, **options)
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    with _client(ctx, root) as client:
        result = export_patterns(client, root, tag=tag, name_glob=name_glob, fmt=fmt)  # type: ignore[arg-type]
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
@click.option("--owner", metavar="ID", help="Ownership id (default: settings, git remote, dir name).")
@_connection_options
@click.pass_context
def status(ctx: click.Context, /, *, directory: str, output: str, owner: str | None, **options: Any) -> int:
    """Per pattern: sync state, deployment and version, last run."""
    _merge(ctx, **options)
    root = _directory(directory)
    result = _cycle(ctx, root, dry_run=True, owner=owner)
    rows = status_rows(result.plan, result.observation)
    if output == "json":
        click.echo(render_status_json(rows, owner=result.owner), nl=False)
    else:
        click.echo(render_status_table(rows, owner=result.owner, color=_stdout_tty()), nl=False)
        for issue in result.plan.issues:
            click.echo(f"Invalid: {issue}", err=True)
    return 0 if result.plan.valid else 1


@cli.command()
@click.argument("directory", metavar="DIR")
@click.option(
    "--interval", type=click.FloatRange(min=1), default=60.0, show_default=True, help="Resync every N s."
)
@click.option(
    "--status-addr", default="127.0.0.1:9099", show_default=True, help="host:port of /healthz, /metrics."
)
@click.option("--git-pull", is_flag=True, help="git pull --ff-only before each cycle.")
@_plan_options
@_connection_options
@click.pass_context
def watch(
    ctx: click.Context,
    /,
    *,
    directory: str,
    interval: float,
    status_addr: str,
    git_pull: bool,
    owner: str | None,
    prune: bool | None,
    force: bool,
    adopt: bool,
    **options: Any,
) -> int:
    """Reconcile on every file change and every --interval seconds, until SIGTERM/SIGINT."""
    _merge(ctx, **options)
    root = _directory(directory)
    # Imported here: the daemon (and watchfiles) load only when watching.
    from dragops_sync.daemon import run_daemon

    with _client(ctx, root) as client:
        code = run_daemon(
            root,
            client=client,
            interval=interval,
            status_addr=status_addr,
            git_pull=git_pull,
            owner=owner,
            prune=prune,
            force=force,
            adopt=adopt,
            env=os.environ,
        )
    return int(code or 0)


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
