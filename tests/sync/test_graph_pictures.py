"""Pictures of a pattern's graph: the Mermaid flowchart of markdown plans (its structure checked in
Python; drawn by the real Mermaid in Chromium where both can be had) and the SVG of `render` (well-formed
XML, one element per node and per wire, the change classes), both limited and secret-free."""

from __future__ import annotations

import copy
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dragops_sync.graph_mermaid import MAX_NODES, mermaid_flowchart
from dragops_sync.graph_picture import render_svg
from kit.graphs import graph, node, wire
from kit.mermaid import parse_flowchart

SENTINEL = "sk-SENTINEL-never-drawn-0042"
SVG = "{http://www.w3.org/2000/svg}"


def before_after() -> tuple[dict[str, Any], dict[str, Any]]:
    old = graph(
        [
            node("node_1", "OnWebhook", at=(0, 0)),
            node("node_2", "Log", at=(300, 0), message="hello"),
            node("node_3", "HttpRequest", at=(600, 0), url="https://x"),
        ],
        [wire("node_1", "node_2"), wire("node_2", "node_3")],
    )
    new = copy.deepcopy(old)
    new["nodes"][1]["data"]["pinDefaults"]["message"] = 'bye "now" <b>#1</b>'
    new["nodes"] = [n for n in new["nodes"] if n["id"] != "node_3"]
    new["nodes"].append(node("node_4", "Log", at=(300, 150), message="extra", apiKey=SENTINEL))
    new["edges"] = [wire("node_1", "node_2"), wire("node_1", "node_4", "exec", "in")]
    return old, new


def test_the_flowchart_styles_added_changed_and_removed_nodes_and_wires() -> None:
    old, new = before_after()
    chart = parse_flowchart(mermaid_flowchart(old, new))
    assert sorted(chart["nodes"].values(), key=str) == [
        ("HttpRequest<br/>https://x", "removed"),
        ("Log<br/>bye #quot;now#quot; #lt;b#gt;#35;1#lt;/b#gt;", "changed"),
        ("Log<br/>extra", "added"),
        ("OnWebhook", None),
    ]
    arrows = sorted((arrow, label or "") for _, arrow, label, _ in chart["edges"])
    assert arrows == [("-->", ""), ("-->", "exec → in"), ("-.->", "")]  # kept, added, removed
    styled = {chart["edges"][i][1] + (chart["edges"][i][2] or ""): s for i, s in chart["styles"].items()}
    assert "#1a7f37" in styled["-->exec → in"] and "#cf222e" in styled["-.->"]
    assert SENTINEL not in mermaid_flowchart(old, new)


def test_a_large_graph_is_limited_to_the_changed_nodes_and_their_neighbours_with_a_count() -> None:
    nodes = [node(f"node_{i}", "Log", message=f"step {i}") for i in range(200)]
    edges = [wire(f"node_{i}", f"node_{i + 1}") for i in range(199)]
    old = graph(nodes, edges)
    new = copy.deepcopy(old)
    new["nodes"][100]["data"]["pinDefaults"]["message"] = "changed"
    chart = parse_flowchart(mermaid_flowchart(old, new))
    labels = sorted(label for label, _ in chart["nodes"].values())
    assert labels == ["Log<br/>changed", "Log<br/>step 101", "Log<br/>step 99", "… 197 more nodes not shown"]
    assert len(chart["edges"]) == 2

    everything = copy.deepcopy(old)
    for n in everything["nodes"]:
        n["data"]["pinDefaults"]["message"] += "!"
    capped = parse_flowchart(mermaid_flowchart(old, everything))
    assert len(capped["nodes"]) == MAX_NODES + 1  # the cap, and the node saying what was left out
    more = f"… {200 - MAX_NODES} more nodes not shown ({200 - MAX_NODES} of them changed)"
    assert capped["nodes"]["more"] == (more, "omitted")


def test_a_graph_alone_is_drawn_without_change_classes() -> None:
    old, _ = before_after()
    chart = parse_flowchart(mermaid_flowchart(None, old))
    assert [c for _, c in chart["nodes"].values()] == [None, None, None]


