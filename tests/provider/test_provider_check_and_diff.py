"""`check` and `diff` of each provider: local, no API call, tolerant of preview unknowns.

These are pure (no emulator): `diff` must never need the network, and `check` runs during previews
before anything is known. The host-level proof that diff sends no request is in the lifecycle tests.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi.output import Unknown

from kit.graphs import webhook_graph
from pulumi_dragops import ConnectionProvider, DeploymentProvider, PatternProvider, WebhookProvider
from pulumi_dragops._connection import fingerprint


def failures(result: Any) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in result.failures]


def pattern_inputs(**overrides: Any) -> dict[str, Any]:
    return {"name": "Webhook Logger", "graph": webhook_graph(), **overrides}


def as_pulumi_marshals(value: Any) -> Any:
    """What the engine hands back: every number a float."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: as_pulumi_marshals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_pulumi_marshals(v) for v in value]
    return value


# -- Pattern ------------------------------------------------------------------------------------------


def test_pattern_check_fills_defaults_for_the_optional_inputs() -> None:
    result = PatternProvider().check({}, pattern_inputs())
    assert failures(result) == []
    assert result.inputs["description"] == "" and result.inputs["tags"] == []
    assert result.inputs["is_public"] is False and result.inputs["is_template"] is False
    assert result.inputs["adopt"] is False


@pytest.mark.parametrize(
    ("overrides", "prop", "fragment"),
    [
        ({"name": ""}, "name", "name is required"),
        ({"name": 7.0}, "name", "must be a string"),
        ({"tags": "a,b"}, "tags", "must be a list of strings"),
        ({"tags": ["ok", 3.0]}, "tags", "tags[1] must be a string"),
        ({"tags": ["dragops-sync:owner=me"]}, "tags", "reserved for dragops-sync"),
        ({"is_public": "yes"}, "is_public", "must be true or false"),
        ({"graph": None}, "graph", "graph is required"),
        ({"graph": {"nodes": "x", "edges": []}}, "graph", "graph.nodes: input should be a valid list"),
        (
            {"graph": {"nodes": [{"id": "a"}], "edges": []}},
            "graph",
            "graph.nodes[0].type: required field is missing",
        ),
        (
            {"graph": {"nodes": [{"id": "a", "type": "Log"}] * 2, "edges": []}},
            "graph",
            "graph.nodes[1].id: duplicate node id 'a' (also nodes[0])",
        ),
        (
            {
                "graph": {
                    "nodes": [{"id": "a", "type": "Log"}],
                    "edges": [{"id": "e", "source": "a", "target": "z"}],
                }
            },
            "graph",
            "graph.edges[0].target: edge 'e' references unknown node 'z'",
        ),
    ],
)
def test_pattern_check_names_the_property_that_is_wrong(
    overrides: dict[str, Any], prop: str, fragment: str
) -> None:
    result = PatternProvider().check({}, pattern_inputs(**overrides))
    assert [p for p, _ in failures(result)] == [prop]
    assert fragment in failures(result)[0][1]


def test_pattern_check_lets_preview_unknowns_through_anywhere() -> None:
    graph = webhook_graph()
    graph["nodes"][1]["data"]["pinDefaults"]["message"] = Unknown()
    graph["edges"][0]["target"] = Unknown()
    result = PatternProvider().check({}, {"name": Unknown(), "tags": Unknown(), "graph": graph})
    assert failures(result) == []
    assert isinstance(result.inputs["name"], Unknown)


def test_pattern_diff_sees_no_change_after_float_marshalling_and_reordering() -> None:
    olds = as_pulumi_marshals(PatternProvider().check({}, pattern_inputs(tags=["b", "a"])).inputs)
    news = copy.deepcopy(PatternProvider().check({}, pattern_inputs(tags=["a", "b"])).inputs)
    news["graph"]["nodes"].reverse()
    news["graph"]["nodes"][0] = dict(reversed(list(news["graph"]["nodes"][0].items())))
    result = PatternProvider().diff("pat_1", olds, news)
    assert result.changes is False and result.replaces == []


def test_pattern_diff_reports_a_content_change_as_an_update_never_a_replace() -> None:
    olds = PatternProvider().check({}, pattern_inputs()).inputs
    for change in (
        {"name": "Renamed"},
        {"description": "other"},
        {"tags": ["new"]},
        {"is_public": True},
        {"is_template": True},
        {"graph": webhook_graph("new text")},
    ):
        result = PatternProvider().diff("pat_1", olds, {**olds, **change})
        assert result.changes is True and result.replaces == [], change


def test_pattern_diff_ignores_adopt_which_only_matters_at_create() -> None:
    olds = PatternProvider().check({}, pattern_inputs()).inputs
    assert PatternProvider().diff("pat_1", olds, {**olds, "adopt": True}).changes is False


def test_pattern_diff_with_an_unknown_input_reports_a_possible_change() -> None:
    olds = PatternProvider().check({}, pattern_inputs()).inputs
    graph = webhook_graph()
    graph["nodes"][1]["data"]["pinDefaults"]["message"] = Unknown()
    assert PatternProvider().diff("pat_1", olds, {**olds, "graph": graph}).changes is True


