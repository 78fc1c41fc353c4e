"""Telling people: cycle outcomes turned into notifications, sent through Apprise (Slack, Microsoft
Teams, Discord, e-mail, generic JSON webhooks and many more) to the targets of `notifications:`.

    notifier = Notifier(targets, env=os.environ, context={"owner": "acme/flows"})
    notifier.cycle(problems, commit=sha, applied="3 written")   # after each cycle (or apply)
    notifier.close(timeout=10)                                  # apply waits, bounded

* **Once per problem.** A problem — a failed write, a conflict, an invalid file, a refused prune,
  drift — is announced when it appears, and `recovered` once when it is gone; not on every cycle.
* **Off the reconcile path.** Messages go to a queue that one background thread sends, each with a
  timeout, so a slow, hanging or failing channel never delays or fails a cycle (a failure is logged).
* **Rate-limited** per target (`perMinute`); what is held back is summed up in one message when the
  minute allows.
* **No secret.** `${VAR}` in a URL is expanded only when sending; the expanded URL is never logged,
  and the values of those variables are removed from every message. Messages name the pattern, the
  file, the commit and what to do.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dragops_sync.notify_settings import NotificationTarget

__all__ = ["Notification", "Notifier", "Problem"]

log = logging.getLogger("dragops_sync.notify")

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SEND_TIMEOUT = 10.0

# What to do, by event: the second half of every message.
_ADVICE = {
    "failed": "It is retried with backoff; the error says what to fix (the file, or the instance).",
    "conflict": "It changed both in git and live: edit the file to keep one, or apply --force.",
    "invalid": "Nothing is written for this file until it is fixed.",
    "prune_refused": "Nothing was deleted; see the reason.",
    "drift": "It was edited live; git is not reverted in this drift mode.",
    "freeze_ignored": "Someone wrote through the freeze with --ignore-freeze (an emergency override).",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong after a cycle: `event` (failed, drift, conflict, prune_refused, invalid,
    freeze_ignored), what it is about (`pattern`, `file`) and why (`message`)."""

    event: str
    message: str
    pattern: str | None = None
    file: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.event, self.pattern or self.file or self.message


@dataclass(frozen=True)
class Notification:
    """One message: an `event`, a `title` and a `body`."""

    event: str
    title: str
    body: str


@dataclass
class _Target:
    spec: NotificationTarget
    sent: deque[float] = field(default_factory=deque)
    held: list[Notification] = field(default_factory=list)


