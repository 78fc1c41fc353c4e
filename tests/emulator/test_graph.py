"""Deploy-time validation (pure): every kind of 422 detail, the cron parser and pin compatibility."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dragops_emulator._cron import CronError, parse_cron
from dragops_emulator._graph import find_triggers, validate_graph
from dragops_emulator._nodes import PIN_TYPES, list_nodes
from dragops_emulator._pintypes import compatible
from kit.graphs import chain, graph, node, wire

LIBRARY = {definition["id"]: definition for definition in list_nodes()}


def problems(graph_data: Any, definitions: dict[str, Any] | None = None) -> list[dict[str, str]]:
    return validate_graph(graph_data, LIBRARY if definitions is None else definitions)


def only_message(details: list[dict[str, str]]) -> str:
    assert len(details) == 1, details
    return details[0]["message"]


# --- graphs that compile --------------------------------------------------------------------------


def test_a_webhook_logger_compiles() -> None:
    assert problems(graph([node("n1", "OnWebhook"), node("n2", "Log")], chain("n1", "n2"))) == []


def test_an_unconnected_impure_node_compiles_since_it_simply_never_runs() -> None:
    assert problems(graph([node("t", "OnStart"), node("lonely", "Log")], [])) == []


def test_the_triggers_of_a_graph_are_listed_with_type_and_node_id() -> None:
    data = graph(
        [node("a", "OnWebhook"), node("b", "Log"), node("c", "OnSchedule", props={"cron": "0 * * * *"})], []
    )
    assert find_triggers(data) == [
        {"type": "OnWebhook", "nodeId": "a"},
        {"type": "OnSchedule", "nodeId": "c"},
    ]


# --- each kind of detail --------------------------------------------------------------------------


def test_a_graph_without_a_trigger_node_is_refused() -> None:
    message = only_message(problems(graph([node("n1", "Log")], [])))
    assert "no trigger node" in message


def test_an_empty_graph_is_refused_for_lack_of_a_trigger() -> None:
    assert "no trigger node" in only_message(problems({"nodes": [], "edges": []}))


def test_graph_data_that_is_not_an_object_is_refused() -> None:
    assert "graphData must be an object" in only_message(problems(["not", "a", "graph"]))


def test_nodes_and_edges_that_are_not_arrays_are_refused() -> None:
    details = problems({"nodes": {"n1": "OnWebhook"}, "edges": "none"})
    messages = [detail["message"] for detail in details]
    assert "graphData.nodes must be an array" in messages
    assert "graphData.edges must be an array" in messages


def test_a_node_type_outside_the_library_is_named() -> None:
    details = problems(graph([node("n1", "OnWebhook"), node("n2", "TeleportPayload")], []))
    assert details == [
        {"nodeId": "n2", "message": "Unknown node type 'TeleportPayload': not in the node library"}
    ]


def test_a_node_type_missing_from_node_definitions_is_named() -> None:
    definitions = {"OnWebhook": LIBRARY["OnWebhook"]}
    details = problems(graph([node("n1", "OnWebhook"), node("n2", "Log")], chain("n1", "n2")), definitions)
    assert details == [{"nodeId": "n2", "message": "Node type 'Log' is missing from nodeDefinitions"}]


def test_duplicate_node_ids_are_refused() -> None:
    details = problems(graph([node("n1", "OnWebhook"), node("n1", "Log")], []))
    assert details == [{"nodeId": "n1", "message": "Duplicate node id 'n1'"}]


def test_a_node_without_an_id_or_type_is_refused() -> None:
    details = problems({"nodes": [{"type": "OnWebhook"}, {"id": "n2"}, node("n3", "OnStart")], "edges": []})
    assert {"message": "graphData.nodes[0] must be an object with a string id"} in details
    assert {"nodeId": "n2", "message": "Node has no type"} in details


def test_an_edge_to_a_missing_node_is_refused() -> None:
    details = problems(graph([node("n1", "OnWebhook")], [wire("n1", "ghost")]))
    assert details == [
        {"edgeId": "n1.exec->ghost.exec", "message": "Edge target node 'ghost' does not exist"}
    ]


def test_an_edge_from_a_missing_node_is_refused() -> None:
    details = problems(graph([node("n1", "OnWebhook"), node("n2", "Log")], [wire("ghost", "n2")]))
    assert only_message(details) == "Edge source node 'ghost' does not exist"


def test_an_edge_from_a_pin_the_source_node_does_not_have_is_refused() -> None:
    details = problems(
        graph([node("n1", "OnWebhook"), node("n2", "Log")], [wire("n1", "n2", "payload", "message")])
    )
    assert only_message(details) == "OnWebhook node 'n1' has no output pin 'payload'"


def test_an_input_pin_used_as_an_edge_source_is_refused() -> None:
    # `message` is an input of Log, not an output: handles are looked up on the right side only.
    edges = [*chain("n1", "n2"), wire("n2", "n3", "message", "message")]
    details = problems(graph([node("n1", "OnWebhook"), node("n2", "Log"), node("n3", "Log")], edges))
    assert only_message(details) == "Log node 'n2' has no output pin 'message'"


def test_an_edge_into_a_pin_the_target_node_does_not_have_is_refused() -> None:
    details = problems(
        graph([node("n1", "OnWebhook"), node("n2", "Log")], [wire("n1", "n2", "body", "text")])
    )
    assert only_message(details) == "Log node 'n2' has no input pin 'text'"


def test_an_edge_without_handles_is_refused() -> None:
    edge = {"id": "e1", "source": "n1", "target": "n2"}
    details = problems(graph([node("n1", "OnWebhook"), node("n2", "Log")], [edge]))
    assert details == [
        {"edgeId": "e1", "message": "Edge must name both pins (sourceHandle and targetHandle)"}
    ]


def test_exec_wired_to_data_is_refused() -> None:
    details = problems(
        graph([node("n1", "OnWebhook"), node("n2", "Log")], [wire("n1", "n2", "exec", "message")])
    )
    assert "an execution pin to a data pin" in only_message(details)


def test_data_wired_to_exec_is_refused() -> None:
    details = problems(
        graph([node("n1", "OnWebhook"), node("n2", "Log")], [wire("n1", "n2", "method", "exec")])
    )
    assert "a data pin to an execution pin" in only_message(details)


def test_incompatible_data_pin_types_are_refused_with_both_types_named() -> None:
    # On Webhook's Body is an object; For Each's Array takes an array.
    nodes = [node("n1", "OnWebhook"), node("n2", "ForEach")]
    details = problems(graph(nodes, [*chain("n1", "n2"), wire("n1", "n2", "body", "array")]))
    assert (
        only_message(details) == "Incompatible pin types: 'body' (object) cannot connect to 'array' (array)"
    )


def test_a_data_input_with_two_wires_is_refused() -> None:
    nodes = [node("n1", "OnWebhook"), node("s", "StringLiteral", value="x"), node("n2", "Log")]
    edges = [*chain("n1", "n2"), wire("n1", "n2", "method", "message"), wire("s", "n2", "value", "message")]
    details = problems(graph(nodes, edges))
    assert details == [
        {
            "edgeId": "s.value->n2.message",
            "nodeId": "n2",
            "message": "Input pin 'message' has more than one wire",
        }
    ]


def test_an_exec_input_may_receive_several_wires() -> None:
    nodes = [node("t", "OnStart"), node("b", "Branch", condition=True), node("done", "Log")]
    edges = [wire("t", "b"), wire("b", "done", "true"), wire("b", "done", "false")]
    assert problems(graph(nodes, edges)) == []


def test_a_required_input_neither_wired_nor_defaulted_is_refused() -> None:
    details = problems(graph([node("t", "OnStart"), node("b", "Branch")], chain("t", "b")))
    assert details == [
        {"nodeId": "b", "message": "Required input 'condition' of Branch is neither wired nor given a value"}
    ]


def test_a_required_input_given_a_pin_default_is_accepted() -> None:
    assert (
        problems(graph([node("t", "OnStart"), node("b", "Branch", condition=False)], chain("t", "b"))) == []
    )


def test_a_required_input_that_is_wired_is_accepted() -> None:
    nodes = [node("t", "OnWebhook"), node("get", "GetProperty", path="ok"), node("b", "Branch")]
    edges = [*chain("t", "b"), wire("t", "get", "body", "object"), wire("get", "b", "found", "condition")]
    assert problems(graph(nodes, edges)) == []


def test_a_required_property_that_is_not_set_is_refused() -> None:
    details = problems(
        graph([node("t", "OnStart"), node("s", "SlackSendMessage", channel="#a", text="x")], [])
    )
    assert details == [
        {"nodeId": "s", "message": "Required property 'connectionId' of SlackSendMessage is not set"}
    ]


def test_an_enum_property_outside_its_options_is_refused() -> None:
    details = problems(graph([node("t", "OnWebhook", props={"responseMode": "eventually"})], []))
    assert only_message(details).startswith(
        "Property 'responseMode' must be one of immediate, lastNode, responseNode"
    )


def test_enum_properties_are_matched_loosely_on_spelling() -> None:
    assert problems(graph([node("t", "OnWebhook", props={"responseMode": "Last Node"})], [])) == []


def test_an_on_schedule_node_without_cron_is_refused() -> None:
    details = problems(graph([node("t", "OnSchedule")], []))
    assert details == [{"nodeId": "t", "message": "Required property 'cron' of OnSchedule is not set"}]


@pytest.mark.parametrize(
    ("cron", "complaint"),
    [
        ("* * * *", "must have 5 fields"),
        ("61 * * * *", "minute field: 61 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 0 * FOO *", "month field: 'FOO'"),
        ("0 0 * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("*/0 * * * *", "step in '*/0' must be a positive integer"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("1,,2 * * * *", "empty list item"),
    ],
)
def test_an_invalid_cron_is_refused_naming_the_field(cron: str, complaint: str) -> None:
    message = only_message(problems(graph([node("t", "OnSchedule", props={"cron": cron})], [])))
    assert message.startswith("Invalid cron expression: ")
    assert complaint in message


def test_every_problem_is_reported_at_once() -> None:
    nodes = [node("n1", "Log"), node("n1", "Log"), node("n2", "Nope"), node("n3", "Branch")]
    details = problems(graph(nodes, [wire("n3", "ghost")]))
    assert len(details) == 5  # no trigger, duplicate, unknown type, missing target, unset condition


# --- cron -----------------------------------------------------------------------------------------


def test_cron_fields_accept_lists_ranges_steps_and_names() -> None:
    schedule = parse_cron("0,30 9-17/4 1-7 jan-MAR,dec MON-FRI")
    assert schedule.minutes == {0, 30}
    assert schedule.hours == {9, 13, 17}
    assert schedule.days_of_month == set(range(1, 8))
    assert schedule.months == {1, 2, 3, 12}
    assert schedule.days_of_week == {1, 2, 3, 4, 5}


def test_cron_sunday_may_be_written_0_7_or_sun() -> None:
    assert parse_cron("0 0 * * 7").days_of_week == parse_cron("0 0 * * SUN").days_of_week == {0}


def test_a_cron_start_with_a_step_runs_to_the_end_of_the_field() -> None:
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}


def test_the_next_firing_time_is_found() -> None:
    schedule = parse_cron("*/15 9-17 * * MON-FRI")
    saturday_noon = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert schedule.next_after(saturday_noon) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_when_both_day_fields_are_restricted_either_one_matches() -> None:
    schedule = parse_cron("0 12 13 * FRI")  # the 13th, and every Friday
    assert schedule.matches(datetime(2026, 3, 13, 12, 0, tzinfo=UTC))  # a Friday the 13th
    assert schedule.matches(datetime(2026, 3, 6, 12, 0, tzinfo=UTC))  # a Friday
    assert schedule.matches(datetime(2026, 4, 13, 12, 0, tzinfo=UTC))  # a Monday the 13th
    assert not schedule.matches(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))


def test_a_schedule_that_can_never_fire_has_no_next_time() -> None:
    assert parse_cron("0 0 31 2 *").next_after(datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_an_empty_cron_is_an_error() -> None:
    with pytest.raises(CronError, match="empty"):
        parse_cron("   ")


# --- pin compatibility (D15) -----------------------------------------------------------------------

DATA_TYPES = sorted(PIN_TYPES - {"exec"})
pin_types = st.sampled_from(sorted(PIN_TYPES))
data_types = st.sampled_from(DATA_TYPES)


@given(pin_types, pin_types)
def test_compatibility_does_not_depend_on_the_wire_direction(a: str, b: str) -> None:
    assert compatible(a, b) == compatible(b, a)


@given(pin_types)
def test_every_type_connects_to_itself(a: str) -> None:
    assert compatible(a, a)


@given(data_types)
def test_exec_connects_to_no_data_type(a: str) -> None:
    assert not compatible("exec", a)
    assert not compatible(a, "exec")


@given(st.sampled_from(["any", "null"]), data_types)
def test_any_and_null_connect_to_every_data_type(wildcard: str, other: str) -> None:
    assert compatible(wildcard, other)


@given(
    st.sampled_from(["integer", "float", "string", "boolean", "number"]),
    st.sampled_from(["integer", "float", "string", "boolean", "number"]),
)
def test_the_scalars_convert_into_one_another(a: str, b: str) -> None:
    assert compatible(a, b)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("integer", "number", True),
        ("float", "number", True),
        ("string", "datetime", True),
        ("datetime", "string", True),
        ("datetime", "integer", False),
        ("object", "array", False),
        ("binary", "string", False),
        ("enum", "string", False),
        ("object", "string", False),
    ],
)
def test_the_documented_pairs(source: str, target: str, expected: bool) -> None:
    assert compatible(source, target) is expected


@given(st.sampled_from(["object", "array", "binary", "enum"]), data_types)
def test_structured_types_connect_only_to_themselves_and_wildcards(structured: str, other: str) -> None:
    assert compatible(structured, other) == (other in (structured, "any", "null"))
