"""Node definitions, continued: strings, data formats, objects and arrays, dates, HTTP, utility, integrations.

Side-effect nodes here (HTTP Request, the integration nodes) are simulated by the emulator's engine:
they log what they would have done and send nothing.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    pin,
    prop,
    pure,
)

__all__ = ["MORE"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
_LEVELS = ["debug", "info", "warn", "error"]

_STRING = [
    pure(
        "Concat",
        "Concat",
        "String",
        "Joins two strings",
        [pin("a", "string", "A", default=""), pin("b", "string", "B", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Format",
        "Format",
        "String",
        "Fills {name} placeholders of a template from an object (dotted paths allowed)",
        [
            pin("template", "string", "Template", required=True),
            pin("values", "object", "Values", default={}),
        ],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ToUpper",
        "To Upper Case",
        "String",
        "Upper-cases a string",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ToLower",
        "To Lower Case",
        "String",
        "Lower-cases a string",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Trim",
        "Trim",
        "String",
        "Removes leading and trailing whitespace",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "StringContains",
        "Contains",
        "String",
        "True when the text contains the search string",
        [pin("text", "string", "Text", default=""), pin("search", "string", "Search", default="")],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Replace",
        "Replace",
        "String",
        "Replaces every occurrence of a string",
        [
            pin("text", "string", "Text", default=""),
            pin("search", "string", "Search", required=True),
            pin("replacement", "string", "Replacement", default=""),
        ],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Split",
        "Split",
        "String",
        "Splits a string on a separator",
        [pin("text", "string", "Text", default=""), pin("separator", "string", "Separator", default=",")],
        [pin("result", "array", "Parts")],
    ),
    pure(
        "StringLength",
        "Length",
        "String",
        "The number of characters",
        [pin("text", "string", "Text", default="")],
        [pin("result", "integer", "Length")],
    ),
    pure(
        "Substring",
        "Substring",
        "String",
        "Characters from Start (inclusive) to End (exclusive; -1 = to the end)",
        [
            pin("text", "string", "Text", default=""),
            pin("start", "integer", "Start", default=0),
            pin("end", "integer", "End", default=-1),
        ],
        [pin("result", "string", "Result")],
    ),
]

_DATA = [
    pure(
        "ParseJson",
        "Parse JSON",
        "Data Formats",
        "Parses JSON text (fails on invalid JSON)",
        [pin("text", "string", "Text", required=True)],
        [pin("value", "any", "Value")],
    ),
    pure(
        "ToJson",
        "To JSON",
        "Data Formats",
        "Serialises a value as JSON text",
        [pin("value", "any", "Value")],
        [pin("text", "string", "Text")],
        properties=[prop("pretty", "boolean", "Pretty Print")],
    ),
]

_OBJECTS = [
    pure(
        "GetProperty",
        "Get Property",
        "Object",
        "Reads a property by dotted path (a.b.0.c); null when absent",
        [pin("object", "object", "Object", required=True), pin("path", "string", "Path", required=True)],
        [pin("value", "any", "Value"), pin("found", "boolean", "Found")],
    ),
    pure(
        "SetProperty",
        "Set Property",
        "Object",
        "Returns a copy of the object with one property set",
        [
            pin("object", "object", "Object", default={}),
            pin("key", "string", "Key", required=True),
            pin("value", "any", "Value"),
        ],
        [pin("result", "object", "Result")],
    ),
    pure(
        "ObjectKeys",
        "Keys",
        "Object",
        "The keys of an object",
        [pin("object", "object", "Object", default={})],
        [pin("result", "array", "Keys")],
    ),
    pure(
        "MergeObjects",
        "Merge Objects",
        "Object",
        "A shallow merge of B over A",
        [pin("a", "object", "A", default={}), pin("b", "object", "B", default={})],
        [pin("result", "object", "Result")],
    ),
    pure(
        "ArrayLength",
        "Array Length",
        "Array",
        "The number of elements",
        [pin("array", "array", "Array", default=[])],
        [pin("result", "integer", "Length")],
    ),
    pure(
        "ArrayGet",
        "Get Element",
        "Array",
        "The element at an index (negative counts from the end); null when out of range",
        [pin("array", "array", "Array", default=[]), pin("index", "integer", "Index", default=0)],
        [pin("value", "any", "Value")],
    ),
    pure(
        "ArrayAppend",
        "Append",
        "Array",
        "Returns a copy of the array with a value appended",
        [pin("array", "array", "Array", default=[]), pin("value", "any", "Value")],
        [pin("result", "array", "Result")],
    ),
    pure(
        "ArrayJoin",
        "Join",
        "Array",
        "Joins the elements as text with a separator",
        [pin("array", "array", "Array", default=[]), pin("separator", "string", "Separator", default=", ")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ArrayContains",
        "Array Contains",
        "Array",
        "True when an element equals the value",
        [pin("array", "array", "Array", default=[]), pin("value", "any", "Value")],
        [pin("result", "boolean", "Result")],
    ),
]

_DATES = [
    pure("Now", "Now", "Date/Time", "The current time (UTC)", [], [pin("result", "datetime", "Now")]),
    pure(
        "AddSeconds",
        "Add Seconds",
        "Date/Time",
        "A time plus a number of seconds",
        [pin("time", "datetime", "Time", required=True), pin("seconds", "number", "Seconds", default=0)],
        [pin("result", "datetime", "Result")],
    ),
]

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
    # The documented definition (§2.7), exactly; `level` is an extra property.
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

_INTEGRATIONS = [
    action(
        "SlackSendMessage",
        "Slack: Send Message",
        "Slack",
        "Posts a message to a Slack channel (simulated: nothing is sent)",
        [pin("channel", "string", "Channel", required=True), pin("text", "string", "Text", required=True)],
        [pin("ok", "boolean", "OK"), pin("ts", "string", "Message Timestamp")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "GitHubCreateIssueComment",
        "GitHub: Create Issue Comment",
        "GitHub",
        "Comments on an issue or pull request (simulated: nothing is sent)",
        [
            pin("repository", "string", "Repository", required=True),
            pin("issueNumber", "integer", "Issue Number", required=True),
            pin("body", "string", "Body", required=True),
        ],
        [pin("commentId", "integer", "Comment Id"), pin("url", "string", "URL")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "GitHubCreateIssue",
        "GitHub: Create Issue",
        "GitHub",
        "Opens an issue (simulated: nothing is sent)",
        [
            pin("repository", "string", "Repository", required=True),
            pin("title", "string", "Title", required=True),
            pin("body", "string", "Body", default=""),
        ],
        [pin("issueNumber", "integer", "Issue Number"), pin("url", "string", "URL")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "SendGridSendEmail",
        "SendGrid: Send Email",
        "SendGrid",
        "Sends an e-mail (simulated: nothing is sent)",
        [
            pin("to", "string", "To", required=True),
            pin("subject", "string", "Subject", required=True),
            pin("text", "string", "Text", default=""),
        ],
        [pin("messageId", "string", "Message Id")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
]

MORE: tuple[dict[str, Any], ...] = (*_STRING, *_DATA, *_OBJECTS, *_DATES, *_HTTP, *_UTILITY, *_INTEGRATIONS)
