"""The simulated execution engine: one run of a deployed pattern, executed and recorded.

`run_pattern` picks the trigger node, puts the event data on its output pins, lets the interpreter
follow the graph, and stores the run record (docs/api-contract.md#runs) in the `runs` collection
(parent = deployment id). Runs execute synchronously inside the request that caused them, so a stored
run is never `running`. Nothing a graph does can crash the server: node failures fail the run
(`failed` with an `errorMessage`), runaway graphs stop at the step, nesting or time limit, and an
unexpected engine error is recorded as a failed run too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dragops_emulator._clock import format_iso
from dragops_emulator._deployment_state import current_deployment, deployed_graph
from dragops_emulator._graph import graph_nodes
from dragops_emulator._http import new_id
from dragops_emulator._interpreter import EngineHooks, Interpreter, Limits
from dragops_emulator._nodes import get_node, is_trigger, output_pins
from dragops_emulator._runtime import NodeError, RunAborted, json_safe, node_label

if TYPE_CHECKING:
    from dragops_emulator._state import EmulatorState

__all__ = ["MAX_CALL_DEPTH", "TRIGGERED_BY", "RunOutcome", "run_pattern"]

# Documented triggeredBy values plus `pattern_call` (ours, docs/api-contract.md#runs).
TRIGGERED_BY: tuple[str, ...] = ("manual", "webhook", "schedule", "pattern_call")

# The trigger node each kind of run starts from (manual runs fall back to any trigger, see below).
_TRIGGER_TYPE = {"webhook": "OnWebhook", "schedule": "OnSchedule", "pattern_call": "OnPatternCall"}

# Patterns calling patterns (possibly themselves) stop here instead of recursing without end.
MAX_CALL_DEPTH = 8


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: the stored record, the webhook response a Respond To Webhook node set (status,
    headers, body) or None, and the value a Respond With Pattern Result node returned to a caller."""

    run: dict[str, Any]
    webhook_response: tuple[int, dict[str, Any], Any] | None
    pattern_result: Any = None


def run_pattern(
    state: EmulatorState,
    *,
    deployment: dict[str, Any],
    pattern_graph: dict[str, Any],
    triggered_by: str,
    event_data: dict[str, Any],
    trigger_node_id: str | None = None,
    call_depth: int = 0,
    started_at: datetime | None = None,
) -> RunOutcome:
    """Execute `pattern_graph` (the deployed version's) for one event and store the run record.

    The run starts at `trigger_node_id` when given (webhook ingestion knows its On Webhook node), else
    at the first trigger of the kind `triggered_by` implies; a manual run starts at On Start, or at
    the first trigger node when the pattern has none. `started_at` defaults to now (a schedule tick
    being caught up passes its own time).
    """
    started_at = started_at or state.clock.now()
    began = time.perf_counter()
    owner_id = state.store.owner_of("deployments", str(deployment["id"]))
    hooks = EngineHooks(
        connection=lambda connection_id: _connection(state, owner_id, connection_id),
        call_pattern=lambda pattern_id, inputs: _call_pattern(
            state, owner_id, pattern_id, inputs, call_depth
        ),
    )
    interpreter = Interpreter(
        pattern_graph,
        started_at=started_at,
        environment_id=deployment.get("environmentId"),
        hooks=hooks,
        limits=Limits(),
    )
    status, error = _execute(interpreter, pattern_graph, triggered_by, event_data, trigger_node_id)
    duration_ms = int((time.perf_counter() - began) * 1000 + interpreter.simulated_seconds * 1000)
    run = {
        "id": new_id("run"),
        "deploymentId": deployment["id"],
        "patternId": deployment.get("patternId"),
        "versionNumber": deployment.get("versionNumber"),
        "triggeredBy": triggered_by,
        "status": status,
        "startedAt": format_iso(started_at),
        "completedAt": format_iso(started_at + timedelta(milliseconds=duration_ms)),
        "durationMs": duration_ms,
        # HTTP bodies are strict JSON already; this guards the in-process callers (schedules, pattern
        # calls, tests), since a NaN would make the record unservable as JSON.
        "eventData": json_safe(event_data),
        "logOutput": interpreter.logs,
        "errorMessage": error,
    }
    state.store.insert("runs", run, owner_id=owner_id, parent_id=str(deployment["id"]))
    return RunOutcome(
        run=run,
        webhook_response=interpreter.webhook_response,
        pattern_result=interpreter.pattern_result,
    )


