"""`${connection:NAME}` / `${pattern:NAME}` references: resolved by `Pattern.from_file`, refused by check.

The project's own `slack-notifier.yaml` holds one; before this, `from_file` sent it to DRAGOPS literally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from program_harness import RecordingMocks

from kit.graphs import webhook_graph
from pulumi_dragops import DragopsProviderError, Pattern, PatternProvider

NOTIFIER = Path(__file__).parents[2] / "examples" / "gitops-repo" / "patterns" / "slack-notifier.yaml"


def _mocks() -> RecordingMocks:
    mocks = RecordingMocks(lambda args: (f"{args.name}-id", dict(args.inputs)))
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    return mocks


def test_from_file_refuses_a_reference_it_has_no_id_for_naming_the_file_and_node() -> None:
    _mocks()
    with pytest.raises(DragopsProviderError) as failed:
        Pattern.from_file("notifier", NOTIFIER)
    message = str(failed.value)
    assert str(NOTIFIER) in message and "node 'post'" in message
    assert "graphData.nodes[1].data.properties.connectionId" in message and "'slack-alerts'" in message
    assert "\n" not in message


@pulumi.runtime.test
def test_from_file_resolves_a_reference_to_the_id_the_program_passes() -> Any:
    mocks = _mocks()
    made = Pattern.from_file(
        "notifier", NOTIFIER, connections={"slack-alerts": pulumi.Output.from_input("conn_42")}
    )

    def check(_: Any) -> None:
        (registered,) = mocks.seen
        post = next(n for n in registered.inputs["graph"]["nodes"] if n["id"] == "post")
        assert post["data"]["properties"]["connectionId"] == "conn_42"

    return made.id.apply(check)


def test_check_refuses_a_literal_reference_naming_the_node() -> None:
    graph = webhook_graph()
    graph["nodes"][1]["data"]["properties"] = {"connectionId": "${connection:slack-alerts}"}
    checked = PatternProvider().check({}, {"name": "p", "graph": graph})
    (failure,) = checked.failures
    assert failure.property == "graph"
    assert failure.reason.startswith("graph.nodes[1].data.properties.connectionId: node 'node_2' references")
