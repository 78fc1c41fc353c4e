"""The interpreter: runs one pattern graph from a trigger node, following execution wires.

Impure nodes run in exec-wire order, each pulling its input values on demand: from a data wire (a
pure node is evaluated there and then, an impure node's outputs are read from when it ran), else from
the node's `pinDefaults`, else from the pin's `defaultValue`. Values are converted to the input pin's
type (`_runtime.coerce`). Limits keep a weird graph from hurting the server: a step budget (every
node run or evaluation is a step), a nesting limit, a simulated time limit, a cap on log entries.
What a node does lives in `_actions.py` (impure) and `_pure_nodes.py` (pure).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dragops_emulator._actions import ACTIONS
from dragops_emulator._clock import format_iso
from dragops_emulator._graph import graph_nodes, node_data
from dragops_emulator._nodes import get_node, input_pins
from dragops_emulator._pure_nodes import PURE_NODES
from dragops_emulator._runtime import NodeError, RunAborted, coerce, node_label

__all__ = ["EngineHooks", "Interpreter", "Limits"]


@dataclass(frozen=True)
class Limits:
    """How far one run may go before it is stopped."""

    max_steps: int = 10_000
    max_depth: int = 64  # nested exec chains (Sequence in ForEach in Try...); recursion guard
    max_seconds: float = 300.0  # simulated execution time (Delay nodes) before the run times out
    max_log_entries: int = 1_000


@dataclass(frozen=True)
class EngineHooks:
    """What the interpreter needs from outside the graph: the owner's connections, other patterns."""

    connection: Callable[[str], dict[str, Any] | None]
    call_pattern: Callable[[str, dict[str, Any]], Any]


