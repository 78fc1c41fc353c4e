"""A remote repository as the daemon's source: its own shallow clone, fetched and reset on demand.

    source = GitSource(RemoteRepo("https://git.example.com/org/gitops.git", branch="main", path="prod"))
    source.prepare()          # clone, or re-validate the clone kept from the last run (SourceError)
    source.directory          # what the daemon reconciles: <workdir>/checkout/prod
    source.sync()             # fetch and move the checkout to the remote branch (never raises)
    source.request_fetch()    # a push webhook: ask the daemon for a fetch and a cycle now

    with one_shot_checkout(RemoteRepo(url), ref="v1.4") as directory:   # `plan`/`apply --repo`
        ...

The daemon owns its clone (`<workdir>/checkout`; default workdir: the user's cache directory, one per
URL and branch, kept across restarts): every fetch resets it hard to the fetched remote branch, so a
force-pushed branch is followed (and logged as such). A clone that fails validation at start (not a
git checkout, another remote, an unreadable HEAD, a reset that fails) is removed and cloned again. A
fetch that fails leaves the checkout where it was; the daemon keeps reconciling that commit, and
`failing_for()` tells the status server how long the fetch has been failing.

Secrets: an HTTPS token or username/password come from the environment (`DRAGOPS_SYNC_GIT_TOKEN`, or
`DRAGOPS_SYNC_GIT_USERNAME` and `DRAGOPS_SYNC_GIT_PASSWORD`) and reach git only through `GIT_ASKPASS`:
a helper script (mode 0700, in a private temporary directory) that prints a variable set in the
environment of the git child alone. They are never on a command line, never in the clone's
`.git/config` (the remote URL is stored without credentials; credential helpers are switched off so
none stores them), and every message (logs, `/status`, errors) has URL credentials and the secret
values removed. SSH: `ssh_key` and `known_hosts` go to `GIT_SSH_COMMAND` with strict host key
checking. Only this module and `gitpull` run git.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Counter, Gauge

from dragops_sync.errors import DragopsError

__all__ = [
    "GIT_TIMEOUT",
    "PASSWORD_ENV",
    "TOKEN_ENV",
    "USERNAME_ENV",
    "GitCredentials",
    "GitSource",
    "RemoteRepo",
    "SourceError",
    "SyncResult",
    "default_workdir",
    "one_shot_checkout",
    "public_url",
]

log = logging.getLogger(__name__)

# Seconds a git command may take before it is abandoned (a fetch over a dead network hangs otherwise).
GIT_TIMEOUT = 120.0

# The environment variables the credentials come from.
TOKEN_ENV = "DRAGOPS_SYNC_GIT_TOKEN"
USERNAME_ENV = "DRAGOPS_SYNC_GIT_USERNAME"
PASSWORD_ENV = "DRAGOPS_SYNC_GIT_PASSWORD"

# The variables the askpass helper reads: set in the git child's environment only.
_ASKPASS_USER = "DRAGOPS_SYNC_ASKPASS_USERNAME"
_ASKPASS_SECRET = "DRAGOPS_SYNC_ASKPASS_SECRET"
_ASKPASS_SCRIPT = f"""#!/bin/sh
# Written by dragops-sync: git asks for "Username for ..." or "Password for ...".
case "$1" in
  Username*) printf '%s\\n' "${_ASKPASS_USER}" ;;
  *) printf '%s\\n' "${_ASKPASS_SECRET}" ;;
