"""The impure nodes: what each does when execution reaches it, and which exec output it continues on.

Core nodes are implemented for real (Log, Branch, Sequence, For Each, While, Switch, Try / Catch,
Throw Error, the variable writers, Respond To Webhook, Respond With Pattern Result, Call Pattern).
Side-effect nodes (HTTP Request, Slack, GitHub, SendGrid) are simulated: no network; they check what
a real engine would check (the connection exists, belongs to the owner, fits the provider), log what
would have been sent, and give plausible outputs. Delay adds simulated time instead of sleeping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from dragops_emulator._pure_nodes import node_property, variable_name
from dragops_emulator._runtime import NodeError, coerce, to_text

if TYPE_CHECKING:
    from dragops_emulator._interpreter import Interpreter

__all__ = ["ACTIONS", "Action"]

# An action runs a node with its input values and names the exec output to continue on (None: stop).
Action = Callable[["Interpreter", Mapping[str, Any], dict[str, Any]], str | None]

ACTIONS: dict[str, Action] = {}

_LEVELS = ("debug", "info", "warn", "error")


def _action(*names: str) -> Callable[[Action], Action]:
    def register(function: Action) -> Action:
        for name in names:
            ACTIONS[name] = function
        return function

    return register


# --- utility and flow control ---------------------------------------------------------------------


@_action("Log")
def _log(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    level = node_property(node, "level")
    run.log(level if level in _LEVELS else "info", args["message"], node)
    return "exec"


@_action("Branch")
def _branch(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    return "true" if args["condition"] else "false"


@_action("Sequence")
def _sequence(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    for index in range(4):
        run.run_chain(node["id"], f"then{index}")
    return None


@_action("ForEach")
def _for_each(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    array = args["array"]
    if not isinstance(array, list):
        raise NodeError(
            f"For Each: Array must be an array, got {type(array).__name__}", error_type="TypeError"
        )
    for index, element in enumerate(array):
        run.step()
        run.set_outputs(node["id"], {"element": element, "index": index})
        run.run_chain(node["id"], "loopBody")
    return "completed"


@_action("While")
def _while(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    condition = args["condition"]
    while condition:
        run.step()  # an endless loop ends at the step limit
        run.run_chain(node["id"], "loopBody")
        condition = run.inputs(node)["condition"]
    return "completed"


@_action("Switch")
def _switch(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    cases = node_property(node, "cases")
    for index, case in enumerate(cases[:3] if isinstance(cases, list) else []):
        if to_text(case) == args["value"]:
            return f"case{index}"
    return "default"


@_action("Delay")
def _delay(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    seconds = args["seconds"]
    if seconds < 0:
        raise NodeError("Delay: Seconds must not be negative")
    run.log("debug", f"Delay of {seconds:g} s (simulated: the emulator does not wait)", node)
    run.simulate_delay(seconds)
    return "exec"


@_action("TryCatch")
def _try_catch(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    try:
        run.run_chain(node["id"], "try")
    except NodeError as exc:
        run.set_outputs(node["id"], {"error": exc.as_object()})
        run.log("warn", f"Caught error from node {exc.node_id}: {exc.message}", node)
        run.run_chain(node["id"], "catch")
    return "completed"


@_action("ThrowError")
def _throw(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    raise NodeError(args["message"] or "Error", error_type="ThrowError")


# --- variables ------------------------------------------------------------------------------------


@_action("SetVariable")
def _set_variable(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    name = variable_name(run, node)
    value = coerce(args["value"], run.declared_variables[name], name)
    run.variables[name] = value
    run.set_outputs(node["id"], {"value": value})
    return "exec"


@_action("IncrementVariable")
def _increment(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    name = variable_name(run, node)
    current = coerce(run.variables.get(name), "number", name)
    value = coerce(current + args["amount"], run.declared_variables[name], name)
    run.variables[name] = value
    run.set_outputs(node["id"], {"value": value})
    return "exec"


@_action("AppendToVariable")
def _append(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    name = variable_name(run, node)
    current = run.variables.get(name)
    if current is None:
        current = []
    if not isinstance(current, list):
        raise NodeError(f"Variable {name!r} is not an array", error_type="TypeError")
    run.variables[name] = [*current, args["value"]]
    run.set_outputs(node["id"], {"array": run.variables[name]})
    return "exec"


# --- responses and pattern calls ------------------------------------------------------------------


@_action("RespondToWebhook")
def _respond(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    status = args["statusCode"]
    if not 100 <= status <= 599:
        raise NodeError(f"Respond To Webhook: Status Code {status} is not an HTTP status")
    headers = args["headers"] if isinstance(args["headers"], Mapping) else {}
    if run.webhook_response is None:  # the first response wins; the caller has it already
        run.webhook_response = (status, {str(k): to_text(v) for k, v in headers.items()}, args["body"])
    return "exec"


@_action("RespondWithPatternResult")
def _respond_result(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    if not run.responded:
        run.pattern_result, run.responded = args["result"], True
    return "exec"


@_action("CallPattern")
def _call_pattern(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    pattern_id = node_property(node, "patternId")
    if not isinstance(pattern_id, str) or not pattern_id:
        raise NodeError("Call Pattern: no pattern selected")
    inputs = args["inputs"] if isinstance(args["inputs"], Mapping) else {}
    run.set_outputs(node["id"], {"result": run.hooks.call_pattern(pattern_id, dict(inputs))})
    return "exec"


# --- simulated side effects -----------------------------------------------------------------------


def _connection(run: Interpreter, node: Mapping[str, Any], provider: str | None) -> dict[str, Any] | None:
    """The node's connection, checked as a real engine would; None when the node needs none."""
    connection_id = node_property(node, "connectionId")
    if not connection_id:
        if provider is None:
            return None
        raise NodeError("No connection selected", error_type="ConnectionError")
    connection = run.hooks.connection(str(connection_id))
    if connection is None:
        raise NodeError(f"Connection {connection_id!r} not found", error_type="ConnectionError")
    if provider is not None and connection.get("provider") != provider:
        raise NodeError(
            f"Connection {connection_id!r} is a {connection.get('provider')} connection, not {provider}",
            error_type="ConnectionError",
        )
    return connection


