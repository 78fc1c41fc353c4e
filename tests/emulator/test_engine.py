"""The simulated engine: what runs do, node by node, and that no graph can crash the server.

Most tests deploy a graph and execute it over real HTTP; a few call `run_pattern` on a real
in-memory emulator state, for what only the webhook path would otherwise reach (responses, a chosen
trigger node) and for fuzzing with random graphs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dragops_emulator import Emulator, EmulatorSettings, SeededUser
from dragops_emulator._engine import run_pattern
from dragops_emulator._nodes import input_pins, list_nodes, output_pins
from dragops_emulator._state import EmulatorState
from kit.clients import http_client
from kit.emulator import create_pattern, deploy, deployed, execute, messages
from kit.graphs import chain, graph, node, wire

SENTINEL_KEY = "xoxb-SENTINEL-do-not-leak-7f3a"


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as http:
        yield http


def run_graph(
    client: httpx.Client, graph_data: dict[str, Any], event: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Deploy the graph and run it once manually; the run record."""
    _, deployment_id = deployed(client, graph_data)
    return execute(client, deployment_id, event)


# --- logging and data flow ------------------------------------------------------------------------


def test_a_log_entry_carries_level_message_timestamp_node_id_and_name(client: httpx.Client) -> None:
    named = node("n2", "Log", message="hello", props={"level": "warn"})
    named["data"]["label"] = "Say hello"
    run = run_graph(client, graph([node("n1", "OnStart"), named], chain("n1", "n2")))
    assert run["status"] == "completed"
    [entry] = run["logOutput"]
    assert {key: entry[key] for key in ("level", "message", "nodeId", "nodeName")} == {
        "level": "warn",
        "message": "hello",
        "nodeId": "n2",
        "nodeName": "Say hello",
    }
    assert run["startedAt"] <= entry["timestamp"] <= run["completedAt"]


def test_event_data_reaches_the_trigger_pins_and_pure_nodes_compute_on_demand(client: httpx.Client) -> None:
    nodes = [
        node("hook", "OnWebhook"),
        node("get", "GetProperty", path="order.items.1.price"),
        node("add", "Add", b=0.5),
        node("fmt", "Format", template="{method} total={total}"),
        node("obj", "SetProperty", key="total"),
        node("obj2", "SetProperty", key="method"),
        node("log", "Log"),
    ]
    edges = [
        wire("hook", "log"),
        wire("hook", "get", "body", "object"),
        wire("get", "add", "value", "a"),
        wire("add", "obj", "result", "value"),
        wire("obj", "obj2", "result", "object"),
        wire("hook", "obj2", "method", "value"),
        wire("obj2", "fmt", "result", "values"),
        wire("fmt", "log", "result", "message"),
    ]
    event = {"method": "PUT", "body": {"order": {"items": [{"price": 1}, {"price": 2}]}}}
    assert messages(run_graph(client, graph(nodes, edges), event)) == ["PUT total=2.5"]


def test_an_unwired_webhook_body_defaults_to_an_empty_object(client: httpx.Client) -> None:
    nodes = [node("hook", "OnWebhook"), node("json", "ToJson"), node("log", "Log")]
    edges = [
        wire("hook", "log"),
        wire("hook", "json", "body", "value"),
        wire("json", "log", "text", "message"),
    ]
    assert messages(run_graph(client, graph(nodes, edges))) == ["{}"]


