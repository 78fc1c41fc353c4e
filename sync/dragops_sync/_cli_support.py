"""Plumbing of the `dragops-sync` command line: shared options, one-line errors, the client.

Kept apart from `cli` (the commands) so each file keeps one job. This one merges the connection
options (accepted before or after the command name), opens the client (or the embedded emulator for
`--local`), and turns failures into one line on stderr with exit code 1; usage errors exit 1 too,
since 2 means "changes".
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar, cast

import click

from dragops_sync.api import Client, DragopsError, Rates
from dragops_sync.directory import PATTERNS_DIR, SETTINGS_FILE, SettingsError, load_settings
from dragops_sync.directory import environment_variables as settings_variables
from dragops_sync.environments import instance_environment
from dragops_sync.files import PATTERN_SUFFIXES, FileFormatError
from dragops_sync.live_cache import LiveCache, default_cache_dir
from dragops_sync.local import LocalError, local_instance
from dragops_sync.logs import LOG_FORMAT_ENV, LOG_LEVEL_ENV, configure_logs
from dragops_sync.observe import LiveObserver
from dragops_sync.plan import PlanOptions

__all__ = [
    "Cli",
    "Options",
    "allow_empty_option",
    "cache_options",
    "color_wanted",
    "connection_options",
    "declared_environments",
    "directory_arg",
    "environment_selected",
    "environment_variables",
    "merge_options",
    "observer_for",
    "open_client",
    "plan_options",
    "stop_on_signals",
]

F = TypeVar("F", bound=Callable[..., Any])

_META = "dragops_sync.options"
_OWNER_HELP = (
    "Ownership id (default: dragops-sync.yaml, else <org>/<repo>:<path> from git origin, else the dir "
    "name, guessed: prune and adopt refuse a guessed owner)."
)


@dataclass(frozen=True)
class Options:
    """The connection options, merged from before and after the command name."""

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    email: str | None = None
    ca_bundle: str | None = None
    local: bool = False
    verbose: int = 0
    no_color: bool = False
    allow_empty: bool = False
    env: str | None = None
    log_format: str | None = None
    log_level: str | None = None


def merge_options(ctx: click.Context, **given: Any) -> Options:
    """Fold the options given at this level (group or command) into the context's; returns them."""
    current: Options = ctx.meta.get(_META, Options())
    changes = {k: v for k, v in given.items() if v not in (None, False, 0)}
    merged = replace(current, **changes)
    ctx.meta[_META] = merged
    fmt = merged.log_format or os.environ.get(LOG_FORMAT_ENV)
    level = merged.log_level or os.environ.get(LOG_LEVEL_ENV)
    if fmt or level or merged.verbose:
        verbose = "debug" if merged.verbose > 1 else "info" if merged.verbose else "warning"
        try:
            configure_logs(fmt or "text", level or verbose)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    return merged