class Notifier:
    """Turns cycles into notifications for `targets` and sends them from a background thread.

    `context` (owner, environment) goes into every title; `send` replaces Apprise (tests); `clock` is
    monotonic seconds."""

    def __init__(
        self,
        targets: Sequence[NotificationTarget],
        *,
        env: Mapping[str, str],
        context: Mapping[str, str | None] | None = None,
        send: Callable[[str, Notification], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._targets = [_Target(t) for t in targets]
        self._env = dict(env)
        self._context = {k: v for k, v in (context or {}).items() if v}
        self._send = send or _apprise_send
        self._clock = clock
        self._known: dict[tuple[str, str], Problem] = {}
        self._queue: queue.Queue[Notification | None] = queue.Queue()
        self._secrets = tuple(
            value for t in targets for name in _VAR.findall(t.url) if (value := self._env.get(name))
        )
        self._thread = threading.Thread(target=self._run, name="dragops-sync-notify", daemon=True)
        if self._targets:
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return bool(self._targets)

    def scope(self, **context: str | None) -> None:
        """Name the owner (known after the first cycle) and the environment in every title."""
        self._context.update({k: v for k, v in context.items() if v})

    # -- what happened ----------------------------------------------------------------------------

    def cycle(
        self, problems: Sequence[Problem], *, commit: str | None = None, applied: str | None = None
    ) -> None:
        """After a cycle: announce the new problems, the recovered ones, and (when something was
        written) `applied`."""
        if not self._targets:
            return
        at = f" at commit {commit[:12]}" if commit else ""
        now = {p.key: p for p in problems}
        for key, problem in now.items():
            if key not in self._known:
                where = problem.pattern or problem.file or "the directory"
                file = f" ({problem.file})" if problem.file and problem.pattern else ""
                body = f"{where}{file}{at}: {problem.message}. {_ADVICE.get(problem.event, '')}".strip()
                self._enqueue(Notification(problem.event, self._title(problem.event, where), body))
        for key, problem in self._known.items():
            if key not in now:
                where = problem.pattern or problem.file or "the directory"
                body = f"{where}{at}: {problem.event} is over ({problem.message})."
                self._enqueue(Notification("recovered", self._title("recovered", where), body))
        self._known = now
        if applied:
            self._enqueue(Notification("applied", self._title("applied", "cycle"), f"{applied}{at}."))

    def _title(self, event: str, subject: str) -> str:
        scope = " ".join(f"{v}" for v in self._context.values())
        return f"dragops-sync{f' [{scope}]' if scope else ''} {event}: {subject}"

    def _enqueue(self, notification: Notification) -> None:
        title, body = self._scrub(notification.title), self._scrub(notification.body)
        self._queue.put(Notification(notification.event, title, body))

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- sending ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._flush_held(force=True)
                return
            for target in self._targets:
                if item.event in target.spec.events:
                    self._deliver(target, item)
            self._flush_held(force=False)

    def _deliver(self, target: _Target, item: Notification) -> None:
        now = self._clock()
        while target.sent and now - target.sent[0] >= 60.0:
            target.sent.popleft()
        if len(target.sent) >= target.spec.per_minute:
            target.held.append(item)
            return
        target.sent.append(now)
        self._send_bounded(target, item)

    def _flush_held(self, *, force: bool) -> None:
        for target in self._targets:
            if not target.held:
                continue
            now = self._clock()
            while target.sent and now - target.sent[0] >= 60.0:
                target.sent.popleft()
            if len(target.sent) >= target.spec.per_minute and not force:
                continue
            held, target.held = target.held, []
            listed = "; ".join(f"{n.event}: {n.title.split(': ', 1)[-1]}" for n in held[:20])
            summary = Notification(
                "summary",
                self._title("held back", f"{len(held)} message(s)"),
                f"{len(held)} message(s) were held back by the rate limit "
                f"({target.spec.per_minute}/minute): {listed}",
            )
            target.sent.append(now)
            self._send_bounded(target, summary)

    def _send_bounded(self, target: _Target, item: Notification) -> None:
        url = _VAR.sub(lambda m: self._env.get(m.group(1), ""), target.spec.url)
        done: list[bool] = []
        worker = threading.Thread(target=lambda: done.append(self._safe_send(url, item)), daemon=True)
        worker.start()
        worker.join(_SEND_TIMEOUT)
        if worker.is_alive():
            scheme = _scheme(url)
            log.warning(
                "notification %r to a %s target timed out after %.0f s", item.event, scheme, _SEND_TIMEOUT
            )
        elif not (done and done[0]):
            log.warning("notification %r to a %s target failed", item.event, _scheme(url))

    def _safe_send(self, url: str, item: Notification) -> bool:
        try:
            return self._send(url, item)
        except Exception as exc:  # a channel's failure is logged, never raised into a cycle
            log.warning("notification %r failed: %s", item.event, self._scrub(str(exc)).replace(url, "<url>"))
            return False

    def close(self, timeout: float = _SEND_TIMEOUT) -> None:
        """Send what is queued (waiting at most `timeout` seconds), then stop the thread."""
        if not self._targets:
            return
        self._queue.put(None)
        self._thread.join(timeout)


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


def _apprise_send(url: str, item: Notification) -> bool:
    # Imported when a message is sent, so the sync starts quickly. Apprise loads its plugins lazily and
    # some warn about modules Python 3.13 drops (imghdr): nothing a user can act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        sender = apprise.Apprise()
        if not sender.add(url):
            raise ValueError(f"not an Apprise URL Apprise can use (scheme {_scheme(url)!r})")
        return bool(sender.notify(title=item.title, body=item.body))