esac
"""

# The marker that says a workdir is ours to clone into (and to wipe when its clone is broken).
_MARKER = "dragops-sync-source.json"
_CHECKOUT = "checkout"

_SCHEME_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]*@)")
_SCP_STYLE = re.compile(r"^(?:[^@/:\s]+@)?[^/:\s]+:(?!//)")


class SourceError(DragopsError):
    """The repository cannot be cloned or used (a bad URL, refused credentials, an unusable workdir)."""


def public_url(url: str) -> str:
    """`url` without the `user:password@` of scheme URLs (https://, ssh://): safe for any message."""
    return _SCHEME_URL.sub(r"\g<scheme>", url)


@dataclass(frozen=True)
class GitCredentials:
    """An HTTPS username and secret (a token or a password); `repr` never shows the secret."""

    username: str
    secret: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitCredentials | None:
        """`DRAGOPS_SYNC_GIT_TOKEN` (username `DRAGOPS_SYNC_GIT_USERNAME`, else `x-access-token`, which
        GitHub, Gitea and Bitbucket accept; GitLab takes any), or `DRAGOPS_SYNC_GIT_USERNAME` with
        `DRAGOPS_SYNC_GIT_PASSWORD`; None when neither is set."""
        token = env.get(TOKEN_ENV) or ""
        username = env.get(USERNAME_ENV) or ""
        password = env.get(PASSWORD_ENV) or ""
        if token:
            return cls(username or "x-access-token", token)
        if password:
            if not username:
                raise SourceError(f"{PASSWORD_ENV} is set without {USERNAME_ENV}")
            return cls(username, password)
        return None


@dataclass(frozen=True)
class RemoteRepo:
    """Which repository, branch and directory in it to follow, and how to reach it.

    `url`: `https://`, `ssh://`, scp-style (`git@host:org/repo.git`) or `file://`; a URL carrying a
    password is refused (secrets come from the environment). `path`: the sync directory inside the
    repository (default: its root). `ssh_key`/`known_hosts`: the identity and the host keys for SSH.
    """

    url: str
    branch: str = "main"
    path: str = ""
    ssh_key: Path | None = None
    known_hosts: Path | None = None
    credentials: GitCredentials | None = None

    def __post_init__(self) -> None:
        url = self.url.strip()
        if not url:
            raise SourceError("the repository URL is empty")
        parts = urlsplit(url) if "://" in url else None
        if parts is not None:
            if parts.scheme not in ("https", "http", "ssh", "git+ssh", "file"):
                raise SourceError(
                    f"unsupported repository URL scheme {parts.scheme!r} in {public_url(url)} "
                    "(https://, ssh://, user@host:path or file://)"
                )
            if parts.password is not None:
                raise SourceError(
                    f"the repository URL {public_url(url)} carries a password: give it in "
                    f"{TOKEN_ENV} (or {USERNAME_ENV}/{PASSWORD_ENV}) instead"
                )
        elif not _SCP_STYLE.match(url):
            raise SourceError(f"not a repository URL: {url} (https://, ssh://, user@host:path or file://)")
        if not self.branch or self.branch.startswith("-"):
            raise SourceError(f"not a branch name: {self.branch!r}")
        relative = PurePosixPath(self.path.strip("/")) if self.path else PurePosixPath()
        if relative.is_absolute() or ".." in relative.parts:
            raise SourceError(f"--path must be a directory inside the repository, got {self.path!r}")
        for given in (self.ssh_key, self.known_hosts):
            if given is not None and not Path(given).is_file():
                raise SourceError(f"{given} is not a file")

    @property
    def display(self) -> str:
        """The URL as every message shows it: without credentials."""
        return public_url(self.url.strip())

    @property
    def is_ssh(self) -> bool:
        url = self.url.strip()
        return url.startswith(("ssh://", "git+ssh://")) or ("://" not in url and bool(_SCP_STYLE.match(url)))


def default_workdir(repo: RemoteRepo, env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/dragops-sync/<hash of URL and branch>` (default `~/.cache/...`): one clone per
    repository and branch, kept across restarts."""
    env = os.environ if env is None else env
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    digest = hashlib.sha256(f"{repo.url.strip()}\n{repo.branch}".encode()).hexdigest()[:16]
    return base / "dragops-sync" / digest


@dataclass(frozen=True)
class SyncResult:
    """One fetch: whether it worked, the commits before and after, and whether history was rewritten.

    `broken`: not the fetch but the clone failed (HEAD unreadable, a reset that fails): it is cloned
    again. `recloned`: this sync cloned afresh.
    """

    ok: bool
    before: str | None
    after: str | None
    forced: bool = False
    error: str = ""
    broken: bool = False
    recloned: bool = False

    @property
    def moved(self) -> bool:
        return self.ok and self.before != self.after


class _GitFailed(Exception):
    """A git command exited non-zero (the message: its whole error output, secrets removed)."""


class _Git:
    """Runs git for one repository: credentials through askpass, SSH options, nothing secret in argv."""

    def __init__(self, repo: RemoteRepo, env: Mapping[str, str] | None = None) -> None:
        self.repo = repo
        self._base_env = dict(os.environ if env is None else env)
        self._secrets = tuple(s for s in self._credential_values() if s)

    def _credential_values(self) -> tuple[str, ...]:
        creds = self.repo.credentials
        return (creds.secret,) if creds is not None else ()

    def scrub(self, text: str) -> str:
        """`text` with URL credentials and the secret values removed."""
        text = public_url(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @contextmanager
    def environment(self) -> Iterator[dict[str, str]]:
        """The git child's environment; the askpass helper lives as long as this context."""
        # Nothing of DRAGOPS (API token, passwords) goes to git; credential variables are set anew.
        env = {k: v for k, v in self._base_env.items() if not k.startswith("DRAGOPS_")}
        env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_ASKPASS="/bin/false", SSH_ASKPASS="/bin/false")
        if self.repo.is_ssh:
            ssh = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
            if self.repo.ssh_key is not None:
                ssh += ["-i", str(Path(self.repo.ssh_key).resolve()), "-o", "IdentitiesOnly=yes"]
            if self.repo.known_hosts is not None:
                ssh += ["-o", f"UserKnownHostsFile={Path(self.repo.known_hosts).resolve()}"]
            env["GIT_SSH_COMMAND"] = shlex.join(ssh)
        creds = self.repo.credentials
        if creds is None:
            yield env
            return
        private = Path(tempfile.mkdtemp(prefix="dragops-sync-askpass-"))  # mode 0700
        try:
            helper = private / "askpass.sh"
            fd = os.open(helper, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
            with os.fdopen(fd, "w") as script:
                script.write(_ASKPASS_SCRIPT)
            env["GIT_ASKPASS"] = str(helper)
            env[_ASKPASS_USER] = creds.username
            env[_ASKPASS_SECRET] = creds.secret
            yield env
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def run(self, cwd: Path | None, *args: str, env: Mapping[str, str], timeout: float = GIT_TIMEOUT) -> str:
        """`git ARGS` (in `cwd`); its stdout. Raises `_GitFailed` with git's whole error output, scrubbed."""
        # credential.helper= empties the helper list: no helper configured on the machine stores the secret.
        command = ["git", "-c", "credential.helper="]
        if cwd is not None:
            command += ["-C", str(cwd)]
        try:
            done = subprocess.run(
                [*command, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=dict(env),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise _GitFailed(f"git {args[0]} timed out after {exc.timeout:g} s") from None
        except OSError as exc:
            raise _GitFailed(f"git could not run: {exc}") from None
        if done.returncode != 0:
            output = (
                done.stderr or done.stdout or ""
            ).strip() or f"git {args[0]} exited with {done.returncode}"
            raise _GitFailed(self.scrub(output))
        return done.stdout.strip()


class GitSource:
    """The daemon's clone of one branch of a remote repository (see the module docstring).

    `workdir` is the directory the clone lives in (default `default_workdir`); `directory` the sync
    directory inside the checkout. `monotonic` is injectable for tests of `failing_for`.
    """

    def __init__(
        self,
        repo: RemoteRepo,
        *,
        workdir: Path | None = None,
        env: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repo = repo
        self.workdir = Path(workdir if workdir is not None else default_workdir(repo, env)).absolute()
        self.checkout = self.workdir / _CHECKOUT
        self._git = _Git(repo, env)
        self._monotonic = monotonic
        self._clock = clock
        self._lock = threading.Lock()
        self._failing_since: float | None = None  # monotonic start of the current run of failures
        self._last_error: str | None = None
        self._last_fetch_at: float | None = None  # wall time of the last successful fetch
        self._commit: str | None = None
        self._requested = threading.Event()
        self.on_request: Callable[[], None] | None = None  # the daemon's wake-up
        self._fetches: Counter | None = None

    @property
    def directory(self) -> Path:
        """The sync directory: the checkout, or `path` inside it."""
        return self.checkout / self.repo.path.strip("/") if self.repo.path else self.checkout

    # -- start ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Make the clone usable: re-validate a kept one (fetching it) or clone afresh.

        Raises `SourceError` (naming the URL without credentials) when no usable clone can be made; a
        kept clone whose fetch fails is used as it is (the failure shows in `failing_for`).
        """
        self._claim_workdir()
        with self._git.environment() as env:
            problem = self._validate(env)
            if problem is None:
                result = self._sync(env)
                if not result.ok and not result.broken:
                    log.warning(
                        "fetching %s failed, reconciling the kept clone: %s", self.repo.display, result.error
                    )
                problem = result.error if result.broken else None
            if problem is not None:
                self._reclone(env, problem)
        self._check_path()

    def _reclone(self, env: Mapping[str, str], problem: str) -> None:
        if self.checkout.exists():
            log.warning("the clone in %s is not usable (%s): cloning again", self.checkout, problem)
            shutil.rmtree(self.checkout)
        self._clone(env)

    def _claim_workdir(self) -> None:
        marker = self.workdir / _MARKER
        if self.workdir.exists() and not self.workdir.is_dir():
            raise SourceError(f"the work directory {self.workdir} is not a directory")
        if self.workdir.is_dir() and any(self.workdir.iterdir()) and not marker.is_file():
            raise SourceError(
                f"the work directory {self.workdir} is not empty and was not made by dragops-sync: "
                "give an empty or new directory (--workdir)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        marker.write_text(json.dumps({"url": self.repo.display, "branch": self.repo.branch}) + "\n")

    def _validate(self, env: Mapping[str, str]) -> str | None:
        """Why the kept clone cannot be used as it is, or None."""
        if not (self.checkout / ".git").is_dir():
            return "no clone yet"
        try:
            top = self._git.run(self.checkout, "rev-parse", "--show-toplevel", env=env, timeout=30)
            if Path(top).resolve() != self.checkout.resolve():
                return "not the top of a checkout"
            url = self._git.run(self.checkout, "remote", "get-url", "origin", env=env, timeout=30)
            if url != self.repo.url.strip():
                return f"it follows {public_url(url)}"
            self._git.run(
                self.checkout, "rev-parse", "--verify", "--quiet", "HEAD^{tree}", env=env, timeout=30
            )
        except _GitFailed as exc:
            return str(exc).splitlines()[-1] if str(exc) else "git failed"
        return None

    def _clone(self, env: Mapping[str, str]) -> None:
        repo = self.repo
        log.info("cloning %s (branch %s) into %s", repo.display, repo.branch, self.checkout)
        try:
            self._git.run(
                None,
                "clone",
                "--quiet",
                "--depth=1",
                "--single-branch",
                "--no-tags",
                f"--branch={repo.branch}",
                "--",
                repo.url.strip(),
                str(self.checkout),
                env=env,
            )
        except _GitFailed as exc:
            shutil.rmtree(self.checkout, ignore_errors=True)
            raise SourceError(f"cannot clone {repo.display} (branch {repo.branch}): {exc}") from None
        commit = self._head(env)
        with self._lock:
            self._commit = commit
            self._last_fetch_at = self._clock()
            self._failing_since = None
            self._last_error = None

    def _check_path(self) -> None:
        if not self.directory.is_dir():
            raise SourceError(
                f"{self.repo.path!r} is not a directory in {self.repo.display} (branch {self.repo.branch})"
            )

    # -- every fetch ------------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Fetch the branch and reset the checkout to it; never raises. Logs a move and a force push."""
        with self._git.environment() as env:
            result = self._sync(env)
            if result.broken:
                before = result.before
                try:
                    self._reclone(env, result.error)
                    result = self._record(SyncResult(True, before, self._head(env), recloned=True))
                except (SourceError, _GitFailed) as exc:
                    result = self._record(SyncResult(False, before, before, error=str(exc), broken=True))
        if not result.ok:
            log.warning(
                "fetching %s failed, reconciling the last commit fetched (%s): %s",
                self.repo.display,
                (result.before or "none")[:12],
                result.error,
            )
        elif result.forced:
            log.warning(
                "branch %s of %s was force-pushed: followed %s -> %s (history rewritten)",
                self.repo.branch,
                self.repo.display,
                (result.before or "none")[:12],
                (result.after or "none")[:12],
            )
        elif result.moved:
            log.info(
                "fetched %s: %s -> %s",
                self.repo.display,
                (result.before or "none")[:12],
                (result.after or "")[:12],
            )
        return result

    def _sync(self, env: Mapping[str, str]) -> SyncResult:
        branch = self.repo.branch
        try:
            before = self._head(env)
        except _GitFailed as exc:
            return self._record(SyncResult(False, None, None, error=str(exc), broken=True))
        tracking = f"refs/remotes/origin/{branch}"
        try:
            # No --depth: the shallow clone grows only by the new commits, so whether the old head is
            # an ancestor of the new one (a fast-forward) can be told; a force push fetches deeper.
            self._git.run(
                self.checkout,
                "fetch",
                "--quiet",
                "--no-tags",
                "origin",
                f"+refs/heads/{branch}:{tracking}",
                env=env,
            )
        except _GitFailed as exc:
            return self._record(SyncResult(False, before, before, error=str(exc)))
        try:
            after = self._git.run(self.checkout, "rev-parse", "--verify", f"{tracking}^{{commit}}", env=env)
            forced = False
            if after != before:
                forced = not self._is_ancestor(before, after, env)
                self._git.run(self.checkout, "reset", "--quiet", "--hard", after, env=env)
            # The checkout is the daemon's: nothing but the commit's files is read (.dragops-local kept).
            self._git.run(self.checkout, "clean", "-ffdq", "-e", ".dragops-local", env=env)
        except _GitFailed as exc:
            return self._record(SyncResult(False, before, before, error=str(exc), broken=True))
        return self._record(SyncResult(True, before, after, forced=forced))

    def _is_ancestor(self, before: str, after: str, env: Mapping[str, str]) -> bool:
        try:
            self._git.run(self.checkout, "merge-base", "--is-ancestor", before, after, env=env)
        except _GitFailed:
            return False
        return True

    def _head(self, env: Mapping[str, str]) -> str:
        return self._git.run(self.checkout, "rev-parse", "--verify", "HEAD^{commit}", env=env, timeout=30)

    def _record(self, result: SyncResult) -> SyncResult:
        if self._fetches is not None:
            self._fetches.labels(result="ok" if result.ok else "error").inc()
        with self._lock:
            if result.ok:
                self._failing_since = None
                self._last_error = None
                self._last_fetch_at = self._clock()
                self._commit = result.after
            else:
                if self._failing_since is None:
                    self._failing_since = self._monotonic()
                self._last_error = result.error
        return result

    # -- requests and health ----------------------------------------------------------------------

    def request_fetch(self) -> None:
        """Ask for a fetch and a cycle as soon as possible (a push webhook); coalesces with one pending."""
        self._requested.set()
        if self.on_request is not None:
            self.on_request()

    nudge = request_fetch

    def take_request(self) -> bool:
        """Whether a fetch was requested since the last call (and clear the request)."""
        requested = self._requested.is_set()
        self._requested.clear()
        return requested

    def failing_for(self) -> float | None:
        """Seconds the fetch has been failing without a success in between; None when it works."""
        with self._lock:
            since = self._failing_since
        return None if since is None else self._monotonic() - since

    def register_metrics(self, registry: CollectorRegistry) -> None:
        """Add the source's metrics to the daemon's registry (no URL in any label):
        `dragops_sync_source_fetches_total{result}` (ok, error),
        `dragops_sync_source_fetch_failing_seconds` (0 while fetching works) and
        `dragops_sync_source_last_fetch_timestamp_seconds`."""
        self._fetches = Counter(
            "dragops_sync_source_fetches",
            "Fetches of the remote repository, by result (ok, error).",
            ["result"],
            registry=registry,
        )
        for result in ("ok", "error"):
            self._fetches.labels(result=result)
        failing = Gauge(
            "dragops_sync_source_fetch_failing_seconds",
            "Seconds the fetch of the remote repository has been failing (0 while it works).",
            registry=registry,
        )
        failing.set_function(lambda: self.failing_for() or 0.0)
        last = Gauge(
            "dragops_sync_source_last_fetch_timestamp_seconds",
            "Unix time of the last successful fetch (or clone) of the remote repository.",
            registry=registry,
        )
        last.set_function(lambda: self._last_fetch_at or 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The `source` part of `/status` (no credentials: the URL is the public one)."""
        with self._lock:
            failing = (
                None if self._failing_since is None else round(self._monotonic() - self._failing_since, 3)
            )
            return {
                "url": self.repo.display,
                "branch": self.repo.branch,
                "path": self.repo.path or None,
                "commit": self._commit,
                "lastFetchAt": _iso(self._last_fetch_at),
                "fetchFailingForSeconds": failing,
                "lastFetchError": self._last_error,
            }


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def one_shot_checkout(
    repo: RemoteRepo, *, ref: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[Path]:
    """A shallow checkout of `ref` (a branch, a tag or a commit; default: the remote's default branch)
    in a temporary directory, removed on exit; yields the sync directory (`repo.path` inside it).

    Raises `SourceError` (naming the URL without credentials) when the repository or the ref cannot be
    fetched.
    """
    git = _Git(repo, env)
    with tempfile.TemporaryDirectory(prefix="dragops-sync-repo-") as tmp, git.environment() as child_env:
        checkout = Path(tmp) / _CHECKOUT
        wanted = ref or "HEAD"
        try:
            git.run(None, "init", "--quiet", str(checkout), env=child_env, timeout=30)
            git.run(checkout, "remote", "add", "origin", repo.url.strip(), env=child_env, timeout=30)
            try:
                git.run(
                    checkout, "fetch", "--quiet", "--depth=1", "--no-tags", "origin", wanted, env=child_env
                )
                target = "FETCH_HEAD"
            except _GitFailed:
                # An abbreviated commit, or a server that refuses unadvertised commits: fetch everything.
                everything = "+refs/heads/*:refs/remotes/origin/*"
                git.run(checkout, "fetch", "--quiet", "--tags", "origin", everything, env=child_env)
                target = git.run(checkout, "rev-parse", "--verify", f"{wanted}^{{commit}}", env=child_env)
            git.run(checkout, "checkout", "--quiet", "--detach", target, env=child_env)
        except _GitFailed as exc:
            where = f"ref {ref}" if ref else "its default branch"
            raise SourceError(f"cannot fetch {repo.display} ({where}): {exc}") from None
        directory = checkout / repo.path.strip("/") if repo.path else checkout
        if not directory.is_dir():
            raise SourceError(f"{repo.path!r} is not a directory in {repo.display} at {ref or 'HEAD'}")
        yield directory
