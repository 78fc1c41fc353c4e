"""Event (trigger) nodes, category "Events": where a run starts.

On Webhook, On Schedule, On Pattern Call, On Start, On Error and On Email Received. Each is marked
`isTrigger: true` and gives one `exec` output plus what the event carries. On Webhook is the
documented definition, reproduced exactly (docs/api-contract.md#node-library).
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    exec_pin,
    node,
    pin,
    prop,
)

__all__ = ["NODES"]

_EVENTS = [
    # The documented definition (docs/api-contract.md#node-library), exactly; `properties` and
    # `isTrigger` are extra keys.
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

NODES: tuple[dict[str, Any], ...] = tuple(_EVENTS)
