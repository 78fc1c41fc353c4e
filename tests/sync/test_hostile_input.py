"""A pattern repository is untrusted input (issue 16): what a pull request can add must not hang, crash,
read outside the directory, or write something the server would refuse.

Real files in temporary directories, the real loader, the CLI against the emulator; docs/limits.md says
what each limit is and why.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dragops_emulator import Emulator, SeededUser
from dragops_sync.directory import load_directory
from dragops_sync.errors import DragopsError
from dragops_sync.files import FileFormatError, PatternFileCache, PatternFileError, load_pattern_file
from dragops_sync.limits import (
    MAX_DEPTH,
    MAX_EDGES,
    MAX_FILE_BYTES,
    MAX_NAME_CHARS,
    MAX_NODES,
    control_characters,
)
from dragops_sync.validate import validate_desired
from kit.clients import client_for
from kit.documents import scheduled_report, webhook_logger
from kit.emulator import writes
from kit.git import init_repo
from kit.sync_dirs import FAST_RATE, write_file, write_pattern
from kit.sync_runs import run_cli

# "Billion laughs": nine times nine ... of one string, a few hundred bytes of YAML.
ALIAS_BOMB = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "name: *i\ngraphData: {nodes: *i, edges: []}\n",
    ]
)


def _issues(root: Path) -> list[str]:
    return [str(issue) for issue in validate_desired(load_directory(root))]


def _deep_json(levels: int) -> str:
    inner = "[" * levels + "]" * levels
    doc = json.dumps(webhook_logger())
    return doc.replace('"got it"', inner)  # the Log node's message becomes the deep value


# -- alias bombs and nesting -----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["patterns/bomb.yaml", "dragops-sync.yaml", "connections.yaml"])
def test_an_alias_bomb_is_refused_within_a_second_naming_file_and_field(tmp_path: Path, where: str) -> None:
    write_pattern(tmp_path, "ok.json", webhook_logger())
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.monotonic()
    issues = _issues(tmp_path)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert any(issue.startswith(f"{where}:1:4: a: YAML anchors and aliases") for issue in issues), issues


def test_a_10000_level_json_gives_a_message_naming_the_field_not_a_traceback(tmp_path: Path) -> None:
    write_file(tmp_path, "patterns/deep.json", _deep_json(10_000))
    with pytest.raises(PatternFileError) as caught:
        load_pattern_file(tmp_path / "patterns" / "deep.json")
    [issue] = caught.value.issues
    assert issue.field.startswith("graphData.nodes[1].data.pinDefaults.message[0][0]")
    assert f"nested deeper than {MAX_DEPTH} levels" in issue.message


def test_json_nested_just_past_the_limit_is_refused_and_at_the_limit_loads(tmp_path: Path) -> None:
    # The document is level 1 and pinDefaults level 6, so the message's n lists reach level 6 + n.
    at_limit, past_limit = MAX_DEPTH - 6, MAX_DEPTH - 5
    write_file(tmp_path, "patterns/ok.json", _deep_json(at_limit))
    write_file(tmp_path, "patterns/deep.json", _deep_json(past_limit).replace("Webhook Logger", "Other"))
    issues = _issues(tmp_path)
    assert len(issues) == 1 and issues[0].startswith("patterns/deep.json:1:427: graphData.nodes[1].data")
    assert f"the limit is {MAX_DEPTH}" in issues[0]


@pytest.mark.parametrize("style", ["block", "flow"])
def test_deep_yaml_gives_a_message_naming_the_field(tmp_path: Path, style: str) -> None:
    if style == "flow":
        text = "name: x\ngraphData: {nodes: [], edges: []}\nextra: " + "[" * 10_000 + "]" * 10_000 + "\n"
    else:
        text = (
            "name: x\nextra:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "v\n"
        )
    write_file(tmp_path, "patterns/deep.yaml", text)
    started = time.monotonic()
    [issue] = _issues(tmp_path)
    assert time.monotonic() - started < 2.0
    assert re.match(r"patterns/deep.yaml:\d+:\d+: extra", issue)
    assert f"nested deeper than {MAX_DEPTH} levels" in issue


# -- size ----------------------------------------------------------------------------------------------


def test_a_6_mb_file_is_refused_with_the_limit_in_the_message(tmp_path: Path) -> None:
    doc = webhook_logger()
    doc["graphData"]["nodes"][1]["data"]["pinDefaults"]["message"] = "x" * (6 * 1000 * 1000)
    path = write_pattern(tmp_path, "big.json", doc)
    assert path.stat().st_size > MAX_FILE_BYTES
    [issue] = _issues(tmp_path)
    assert issue.startswith("patterns/big.json: (document): the file is 6,")
    assert f"the limit is {MAX_FILE_BYTES:,} bytes (5 MiB" in issue
    with pytest.raises(PatternFileError, match="5 MiB"):
        PatternFileCache().load(path)  # the daemon's cached reader refuses it as well


def test_a_file_larger_than_stat_says_is_refused_without_being_read(tmp_path: Path) -> None:
    # Not a regular file: /dev/zero never ends; a FIFO would block the reader forever.
    fifo = tmp_path / "patterns" / "fifo.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    write_pattern(tmp_path, "ok.json", webhook_logger())
    assert _issues(tmp_path) == ["patterns/fifo.json: (document): not a regular file; not read"]


# -- symlinks ------------------------------------------------------------------------------------------


def _secret_file(tmp_path: Path) -> Path:
    """A valid pattern file outside the sync directory, with a marker that must never show up."""
    outside = tmp_path / "elsewhere" / "secret.json"
    outside.parent.mkdir()
    outside.write_text(json.dumps(webhook_logger("SENTINEL-host-file")), encoding="utf-8")
    return outside


def test_symlinks_out_of_the_directory_are_refused_and_never_read(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_pattern(root, "ok.json", webhook_logger())
    outside = _secret_file(tmp_path)
    (root / "patterns" / "passwd.yaml").symlink_to("/etc/passwd")
    (root / "patterns" / "stolen.json").symlink_to(outside)
    (root / "patterns" / "up.json").symlink_to(Path("..") / ".." / "elsewhere" / "secret.json")
    desired = load_directory(root)
    issues = [str(issue) for issue in validate_desired(desired)]

    outside_msg = "(document): a symbolic link to a place outside the sync directory; not read"
    assert sorted(issues) == [
        f"patterns/{name}: {outside_msg}" for name in ("passwd.yaml", "stolen.json", "up.json")
    ]
    assert [p.name for p in desired.patterns] == ["Webhook Logger"]  # the host's file is not a pattern
    assert "SENTINEL" not in " ".join(issues) and "root:" not in " ".join(issues)


def test_settings_connections_and_the_patterns_folder_may_not_lead_out_either(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = _secret_file(tmp_path)
    (root / "dragops-sync.yaml").symlink_to("/etc/passwd")
    (root / "connections.yaml").symlink_to(outside)
    (root / "patterns").symlink_to(outside.parent)
    issues = _issues(root)
    assert sorted(issues) == [
        f"{name}: (document): a symbolic link to a place outside the sync directory; not read"
        for name in ("connections.yaml", "dragops-sync.yaml", "patterns")
    ]


def test_symlinks_that_stay_inside_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_file(root, "shared/logger.json", webhook_logger("Shared"))
    write_file(root, "shared/settings.yaml", "owner: acme/flows\n")
    (root / "patterns").mkdir()
    (root / "patterns" / "logger.json").symlink_to(Path("..") / "shared" / "logger.json")
    (root / "dragops-sync.yaml").symlink_to(Path("shared") / "settings.yaml")
    desired = load_directory(root)
    assert validate_desired(desired) == []
    assert [p.name for p in desired.patterns] == ["Shared"] and desired.options.owner == "acme/flows"


# -- names and strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", "x" * (MAX_NAME_CHARS + 1), f"name is 201 characters; the limit is {MAX_NAME_CHARS}"),
        ("name", "x" * 10_000, "name is 10,000 characters"),
        ("name", "   ", "name must not be empty"),
        ("name", "Logger\x1b[2J", "name holds control characters (U+001B)"),
        ("name", "two\nlines", "name holds control characters (U+000A)"),
        ("description", "d" * 10_001, "description is 10,001 characters; the limit is 10,000"),
        ("description", "bell\x07", "description holds control characters (U+0007)"),
        ("tags", ["ok", "t" * 101], "tags[1] is 101 characters; the limit is 100"),
        ("tags", ["a\x00b"], "tags[0] holds control characters (U+0000)"),
        ("tags", [" "], "tags[0] must not be empty"),
    ],
)
def test_names_and_strings_the_server_refuses_are_refused_by_validate(
    tmp_path: Path, field: str, value: object, fragment: str
) -> None:
    write_pattern(tmp_path, "p.json", webhook_logger() | {field: value})
    [issue] = _issues(tmp_path)
    assert re.match(rf"patterns/p.json:\d+:\d+: {re.escape(field)}: ", issue)
    assert fragment in issue
    assert "\x1b" not in issue and "x" * 300 not in issue  # the value itself is never echoed


def test_surrounding_spaces_and_multiline_descriptions_are_accepted(tmp_path: Path) -> None:
    write_pattern(tmp_path, "p.json", webhook_logger("  Padded  ") | {"description": "one\n\ttwo\r\n"})
    assert _issues(tmp_path) == []


def test_node_and_edge_counts_are_capped(tmp_path: Path) -> None:
    many = webhook_logger()
    many["graphData"]["nodes"] += [{"id": f"n{i}", "type": "Log"} for i in range(MAX_NODES)]
    wired = webhook_logger("Wired")
    edge = wired["graphData"]["edges"][0]
    wired["graphData"]["edges"] = [edge | {"id": f"e{i}"} for i in range(MAX_EDGES + 1)]
    write_pattern(tmp_path, "many.json", many)
    write_pattern(tmp_path, "wired.json", wired)
    # each placed on its field's line: compared here without the place
    assert sorted(re.sub(r"^([^:]+):\d+:\d+: ", r"\1: ", i) for i in _issues(tmp_path)) == [
        f"patterns/many.json: graphData.nodes: {MAX_NODES + 2} nodes; the limit is {MAX_NODES} "
        "(limits.MAX_NODES)",
        f"patterns/wired.json: graphData.edges: {MAX_EDGES + 1:,} edges; the limit is {MAX_EDGES:,} "
        "(limits.MAX_EDGES)",
    ]


def test_control_characters_are_those_of_unicode_category_cc() -> None:
    import unicodedata

    for code in range(0x250):
        char = chr(code)
        assert bool(control_characters(char)) == (unicodedata.category(char) == "Cc"), hex(code)
    assert control_characters("a\tb\r\n", multiline=True) == []


# -- the CLI: nothing live changes -----------------------------------------------------------------


def test_plan_and_apply_with_a_hostile_file_write_nothing_and_refuse_prune(
    emu: Emulator, user: SeededUser, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_file(repo, "dragops-sync.yaml", "owner: acme/flows\n" + FAST_RATE)
    write_file(repo, "patterns/logger.json", webhook_logger())
    write_file(repo, "patterns/nightly.json", scheduled_report())
    assert run_cli(["apply", str(repo)], emu=emu, user=user).exit_code == 0
    with client_for(emu, user) as client:
        before = sorted((p.name, p.updated_at) for p in client.patterns.list())
    # The pull request: one file gone (prune would delete its pattern), hostile files added.
    (repo / "patterns" / "nightly.json").unlink()
    write_file(repo, "patterns/bomb.yaml", ALIAS_BOMB)
    write_file(repo, "patterns/deep.json", _deep_json(10_000))
    outside = _secret_file(tmp_path)
    (repo / "patterns" / "stolen.json").symlink_to(outside)
    emu.clear_request_log()

    plan = run_cli(["plan", str(repo), "--prune"], emu=emu, user=user)
    started = time.monotonic()
    applied = run_cli(["apply", str(repo), "--prune"], emu=emu, user=user)
    elapsed = time.monotonic() - started
    with client_for(emu, user) as client:
        after = sorted((p.name, p.updated_at) for p in client.patterns.list())

    assert writes(emu) == []
    assert after == before
    assert elapsed < 10
    for result in (plan, applied):
        assert result.exit_code == 1, result.output
        assert "SENTINEL" not in result.output
        assert "patterns/bomb.yaml" in result.output and "anchors and aliases" in result.output
        assert "patterns/deep.json" in result.output and f"deeper than {MAX_DEPTH} levels" in result.output
        assert "patterns/stolen.json" in result.output and "outside the sync directory" in result.output
        assert "prune refused: some files failed to load or validate" in result.output
    assert "delete pattern 'Nightly Report'" not in applied.output


def test_pattern_from_file_uses_the_same_loader_and_limits(tmp_path: Path) -> None:
    """`pulumi_dragops.Pattern.from_file` reads through `load_pattern_file`; the bomb is refused there."""
    import inspect

    from pulumi_dragops import _pattern

    assert "load_pattern_file(Path(path), variables=given)" in inspect.getsource(_pattern.Pattern.from_file)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PatternFileError, match="anchors and aliases"):
        _pattern.load_pattern_file(bomb)
    assert time.monotonic() - started < 1.0


# -- the fuzz ------------------------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab:-[]{}&*!'\"", max_size=4)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("abk", max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


def _nest(value: object, levels: int, as_list: bool) -> object:
    for _ in range(levels):
        value = [value] if as_list else {"k": value}
    return value


@st.composite
def _hostile_documents(draw: st.DrawFn) -> tuple[str, str]:
    """A YAML or JSON text: random values, nested up to far past the limit, often with anchors and
    aliases (YAML) spliced in, sometimes cut short."""
    value = _nest(draw(_values), draw(st.integers(0, 3 * MAX_DEPTH)), draw(st.booleans()))
    document = {"name": "x", "graphData": {"nodes": [], "edges": []}, "extra": value}
    if draw(st.booleans()):
        text = json.dumps(document)
        suffix = ".json"
    else:
        text = yaml.safe_dump(document, default_flow_style=draw(st.booleans()))
        suffix = ".yaml"
        if draw(st.booleans()):
            text = "base: &b [1, 2]\nmore: &m [*b, *b, *b]\n" + text.replace("x", "*m", 1)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text, suffix


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_hostile_documents())
def test_the_loader_only_ever_raises_the_documented_file_error_and_quickly(
    tmp_path: Path, case: tuple[str, str]
) -> None:
    text, suffix = case
    path = tmp_path / f"fuzz{suffix}"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    try:
        load_pattern_file(path)
    except PatternFileError as exc:
        assert isinstance(exc, FileFormatError) and isinstance(exc, DragopsError)
        assert exc.issues and all(issue.file == str(path) for issue in exc.issues)
    assert time.monotonic() - started < 1.0
