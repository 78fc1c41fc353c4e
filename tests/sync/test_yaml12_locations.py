"""YAML 1.2 and line numbers (issue 9, item 3): `off` and `NO` are strings, every file problem says
`file:line:col`, and `--output github` turns them into GitHub Actions annotations.

Real files, the real loader, the CLI in-process and, for what is sent, the emulator's live pattern.
"""

from __future__ import annotations

import json
from pathlib import Path

from dragops_emulator import Emulator, SeededUser
from dragops_sync.annotations import github_annotations
from dragops_sync.files import FileIssue, PatternFileError, dump_pattern, load_pattern_file
from kit.clients import client_for
from kit.documents import webhook_logger
from kit.git import init_repo
from kit.live import live_message
from kit.sync_dirs import FAST_RATE, write_file
from kit.sync_runs import run_cli


def _yaml_pattern(name: str, message: str, tags: list[str]) -> str:
    """A pattern file written by hand: `message` and `tags` appear unquoted, as a person types them."""
    text = dump_pattern(webhook_logger(name, message="MESSAGE") | {"tags": ["TAG"]}, "yaml")
    assert "message: MESSAGE\n" in text and "- TAG\n" in text
    return text.replace("message: MESSAGE", f"message: {message}").replace(
        "- TAG\n", "".join(f"- {tag}\n" for tag in tags)
    )


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    return repo


