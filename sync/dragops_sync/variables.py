"""`${var:NAME}` in pattern files: an environment's values put in before anything is compared or
written, and put back by `export --env`.

    document, issues = substitute(document, Variables("staging", {"channel": "#alerts-staging"}))
    exported = reverse(document, {"channel": "#alerts-staging"})   # "#alerts-staging" -> "${var:channel}"

* A reference may stand anywhere inside a string value (`"Deploy to ${var:region} failed"`); the
  result is a string. Not in a mapping key: keys are the file's structure, not its values.
* An undefined variable is an issue naming the field and the environment; a file that uses variables
  while no environment is selected gets one issue per reference saying so.
* Values are plain strings and never secret (secrets stay in connections, which read their keys from
  the environment): plans, logs and exports may show them.
* `reverse` replaces a string value that equals exactly one variable's value, whole, with that
  variable's reference (so `export --env E` then `plan --env E` is clean); a value two variables share,
  or an empty value, is left as it is.

Pure: no I/O. Issues are `FileIssue`s with a dotted field path (`graphData.nodes[2].data...`), which
the loader places on their line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dragops_sync._documents import FileIssue

__all__ = ["VARIABLE_NAME", "Variables", "reverse", "substitute", "uses_variables"]

# A variable's name, as in `${var:NAME}`.
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"\$\{var:([^}]*)\}")


@dataclass(frozen=True)
class Variables:
    """The variables of one environment (`environment` names it in messages)."""

    environment: str
    values: Mapping[str, str] = field(default_factory=dict)

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """A hashable identity: the parsed-file cache keeps one entry per file and environment."""
        return self.environment, tuple(sorted(self.values.items()))


def uses_variables(document: Any) -> bool:
    """Whether any string (or key) in `document` holds a `${var:...}` reference."""
    if isinstance(document, str):
        return _REFERENCE.search(document) is not None
    if isinstance(document, Mapping):
        return any(uses_variables(k) or uses_variables(v) for k, v in document.items())
    if isinstance(document, list):
        return any(uses_variables(v) for v in document)
    return False


def _field(path: tuple[str | int, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "(document)"


def substitute(document: Any, variables: Variables | None) -> tuple[Any, list[FileIssue]]:
    """`document` with every `${var:NAME}` replaced from `variables` (None: no environment selected),
    and an issue for each reference that cannot be (undefined, malformed, in a key)."""
    issues: list[FileIssue] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, str):
            return _replace(value, path)
        if isinstance(value, Mapping):
            result = {}
            for key, item in value.items():
                if isinstance(key, str) and _REFERENCE.search(key):
                    issues.append(
                        FileIssue(
                            _field((*path, key)),
                            "a ${var:...} reference cannot be used in a key, only in a value",
                        )
                    )
                result[key] = walk(item, (*path, key))
            return result
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def _replace(text: str, path: tuple[str | int, ...]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            where = _field(path)
            if not VARIABLE_NAME.match(name):
                issues.append(FileIssue(where, f"${{var:{name}}} is not a valid variable reference"))
            elif variables is None:
                issues.append(
                    FileIssue(
                        where,
                        f"${{var:{name}}} needs an environment: declare `environments:` in "
                        "dragops-sync.yaml and choose one with --env",
                    )
                )
            elif name not in variables.values:
                issues.append(
                    FileIssue(
                        where, f"variable {name!r} is not defined in environment {variables.environment!r}"
                    )
                )
            else:
                return variables.values[name]
            return match.group(0)

        return _REFERENCE.sub(one, text)

    return walk(document, ()), issues


def reverse(document: Any, values: Mapping[str, str]) -> Any:
    """`document` with each string equal to exactly one variable's (non-empty) value replaced by that
    variable's reference; keys are never touched."""
    owners: dict[str, list[str]] = {}
    for name, value in values.items():
        if value:
            owners.setdefault(value, []).append(name)
    unique = {value: names[0] for value, names in owners.items() if len(names) == 1}

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            name = unique.get(value)
            return f"${{var:{name}}}" if name is not None else value
        if isinstance(value, Mapping):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(document)
