"""Observing the live instance: the `LiveState` the planner compares a directory with.

`LiveObserver.observe()` makes three list calls (patterns, deployments, connections; side by side)
and fetches the full pattern (`GET /api/patterns/:id`) only for the patterns the plan needs the
content of and only when its memory cache lacks that id at the listed `updatedAt`. A warm, no-op
reconcile therefore makes no per-pattern GET: the list metadata decides what must be fetched
(docs/decisions.md D28).

The cache lives in memory; with a `LiveCache` (`--cache-dir`) it is also loaded from disk at the first
observation and saved after each observation that changed it, so a fresh process (a CI job) plans
unchanged patterns with the list calls only. A disk entry is used only while the list shows the same
`updatedAt` and the same deployment (id and version) as when it was read: the durable state stays in git
and in DRAGOPS, and losing the file costs GETs, never a wrong plan. Writers keep the memory honest:
`apply` calls `remember()` with the documents the API returned, or `invalidate()` when it does not
have one; what `apply` remembered is not written to disk (the deployment it will be read beside is not
known yet), so the next process reads those patterns again.

The observer also keeps the `essences` memo the planner computes essences through (keyed by content),
so a warm, no-op reconcile normalises no pattern either; each observation starts a new generation of
it, so the essences of files and patterns that are gone do not outlive the next reconcile.

One subtlety: a deploy bumps a pattern's `versionNumber` without touching its `updatedAt` (D11), so a
cached document may carry an old version number. The deployments list carries the deployed version,
and only a deploy raises the pattern's version, so the observer lifts the cached number to it.

Talks to the API through the client only (the only layer that imports httpx).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from dragops_sync.api import Client, NotFoundError
from dragops_sync.essence import EssenceMemo
from dragops_sync.live import LiveConnection, LiveDeployment, LivePattern, LiveState
from dragops_sync.live_cache import CachedPattern, DeploymentKey, LiveCache
from dragops_sync.models import Deployment, Pattern, PatternSummary
from dragops_sync.names import server_name
from dragops_sync.ownership import ownership_mark

__all__ = ["LiveObserver", "Observation", "PatternFilter"]

# Decides, from a list summary, whether the plan needs the pattern's full content.
PatternFilter = Callable[[PatternSummary], bool]


@dataclass(frozen=True)
class Observation:
    """One observation: the planner's `state`, plus what `status` and the metrics want to know.

    `deployments` are the list's models (with `lastRun`), keyed by pattern id; `fetched` counts the
    per-pattern GETs this observation made and `cached` the documents served from memory.
    """

    state: LiveState
    deployments: Mapping[str, Deployment] = field(default_factory=dict)
    fetched: int = 0
    cached: int = 0


def _stamp(summary: PatternSummary | Pattern) -> str | None:
    return summary.updated_at.isoformat() if summary.updated_at is not None else None


def _document(pattern: Pattern) -> dict[str, Any]:
    return pattern.model_dump(by_alias=True, mode="json")


def _deployment_key(deployment: Deployment | None) -> DeploymentKey:
    return (None, None) if deployment is None else (deployment.deployment_id, deployment.version_number)


@dataclass(frozen=True)
class _Entry:
    """A document in memory: `deployment` is the one it was read beside (None: unknown, not saved)."""

    stamp: str | None
    document: dict[str, Any]
    deployment: DeploymentKey | None = None


class LiveObserver:
    """Reads the live state through a client, with a memory cache of full patterns.

    `fetch_connections=False` skips the connections list (for callers that plan no connections).
    `concurrency` bounds the parallel GETs of a cold start (the client's rate limiter bounds the rate).
    `cache` keeps the documents on disk between processes (per owner: only observations given an
    `owner` use it). Thread-safe: the daemon's loop and its status server may share one observer.
    """

    def __init__(
        self,
        client: Client,
        *,
        fetch_connections: bool = True,
        concurrency: int = 8,
        cache: LiveCache | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._client = client
        self._fetch_connections = fetch_connections
        self._concurrency = concurrency
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}
        self._disk_cache = cache
        self._disk: dict[str, CachedPattern] = {}  # what the disk file held, for ids not in memory yet
        self._disk_owner: str | None = None
        self._dirty = False
        self.essences = EssenceMemo()  # for the planner: essences of what this observer's reconciles saw

    def __repr__(self) -> str:
        return f"LiveObserver(cached={len(self._cache)})"

    # -- cache ------------------------------------------------------------------------------------

    def remember(self, pattern: Pattern) -> None:
        """Keep a document the API just returned (after our create or update): no GET needed next time."""
        self._keep(pattern, None)

    def _keep(self, pattern: Pattern, deployment: DeploymentKey | None) -> dict[str, Any]:
        document = _document(pattern)
        with self._lock:
            self._cache[pattern.id] = _Entry(_stamp(pattern), document, deployment)
            self._dirty = True
        return document

    def invalidate(self, pattern_id: str | None = None) -> None:
        """Forget one pattern (after a write whose result we do not hold), or everything when None."""
        with self._lock:
            self._dirty = True
            if pattern_id is None:
                self._cache.clear()
                self._disk.clear()
            else:
                self._cache.pop(pattern_id, None)
                self._disk.pop(pattern_id, None)

    def _cached(self, summary: PatternSummary, deployment: DeploymentKey) -> dict[str, Any] | None:
        """The document in memory at the listed `updatedAt`, else the disk's at the same deployment too."""
        stamp = _stamp(summary)
        with self._lock:
            entry = self._cache.get(summary.id)
            if entry is not None:
                # Memory follows deploys by lifting the version number (below); disk entries do not.
                if entry.stamp != stamp:
                    return None
                if entry.deployment != deployment:
                    # Remembered after our own write (deployment unknown then): now it is known, so the
                    # entry can go to the disk cache for the next process (a restarted daemon, CI).
                    self._cache[summary.id] = replace(entry, deployment=deployment)
                    self._dirty = True
                return entry.document
            stored = self._disk.pop(summary.id, None)
            if stored is None or stored.updated_at != stamp or stored.deployment != deployment:
                if stored is not None:
                    self._dirty = True  # a stale entry: the file must lose it
                return None
            document = dict(stored.document)
            self._cache[summary.id] = _Entry(stamp, document, deployment)
            return document

    def _load_disk(self, owner: str | None) -> None:
        if self._disk_cache is None or owner is None or owner == self._disk_owner:
            return
        entries = self._disk_cache.load(owner)
        with self._lock:
            self._disk = {pid: e for pid, e in entries.items() if pid not in self._cache}
            self._disk_owner = owner

    def save(self) -> None:
        """Write the disk cache when this process learnt something since (no-op without one)."""
        if self._disk_cache is None or self._disk_owner is None:
            return
        with self._lock:
            if not self._dirty:
                return
            entries = {
                pid: CachedPattern(e.stamp, e.deployment, e.document)
                for pid, e in self._cache.items()
                if e.deployment is not None
            }
            entries.update({pid: e for pid, e in self._disk.items() if pid not in self._cache})
            self._dirty = False
        self._disk_cache.save(self._disk_owner, entries)

    # -- observing --------------------------------------------------------------------------------

    def observe(self, *, names: Collection[str] | None = None, owner: str | None = None) -> LiveState:
        """The live state; see `observe_detailed`."""
        return self.observe_detailed(names=names, owner=owner).state

    def observe_detailed(
        self,
        *,
        names: Collection[str] | None = None,
        owner: str | None = None,
        legacy_owner: str | None = None,
    ) -> Observation:
        """List everything, fetch what the plan needs and the cache lacks.

        Content is needed for the patterns named in `names` (None: every pattern) that are ours
        (`owner`, or the `legacy_owner` whose marks the plan migrates) or unmarked; another owner's
        pattern is never compared, so never fetched.
        """
        # The three lists are independent: the deployments and connections are read while the
        # patterns are paged through, so a slow network costs one list's time, not three.
        with ThreadPoolExecutor(max_workers=2) as pool:
            deployment_list = pool.submit(lambda: list(self._client.deployments.list()))
            connection_list = pool.submit(
                lambda: list(self._client.connections.list()) if self._fetch_connections else []
            )
            summaries = list(self._client.patterns.list())
            deployments: dict[str, Deployment] = {
                d.pattern_id: d for d in deployment_list.result() if d.pattern_id is not None
            }
            connections = [LiveConnection.from_api(c.to_api()) for c in connection_list.result()]
        self.essences.rotate()
        self._load_disk(owner)
        with self._lock:
            # A long-running daemon must not keep the documents of patterns deleted since (nor the file).
            listed = {s.id for s in summaries}
            for store in (self._cache, self._disk):
                for gone_id in [pid for pid in store if pid not in listed]:
                    del store[gone_id]
                    self._dirty = True

        def wanted(summary: PatternSummary) -> bool:
            if names is not None and server_name(summary.name) not in names:
                return False
            mark_owner = ownership_mark(summary.tags).owner
            return owner is None or mark_owner is None or mark_owner in (owner, legacy_owner)

        documents: dict[str, dict[str, Any]] = {}
        missing: list[PatternSummary] = []
        for summary in summaries:
            if not wanted(summary):
                continue
            cached = self._cached(summary, _deployment_key(deployments.get(summary.id)))
            if cached is not None:
                documents[summary.id] = cached
            else:
                missing.append(summary)
        fetched = self._fetch(missing, deployments)
        documents.update(fetched)
        cached_count = len(documents) - len(fetched)

        gone = {s.id for s in missing} - set(fetched)
        patterns = []
        for summary in summaries:
            if summary.id in gone:
                continue  # deleted between the list and its GET
            document = documents.get(summary.id)
            if document is not None:
                document = _with_deployed_version(document, deployments.get(summary.id))
            patterns.append(LivePattern.from_api(summary.to_api(), document))
        live_deployments = [LiveDeployment.from_api(pid, d.to_api()) for pid, d in deployments.items()]
        state = LiveState.of(patterns, live_deployments, connections)
        self.save()
        return Observation(state, deployments, fetched=len(fetched), cached=cached_count)

    def _fetch(
        self, summaries: list[PatternSummary], deployments: Mapping[str, Deployment]
    ) -> dict[str, dict[str, Any]]:
        """GET each pattern (in parallel when there are several); a pattern deleted meanwhile is skipped."""

        def one(summary: PatternSummary) -> tuple[str, dict[str, Any] | None]:
            try:
                pattern = self._client.patterns.get(summary.id)
            except NotFoundError:
                return summary.id, None  # deleted between the list and the GET: it is gone
            # Read after the deployments list: the pair stays consistent unless a deploy lands in
            # between, and then the next list shows a newer deployment and the entry is read again.
            return summary.id, self._keep(pattern, _deployment_key(deployments.get(summary.id)))

        if len(summaries) <= 1 or self._concurrency == 1:
            results = [one(s) for s in summaries]
        else:
            with ThreadPoolExecutor(max_workers=min(self._concurrency, len(summaries))) as pool:
                results = list(pool.map(one, summaries))
        return {pid: doc for pid, doc in results if doc is not None}


def _with_deployed_version(document: dict[str, Any], deployment: Deployment | None) -> dict[str, Any]:
    # A deploy raises versionNumber but not updatedAt, so a cached copy may lag behind the deployment.
    if deployment is None or deployment.version_number is None:
        return document
    current = document.get("versionNumber")
    if isinstance(current, int) and current >= deployment.version_number:
        return document
    return {**document, "versionNumber": deployment.version_number}