def _svg(old: Any, new: Any) -> ET.Element:
    return ET.fromstring(render_svg(old, new, title="Alert <1>"))


def test_the_svg_is_well_formed_with_one_element_per_node_and_wire_and_their_classes() -> None:
    old, new = before_after()
    root = _svg(old, new)
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == "Alert <1>"
    groups = {g.get("data-id"): g.get("class") for g in root.iter(f"{SVG}g")}
    assert groups == {
        "node_1": "node same",
        "node_2": "node changed",
        "node_3": "node removed",
        "node_4": "node added",
    }
    wires = {p.get("data-wire"): p.get("class") for p in root.iter(f"{SVG}path")}
    assert wires == {
        "node_1.exec -> node_2.exec": "wire same",
        "node_1.exec -> node_4.in": "wire added",
        "node_2.exec -> node_3.exec": "wire removed",
    }
    assert SENTINEL not in render_svg(old, new)
    assert "<script" not in render_svg(old, new) and "href" not in render_svg(old, new)


def _translate(root: ET.Element) -> dict[str, tuple[float, float]]:
    found = {}
    for g in root.iter(f"{SVG}g"):
        x, y = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", g.get("transform", "")).groups()
        found[g.get("data-id")] = (float(x), float(y))
    return found


def test_the_svg_keeps_the_editor_positions_and_lays_out_a_graph_without_them() -> None:
    old, _ = before_after()
    assert _translate(_svg(None, old)) == {"node_1": (0, 0), "node_2": (300, 0), "node_3": (600, 0)}

    stacked = graph(
        [node("c", "Log"), node("a", "OnWebhook"), node("b", "Log"), node("d", "Log")],
        [wire("a", "b"), wire("b", "c"), wire("a", "d"), wire("c", "a")],  # a cycle, too
    )
    at = _translate(_svg(None, stacked))
    assert len(set(at.values())) == 4  # no two nodes on one spot
    assert at["a"][0] < at["b"][0] < at["c"][0] and at["d"][0] == at["b"][0]


MERMAID_JS = os.environ.get("DRAGOPS_TEST_MERMAID_JS", "")
CHROMIUM = os.environ.get("DRAGOPS_TEST_CHROMIUM") or shutil.which("chromium") or ""


@pytest.mark.skipif(
    not (MERMAID_JS and Path(MERMAID_JS).is_file() and CHROMIUM),
    reason="drawing needs Chromium and mermaid.min.js (DRAGOPS_TEST_MERMAID_JS; .ci/run fetches it with npm)",
)
def test_the_real_mermaid_draws_the_flowchart_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    old, new = before_after()
    texts = [mermaid_flowchart(old, new), mermaid_flowchart(None, old)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content("<html><body></body></html>")
            page.add_script_tag(path=MERMAID_JS)
            for i, text in enumerate(texts):
                svg = page.evaluate(
                    """async ([id, text]) => {
                        mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
                        const {svg} = await mermaid.render(id, text);
                        document.body.insertAdjacentHTML('beforeend', svg);
                        return svg;
                    }""",
                    [f"chart{i}", text],
                )
                assert "Syntax error" not in svg
                drawn = page.evaluate(f"document.querySelectorAll('#chart{i} g.node').length")
                assert drawn == len(parse_flowchart(text)["nodes"])
            page.screenshot(path=str(tmp_path / "mermaid.png"), full_page=True)
        finally:
            browser.close()


def test_positions_left_out_of_the_comparison_still_place_the_nodes() -> None:
    old, new = before_after()
    placed_by = copy.deepcopy(new)
    for g in (old, new):  # as compared under `ignore: [/graphData/nodes/*/position]`
        for n in g["nodes"]:
            n.pop("position")
    at = _translate(ET.fromstring(render_svg(old, new, placed_by=placed_by)))
    assert at["node_1"] == (0, 0) and at["node_2"] == (300, 0) and at["node_4"] == (300, 150)
    assert at["node_3"][1] > 150  # removed, with no saved place: in a row under the others
