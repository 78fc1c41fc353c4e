"""Nothing the deploy refuses passes `validate` (issue 9, item 2; docs/deploy-checks.md).

One row per deploy-time check: the emulator's real deploy answers 422 for the graph, and `validate`
with the node library fetched from the same emulator refuses it, naming the field and the node (or
edge). The other way round, graphs the emulator deploys (the examples, the test kits' graphs) are not
refused. The cron syntax check is compared with the emulator's parser on generated expressions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dragops_emulator import Emulator, SeededUser
from dragops_emulator._cron import CronError, parse_cron
from dragops_sync.cron import cron_problem
from dragops_sync.files import FileIssue, load_pattern_file, parse_pattern
from dragops_sync.validate import NodeLibrary, validate_pattern
from kit.clients import client_for, http_client
from kit.emulator import create_pattern, deploy, form_b
from kit.git import init_repo
from kit.graphs import graph, node, scheduled_graph, start_graph, unwired_webhooks, webhook_graph, wire
from kit.sync_dirs import FAST_RATE, copy_example, write_file
from kit.sync_runs import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _hook_to_log(**log_defaults: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """On Webhook (node_1) -exec-> Log (node_2): the base most rows change one thing of."""
    return [node("node_1", "OnWebhook"), node("node_2", "Log", **log_defaults)], [wire("node_1", "node_2")]


def _with(extra_nodes: list[dict[str, Any]], extra_edges: list[dict[str, Any]]) -> dict[str, Any]:
    nodes, edges = _hook_to_log(message="m")
    return graph(nodes + extra_nodes, edges + extra_edges)


def _schedule(cron: Any) -> dict[str, Any]:
    return scheduled_graph(cron)


def _call_parameter_to_log(parameter_type: str) -> dict[str, Any]:
    caller = node("node_1", "OnPatternCall", props={"parameters": [{"name": "item", "type": parameter_type}]})
    return graph(
        [caller, node("node_2", "Log")],
        [wire("node_1", "node_2"), wire("node_1", "node_2", "item", "message")],
    )


# (id, graph, field of the issue, a word its message must hold: the node or edge it is about)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("cron-minute-61", _schedule("61 * * * *"), "graphData.nodes[0].data.properties.cron", "'n1'"),
    ("cron-hour-24", _schedule("0 24 * * *"), "graphData.nodes[0].data.properties.cron", "hour"),
    (
        "cron-day-of-month-0",
        _schedule("0 0 0 * *"),
        "graphData.nodes[0].data.properties.cron",
        "day-of-month",
    ),
    ("cron-month-13", _schedule("0 0 1 13 *"), "graphData.nodes[0].data.properties.cron", "month"),
    ("cron-day-of-week-8", _schedule("0 0 * * 8"), "graphData.nodes[0].data.properties.cron", "day-of-week"),
    ("cron-step-0", _schedule("*/0 * * * *"), "graphData.nodes[0].data.properties.cron", "step"),
    ("cron-step-not-a-number", _schedule("*/x * * * *"), "graphData.nodes[0].data.properties.cron", "step"),
    (
        "cron-range-backwards",
        _schedule("30-10 * * * *"),
        "graphData.nodes[0].data.properties.cron",
        "backwards",
    ),
    ("cron-unknown-name", _schedule("0 0 * FOO *"), "graphData.nodes[0].data.properties.cron", "'FOO'"),
    ("cron-empty-list-item", _schedule("1,,2 * * * *"), "graphData.nodes[0].data.properties.cron", "empty"),
    ("cron-four-fields", _schedule("* * * *"), "graphData.nodes[0].data.properties.cron", "5"),
    ("cron-six-fields", _schedule("0 * * * * *"), "graphData.nodes[0].data.properties.cron", "5"),
    ("cron-blank", _schedule("   "), "graphData.nodes[0].data.properties.cron", "empty"),
    ("cron-not-a-string", _schedule(5), "graphData.nodes[0].data.properties.cron", "string"),
    (
        "required-property-cron-missing",
        graph([node("n1", "OnSchedule"), node("n2", "Log", message="m")], [wire("n1", "n2")]),
        "graphData.nodes[0].data.properties.cron",
        "'n1'",
    ),
    (
        "required-property-variable-missing",
        _with([node("node_3", "SetVariable")], [wire("node_2", "node_3")]),
        "graphData.nodes[2].data.properties.variable",
        "'node_3'",
    ),
    (
        "required-input-not-wired",
        _with([node("node_3", "Branch")], [wire("node_2", "node_3")]),
        "graphData.nodes[2].data.pinDefaults.condition",
        "'node_3'",
    ),
    (
        "required-input-given-null",
        _with([node("node_3", "HttpRequest", url=None)], [wire("node_2", "node_3")]),
        "graphData.nodes[2].data.pinDefaults.url",
        "'node_3'",
    ),
    (
        "pin-types-object-to-string",
        graph(*_hook_to_log())
        | {"edges": [wire("node_1", "node_2"), wire("node_1", "node_2", "body", "message")]},
        "graphData.edges[1]",
        "'node_2'",
    ),
    (
        "pin-types-datetime-to-float",
        _with(
            [node("node_3", "Now"), node("node_4", "Delay")],
            [wire("node_2", "node_4"), wire("node_3", "node_4", "result", "seconds")],
        ),
        "graphData.edges[2]",
        "'node_4'",
    ),
    ("pin-types-declared-parameter", _call_parameter_to_log("object"), "graphData.edges[1]", "'node_2'"),
    (
        "exec-to-data",
        graph(*_hook_to_log()) | {"edges": [wire("node_1", "node_2", "exec", "message")]},
        "graphData.edges[0]",
        "'node_2'",
    ),
    (
        "data-to-exec",
        graph(*_hook_to_log(message="m")) | {"edges": [wire("node_1", "node_2", "method", "exec")]},
        "graphData.edges[0]",
        "'node_2'",
    ),
    (
        "two-wires-into-one-data-input",
        _with(
            [node("node_3", "StringLiteral", value="a"), node("node_4", "StringLiteral", value="b")],
            [wire("node_3", "node_2", "value", "message"), wire("node_4", "node_2", "value", "message")],
        ),
        "graphData.edges[2]",
        "'node_2'",
    ),
    (
        "enum-response-mode",
        graph(
            [
                node("node_1", "OnWebhook", props={"responseMode": "sometimes"}),
                node("node_2", "Log", message="m"),
            ],
            [wire("node_1", "node_2")],
        ),
        "graphData.nodes[0].data.properties.responseMode",
        "'node_1'",
    ),
    (
        "enum-log-level",
        graph(
            [node("node_1", "OnWebhook"), node("node_2", "Log", props={"level": "verbose"}, message="m")],
            [wire("node_1", "node_2")],
        ),
        "graphData.nodes[1].data.properties.level",
        "'node_2'",
    ),
    (
        "enum-http-method",
        _with(
            [node("node_3", "HttpRequest", props={"method": "FETCH"}, url="https://x")],
            [wire("node_2", "node_3")],
        ),
        "graphData.nodes[2].data.properties.method",
        "'node_3'",
    ),
    (
        "unknown-output-handle",
        graph(*_hook_to_log(message="m")) | {"edges": [wire("node_1", "node_2", "exit", "exec")]},
        "graphData.edges[0].sourceHandle",
        "'node_1'",
    ),
    (
        "unknown-input-handle",
        graph(*_hook_to_log(message="m")) | {"edges": [wire("node_1", "node_2", "exec", "nope")]},
        "graphData.edges[0].targetHandle",
        "'node_2'",
    ),
    (
        "edge-without-target-handle",
        graph(*_hook_to_log(message="m"))
        | {"edges": [{"id": "edge_1", "source": "node_1", "sourceHandle": "exec", "target": "node_2"}]},
        "graphData.edges[0].targetHandle",
        "'node_2'",
    ),
    ("no-trigger", graph([node("node_2", "Log", message="m")], []), "graphData.nodes", "trigger"),
    (
        "unknown-node-type",
        graph([node("node_1", "OnWebhook"), node("node_2", "Logg", message="m")], [wire("node_1", "node_2")]),
        "graphData.nodes[1].type",
        "'Logg'",
    ),
    (
        "edge-to-a-missing-node",
        graph(*_hook_to_log(message="m")) | {"edges": [wire("node_1", "node_9")]},
        "graphData.edges[0].target",
        "'node_9'",
    ),
]


@pytest.fixture
def http(emu: Emulator, user: SeededUser) -> Iterator[httpx.Client]:
    with http_client(emu, user) as client:
        yield client


@pytest.fixture
def library(emu: Emulator, user: SeededUser) -> NodeLibrary:
    """The node library as `dragops-sync validate --url` builds it, from the same emulator."""
    with client_for(emu, user) as client:
        return NodeLibrary(client.nodes.library().values())


def _validate(graph_data: dict[str, Any], library: NodeLibrary) -> list[FileIssue]:
    pattern = parse_pattern({"name": "P", "graphData": graph_data}, source="p.json")
    return validate_pattern(pattern, file="p.json", library=library)


def _deploy(http: httpx.Client, graph_data: dict[str, Any]) -> httpx.Response:
    return deploy(http, create_pattern(http, graph_data)["id"])


@pytest.mark.parametrize(
    ("graph_data", "field", "mentions"), [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED]
)
def test_every_graph_the_deploy_refuses_validate_refuses_naming_the_field_and_node(
    http: httpx.Client, library: NodeLibrary, graph_data: dict[str, Any], field: str, mentions: str
) -> None:
    refused = _deploy(http, graph_data)
    assert refused.status_code == 422, refused.text
    assert form_b(refused)[0] == "TRANSPILATION_FAILED"

    issues = {issue.field: issue.message for issue in _validate(graph_data, library)}
    assert field in issues, issues
    assert mentions in issues[field]


def test_a_draft_is_not_compiled_so_only_its_ids_types_and_pins_are_checked(library: NodeLibrary) -> None:
    # The provider's Pattern (and `sync.deploy: false`) keeps unfinished graphs: no compile checks.
    pattern = parse_pattern({"name": "P", "graphData": _schedule("61 * * * *")}, source="p.json")
    assert validate_pattern(pattern, file="p.json", deploy=False, library=library) == []
    assert validate_pattern(pattern, file="p.json", deploy=True, library=None) != []  # cron: known offline


# -- no false positives -----------------------------------------------------------------------------

KIT_GRAPHS = {
    "webhook-logger": webhook_graph(),
    "webhook-no-mode": webhook_graph(mode=None),
    "webhook-two-hooks": webhook_graph(second_hook=True, alias="first"),
    "webhook-respond": webhook_graph(
        mode="responseNode", respond=node("node_9", "RespondToWebhook", body="ok")
    ),
    "start": start_graph(),
    "unwired-webhooks": unwired_webhooks("a", "b"),
    "schedule-default": scheduled_graph(),
    "schedule-names-and-steps": scheduled_graph("5/15 */2 1-31/3 JAN-dec mon-FRI"),
    "schedule-sunday-as-7": scheduled_graph("0 0 * * 7"),
    "schedule-lists": scheduled_graph("0,30 8-18 * 1,6,12 0"),
    "enum-loosely-spelt": graph(
        [
            node("node_1", "OnWebhook", props={"responseMode": "Last Node"}),
            node("node_2", "Log", props={"level": "WARN"}),
        ],
        [wire("node_1", "node_2")],
    ),
    "scalars-convert": _with(
        [node("node_3", "Now"), node("node_4", "IntegerLiteral", value=3)],
        [wire("node_4", "node_2", "value", "message")],
    ),
    "datetime-to-string": _with(
        [node("node_3", "Now"), node("node_4", "Log")],
        [wire("node_2", "node_4"), wire("node_3", "node_4", "result", "message")],
    ),
    "declared-parameter-string": _call_parameter_to_log("string"),
    "declared-parameter-exec-is-any": _call_parameter_to_log("exec"),
    "required-input-wired": _with(
        [node("node_3", "BooleanLiteral", value=True), node("node_4", "Branch")],
        [wire("node_2", "node_4"), wire("node_3", "node_4", "value", "condition")],
    ),
    "exec-output-to-two-inputs": _with([node("node_3", "Log", message="x")], [wire("node_1", "node_3")]),
}


@pytest.mark.parametrize("graph_data", list(KIT_GRAPHS.values()), ids=list(KIT_GRAPHS))
def test_graphs_the_deploy_takes_are_not_refused(
    http: httpx.Client, library: NodeLibrary, graph_data: dict[str, Any]
) -> None:
    deployed = _deploy(http, graph_data)
    assert deployed.status_code == 201, deployed.text
    assert _validate(graph_data, library) == []


@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLES.glob("pulumi-*/patterns/*.yaml")),
    ids=lambda path: f"{path.parent.parent.name}/{path.name}",
)
def test_the_pulumi_examples_patterns_deploy_and_validate(
    http: httpx.Client, library: NodeLibrary, path: Path
) -> None:
    pattern = load_pattern_file(path)
    assert validate_pattern(pattern, file=path.name, library=library) == []
    assert _deploy(http, pattern.document()["graphData"]).status_code == 201


def test_the_example_repository_validates_online_and_deploys(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "gitops-repo")
    env = {"SLACK_TOKEN": "xoxb-test", "GITHUB_TRIAGE_TOKEN": "ghp-test"}
    validated = run_cli(["validate", str(repo)], emu=emu, user=user, env=env)
    assert validated.exit_code == 0, validated.output
    applied = run_cli(["apply", str(repo)], emu=emu, user=user, env=env)
    assert applied.exit_code == 0, applied.output


# -- the CLI: a green plan no longer precedes a failed deploy ----------------------------------------


def test_validate_and_plan_refuse_a_cron_of_61_minutes_before_anything_is_created(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    doc = {"formatVersion": 1, "name": "Hourly", "graphData": scheduled_graph("61 * * * *")}
    write_file(repo, "patterns/hourly.json", doc)

    validated = run_cli(["validate", str(repo), "--url", emu.url], emu=emu, user=user)
    assert validated.exit_code == 1
    assert re.search(
        r"patterns/hourly\.json:\d+:\d+: graphData\.nodes\[0\]\.data\.properties\.cron:", validated.stderr
    )
    assert "minute field: 61 is out of range 0-59" in validated.stderr

    planned = run_cli(["plan", str(repo), "--output", "json"], emu=emu, user=user)
    assert planned.exit_code == 1
    plan = json.loads(planned.stdout)
    assert plan["valid"] is False
    assert [(item["kind"], item["file"]) for item in plan["items"]] == [("invalid", "patterns/hourly.json")]
    assert [issue["field"] for issue in plan["issues"]] == ["graphData.nodes[0].data.properties.cron"]

    applied = run_cli(["apply", str(repo)], emu=emu, user=user)
    assert applied.exit_code == 1
    with client_for(emu, user) as client:
        assert list(client.patterns.list()) == []  # nothing created, so no deploy to fail


# -- the cron syntax agrees with the server's parser ---------------------------------------------------

_ATOMS = st.sampled_from(
    [
        "*",
        "0",
        "1",
        "5",
        "7",
        "12",
        "13",
        "23",
        "24",
        "31",
        "32",
        "59",
        "60",
        "61",
        "99",
        "jan",
        "DEC",
        "Mon",
        "sun",
        "FOO",
        "",
        "x",
        "-1",
        "007",
    ]
)
_ITEMS = st.one_of(
    _ATOMS,
    st.builds(lambda a, b: f"{a}-{b}", _ATOMS, _ATOMS),
    st.builds(lambda a, s: f"{a}/{s}", _ATOMS, st.sampled_from(["0", "1", "2", "15", "x", ""])),
)
_FIELDS = st.lists(_ITEMS, min_size=1, max_size=3).map(",".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FIELDS, min_size=4, max_size=6).map(" ".join))
def test_cron_problem_agrees_with_the_emulators_parser(expression: str) -> None:
    try:
        parse_cron(expression)
        server_takes_it = True
    except CronError:
        server_takes_it = False
    assert (cron_problem(expression) is None) == server_takes_it, cron_problem(expression)
