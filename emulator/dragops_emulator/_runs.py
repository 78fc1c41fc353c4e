"""Run routes (docs/api-contract.md#runs, D13) and deployment health: list, one run, stats.

Runs are stored per deployment (`runs`, parent = deployment id) by the engine. Lists are newest first. The
list filter speaks the documented vocabulary (`success`, `failure`, `running`, `dead_letter`), mapped onto
record statuses per D13. Stats and health are computed from the records on each request (shapes of our
choosing, docs/api-contract.md#runs; health `{status, lastRunAt, recentFailures}`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._clock import format_iso, parse_iso
from dragops_emulator._deployments import load_deployment
from dragops_emulator._engine import TRIGGERED_BY
from dragops_emulator._http import (
    ApiError,
    current_user,
    envelope,
    page_list,
    page_params,
    query_choice,
    state,
)

__all__ = ["FAILED_STATUSES", "PERIODS", "STATUS_FILTERS", "routes"]

# D13: filter value -> record statuses.
STATUS_FILTERS: dict[str, frozenset[str]] = {
    "success": frozenset({"completed"}),
    "failure": frozenset({"failed", "timeout"}),
    "running": frozenset({"running"}),
    "dead_letter": frozenset({"dead_letter"}),
}
FAILED_STATUSES = frozenset({"failed", "timeout", "dead_letter"})

# period -> (window, history bucket size)
PERIODS: dict[str, tuple[timedelta, timedelta]] = {
    "1h": (timedelta(hours=1), timedelta(minutes=5)),
    "24h": (timedelta(hours=24), timedelta(hours=1)),
    "7d": (timedelta(days=7), timedelta(hours=6)),
    "30d": (timedelta(days=30), timedelta(days=1)),
}

# Health looks at this many of the latest runs.
_HEALTH_WINDOW = 10


def _newest_first(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # startedAt has millisecond resolution; insertion order breaks ties, so the order is stable.
    ordered = sorted(enumerate(runs), key=lambda pair: (pair[1]["startedAt"], pair[0]), reverse=True)
    return [run for _, run in ordered]


async def list_runs(request: Request) -> Response:
    """A deployment's runs, newest first (page style; filters `status` and `triggeredBy`)."""
    user = current_user(request)
    page, limit = page_params(request)
    status = query_choice(request, "status", STATUS_FILTERS)
    triggered_by = query_choice(request, "triggeredBy", TRIGGERED_BY)
    deployment = load_deployment(request, user)
    runs = state(request).store.list("runs", parent_id=deployment["id"])
    if status is not None:
        runs = [run for run in runs if run["status"] in STATUS_FILTERS[status]]
    if triggered_by is not None:
        runs = [run for run in runs if run["triggeredBy"] == triggered_by]
    runs = _newest_first(runs)
    return page_list(runs[(page - 1) * limit : page * limit], page=page, limit=limit, total=len(runs))


async def get_run(request: Request) -> Response:
    """One run of the deployment; 404 RUN_NOT_FOUND when it is not this (owned) deployment's."""
    user = current_user(request)
    deployment = load_deployment(request, user)
    run = state(request).store.get("runs", request.path_params["runId"], owner_id=str(user["id"]))
    if run is None or run.get("deploymentId") != deployment["id"]:
        raise ApiError(404, "RUN_NOT_FOUND", "Run not found")
    return envelope(run, timestamp=False)


