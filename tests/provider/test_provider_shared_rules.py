"""Where the provider's behaviour now comes from the sync's shared rules, and differs on purpose.

The provider is a thin layer over `dragops_sync.operations` and the sync's graph validator; these pin
what that sharing changed: a deploy confirms the exact version it made (another version fails at once
instead of waiting out the activation timeout), and a graph is judged as `dragops-sync validate`
judges a pattern file's graphData (an edge needs an id; a missing edge list is still no edges).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import NotFoundError
from kit.clients import client_for
from kit.graphs import webhook_graph
from kit.provider import configured, unique
from pulumi_dragops import DeploymentProvider, DragopsProviderError, PatternProvider


def _status(emulator: Emulator, user: SeededUser, pattern_id: str) -> str:
    with client_for(emulator, user) as client:
        try:
            return client.deployments.get(pattern_id).status
        except NotFoundError:
            return "never"


def test_a_deploy_that_reads_back_at_another_version_fails_at_once_and_create_undeploys(
    emu: Emulator, user: SeededUser
) -> None:
    emu.update_settings(activation_delay_seconds=1.0)
    try:
        with client_for(emu, user) as client:
            pattern_id = client.patterns.create(name=unique("raced"), graph_data=webhook_graph()).id
        provider = configured(DeploymentProvider(), emu, user)
        props = provider.check({}, {"pattern_id": pattern_id, "activation_timeout": 60.0}).inputs
        failure: list[BaseException] = []

        def create() -> None:
            try:
                provider.create(props)
            except BaseException as exc:  # handed to the test thread
                failure.append(exc)

        started = time.monotonic()
        creating = threading.Thread(target=create)
        creating.start()
        # While the provider waits for version 1 to activate, someone else deploys version 2.
        deadline = time.monotonic() + 10
        while _status(emu, user, pattern_id) != "pending" and time.monotonic() < deadline:
            time.sleep(0.02)
        with client_for(emu, user) as client:
            assert client.deployments.deploy(pattern_id).version_number == 2
        creating.join(timeout=30)
        assert not creating.is_alive()
        elapsed = time.monotonic() - started
    finally:
        emu.update_settings(activation_delay_seconds=0.0)
    assert len(failure) == 1 and isinstance(failure[0], DragopsProviderError)
    message = str(failure[0])
    assert message.startswith(
        f"deploying pattern {pattern_id} failed: deployed version 1, but the deployment"
    )
    assert "reads back at version 2" in message
    assert elapsed < 30  # at once, not after the 60 s activation timeout
    assert _status(emu, user, pattern_id) == "undeployed"  # all-or-nothing: the create rolled back


def _graph_failures(graph: Any) -> list[str]:
    result = PatternProvider().check({}, {"name": "shared-rules", "graph": graph})
    assert all(failure.property == "graph" for failure in result.failures)
    return [failure.reason for failure in result.failures]


def test_a_graph_without_an_edge_list_is_a_graph_without_edges() -> None:
    graph = webhook_graph()
    del graph["edges"]
    assert _graph_failures(graph) == []


def test_the_graph_is_judged_by_the_sync_validator_and_every_problem_names_where() -> None:
    graph = webhook_graph()
    graph["edges"].append({"source": graph["nodes"][0]["id"], "target": "nowhere"})
    graph["nodes"].append({"id": graph["nodes"][0]["id"], "type": "Log"})
    reasons = _graph_failures(graph)
    assert reasons == [f"graph.edges[{len(graph['edges']) - 1}].id: required field is missing"]
    del graph["edges"][-1]
    reasons = _graph_failures(graph)
    assert len(reasons) == 1 and reasons[0].startswith(
        f"graph.nodes[{len(graph['nodes']) - 1}].id: duplicate"
    )


def test_a_pattern_has_no_trigger_to_need_for_the_graph_check() -> None:
    # `dragops-sync validate` wants a trigger in a pattern meant to be deployed; a Pattern resource
    # is not deployed by itself, so the check does not ask for one.
    assert _graph_failures({"nodes": [{"id": "n1", "type": "Log"}], "edges": []}) == []


@pytest.mark.parametrize("graph", [[], "nodes", 3.0])
def test_a_graph_that_is_not_an_object_is_refused_before_the_validator(graph: Any) -> None:
    assert _graph_failures(graph) == [
        f"graph must be an object with nodes and edges, got {type(graph).__name__}"
    ]