@pytest.mark.parametrize(
    ("node_type", "defaults", "expected"),
    [
        ("Subtract", {"a": 10, "b": 4}, "6"),
        ("Multiply", {"a": 2.5, "b": 4}, "10.0"),
        ("Divide", {"a": 7, "b": 2}, "3.5"),
        ("Modulo", {"a": 7, "b": 3}, "1"),
        ("Power", {"a": 2, "b": 10}, "1024"),
        ("Round", {"value": 2.5}, "2"),
        ("Clamp", {"value": 15, "min": 0, "max": 10}, "10"),
        ("GreaterThan", {"a": 3, "b": 2}, "true"),
        ("Equal", {"a": "1", "b": 1}, "false"),
        ("Concat", {"a": "foo", "b": "bar"}, "foobar"),
        ("ToUpper", {"text": "shout"}, "SHOUT"),
        ("Replace", {"text": "a-b-c", "search": "-", "replacement": "+"}, "a+b+c"),
        ("Split", {"text": "a,b", "separator": ","}, '["a","b"]'),
        ("Substring", {"text": "dragops", "start": 0, "end": 4}, "drag"),
        ("ArrayJoin", {"array": [1, "x", True]}, "1, x, true"),
        ("ParseJson", {"text": '{"k": [1]}'}, '{"k":[1]}'),
    ],
)
def test_pure_nodes_compute_their_results(
    client: httpx.Client, node_type: str, defaults: dict[str, Any], expected: str
) -> None:
    out_pin = output_pins(node_type, {})[0]
    nodes = [node("t", "OnStart"), node("calc", node_type, **defaults), node("log", "Log")]
    edges = [wire("t", "log"), wire("calc", "log", out_pin["name"], "message")]
    if out_pin["type"] in ("array", "object"):  # structures reach a string pin through To JSON
        nodes.append(node("json", "ToJson"))
        edges[1:] = [wire("calc", "json", out_pin["name"], "value"), wire("json", "log", "text", "message")]
    assert messages(run_graph(client, graph(nodes, edges))) == [expected]


# --- flow control ---------------------------------------------------------------------------------


def test_branch_follows_the_condition(client: httpx.Client) -> None:
    nodes = [
        node("hook", "OnWebhook"),
        node("get", "GetProperty", path="urgent"),
        node("b", "Branch"),
        node("yes", "Log", message="urgent"),
        node("no", "Log", message="routine"),
    ]
    edges = [
        wire("hook", "b"),
        wire("hook", "get", "body", "object"),
        wire("get", "b", "value", "condition"),
        wire("b", "yes", "true"),
        wire("b", "no", "false"),
    ]
    _, deployment_id = deployed(client, graph(nodes, edges))
    assert messages(execute(client, deployment_id, {"body": {"urgent": True}})) == ["urgent"]
    assert messages(execute(client, deployment_id, {"body": {"urgent": False}})) == ["routine"]


def test_sequence_runs_its_outputs_in_order_each_to_completion(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("seq", "Sequence"),
        node("a1", "Log", message="a1"),
        node("a2", "Log", message="a2"),
        node("b", "Log", message="b"),
    ]
    edges = [wire("t", "seq"), wire("seq", "b", "then1"), wire("seq", "a1", "then0"), *chain("a1", "a2")]
    assert messages(run_graph(client, graph(nodes, edges))) == ["a1", "a2", "b"]


def test_for_each_runs_the_body_per_element_then_completed(client: httpx.Client) -> None:
    # Per element: {element, index} built with Set Property, formatted, logged; then "done".
    nodes = [
        node("hook", "OnWebhook"),
        node("get", "GetProperty", path="names"),
        node("loop", "ForEach"),
        node("with_element", "SetProperty", key="element"),
        node("with_index", "SetProperty", key="index"),
        node("fmt", "Format", template="{index}:{element}"),
        node("each", "Log"),
        node("done", "Log", message="done"),
    ]
    edges = [
        wire("hook", "loop"),
        wire("hook", "get", "body", "object"),
        wire("get", "loop", "value", "array"),
        wire("loop", "with_element", "element", "value"),
        wire("with_element", "with_index", "result", "object"),
        wire("loop", "with_index", "index", "value"),
        wire("with_index", "fmt", "result", "values"),
        wire("fmt", "each", "result", "message"),
        wire("loop", "each", "loopBody"),
        wire("loop", "done", "completed"),
    ]
    run = run_graph(client, graph(nodes, edges), {"body": {"names": ["ada", "bob"]}})
    assert messages(run) == ["0:ada", "1:bob", "done"]


def test_variables_start_from_their_defaults_in_every_run_and_can_be_changed(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("inc", "IncrementVariable", amount=5, props={"variable": "count"}),
        node("get", "GetVariable", props={"variable": "count"}),
        node("log", "Log"),
    ]
    edges = [*chain("t", "inc", "log"), wire("get", "log", "value", "message")]
    variables = [{"name": "count", "type": "integer", "defaultValue": 10}]
    _, deployment_id = deployed(client, graph(nodes, edges, variables))
    assert messages(execute(client, deployment_id)) == ["15"]
    assert messages(execute(client, deployment_id)) == ["15"]  # reset at the start of each run