def _percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of a non-empty sorted list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def run_stats(runs: list[dict[str, Any]], *, period: str, now: datetime) -> dict[str, Any]:
    """Aggregates of the runs started within `period` before `now` (pure; used by the stats route)."""
    window, bucket = PERIODS[period]
    since = now - window
    recent = [run for run in runs if parse_iso(run["startedAt"]) >= since]
    succeeded = sum(run["status"] == "completed" for run in recent)
    failed = sum(run["status"] in FAILED_STATUSES for run in recent)
    durations = sorted(int(run["durationMs"]) for run in recent if run.get("durationMs") is not None)
    by_trigger = dict.fromkeys(TRIGGERED_BY, 0)
    for run in recent:
        by_trigger[run["triggeredBy"]] = by_trigger.get(run["triggeredBy"], 0) + 1
    return {
        "period": period,
        "total": len(recent),
        "succeeded": succeeded,
        "failed": failed,
        "running": sum(run["status"] == "running" for run in recent),
        # null, not 0, when nothing finished: "no data" is not "every run failed".
        "successRate": round(succeeded / (succeeded + failed), 4) if succeeded + failed else None,
        "duration": {
            "avgMs": round(sum(durations) / len(durations)) if durations else None,
            "p50Ms": _percentile(durations, 0.50) if durations else None,
            "p95Ms": _percentile(durations, 0.95) if durations else None,
            "maxMs": durations[-1] if durations else None,
        },
        "byTrigger": by_trigger,
        "history": _history(recent, since=since, now=now, bucket=bucket),
    }


def _history(
    runs: list[dict[str, Any]], *, since: datetime, now: datetime, bucket: timedelta
) -> list[dict[str, Any]]:
    """Runs counted per time bucket, oldest bucket first; buckets aligned to multiples of their size."""
    size = bucket.total_seconds()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = math.floor((since - epoch).total_seconds() / size)
    last = math.floor((now - epoch).total_seconds() / size)
    totals = dict.fromkeys(range(first, last + 1), 0)
    failures = dict.fromkeys(range(first, last + 1), 0)
    for run in runs:
        index = math.floor((parse_iso(run["startedAt"]) - epoch).total_seconds() / size)
        if index in totals:
            totals[index] += 1
            failures[index] += run["status"] in FAILED_STATUSES
    return [
        {
            "bucketStart": format_iso(epoch + timedelta(seconds=index * size)),
            "total": totals[index],
            "failed": failures[index],
        }
        for index in sorted(totals)
    ]


async def stats(request: Request) -> Response:
    """Success rate, durations, per-trigger counts and history of a deployment's runs in a period."""
    user = current_user(request)
    period = query_choice(request, "period", PERIODS, "24h")
    deployment = load_deployment(request, user)
    emulator = state(request)
    runs = emulator.store.list("runs", parent_id=deployment["id"])
    data = {"deploymentId": deployment["id"], **run_stats(runs, period=period, now=emulator.clock.now())}
    return envelope(data, timestamp=False)


def health_of(deployment: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Health inferred from the latest runs: `healthy` (no failure among the last 10), `failing`
    (the last 3 all failed), `degraded` (in between); a deployment that is not active reports its
    own status (`pending`, `paused`, `undeployed`) instead."""
    latest = _newest_first(runs)[:_HEALTH_WINDOW]
    failures = sum(run["status"] in FAILED_STATUSES for run in latest)
    if deployment["status"] != "active":
        status = deployment["status"]
    elif failures == 0:
        status = "healthy"
    elif len(latest) >= 3 and all(run["status"] in FAILED_STATUSES for run in latest[:3]):
        status = "failing"
    else:
        status = "degraded"
    return {
        "deploymentId": deployment["id"],
        "status": status,
        "deploymentStatus": deployment["status"],
        "lastRunAt": latest[0]["startedAt"] if latest else None,
        "recentRuns": len(latest),
        "recentFailures": failures,
    }


async def health(request: Request) -> Response:
    """The inferred health of a deployment."""
    user = current_user(request)
    deployment = load_deployment(request, user)
    runs = state(request).store.list("runs", parent_id=deployment["id"])
    return envelope(health_of(deployment, runs), timestamp=False)


routes: list[Route] = [
    Route("/api/deployments/{id}/runs", list_runs, methods=["GET"]),
    Route("/api/deployments/{id}/runs/stats", stats, methods=["GET"]),
    Route("/api/deployments/{id}/runs/{runId}", get_run, methods=["GET"]),
    Route("/api/deployments/{id}/health", health, methods=["GET"]),
]