def test_off_and_no_are_strings_from_the_file_to_the_live_pattern(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/switch.yaml", _yaml_pattern("Switch", "off", ["NO", "on", "yes"]))

    pattern = load_pattern_file(repo / "patterns" / "switch.yaml")
    applied = run_cli(["apply", str(repo)], emu=emu, user=user)

    assert pattern.tags == ("NO", "on", "yes") or list(pattern.tags) == ["NO", "on", "yes"]
    assert applied.exit_code == 0, applied.output
    with client_for(emu, user) as client:
        assert live_message(client, "Switch") == "off"
        [summary] = [p for p in client.patterns.list() if p.name == "Switch"]
        live = client.patterns.get(summary.id).to_api()
    assert [t for t in live["tags"] if not t.startswith("dragops-sync")] == ["NO", "on", "yes"]
    # sent as the string "off", not the boolean false YAML 1.1 made of it
    log = next(n for n in live["graphData"]["nodes"] if n["type"] == "Log")
    assert log["data"]["pinDefaults"]["message"] == "off"


def test_strings_yaml_1_2_reads_as_numbers_are_quoted_on_export_and_survive_a_round_trip(
    tmp_path: Path,
) -> None:
    tags = ["1e3", "0o17", "off", "NO", "true", "null", "2026-01-01", "plain"]
    doc = webhook_logger("0o17") | {"tags": tags, "isPublic": False, "isTemplate": False}
    path = tmp_path / "p.yaml"
    path.write_text(dump_pattern(doc, "yaml"), encoding="utf-8")

    pattern = load_pattern_file(path)

    assert pattern.name == "0o17"
    assert list(pattern.tags) == ["1e3", "0o17", "off", "NO", "true", "null", "2026-01-01", "plain"]
    assert dump_pattern(pattern.document(), "yaml") == path.read_text(encoding="utf-8")


def _broken_files(repo: Path) -> None:
    """One YAML and one JSON pattern file, each with several kinds of problem on known lines."""
    write_file(
        repo,
        "patterns/a.yaml",
        "formatVersion: 1\n"
        "name: A\n"
        "isPublic: maybe\n"  # line 3: not a boolean
        "colour: red\n"  # line 4: unknown field
        "tags: [ok, 5]\n"  # line 5, column 12: not a string
        "graphData:\n"
        "  nodes:\n"
        "    - {id: n1, type: OnWebhook}\n"
        "    - {id: n1, type: Log}\n"  # line 9: duplicate node id (a graph check)
        "  edges:\n"
        "    - {id: e1, source: n1, target: nowhere}\n"  # line 11: unknown target
        "name: B\n",  # line 12: duplicate key
    )
    write_file(
        repo,
        "patterns/b.json",
        '{\n  "formatVersion": 1,\n  "name": "B",\n  "isTemplate": "no",\n'
        '  "graphData": {"nodes": [{"id": "n1", "type": "OnWebhook"}], "edges": []},\n'
        '  "name": "C"\n}\n',
    )


def test_every_problem_in_a_yaml_and_a_json_file_names_its_line_and_column(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _broken_files(repo)

    result = run_cli(["validate", str(repo), "--output", "json"])

    issues = json.loads(result.stdout)["issues"]
    assert result.exit_code == 1
    assert len(issues) == 8, issues
    assert all(isinstance(i["line"], int) and isinstance(i["column"], int) for i in issues), issues
    where = {(i["file"], i["field"]): (i["line"], i["column"]) for i in issues}
    assert where[("patterns/a.yaml", "isPublic")] == (3, 1)
    assert where[("patterns/a.yaml", "colour")] == (4, 1)
    assert where[("patterns/a.yaml", "tags[1]")] == (5, 12)
    assert where[("patterns/a.yaml", "name")] == (12, 1)  # the repeated key
    assert where[("patterns/b.json", "isTemplate")] == (4, 3)
    assert where[("patterns/b.json", "name")] == (6, 3)
    # the graph checks run after loading; they are placed on their field too
    assert where[("patterns/a.yaml", "graphData.nodes[1].id")] == (9, 8)
    assert where[("patterns/a.yaml", "graphData.edges[0].target")] == (11, 28)


def test_the_text_form_is_file_line_col_and_an_unparseable_file_says_where_too(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\ngraphData: [unclosed\n", encoding="utf-8")
    json_path = tmp_path / "p.json"
    json_path.write_text('{\n  "name": "x",\n}\n', encoding="utf-8")

    errors = []
    for file in (path, json_path):
        try:
            load_pattern_file(file)
        except PatternFileError as exc:
            errors.append(exc.issues)

    [[yaml_issue], [json_issue]] = errors
    assert str(yaml_issue).startswith(f"{path}:3:1: (document): invalid YAML")
    assert str(json_issue).startswith(f"{json_path}:3:1: (document): invalid JSON")


def test_output_github_prints_an_annotation_per_problem_on_a_real_run(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _broken_files(repo)

    explicit = run_cli(["validate", str(repo), "--output", "github"])
    detected = run_cli(["validate", str(repo)], env={"GITHUB_ACTIONS": "true"})
    plain = run_cli(["validate", str(repo)], env={"GITHUB_ACTIONS": None})

    annotations = [line for line in explicit.stdout.splitlines() if line.startswith("::error ")]
    assert explicit.exit_code == 1
    assert "::error file=patterns/a.yaml,line=4,col=1,title=colour::colour: unknown field" in explicit.stdout
    assert any(
        line.startswith("::error file=patterns/b.json,line=4,col=3,title=isTemplate::")
        for line in annotations
    )
    assert all(",line=" in line and ",col=" in line for line in annotations), annotations
    assert detected.stdout == explicit.stdout
    assert "::error" not in plain.output
    # the text lines (on stderr) name the place as file:line:col
    assert "patterns/a.yaml:4:1: colour: unknown field" in explicit.stderr


def test_plan_output_github_annotates_the_invalid_files(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    write_file(repo, "patterns/ok.json", webhook_logger())
    write_file(repo, "patterns/bad.yaml", "name: Bad\ncolour: red\ngraphData: {nodes: [], edges: []}\n")

    result = run_cli(["plan", str(repo), "--output", "github"], emu=emu, user=user)

    assert result.exit_code == 1
    assert "::error file=patterns/bad.yaml,line=2,col=1,title=colour::colour: unknown field" in result.stdout
    assert "Invalid: patterns/bad.yaml:2:1: colour: unknown field" in result.stdout


def test_annotations_escape_what_the_runner_would_read_as_syntax() -> None:
    issue = FileIssue("a,b:c", "50% wrong\r\nsecond line", "dir,x/p:1.yaml", 7, 2)

    [line] = github_annotations([issue]).splitlines()

    assert line == (
        "::error file=dir%2Cx/p%3A1.yaml,line=7,col=2,title=a%2Cb%3Ac::a,b:c: 50%25 wrong%0D%0Asecond line"
    )