# -- Deployment ---------------------------------------------------------------------------------------


def deployment_olds(**overrides: Any) -> dict[str, Any]:
    return {
        "pattern_id": "pat_1",
        "environment_id": None,
        "paused": False,
        "content_hash": "h1",
        "status": "active",
        **overrides,
    }


def test_deployment_check_requires_a_pattern_id_and_a_boolean_paused() -> None:
    result = DeploymentProvider().check({}, {"paused": "no"})
    assert sorted(p for p, _ in failures(result)) == ["pattern_id", "paused"]
    assert failures(DeploymentProvider().check({}, {"pattern_id": Unknown()})) == []


def test_deployment_of_another_pattern_is_a_replace_and_the_rest_updates_in_place() -> None:
    olds = deployment_olds()
    provider = DeploymentProvider()
    replace = provider.diff("dep", olds, {**olds, "pattern_id": "pat_2"})
    assert replace.changes is True and replace.replaces == ["pattern_id"]
    for change in ({"content_hash": "h2"}, {"paused": True}, {"environment_id": "env_x"}):
        result = provider.diff("dep", olds, {**olds, **change})
        assert result.changes is True and result.replaces == [], change
    assert provider.diff("dep", olds, dict(olds)).changes is False


def test_deployment_diff_redeploys_when_refresh_found_it_not_running() -> None:
    olds = deployment_olds(status="pending")
    assert DeploymentProvider().diff("dep", olds, dict(olds)).changes is True


# -- Webhook ------------------------------------------------------------------------------------------


def test_webhook_diff_treats_unset_selectors_as_matching_what_was_resolved() -> None:
    olds = {"pattern_id": "pat_1", "node_id": "node_1", "alias": "gh", "rotate_secret_trigger": None}
    provider = WebhookProvider()
    assert provider.diff("wh", olds, {"pattern_id": "pat_1"}).changes is False
    other = provider.diff("wh", olds, {"pattern_id": "pat_1", "node_id": "node_3"})
    assert other.changes is True and other.replaces == ["node_id"]
    rotate = provider.diff("wh", olds, {"pattern_id": "pat_1", "rotate_secret_trigger": "2026-11"})
    assert rotate.changes is True and rotate.replaces == []


def test_webhook_check_rejects_a_rotation_trigger_that_is_not_a_scalar() -> None:
    result = WebhookProvider().check({}, {"pattern_id": "pat_1", "rotate_secret_trigger": {"a": 1}})
    assert [p for p, _ in failures(result)] == ["rotate_secret_trigger"]


# -- Connection ---------------------------------------------------------------------------------------

SENTINEL_KEY = "sk-SENTINEL-0123456789"


def test_connection_check_never_quotes_the_api_key_in_its_failure() -> None:
    result = ConnectionProvider().check({}, {"provider": "", "api_key": ["sk-SENTINEL-in-a-list"]})
    assert sorted(p for p, _ in failures(result)) == ["api_key", "provider"]
    assert "SENTINEL" not in repr(failures(result))


def test_connection_diff_detects_a_changed_key_through_the_salted_fingerprint_only() -> None:
    salt = "00" * 16
    olds = {
        "provider": "slack",
        "display_name": "Alerts",
        "api_key_salt": salt,
        "api_key_fingerprint": fingerprint(salt, SENTINEL_KEY),
    }
    provider = ConnectionProvider()
    same = provider.diff(
        "conn", olds, {"provider": "slack", "display_name": "Alerts", "api_key": SENTINEL_KEY}
    )
    assert same.changes is False
    rekeyed = provider.diff(
        "conn", olds, {"provider": "slack", "display_name": "Alerts", "api_key": "sk-other"}
    )
    assert rekeyed.changes is True and rekeyed.replaces == []
    moved = provider.diff("conn", olds, {"provider": "sendgrid", "api_key": SENTINEL_KEY})
    assert moved.replaces == ["provider"]
    assert SENTINEL_KEY not in repr(olds)


def test_the_fingerprint_depends_on_the_salt_so_equal_keys_do_not_look_equal() -> None:
    assert fingerprint("00" * 16, SENTINEL_KEY) != fingerprint("11" * 16, SENTINEL_KEY)
    assert SENTINEL_KEY not in fingerprint("00" * 16, SENTINEL_KEY)


def test_pattern_check_wants_json_pointers_in_ignore_paths() -> None:
    result = PatternProvider().check({}, pattern_inputs(ignore_paths=["graphData/nodes"]))
    assert [p for p, _ in failures(result)] == ["ignore_paths"]
    assert "must be a JSON pointer" in failures(result)[0][1]


def test_pattern_diff_leaves_ignored_paths_out_of_the_comparison() -> None:
    ignore = ["/graphData/nodes/*/position"]
    olds = PatternProvider().check({}, pattern_inputs(ignore_paths=ignore)).inputs
    moved = copy.deepcopy(olds)
    moved["graph"]["nodes"][0]["position"] = {"x": 999, "y": 1}
    assert PatternProvider().diff("pat_1", moved, olds).changes is False
    assert PatternProvider().diff("pat_1", moved, {**olds, "ignore_paths": []}).changes is True