def test_an_undeclared_variable_fails_the_run(client: httpx.Client) -> None:
    nodes = [node("t", "OnStart"), node("set", "SetVariable", value=1, props={"variable": "ghost"})]
    run = run_graph(client, graph(nodes, chain("t", "set")))
    assert run["status"] == "failed"
    assert run["errorMessage"].startswith("Variable 'ghost' is not declared in the pattern")


# --- failures -------------------------------------------------------------------------------------


def test_throw_error_fails_the_run_with_its_message(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("before", "Log", message="before"),
        node("boom", "ThrowError", message="bad input"),
    ]
    run = run_graph(client, graph(nodes, chain("t", "before", "boom")))
    assert run["status"] == "failed"
    assert run["errorMessage"] == "bad input (node boom, Throw Error)"
    assert messages(run) == ["before", "bad input (node boom, Throw Error)"]
    assert run["logOutput"][-1]["level"] == "error"


def test_a_failing_pure_node_fails_the_run_naming_that_node(client: httpx.Client) -> None:
    nodes = [node("t", "OnStart"), node("div", "Divide", a=1, b=0), node("log", "Log")]
    run = run_graph(client, graph(nodes, [wire("t", "log"), wire("div", "log", "result", "message")]))
    assert (run["status"], run["errorMessage"]) == ("failed", "Division by zero (node div, Divide)")


def test_try_catch_takes_the_error_and_runs_catch_then_completed(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("try", "TryCatch"),
        node("boom", "ThrowError", message="nope"),
        node("msg", "GetProperty", path="message"),
        node("caught", "Log"),
        node("after", "Log", message="after"),
    ]
    edges = [
        wire("t", "try"),
        wire("try", "boom", "try"),
        wire("try", "caught", "catch"),
        wire("try", "msg", "error", "object"),
        wire("msg", "caught", "value", "message"),
        wire("try", "after", "completed"),
    ]
    run = run_graph(client, graph(nodes, edges))
    assert run["status"] == "completed"
    assert messages(run) == ["Caught error from node boom: nope", "nope", "after"]


def test_an_on_error_node_runs_when_a_node_fails(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("boom", "ThrowError", message="broken"),
        node("err", "OnError"),
        node("type", "GetProperty", path="type"),
        node("report", "Log"),
    ]
    edges = [
        wire("t", "boom"),
        wire("err", "report"),
        wire("err", "type", "error", "object"),
        wire("type", "report", "value", "message"),
    ]
    run = run_graph(client, graph(nodes, edges))
    assert run["status"] == "failed"
    assert messages(run)[-1] == "ThrowError"


def test_an_endless_loop_stops_at_the_step_limit(client: httpx.Client) -> None:
    nodes = [node("t", "OnStart"), node("loop", "While", condition=True), node("log", "Log", message="again")]
    run = run_graph(client, graph(nodes, [wire("t", "loop"), wire("loop", "log", "loopBody")]))
    assert run["status"] == "failed"
    assert run["errorMessage"] == "Step limit exceeded (10000 steps)"
    assert len(run["logOutput"]) <= 1_002  # the log is capped too


def test_a_cycle_of_data_wires_fails_the_run_instead_of_hanging(client: httpx.Client) -> None:
    nodes = [node("t", "OnStart"), node("a", "Add"), node("b", "Add"), node("log", "Log")]
    edges = [
        wire("t", "log"),
        wire("a", "b", "result", "a"),
        wire("b", "a", "result", "a"),
        wire("a", "log", "result", "message"),
    ]
    run = run_graph(client, graph(nodes, edges))
    assert run["status"] == "failed"
    assert "Data wires form a cycle" in run["errorMessage"]


def test_delay_adds_simulated_time_and_a_long_one_times_out(client: httpx.Client) -> None:
    short = run_graph(
        client, graph([node("t", "OnStart"), node("wait", "Delay", seconds=1.5)], chain("t", "wait"))
    )
    assert short["status"] == "completed"
    assert short["durationMs"] >= 1500
    long = run_graph(
        client, graph([node("t", "OnStart"), node("wait", "Delay", seconds=301)], chain("t", "wait"))
    )
    assert (long["status"], long["errorMessage"]) == ("timeout", "Execution exceeded the time limit of 300 s")