def connection_options(func: F) -> F:
    """The options every command (and the group) accepts."""
    decorators = [
        click.option("--url", metavar="URL", help="Instance base URL (env DRAGOPS_URL)."),
        click.option("--token", metavar="TOKEN", help="Bearer token (env DRAGOPS_TOKEN)."),
        click.option(
            "--email",
            metavar="EMAIL",
            help="Login email (env DRAGOPS_EMAIL); the password only from DRAGOPS_PASSWORD.",
        ),
        click.option("--ca-bundle", metavar="FILE", help="CA bundle for TLS (env DRAGOPS_CA_BUNDLE)."),
        click.option(
            "--local",
            is_flag=True,
            default=False,
            help="Use an embedded emulator (state in DIR/.dragops-local).",
        ),
        click.option("-v", "--verbose", count=True, help="Log requests and retries; show tracebacks."),
        click.option("--no-color", is_flag=True, default=False, help="No colour (also: env NO_COLOR)."),
        click.option(
            "--log-format",
            type=click.Choice(["text", "json"]),
            help="Log lines as text or as one JSON object per line (env DRAGOPS_SYNC_LOG_FORMAT).",
        ),
        click.option(
            "--log-level",
            type=click.Choice(["debug", "info", "warning", "error"]),
            help="The least severe log lines shown on stderr (env DRAGOPS_SYNC_LOG_LEVEL).",
        ),
        click.option(
            "--env",
            metavar="NAME",
            help="The environment of dragops-sync.yaml to work on (its instance, owner, files, variables).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class Cli(click.Group):
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


@contextmanager
def open_client(ctx: click.Context, directory: Path) -> Iterator[Client]:
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
        env=_instance_env(directory, options),
    ) as client:
        yield client


def declared_environments(directory: Path) -> list[str]:
    """The names of the environments DIR's settings declare ([] when none, or when the settings are
    invalid: the command reports that itself)."""
    try:
        return [e.name for e in load_settings(directory / SETTINGS_FILE).environments]
    except SettingsError:
        return []


@contextmanager
def environment_selected(ctx: click.Context, name: str) -> Iterator[Options]:
    """The command's options with `--env name` for the duration (so `open_client` connects to that
    environment's instance); the previous options afterwards."""
    previous: Options = ctx.meta.get(_META, Options())
    ctx.meta[_META] = replace(previous, env=name)
    try:
        yield ctx.meta[_META]
    finally:
        ctx.meta[_META] = previous


def environment_variables(directory: Path, name: str | None) -> Mapping[str, str] | None:
    """The `variables` of environment `name` in DIR's settings as a mapping (None without --env);
    raises like `directory.environment_variables` (export must not guess which values to turn back
    into references)."""
    chosen = settings_variables(directory, name)
    return dict(chosen.values) if chosen is not None else None


def _instance_env(directory: Path, options: Options) -> Mapping[str, str] | None:
    """With --env, the environment the client reads its instance and credentials from (the selected
    environment's, `environments.instance_environment`); else None (the process's own)."""
    if options.env is None:
        return None
    try:
        settings = load_settings(directory / SETTINGS_FILE)
    except SettingsError:
        return None  # reported by the command itself, with every other issue; nothing is written
    chosen = settings.environment(options.env)  # an unknown name: EnvironmentSelectionError, exit 1
    return instance_environment(os.environ, chosen) if chosen is not None else None


def _settings_rate(directory: Path) -> float | Rates:
    """The `rate` of dragops-sync.yaml: the client's limiter keeps every one-second window to it."""
    try:
        return load_settings(directory / SETTINGS_FILE).client_rate()
    except SettingsError:
        # Reported by the command itself, with every other issue; its reads keep the default pace.
        return Rates()


def directory_arg(path: str) -> Path:
    """DIR of the commands that read one: it must exist and, unless --allow-empty, declare a pattern.

    A directory without a pattern file is almost always a mistake (a wrong path, the wrong branch
    checked out), and planning it would report "in sync" with exit 0.
    """
    root = Path(path)
    if not root.is_dir():
        raise click.UsageError(f"{path} is not a directory")
    options: Options = click.get_current_context().meta.get(_META, Options())
    if not options.allow_empty and not _declares_patterns(root):
        raise click.ClickException(
            f"{path} has no pattern file ({PATTERNS_DIR}/*.json, *.yaml or *.yml): nothing to sync. "
            "Check the path, or pass --allow-empty if an empty directory is meant."
        )
    return root


def _declares_patterns(root: Path) -> bool:
    folder = root / PATTERNS_DIR
    if not folder.is_dir():
        return False
    return any(
        not entry.name.startswith(".") and entry.suffix.lower() in PATTERN_SUFFIXES
        for entry in folder.iterdir()
    )


def allow_empty_option(func: F) -> F:
    """`--allow-empty`, for the commands whose DIR may deliberately declare no pattern."""
    return click.option(
        "--allow-empty",
        is_flag=True,
        default=False,
        help="Accept a DIR without any pattern file (otherwise an error: a wrong path looks in sync).",
    )(func)


def color_wanted(ctx: click.Context) -> bool:
    """Colour on stdout: only on a terminal, and never with --no-color or NO_COLOR (no-color.org:
    any non-empty value)."""
    options: Options = ctx.meta.get(_META, Options())
    return sys.stdout.isatty() and not options.no_color and not os.environ.get("NO_COLOR")


def plan_options(func: F) -> F:
    """The options of the commands that plan: --owner, --prune/--no-prune, --force, --adopt,
    --retry-rolled-back.

    The command receives them together as `planning`, the one `PlanOptions` that travels whole to
    `run_cycle` and the daemon's settings.
    """

    @functools.wraps(func)
    def gather(*args: Any, **kwargs: Any) -> Any:
        group: Options = click.get_current_context().meta.get(_META, Options())
        planning = PlanOptions(
            owner=kwargs.pop("owner"),
            prune=kwargs.pop("prune"),
            force=kwargs.pop("force"),
            adopt=kwargs.pop("adopt"),
            retry_rolled_back=kwargs.pop("retry_rolled_back"),
            # --env before or after the command name (it stays in kwargs for merge_options).
            environment=kwargs.get("env") or group.env,
        )
        return func(*args, planning=planning, **kwargs)

    options = [
        click.option("--owner", metavar="ID", help=_OWNER_HELP),
        click.option(
            "--prune/--no-prune",
            default=None,
            help="Move owned patterns whose file is gone to the recycle bin, and purge those binned longer "
            "than prune.retention (default: prune.enabled of dragops-sync.yaml, off). Refused when a file "
            "is invalid, no pattern is declared, or over prune.budget.",
        ),
        click.option("--force", is_flag=True, help="Overwrite conflicts (live and git both changed)."),
        click.option("--adopt", is_flag=True, help="Take over unmanaged live patterns of the same name."),
        click.option(
            "--retry-rolled-back",
            is_flag=True,
            help="Deploy again content whose smoke test failed and was rolled back (sync.smoke).",
        ),
    ]
    command: Callable[..., Any] = gather
    for option in reversed(options):
        command = option(command)
    return cast(F, command)


def cache_options(func: F) -> F:
    """`--cache-dir DIR` and `--no-cache`; the command receives `cache_dir` (None: no disk cache)."""

    @functools.wraps(func)
    def gather(*args: Any, **kwargs: Any) -> Any:
        given, off = kwargs.pop("cache_dir"), kwargs.pop("no_cache")
        cache_dir = None if off else Path(given) if given else default_cache_dir()
        return func(*args, cache_dir=cache_dir, **kwargs)

    options = [
        click.option(
            "--cache-dir",
            metavar="DIR",
            help="Keep the live patterns read here between runs, so a fresh process (CI) fetches only "
            "those changed since (default: $XDG_CACHE_HOME/dragops-sync or ~/.cache/dragops-sync; safe "
            "to delete; pattern content only, no secret).",
        ),
        click.option("--no-cache", is_flag=True, help="Read every pattern from the instance; no cache file."),
    ]
    command: Callable[..., Any] = gather
    for option in reversed(options):
        command = option(command)
    return cast(F, command)


def observer_for(ctx: click.Context, client: Client, cache_dir: Path | None) -> LiveObserver:
    """The observer of one command, with the disk cache unless off or `--local` (a new port each run)."""
    options: Options = ctx.meta.get(_META, Options())
    use = cache_dir is not None and not options.local
    cache = LiveCache(cache_dir, client.settings.instance_url) if use and cache_dir else None
    return LiveObserver(client, cache=cache)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or a first Ctrl-C, so an apply finishes its writes in flight and
    skips the rest instead of dying half-way; a second Ctrl-C interrupts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # handlers can only be installed from the main thread (e.g. an embedding app)
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        name = signal.Signals(signum).name
        click.echo(f"{name} received: finishing the writes in flight, skipping the rest", err=True)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
