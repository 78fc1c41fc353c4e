"""`dragops-sync render`: a pattern file (by path or by name) drawn as SVG at the editor's positions,
its changes coloured against a git ref or the live pattern on the emulator; clear errors otherwise."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from kit.git import commit
from kit.graphs import node, wire
from kit.mermaid import parse_flowchart
from kit.sync_dirs import sync_repo
from kit.sync_runs import run_cli

SVG = "{http://www.w3.org/2000/svg}"


def classes(svg_text: str) -> dict[str, str]:
    """Each drawn node's id -> its change class."""
    root = ET.fromstring(svg_text)
    return {g.get("data-id"): g.get("class").removeprefix("node ") for g in root.iter(f"{SVG}g")}


def wires(svg_text: str) -> dict[str, str]:
    root = ET.fromstring(svg_text)
    return {p.get("data-wire"): p.get("class").removeprefix("wire ") for p in root.iter(f"{SVG}path")}


def edit_alpha(repo: Path) -> None:
    """A person's edit of Alpha: the Log says something else, and a second Log hangs off the webhook."""
    path = repo / "patterns" / "alpha.json"
    doc = json.loads(path.read_text())
    doc["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = "changed"
    doc["graphData"]["nodes"].append(node("node_9", "Log", at=(320, 160), message="extra"))
    doc["graphData"]["edges"].append(wire("node_1", "node_9"))
    path.write_text(json.dumps(doc, indent=2))


def test_a_file_alone_is_drawn_at_its_saved_positions(tmp_path: Path) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    out = tmp_path / "alpha.svg"
    result = run_cli(["render", str(repo / "patterns" / "alpha.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Drew 'Alpha' (patterns/alpha.json)" in result.output
    text = out.read_text()
    assert classes(text) == {"node_1": "same", "node_2": "same"}
    root = ET.fromstring(text)
    at = {g.get("data-id"): g.get("transform") for g in root.iter(f"{SVG}g")}
    assert at == {"node_1": "translate(0.0 0.0)", "node_2": "translate(320.0 0.0)"}


def test_a_name_against_a_git_ref_colours_what_the_commit_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha", "beta": "Beta"})
    edit_alpha(repo)
    commit(repo, "alpha: a second log")
    monkeypatch.chdir(repo)
    result = run_cli(["render", "Alpha", "--against", "HEAD~1"])
    assert result.exit_code == 0, result.output
    assert classes(result.stdout) == {"node_1": "same", "node_2": "changed", "node_9": "added"}
    assert wires(result.stdout) == {
        "node_1.exec -> node_2.exec": "same",
        "node_1.exec -> node_9.exec": "added",
    }

    mermaid = run_cli(["render", "Alpha", "--against", "HEAD~1", "--format", "mermaid", "--dir", str(repo)])
    chart = parse_flowchart(mermaid.stdout)
    assert sorted(c or "same" for _, c in chart["nodes"].values()) == ["added", "changed", "same"]


def test_against_live_colours_what_applying_the_file_would_change(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    edit_alpha(repo)
    result = run_cli(["render", "Alpha", "--dir", str(repo), "--against", "live"], emu=emu, user=user)
    assert result.exit_code == 0, result.output
    assert classes(result.stdout) == {"node_1": "same", "node_2": "changed", "node_9": "added"}

    with Client(base_url=emu.url, token=user.token) as client:  # nothing was written
        (summary,) = list(client.patterns.list())
        nodes = client.patterns.get(summary.id).graph_data["nodes"]
    assert [n["id"] for n in nodes] == ["node_1", "node_2"]


def test_a_pattern_not_live_yet_is_drawn_as_all_new(tmp_path: Path, emu: Emulator, user: SeededUser) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    result = run_cli(["render", "Alpha", "--dir", str(repo), "--against", "live"], emu=emu, user=user)
    assert result.exit_code == 0, result.output
    assert "'Alpha' is not live" in result.stderr
    assert set(classes(result.stdout).values()) == {"added"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nobody"], "'Nobody' is neither a file nor the name of a pattern in"),
        (["Alpha", "--against", "no-such-ref"], "'no-such-ref' is not a commit of the repository"),
        (["patterns/broken.json"], "patterns/broken.json"),
    ],
    ids=["unknown name", "unknown ref", "broken file"],
)
def test_what_cannot_be_drawn_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    repo = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    (repo / "patterns" / "broken.json").write_text('{"name": "Broken", "graphData": ')
    monkeypatch.chdir(repo)
    result = run_cli(["render", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