def _redacted(url: str) -> str:
    """A URL fit for the run log: credentials and query values (often tokens) replaced by `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if "@" in parts.netloc:
        netloc = f"***@{netloc}"
    query = "&".join(f"{name}=***" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _fake_number(*parts: Any) -> int:
    """A stable made-up id for a simulated object (same inputs, same id)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:8], 16) % 1_000_000_000


@_action("HttpRequest")
def _http_request(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    method = node_property(node, "method") or "GET"
    url = args["url"]
    if not url.startswith(("http://", "https://")):
        raise NodeError(f"HTTP Request: {url!r} is not an http(s) URL", error_type="HttpError")
    _connection(run, node, None)
    run.log("info", f"HTTP {method} {_redacted(url)} (simulated: no request was sent)", node)
    run.set_outputs(node["id"], {"status": 200, "responseBody": None, "responseHeaders": {}})
    return "exec"


@_action("SlackSendMessage")
def _slack(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    _connection(run, node, "slack")
    run.log("info", f"Slack message to {args['channel']} (simulated: nothing was sent): {args['text']}", node)
    ts = f"{_fake_number(run.now_iso(), args['channel'], args['text'])}.000100"
    run.set_outputs(node["id"], {"ok": True, "ts": ts})
    return "exec"


@_action("GitHubCreateIssueComment")
def _github_comment(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    _connection(run, node, "github")
    repo, number = args["repository"], args["issueNumber"]
    run.log("info", f"GitHub comment on {repo}#{number} (simulated: nothing was sent)", node)
    comment_id = _fake_number(run.now_iso(), repo, number, args["body"])
    url = f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}"
    run.set_outputs(node["id"], {"commentId": comment_id, "url": url})
    return "exec"


@_action("GitHubCreateIssue")
def _github_issue(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    _connection(run, node, "github")
    repo = args["repository"]
    run.log("info", f"GitHub issue in {repo}: {args['title']} (simulated: nothing was sent)", node)
    number = _fake_number(run.now_iso(), repo, args["title"]) % 10_000 + 1
    run.set_outputs(node["id"], {"issueNumber": number, "url": f"https://github.com/{repo}/issues/{number}"})
    return "exec"


@_action("SendGridSendEmail")
def _sendgrid(run: Interpreter, node: Mapping[str, Any], args: dict[str, Any]) -> str | None:
    _connection(run, node, "sendgrid")
    run.log("info", f"E-mail to {args['to']}: {args['subject']} (simulated: nothing was sent)", node)
    run.set_outputs(
        node["id"], {"messageId": f"msg_{_fake_number(run.now_iso(), args['to'], args['subject'])}"}
    )
    return "exec"
