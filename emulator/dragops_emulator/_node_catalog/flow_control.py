"""Flow-control nodes, category "Flow Control": branching, loops, sequencing, delays and errors.

These name their extra exec outputs after what they mean (`true`/`false`, `then0`..., `case0`...,
`loopBody`/`completed`, `try`/`catch`), which the engine follows when it walks a graph.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    exec_pin,
    node,
    pin,
    prop,
)

__all__ = ["NODES"]

_FLOW = [
    node(
        "Branch",
        "Branch",
        "Flow Control",
        "Continues on True or False depending on a condition",
        inputs=[exec_pin(), pin("condition", "boolean", "Condition", required=True)],
        outputs=[exec_pin("true", "True"), exec_pin("false", "False")],
    ),
    node(
        "Sequence",
        "Sequence",
        "Flow Control",
        "Runs each of its outputs in order, one after the other",
        inputs=[exec_pin()],
        outputs=[
            exec_pin("then0", "Then 0"),
            exec_pin("then1", "Then 1"),
            exec_pin("then2", "Then 2"),
            exec_pin("then3", "Then 3"),
        ],
    ),
    node(
        "ForEach",
        "For Each",
        "Flow Control",
        "Runs the loop body once per array element, then continues on Completed",
        inputs=[exec_pin(), pin("array", "array", "Array", required=True)],
        outputs=[
            exec_pin("loopBody", "Loop Body"),
            pin("element", "any", "Element"),
            pin("index", "integer", "Index"),
            exec_pin("completed", "Completed"),
        ],
    ),
    node(
        "While",
        "While",
        "Flow Control",
        "Runs the loop body while the condition is true (bounded by the step limit)",
        inputs=[exec_pin(), pin("condition", "boolean", "Condition", required=True)],
        outputs=[exec_pin("loopBody", "Loop Body"), exec_pin("completed", "Completed")],
    ),
    node(
        "Switch",
        "Switch",
        "Flow Control",
        "Continues on the output whose case equals the value, else on Default",
        inputs=[exec_pin(), pin("value", "string", "Value", required=True)],
        outputs=[
            exec_pin("case0", "Case 0"),
            exec_pin("case1", "Case 1"),
            exec_pin("case2", "Case 2"),
            exec_pin("default", "Default"),
        ],
        properties=[prop("cases", "array", "Cases")],
    ),
    action(
        "Delay",
        "Delay",
        "Flow Control",
        "Waits for a number of seconds before continuing",
        [pin("seconds", "float", "Seconds", default=1.0)],
        [],
    ),
    node(
        "TryCatch",
        "Try / Catch",
        "Flow Control",
        "Runs Try; if a node there fails, runs Catch with the error; then Completed",
        inputs=[exec_pin()],
        outputs=[
            exec_pin("try", "Try"),
            exec_pin("catch", "Catch"),
            pin("error", "object", "Error"),
            exec_pin("completed", "Completed"),
        ],
    ),
    node(
        "ThrowError",
        "Throw Error",
        "Flow Control",
        "Fails the run (or the enclosing Try) with a message",
        inputs=[exec_pin(), pin("message", "string", "Message", default="Error")],
        outputs=[],
    ),
]

NODES: tuple[dict[str, Any], ...] = tuple(_FLOW)
