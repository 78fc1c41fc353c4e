"""What `dragops-sync render` draws: one pattern file, found by its path or its pattern name, and
the graph to colour its changes against (the same file at a git ref, or the live pattern).

The graphs are read as the planner reads them (`${var:NAME}` of the selected environment put in),
and drawn by `graph_picture` (SVG) or `graph_mermaid`. No I/O besides reading files and git.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dragops_sync.directory import SETTINGS_FILE, SettingsError, environment_variables, load_directory
from dragops_sync.environments import EnvironmentSelectionError
from dragops_sync.errors import DragopsError
from dragops_sync.files import PatternFileError, load_pattern_file
from dragops_sync.graph_changes import NO_GRAPH
from dragops_sync.graph_mermaid import mermaid_flowchart
from dragops_sync.graph_picture import render_svg
from dragops_sync.local_ref import LocalRefError, directory_at_ref
from dragops_sync.variables import Variables

__all__ = ["PictureError", "PictureSubject", "draw", "find_subject", "graph_at_ref"]


class PictureError(DragopsError):
    """The pattern to draw cannot be found or read; the message says which and why."""


@dataclass(frozen=True)
class PictureSubject:
    """The pattern to draw: its directory, its file (relative to it), its name and its graph."""

    directory: Path
    file: str
    name: str
    graph: Mapping[str, Any]
    variables: Variables | None = None  # the environment's `${var:NAME}` values, if one is chosen
    placed_by: Mapping[str, Any] | None = None  # the graph whose positions place the nodes (the file's)


def _directory_of(path: Path) -> Path:
    """The sync directory holding a pattern file: the nearest parent with dragops-sync.yaml, else the
    parent of `patterns/`, else the file's own folder."""
    for parent in path.resolve().parents:
        if (parent / SETTINGS_FILE).is_file():
            return parent
    parent = path.resolve().parent
    return parent.parent if parent.name == "patterns" else parent


def _variables(root: Path, environment: str | None) -> Variables | None:
    try:
        return environment_variables(root, environment)
    except (SettingsError, EnvironmentSelectionError) as exc:
        raise PictureError(str(exc)) from None


def find_subject(file_or_name: str, directory: Path | None, environment: str | None) -> PictureSubject:
    """The file at path `file_or_name`, else the file of `directory` (default: the current one) whose
    pattern has that name, read for `environment` (`--env`). Raises `PictureError` for no such file
    or name, or a file that does not load."""
    path = Path(file_or_name)
    if path.is_file():
        root = directory.resolve() if directory is not None else _directory_of(path)
        variables = _variables(root, environment)
        try:
            pattern = load_pattern_file(path, variables=variables)
        except PatternFileError as exc:
            raise PictureError(str(exc)) from None
        full = path.resolve()
        file = full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full)
        return PictureSubject(root, file, pattern.name.strip(), pattern.document()["graphData"], variables)
    root = (directory or Path()).resolve()
    desired = load_directory(root, environment=environment)
    for dp in desired.patterns:
        if dp.name == file_or_name.strip():
            graph = dp.pattern.document()["graphData"]
            return PictureSubject(root, dp.path, dp.name, graph, _variables(root, environment))
    invalid = sorted({i.file for i in desired.issues if i.file})
    hint = f" ({len(invalid)} file(s) there do not load: {', '.join(invalid[:3])})" if invalid else ""
    raise PictureError(f"{file_or_name!r} is neither a file nor the name of a pattern in {root}{hint}")


def graph_at_ref(subject: PictureSubject, ref: str) -> Mapping[str, Any]:
    """The subject's file as committed at `ref`; an empty graph when the file did not exist there (so
    everything is drawn as added). Raises `PictureError` (with git's reason) for a bad ref."""
    try:
        with directory_at_ref(subject.directory, ref) as old_root:
            old_file = old_root / subject.file
            if not old_file.is_file():
                return NO_GRAPH
            old = load_pattern_file(old_file, variables=subject.variables)
    except PatternFileError as exc:
        raise PictureError(f"at {ref}: {exc}") from None
    except LocalRefError as exc:
        raise PictureError(str(exc)) from None
    graph: Mapping[str, Any] = old.document()["graphData"]
    return graph


def draw(subject: PictureSubject, against: Mapping[str, Any] | None, fmt: str) -> str:
    """The picture of `subject` (`fmt` svg or mermaid), its changes from `against` coloured."""
    if fmt == "mermaid":
        return mermaid_flowchart(against, subject.graph, max_nodes=10_000)
    return render_svg(against, subject.graph, title=subject.name, placed_by=subject.placed_by)