def test_a_value_that_cannot_convert_to_the_pin_type_fails_the_run(client: httpx.Client) -> None:
    nodes = [node("hook", "OnWebhook"), node("delay", "Delay")]
    run = run_graph(
        client,
        graph(nodes, [wire("hook", "delay"), wire("hook", "delay", "method", "seconds")]),
        {"method": "soon"},
    )
    assert run["status"] == "failed"
    assert run["errorMessage"] == "Input 'seconds' expects a float, got 'soon' (node delay, Delay)"


# --- simulated side effects -----------------------------------------------------------------------


def test_http_request_is_simulated_and_logged(client: httpx.Client) -> None:
    nodes = [
        node("t", "OnStart"),
        node("req", "HttpRequest", url="https://example.com/hook", props={"method": "POST"}),
        node("log", "Log"),
    ]
    run = run_graph(
        client, graph(nodes, [*chain("t", "req", "log"), wire("req", "log", "status", "message")])
    )
    assert messages(run) == ["HTTP POST https://example.com/hook (simulated: no request was sent)", "200"]


def test_http_request_logs_no_credentials_or_query_values(client: httpx.Client) -> None:
    url = f"https://bot:{SENTINEL_KEY}@api.example.com/v1/send?token={SENTINEL_KEY}&mode=fast"
    nodes = [node("t", "OnStart"), node("req", "HttpRequest", url=url)]
    run = run_graph(client, graph(nodes, chain("t", "req")))
    assert messages(run) == [
        "HTTP GET https://***@api.example.com/v1/send?token=***&mode=*** (simulated: no request was sent)"
    ]
    assert SENTINEL_KEY not in str(run["logOutput"])


def test_slack_needs_an_existing_slack_connection_of_the_owner(client: httpx.Client) -> None:
    created = client.post(
        "/api/connections/api-key",
        json={"provider": "slack", "apiKey": SENTINEL_KEY, "displayName": "Alerts"},
    )
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]
    slack = node(
        "s", "SlackSendMessage", channel="#ops", text="deploy done", props={"connectionId": connection_id}
    )
    run = run_graph(client, graph([node("t", "OnStart"), slack], chain("t", "s")))
    assert run["status"] == "completed"
    assert messages(run) == ["Slack message to #ops (simulated: nothing was sent): deploy done"]
    assert SENTINEL_KEY not in str(run)

    missing = node("s", "SlackSendMessage", channel="#ops", text="x", props={"connectionId": "conn_missing"})
    run = run_graph(client, graph([node("t", "OnStart"), missing], chain("t", "s")))
    assert (run["status"], run["errorMessage"]) == (
        "failed",
        "Connection 'conn_missing' not found (node s, Slack: Send Message)",
    )


def test_an_integration_node_refuses_a_connection_of_another_provider(client: httpx.Client) -> None:
    created = client.post("/api/connections/api-key", json={"provider": "slack", "apiKey": SENTINEL_KEY})
    connection_id = created.json()["id"]
    comment = node(
        "c",
        "GitHubCreateIssueComment",
        repository="o/r",
        issueNumber=7,
        body="hi",
        props={"connectionId": connection_id},
    )
    run = run_graph(client, graph([node("t", "OnStart"), comment], chain("t", "c")))
    assert run["status"] == "failed"
    assert f"Connection '{connection_id}' is a slack connection, not github" in run["errorMessage"]


def test_another_users_connection_is_not_found(emu: Emulator, client: httpx.Client) -> None:
    with http_client(emu, emu.seed_user()) as other:
        connection_id = other.post(
            "/api/connections/api-key", json={"provider": "slack", "apiKey": "k"}
        ).json()["id"]
    slack = node("s", "SlackSendMessage", channel="#a", text="b", props={"connectionId": connection_id})
    run = run_graph(client, graph([node("t", "OnStart"), slack], chain("t", "s")))
    assert run["status"] == "failed"
    assert "not found" in run["errorMessage"]


# --- pattern calls --------------------------------------------------------------------------------


