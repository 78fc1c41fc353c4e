"""Categories "HTTP" (outbound requests, webhook responses) and "Utility" (logging, secrets, pattern calls).

HTTP Request is simulated by the emulator's engine: it logs what it would have sent and sends nothing.
Log is the documented definition, reproduced exactly (docs/api-contract.md#node-library); its `level`
property is an extra.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    pin,
    prop,
    pure,
)

__all__ = ["NODES"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
_LEVELS = ["debug", "info", "warn", "error"]

_HTTP = [
    action(
        "HttpRequest",
        "HTTP Request",
        "HTTP",
        "Sends an HTTP request (simulated by the emulator: no network)",
        [
            pin("url", "string", "URL", required=True),
            pin("headers", "object", "Headers", default={}),
            pin("body", "any", "Body"),
        ],
        [
            pin("status", "integer", "Status"),
            pin("responseBody", "any", "Response Body"),
            pin("responseHeaders", "object", "Response Headers"),
        ],
        properties=[
            prop("method", "enum", "Method", options=_METHODS),
            prop("connectionId", "string", "Connection"),
        ],
    ),
    action(
        "RespondToWebhook",
        "Respond To Webhook",
        "HTTP",
        "Sets the HTTP response of a webhook in Response Node mode",
        [
            pin("statusCode", "integer", "Status Code", default=200),
            pin("headers", "object", "Headers", default={}),
            pin("body", "string", "Body", default=""),
        ],
        [],
    ),
]

_UTILITY = [
    # The documented definition (docs/api-contract.md#node-library), exactly; `level` is an extra property.
    {
        "id": "Log",
        "label": "Log",
        "category": "Utility",
        "description": "Writes a message to the execution log",
        "isPure": False,
        "inputs": [
            {"name": "exec", "type": "exec", "label": ""},
            {"name": "message", "type": "string", "label": "Message"},
        ],
        "outputs": [{"name": "exec", "type": "exec", "label": ""}],
        "properties": [prop("level", "enum", "Level", options=_LEVELS)],
    },
    pure(
        "GetSecret",
        "Get Secret",
        "Utility",
        "Reads a secret of the deployment's environment",
        [],
        [pin("value", "string", "Value")],
        properties=[prop("secretName", "string", "Secret", required=True)],
    ),
    pure(
        "GetEnvironment",
        "Get Environment",
        "Utility",
        "The id of the environment the pattern is deployed to",
        [],
        [pin("environmentId", "string", "Environment Id")],
    ),
    action(
        "CallPattern",
        "Call Pattern",
        "Utility",
        "Runs another deployed pattern (through its On Pattern Call node) and waits for its result",
        [pin("inputs", "object", "Inputs", default={})],
        [pin("result", "any", "Result")],
        properties=[prop("patternId", "string", "Pattern", required=True)],
    ),
    action(
        "RespondWithPatternResult",
        "Respond With Pattern Result",
        "Utility",
        "Returns a result to the pattern that called this one",
        [pin("result", "any", "Result")],
        [],
    ),
]

NODES: tuple[dict[str, Any], ...] = (*_HTTP, *_UTILITY)
