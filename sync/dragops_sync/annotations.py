"""File problems as GitHub Actions annotations: `::error file=...,line=...,col=...::message`.

`dragops-sync validate` and `plan` print these with `--output github`, or by themselves in a GitHub
Actions job (`GITHUB_ACTIONS=true`) when the output is the default text: the runner turns each line
into an error on the line of the file in the pull request. The text output is printed as well, so a
log stays readable.

Escaping follows the runner's rules (actions/toolkit `command.ts`): in the message `%`, CR and LF are
percent-encoded; in a property value also `:` and `,`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dragops_sync._documents import FileIssue

__all__ = ["GITHUB", "github_annotations", "output_format"]

GITHUB = "github"


def output_format(chosen: str | None, env: Mapping[str, str]) -> str:
    """The output to print: `chosen`, else "github" inside GitHub Actions, else "text"."""
    if chosen is not None:
        return chosen
    return GITHUB if env.get("GITHUB_ACTIONS") == "true" else "text"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(issues: Iterable[FileIssue]) -> str:
    """One `::error` line per issue (the field as its title), in file order; "" for none."""
    lines = []
    for issue in sorted(issues, key=lambda i: (i.file or "", i.line or 0, i.column or 0)):
        props = []
        if issue.file:
            props.append(f"file={_escape_property(issue.file)}")
            if issue.line is not None:
                props.append(f"line={issue.line}")
                if issue.column is not None:
                    props.append(f"col={issue.column}")
        props.append(f"title={_escape_property(issue.field)}")
        lines.append(f"::error {','.join(props)}::{_escape_data(f'{issue.field}: {issue.message}')}\n")
    return "".join(lines)