def callee_graph() -> dict[str, Any]:
    """On Pattern Call(name) -> Respond With Pattern Result("hello <name>")."""
    nodes = [
        node("call", "OnPatternCall", props={"parameters": [{"name": "name", "type": "string"}]}),
        node("fmt", "Concat", a="hello "),
        node("reply", "RespondWithPatternResult"),
    ]
    edges = [
        wire("call", "reply"),
        wire("call", "fmt", "name", "b"),
        wire("fmt", "reply", "result", "result"),
    ]
    return graph(nodes, edges)


def caller_graph(pattern_id: str) -> dict[str, Any]:
    nodes = [
        node("t", "OnStart"),
        node("inputs", "ObjectLiteral", value={"name": "ada"}),
        node("callp", "CallPattern", props={"patternId": pattern_id}),
        node("log", "Log"),
    ]
    edges = [
        *chain("t", "callp", "log"),
        wire("inputs", "callp", "value", "inputs"),
        wire("callp", "log", "result", "message"),
    ]
    return graph(nodes, edges)


def test_call_pattern_runs_the_deployed_callee_and_returns_its_result(client: httpx.Client) -> None:
    callee_id, callee_deployment = deployed(client, callee_graph(), name="Greeter")
    run = run_graph(client, caller_graph(callee_id))
    assert (run["status"], messages(run)) == ("completed", ["hello ada"])
    callee_runs = client.get(f"/api/deployments/{callee_deployment}/runs").json()["data"]
    assert [(r["triggeredBy"], r["eventData"]) for r in callee_runs] == [("pattern_call", {"name": "ada"})]


def test_calling_a_pattern_that_is_not_active_fails_the_caller(client: httpx.Client) -> None:
    callee_id, callee_deployment = deployed(client, callee_graph())
    client.post(f"/api/deployments/{callee_deployment}/pause")
    run = run_graph(client, caller_graph(callee_id))
    assert run["status"] == "failed"
    assert f"Call Pattern: pattern '{callee_id}' is paused" in run["errorMessage"]


def test_a_pattern_calling_itself_stops_at_the_call_depth_limit(client: httpx.Client) -> None:
    # The pattern's own id is needed inside its graph: create it first, then give it the graph.
    pattern_id = create_pattern(client, graph([node("start", "OnStart")], []))["id"]
    nodes = [
        node("start", "OnStart"),
        node("call", "OnPatternCall"),
        node("again", "CallPattern", props={"patternId": pattern_id}),
    ]
    client.put(
        f"/api/patterns/{pattern_id}",
        json={"graphData": graph(nodes, [wire("start", "again"), wire("call", "again")])},
    )
    response = deploy(client, pattern_id)
    assert response.status_code == 201
    deployment_id = response.json()["data"]["deploymentId"]
    run = execute(client, deployment_id)
    assert run["status"] == "failed"
    assert "Call Pattern: calls nested more than 8 deep" in run["errorMessage"]
    # The first call and the seven nested ones each left a failed pattern_call run.
    nested = client.get(f"/api/deployments/{deployment_id}/runs", params={"triggeredBy": "pattern_call"})
    assert nested.json()["meta"]["total"] == 8


# --- run_pattern in process -----------------------------------------------------------------------


@pytest.fixture
def engine_state() -> Iterator[EmulatorState]:
    state = EmulatorState(EmulatorSettings())
    yield state
    state.store.close()


def stored_deployment(state: EmulatorState, deployment_id: str = "dep_test") -> dict[str, Any]:
    deployment = {
        "id": deployment_id,
        "patternId": "pat_test",
        "status": "active",
        "versionNumber": 1,
        "environmentId": "env_x",
    }
    state.store.insert("deployments", deployment, owner_id="usr_test", parent_id="pat_test")
    return deployment


def test_respond_to_webhook_sets_the_webhook_response(engine_state: EmulatorState) -> None:
    nodes = [
        node("hook", "OnWebhook", props={"responseMode": "responseNode"}),
        node("reply", "RespondToWebhook", statusCode=201, headers={"x-kind": "test"}, body="made"),
        node("env", "GetEnvironment"),
        node("log", "Log"),
    ]
    edges = [*chain("hook", "reply", "log"), wire("env", "log", "environmentId", "message")]
    outcome = run_pattern(
        engine_state,
        deployment=stored_deployment(engine_state),
        pattern_graph=graph(nodes, edges),
        triggered_by="webhook",
        event_data={"body": {}, "headers": {}, "query": {}, "method": "POST"},
    )
    assert outcome.webhook_response == (201, {"x-kind": "test"}, "made")
    assert outcome.run["status"] == "completed"
    assert messages(outcome.run) == ["env_x"]
    assert engine_state.store.get("runs", outcome.run["id"]) == outcome.run


