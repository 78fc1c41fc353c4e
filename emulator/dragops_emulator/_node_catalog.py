"""The node definitions of the library, as data (served through `_nodes.py`).

Each definition has the documented keys `{id, label, category, description, isPure, inputs, outputs}`,
optional `properties` (editor settings stored in a graph node's `data.properties`) and, for event
nodes, `isTrigger: true`. Pins are `{name, type, label}` plus optional `defaultValue` and `required`.
Impure nodes take an `exec` input and give an `exec` output; flow-control nodes name their extra exec
outputs after what they mean (`true`/`false`, `then0`..., `loopBody`/`completed`, `try`/`catch`).
This module holds events, flow control, literals, variables, math and comparison; the rest is in
`_node_catalog_more.py`.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    binary_math,
    compare,
    exec_pin,
    literal,
    node,
    pin,
    prop,
    pure,
    unary_math,
)
from dragops_emulator._node_catalog_more import MORE

__all__ = ["CATALOG"]

_LEVELS = ["debug", "info", "warn", "error"]
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

_EVENTS = [
    # The documented definition (§2.7), exactly; properties and isTrigger are extra keys.
    {
        "id": "OnWebhook",
        "label": "On Webhook",
        "category": "Events",
        "description": "Triggers when an HTTP request arrives at the webhook URL",
        "isPure": False,
        "inputs": [],
        "outputs": [
            {"name": "exec", "type": "exec", "label": ""},
            {"name": "body", "type": "object", "label": "Body"},
            {"name": "headers", "type": "object", "label": "Headers"},
            {"name": "query", "type": "object", "label": "Query"},
            {"name": "method", "type": "string", "label": "Method"},
        ],
        "properties": [
            prop("webhookAlias", "string", "Webhook Alias"),
            prop("responseMode", "enum", "Response Mode", options=["immediate", "lastNode", "responseNode"]),
        ],
        "isTrigger": True,
    },
    node(
        "OnSchedule",
        "On Schedule",
        "Events",
        "Triggers on a cron schedule (5 fields, UTC)",
        inputs=[],
        outputs=[exec_pin(), pin("timestamp", "datetime", "Timestamp")],
        properties=[prop("cron", "string", "Cron Expression", required=True)],
        trigger=True,
    ),
    node(
        "OnPatternCall",
        "On Pattern Call",
        "Events",
        "Triggers when a Call Pattern node in another pattern calls this one",
        inputs=[],
        outputs=[exec_pin(), pin("inputs", "object", "Inputs")],
        properties=[
            prop("parameters", "array", "Input Parameters"),
            prop("results", "array", "Output Parameters"),
        ],
        trigger=True,
    ),
    node(
        "OnStart",
        "On Start",
        "Events",
        "Triggers when the pattern is run from the editor or through the API",
        inputs=[],
        outputs=[exec_pin()],
        trigger=True,
    ),
    node(
        "OnError",
        "On Error",
        "Events",
        "Triggers when any node of the pattern fails without a Try / Catch",
        inputs=[],
        outputs=[exec_pin(), pin("error", "object", "Error")],
        trigger=True,
    ),
    node(
        "OnEmailReceived",
        "On Email Received",
        "Events",
        "Triggers when an e-mail arrives at the pattern's inbound address",
        inputs=[],
        outputs=[
            exec_pin(),
            pin("from", "string", "From"),
            pin("subject", "string", "Subject"),
            pin("text", "string", "Text"),
        ],
        properties=[prop("inboxAlias", "string", "Inbox Alias")],
        trigger=True,
    ),
]

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

_LITERALS = [
    literal("StringLiteral", "String", "string", ""),
    literal("IntegerLiteral", "Integer", "integer", 0),
    literal("FloatLiteral", "Float", "float", 0.0),
    literal("BooleanLiteral", "Boolean", "boolean", False),
    literal("ObjectLiteral", "Object", "object", {}),
    literal("ArrayLiteral", "Array", "array", []),
    pure("NullLiteral", "Null", "Literals", "The null value", [], [pin("value", "null", "Value")]),
]

_VARIABLES = [
    pure(
        "GetVariable",
        "Get Variable",
        "Variables",
        "Reads a pattern variable",
        [],
        [pin("value", "any", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "SetVariable",
        "Set Variable",
        "Variables",
        "Writes a pattern variable",
        [pin("value", "any", "Value")],
        [pin("value", "any", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "IncrementVariable",
        "Increment Variable",
        "Variables",
        "Adds an amount to a numeric pattern variable",
        [pin("amount", "number", "Amount", default=1)],
        [pin("value", "number", "Value")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
    action(
        "AppendToVariable",
        "Append To Variable",
        "Variables",
        "Appends a value to an array pattern variable",
        [pin("value", "any", "Value")],
        [pin("array", "array", "Array")],
        properties=[prop("variable", "string", "Variable", required=True)],
    ),
]

_MATH = [
    # The documented definition (§2.7), exactly.
    {
        "id": "Add",
        "label": "Add",
        "category": "Math",
        "description": "Returns the sum of two numbers",
        "isPure": True,
        "inputs": [
            {"name": "a", "type": "number", "label": "A"},
            {"name": "b", "type": "number", "label": "B"},
        ],
        "outputs": [{"name": "result", "type": "number", "label": "Result"}],
    },
    binary_math("Subtract", "Subtract", "Returns A minus B"),
    binary_math("Multiply", "Multiply", "Returns the product of two numbers"),
    binary_math("Divide", "Divide", "Returns A divided by B (fails on division by zero)"),
    binary_math("Modulo", "Modulo", "Returns the remainder of A divided by B"),
    binary_math("Power", "Power", "Returns A raised to the power B"),
    binary_math("Min", "Min", "Returns the smaller of two numbers"),
    binary_math("Max", "Max", "Returns the larger of two numbers"),
    unary_math("Abs", "Absolute", "Returns the absolute value"),
    unary_math("Round", "Round", "Rounds to the nearest integer (halves to even)", "integer"),
    unary_math("Floor", "Floor", "Rounds down to an integer", "integer"),
    unary_math("Ceil", "Ceil", "Rounds up to an integer", "integer"),
    unary_math("Sqrt", "Square Root", "Returns the square root (fails on a negative value)", "float"),
    pure(
        "Clamp",
        "Clamp",
        "Math",
        "Limits a value to the range Min..Max",
        [
            pin("value", "number", "Value", default=0),
            pin("min", "number", "Min", default=0),
            pin("max", "number", "Max", default=1),
        ],
        [pin("result", "number", "Result")],
    ),
]

_COMPARISON = [
    compare("Equal", "Equal", "True when A equals B"),
    compare("NotEqual", "Not Equal", "True when A differs from B"),
    compare("GreaterThan", "Greater Than", "True when A > B", "number"),
    compare("GreaterOrEqual", "Greater Or Equal", "True when A >= B", "number"),
    compare("LessThan", "Less Than", "True when A < B", "number"),
    compare("LessOrEqual", "Less Or Equal", "True when A <= B", "number"),
    pure(
        "And",
        "And",
        "Comparison",
        "True when both are true",
        [pin("a", "boolean", "A", default=False), pin("b", "boolean", "B", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Or",
        "Or",
        "Comparison",
        "True when either is true",
        [pin("a", "boolean", "A", default=False), pin("b", "boolean", "B", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Not",
        "Not",
        "Comparison",
        "Negates a boolean",
        [pin("value", "boolean", "Value", default=False)],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "IsNull",
        "Is Null",
        "Comparison",
        "True when the value is null",
        [pin("value", "any", "Value")],
        [pin("result", "boolean", "Result")],
    ),
]

CATALOG: tuple[dict[str, Any], ...] = (
    *_EVENTS,
    *_FLOW,
    *_LITERALS,
    *_VARIABLES,
    *_MATH,
    *_COMPARISON,
    *MORE,
)