class Interpreter:
    """One run's interpreter state: node outputs, variables, logs and counters."""

    def __init__(
        self,
        graph: Mapping[str, Any],
        *,
        started_at: datetime,
        environment_id: str | None,
        hooks: EngineHooks,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.hooks = hooks
        self.environment_id = environment_id
        self.nodes: dict[str, dict[str, Any]] = {}
        for node in graph_nodes(graph):
            self.nodes.setdefault(node["id"], node)
        self._exec_targets: dict[tuple[str, str], list[str]] = {}
        self._data_sources: dict[tuple[str, str], tuple[str, str]] = {}
        self._index_edges(graph.get("edges"))
        self.declared_variables: dict[str, str] = {}
        self.variables: dict[str, Any] = {}
        self._declare_variables(graph.get("variables"))
        self.outputs: dict[str, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.steps = 0
        self.simulated_seconds = 0.0
        self.webhook_response: tuple[int, dict[str, Any], Any] | None = None
        self.pattern_result: Any = None
        self.responded = False
        self._started_at = started_at
        self._depth = 0
        self._evaluating: set[str] = set()

    # --- graph indexing -------------------------------------------------------------------------------

    def _index_edges(self, edges: Any) -> None:
        for edge in edges if isinstance(edges, list) else []:
            if not isinstance(edge, Mapping):
                continue
            source, target = edge.get("source"), edge.get("target")
            source_pin, target_pin = edge.get("sourceHandle"), edge.get("targetHandle")
            if not all(isinstance(v, str) for v in (source, source_pin, target, target_pin)):
                continue
            target_node = self.nodes.get(str(target))
            if source not in self.nodes or target_node is None:
                continue
            pins = {pin["name"]: pin["type"] for pin in input_pins(target_node["type"], target_node)}
            if pins.get(str(target_pin)) == "exec":
                self._exec_targets.setdefault((str(source), str(source_pin)), []).append(str(target))
            else:
                self._data_sources[(str(target), str(target_pin))] = (str(source), str(source_pin))

    def _declare_variables(self, declared: Any) -> None:
        for item in declared if isinstance(declared, list) else []:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                var_type = str(item.get("type")) if isinstance(item.get("type"), str) else "any"
                self.declared_variables[item["name"]] = var_type
                # Variables are reset to their defaults at the start of every run (variables concept page).
                try:
                    self.variables[item["name"]] = coerce(item.get("defaultValue"), var_type, item["name"])
                except NodeError:
                    # A default that does not fit its declared type is kept as written; the nodes
                    # reading it then report the mismatch where it matters.
                    self.variables[item["name"]] = item.get("defaultValue")

    # --- the run context (RunContext protocol) ------------------------------------------------------------

    def now_iso(self) -> str:
        """The run's time: its start plus the simulated time of the Delay nodes passed so far."""
        return format_iso(self._started_at + timedelta(seconds=self.simulated_seconds))

    def log(self, level: str, message: str, node: Mapping[str, Any] | None) -> None:
        """Append a logOutput entry `{level, message, timestamp, nodeId, nodeName}` (capped)."""
        if len(self.logs) > self.limits.max_log_entries:
            return
        if len(self.logs) == self.limits.max_log_entries:
            level, message, node = "warn", f"Log truncated after {self.limits.max_log_entries} entries", None
        definition = get_node(str(node.get("type"))) if node is not None else None
        self.logs.append(
            {
                "level": level,
                "message": message,
                "timestamp": self.now_iso(),
                "nodeId": node.get("id") if node is not None else None,
                "nodeName": node_label(node, definition["label"] if definition else "") if node else None,
            }
        )

    # --- limits ----------------------------------------------------------------------------------------

    def step(self) -> None:
        """Count one step; abort the run past the step budget."""
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise RunAborted(f"Step limit exceeded ({self.limits.max_steps} steps)")

    def simulate_delay(self, seconds: float) -> None:
        """Advance the run's simulated time; past the time limit the run ends as `timeout`."""
        self.simulated_seconds += seconds
        if self.simulated_seconds > self.limits.max_seconds:
            raise RunAborted(
                f"Execution exceeded the time limit of {self.limits.max_seconds:g} s", status="timeout"
            )

    # --- execution ---------------------------------------------------------------------------------------

    def start(self, trigger_id: str, trigger_outputs: dict[str, Any]) -> None:
        """Run the graph from a trigger node whose output pins carry the event data."""
        self.outputs[trigger_id] = trigger_outputs
        self.run_chain(trigger_id, "exec")

    def run_chain(self, node_id: str, pin: str) -> None:
        """Run everything wired to exec output `pin` of `node_id`, to completion."""
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise RunAborted(f"Execution nested too deeply (more than {self.limits.max_depth} levels)")
            for target in self._exec_targets.get((node_id, pin), []):
                self._run_from(target)
        finally:
            self._depth -= 1

    def _run_from(self, node_id: str) -> None:
        current: str | None = node_id
        while current is not None:
            node = self.nodes[current]
            action = ACTIONS.get(node["type"])
            if action is None:
                return  # an exec wire into a pure or trigger node: nothing runs there (deploy refuses it)
            self.step()
            try:
                next_pin = action(self, node, self.inputs(node))
            except NodeError as exc:
                if exc.node_id is None:
                    exc.node_id = current
                raise
            targets = self._exec_targets.get((current, next_pin), []) if next_pin else []
            if len(targets) == 1:
                current = targets[0]  # the common straight line: iterate, do not recurse
            else:
                if targets:
                    self.run_chain(current, str(next_pin))
                current = None

    def set_outputs(self, node_id: str, values: dict[str, Any]) -> None:
        """Record an impure node's output values (read later by the nodes wired to them)."""
        self.outputs.setdefault(node_id, {}).update(values)

    def inputs(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """The values of a node's data input pins, converted to the pins' types."""
        defaults = node_data(node, "pinDefaults")
        values: dict[str, Any] = {}
        for pin in input_pins(node["type"], node):
            if pin["type"] == "exec":
                continue
            source = self._data_sources.get((node["id"], pin["name"]))
            if source is not None:
                value = self.output_value(*source)
            elif pin["name"] in defaults:
                value = defaults[pin["name"]]
            else:
                value = pin.get("defaultValue")
            values[pin["name"]] = coerce(value, pin["type"], pin["name"])
        return values

    def output_value(self, node_id: str, pin: str) -> Any:
        """The value on an output pin: evaluated now for a pure node, recorded for an impure one."""
        node = self.nodes[node_id]
        evaluate = PURE_NODES.get(node["type"])
        if evaluate is None:
            return self.outputs.get(node_id, {}).get(pin)
        if node_id in self._evaluating:
            raise NodeError(f"Data wires form a cycle through node {node_id!r}", node_id=node_id)
        self._evaluating.add(node_id)
        try:
            self.step()
            values = evaluate(self, node, self.inputs(node))
        except NodeError as exc:
            if exc.node_id is None:
                exc.node_id = node_id
            raise
        finally:
            self._evaluating.discard(node_id)
        return values.get(pin)