def _execute(
    interpreter: Interpreter,
    graph: Mapping[str, Any],
    triggered_by: str,
    event_data: Mapping[str, Any],
    trigger_node_id: str | None,
) -> tuple[str, str | None]:
    """Run the graph; returns `(status, errorMessage)`."""
    try:
        trigger = _select_trigger(graph, triggered_by, trigger_node_id)
        if trigger is None:
            raise RunAborted(f"The deployed graph has no trigger node to start a {triggered_by} run")
        interpreter.start(trigger["id"], _trigger_outputs(trigger, event_data, interpreter.now_iso()))
    except NodeError as exc:
        message = _describe(interpreter, exc)
        interpreter.log("error", message, interpreter.nodes.get(exc.node_id or ""))
        _run_error_handler(interpreter, exc)
        return "failed", message
    except RunAborted as exc:
        interpreter.log("error", exc.message, None)
        return exc.status, exc.message
    except RecursionError:
        message = "Execution nested too deeply"
        interpreter.log("error", message, None)
        return "failed", message
    except Exception as exc:  # a bug in the engine must fail the run, not the request
        message = f"Internal engine error ({type(exc).__name__})"
        interpreter.log("error", message, None)
        return "failed", message
    return "completed", None


def _describe(interpreter: Interpreter, exc: NodeError) -> str:
    node = interpreter.nodes.get(exc.node_id or "")
    if node is None:
        return exc.message
    definition = get_node(node["type"]) or {}
    return f"{exc.message} (node {node['id']}, {node_label(node, definition.get('label', node['type']))})"


def _run_error_handler(interpreter: Interpreter, exc: NodeError) -> None:
    """Run the pattern's On Error node, if any, with the error (the run still counts as failed)."""
    handler = next((node for node in interpreter.nodes.values() if node["type"] == "OnError"), None)
    if handler is None:
        return
    try:
        interpreter.start(handler["id"], {"error": exc.as_object()})
    except (NodeError, RunAborted) as nested:
        interpreter.log("error", f"On Error handler failed: {nested.message}", handler)


def _select_trigger(
    graph: Mapping[str, Any], triggered_by: str, trigger_node_id: str | None
) -> dict[str, Any] | None:
    triggers = [node for node in graph_nodes(graph) if is_trigger(node["type"])]
    if trigger_node_id is not None:
        return next((node for node in triggers if node["id"] == trigger_node_id), None)
    wanted = _TRIGGER_TYPE.get(triggered_by)
    if wanted is not None:
        return next((node for node in triggers if node["type"] == wanted), None)
    starts = [node for node in triggers if node["type"] == "OnStart"]
    others = [node for node in triggers if node["type"] != "OnError"]
    candidates = starts or others
    return candidates[0] if candidates else None


# Values a trigger pin gets when the event does not carry it (On Webhook's Body is `{}` without a body).
_PIN_FALLBACKS: dict[str, Any] = {"object": {}, "array": [], "string": ""}


def _trigger_outputs(trigger: Mapping[str, Any], event: Mapping[str, Any], now_iso: str) -> dict[str, Any]:
    """The trigger's output pin values, read from the event data by pin name."""
    values: dict[str, Any] = {}
    for pin in output_pins(trigger["type"], trigger):
        if pin["type"] == "exec":
            continue
        if pin["name"] in event:
            values[pin["name"]] = event[pin["name"]]
        elif pin["type"] == "datetime":
            values[pin["name"]] = now_iso  # On Schedule's Timestamp: the tick being run
        else:
            values[pin["name"]] = _PIN_FALLBACKS.get(pin["type"])
    if trigger["type"] == "OnWebhook":
        values["method"] = event.get("method") or "POST"
    if trigger["type"] == "OnPatternCall":
        values["inputs"] = dict(event)  # all caller-supplied values at once
    return values


def _connection(state: EmulatorState, owner_id: str | None, connection_id: str) -> dict[str, Any] | None:
    if owner_id is None:
        return None
    return state.store.get("connections", connection_id, owner_id=owner_id)


def _call_pattern(
    state: EmulatorState, owner_id: str | None, pattern_id: str, inputs: dict[str, Any], depth: int
) -> Any:
    """Run another of the owner's deployed patterns synchronously; its result, or NodeError."""
    if depth + 1 > MAX_CALL_DEPTH:
        raise NodeError(f"Call Pattern: calls nested more than {MAX_CALL_DEPTH} deep", error_type="CallError")
    if owner_id is None or state.store.get("patterns", pattern_id, owner_id=owner_id) is None:
        raise NodeError(f"Call Pattern: pattern {pattern_id!r} not found", error_type="CallError")
    deployment = current_deployment(state.store, pattern_id, now=state.clock.now())
    status = deployment.get("status") if deployment is not None else "not deployed"
    if deployment is None or status != "active":
        raise NodeError(f"Call Pattern: pattern {pattern_id!r} is {status}", error_type="CallError")
    outcome = run_pattern(
        state,
        deployment=deployment,
        pattern_graph=deployed_graph(state.store, deployment),
        triggered_by="pattern_call",
        event_data=inputs,
        call_depth=depth + 1,
    )
    if outcome.run["status"] != "completed":
        raise NodeError(
            f"Call Pattern: run {outcome.run['id']} of pattern {pattern_id!r} {outcome.run['status']}: "
            f"{outcome.run['errorMessage']}",
            error_type="CallError",
        )
    return outcome.pattern_result