def test_a_run_starts_at_the_trigger_node_it_is_given(engine_state: EmulatorState) -> None:
    nodes = [
        node("a", "OnWebhook"),
        node("b", "OnWebhook"),
        node("la", "Log", message="a"),
        node("lb", "Log", message="b"),
    ]
    data = graph(nodes, [wire("a", "la"), wire("b", "lb")])
    deployment = stored_deployment(engine_state)
    first = run_pattern(
        engine_state, deployment=deployment, pattern_graph=data, triggered_by="webhook", event_data={}
    )
    chosen = run_pattern(
        engine_state,
        deployment=deployment,
        pattern_graph=data,
        triggered_by="webhook",
        event_data={},
        trigger_node_id="b",
    )
    assert (messages(first.run), messages(chosen.run)) == (["a"], ["b"])


def test_a_graph_without_a_matching_trigger_fails_the_run(engine_state: EmulatorState) -> None:
    outcome = run_pattern(
        engine_state,
        deployment=stored_deployment(engine_state),
        pattern_graph=graph([node("t", "OnStart")], []),
        triggered_by="schedule",
        event_data={},
    )
    assert outcome.run["status"] == "failed"
    assert outcome.run["errorMessage"] == "The deployed graph has no trigger node to start a schedule run"


def test_a_run_stores_non_finite_event_numbers_as_null(engine_state: EmulatorState) -> None:
    # Python's JSON parser accepts NaN; a stored NaN would make the run list unservable.
    event = {"body": {"ratio": float("nan"), "big": [float("inf")]}}
    outcome = run_pattern(
        engine_state,
        deployment=stored_deployment(engine_state),
        pattern_graph=graph([node("t", "OnWebhook")], []),
        triggered_by="webhook",
        event_data=event,
    )
    assert outcome.run["eventData"] == {"body": {"ratio": None, "big": [None]}}


NODE_TYPES = [definition["id"] for definition in list_nodes()]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def random_graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Graphs of random library nodes with random wires between their real pins (types unchecked)."""
    types = ["OnStart", *draw(st.lists(st.sampled_from(NODE_TYPES), min_size=1, max_size=8))]
    nodes = []
    for index, node_type in enumerate(types):
        defaults = {
            pin["name"]: draw(JSON_VALUES) for pin in input_pins(node_type, {}) if pin["type"] != "exec"
        }
        props = {
            "variable": "v",
            "cases": ["a"],
            "patternId": "pat_x",
            "level": draw(st.sampled_from(["info", "bogus"])),
        }
        nodes.append(node(f"n{index}", node_type, props=props, **defaults))
    edges = []
    for index in range(draw(st.integers(0, 12))):
        source, target = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        outs, ins = output_pins(source["type"], source), input_pins(target["type"], target)
        if outs and ins:
            edge = wire(
                source["id"],
                target["id"],
                draw(st.sampled_from(outs))["name"],
                draw(st.sampled_from(ins))["name"],
            )
            edges.append({**edge, "id": f"e{index}"})
    return graph(
        nodes,
        edges,
        [
            {
                "name": "v",
                "type": draw(st.sampled_from(["integer", "array", "any"])),
                "defaultValue": draw(JSON_VALUES),
            }
        ],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_graphs(), JSON_VALUES)
def test_no_graph_crashes_the_engine(
    engine_state: EmulatorState, graph_data: dict[str, Any], event: Any
) -> None:
    deployment = stored_deployment(engine_state, f"dep_{engine_state.store.count('deployments')}")
    outcome = run_pattern(
        engine_state,
        deployment=deployment,
        pattern_graph=graph_data,
        triggered_by="manual",
        event_data=event if isinstance(event, dict) else {"v": event},
    )
    assert outcome.run["status"] in {"completed", "failed", "timeout"}
    assert outcome.run["errorMessage"] is None or not outcome.run["errorMessage"].startswith(
        "Internal engine error"
    )
