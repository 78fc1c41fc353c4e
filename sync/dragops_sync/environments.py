"""Environments: one sync directory, several DRAGOPS targets (staging, production...).

`environments:` in `dragops-sync.yaml` is a list; each entry names an environment and says how it
differs from the base:

    owner: acme/automations
    environments:
      - name: staging
        url: https://staging.dragops.example.com    # or urlFrom: STAGING_DRAGOPS_URL
        credentials: {token: STAGING_DRAGOPS_TOKEN}  # variable NAMES; default DRAGOPS_TOKEN etc.
        defaults: {drift: revert}                    # over the base `defaults`, field by field
        variables: {channel: "#alerts-staging"}      # for ${var:channel} in pattern files
        include: ["patterns/*"]                      # which files it takes (globs on the path in DIR)
        exclude: ["patterns/experimental-*"]
        tags: []                                     # ...and/or only patterns carrying one of these tags
        connections: {slack: SLACK_TOKEN_STAGING}    # the variable holding each connection's key here
      - name: prod
        url: https://dragops.example.com

* **Owner**: `owner:` of the entry, else the directory's owner with `@<name>` appended
  (`acme/automations@staging`), so two environments on one instance never touch each other's
  patterns (the ownership tags tell them apart).
* Commands take `--env NAME`; with environments declared, `plan`, `apply`, `watch`, `status` and
  `export` need it (an error names the environments), and `validate` without it checks each one.
  A directory without `environments:` behaves exactly as before.

This module holds the models (strict, like the rest of the settings) and the pure rules: which entry
`--env` selects, whether a file belongs to it. No I/O.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dragops_sync.errors import DragopsError
from dragops_sync.files import DriftMode

__all__ = [
    "ENVIRONMENT_NAME",
    "EnvironmentCredentials",
    "EnvironmentDefaults",
    "EnvironmentSelectionError",
    "EnvironmentSettings",
    "Selection",
    "environment_owner",
    "instance_environment",
    "select_environment",
]

# Lower-case letters, digits and dashes: the name ends up in owners, metric labels and messages.
ENVIRONMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvironmentSelectionError(DragopsError):
    """`--env` names no declared environment, or is missing while environments are declared."""


def _env_var_names(values: Sequence[str | None], what: str) -> None:
    for value in values:
        if value is not None and not _ENV_VAR.match(value):
            raise ValueError(f"{what} must be the NAME of an environment variable (like STAGING_TOKEN)")


class EnvironmentDefaults(BaseModel):
    """`defaults` of an environment: each field given replaces the base `defaults`' one."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    deploy: bool | None = None
    drift: DriftMode | None = None
    environment_id: str | None = Field(default=None, alias="environmentId")


class EnvironmentCredentials(BaseModel):
    """`credentials`: the names of the variables holding this environment's token, email and
    password (never the values: secrets stay in the environment)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    token: str | None = None
    email: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _names_only(self) -> EnvironmentCredentials:
        _env_var_names([self.token, self.email, self.password], "each credentials entry")
        return self


class EnvironmentSettings(BaseModel):
    """One entry of `environments:`."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    name: str
    url: str | None = None
    url_from: str | None = Field(default=None, alias="urlFrom")
    credentials: EnvironmentCredentials = Field(default_factory=EnvironmentCredentials)
    owner: str | None = Field(default=None, min_length=1)
    defaults: EnvironmentDefaults = Field(default_factory=EnvironmentDefaults)
    variables: dict[str, str] = Field(default_factory=dict)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    connections: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENVIRONMENT_NAME.match(value):
            raise ValueError("an environment name is lower-case letters, digits and dashes (like prod-eu)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("url must start with https:// (or http://)")
        return value

    @field_validator("url_from")
    @classmethod
    def _url_from(cls, value: str | None) -> str | None:
        _env_var_names([value], "urlFrom")
        return value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not _ENV_VAR.match(name)]
        if bad:
            raise ValueError(f"variable names are letters, digits and underscores; not {bad[0]!r}")
        return value

    @field_validator("connections")
    @classmethod
    def _connection_keys(cls, value: dict[str, str]) -> dict[str, str]:
        _env_var_names(list(value.values()), "each connections entry")
        return value

    @model_validator(mode="after")
    def _one_url(self) -> EnvironmentSettings:
        if self.url is not None and self.url_from is not None:
            raise ValueError("give url or urlFrom, not both")
        return self

    def selection(self) -> Selection:
        return Selection(tuple(self.include), tuple(self.exclude), tuple(self.tags))


@dataclass(frozen=True)
class Selection:
    """Which pattern files an environment takes: paths matching an `include` glob (all when none),
    none matching an `exclude` glob, and — when `tags` are given — only patterns carrying one."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def takes_path(self, path: str) -> bool:
        """Whether the file at `path` (relative to DIR, POSIX form) is read for this environment."""
        included = not self.include or any(fnmatch.fnmatchcase(path, g) for g in self.include)
        return included and not any(fnmatch.fnmatchcase(path, g) for g in self.exclude)

    def takes_tags(self, tags: Sequence[str]) -> bool:
        return not self.tags or any(tag in self.tags for tag in tags)

    def missing(self, paths: Sequence[str]) -> list[str]:
        """The `include` entries without glob characters that name no file: a typo, or a file gone."""
        return [g for g in self.include if not any(c in g for c in "*?[") and g not in paths]


def select_environment(
    environments: Sequence[EnvironmentSettings], name: str | None
) -> EnvironmentSettings | None:
    """The environment `--env NAME` selects (None without environments and without --env).

    Raises `EnvironmentSelectionError` for an unknown name, for --env without environments, and for no --env
    while environments are declared (naming them)."""
    names = [e.name for e in environments]
    if name is None:
        if environments:
            raise EnvironmentSelectionError(
                f"dragops-sync.yaml declares environments ({', '.join(names)}): choose one with --env NAME"
            )
        return None
    for environment in environments:
        if environment.name == name:
            return environment
    if not environments:
        raise EnvironmentSelectionError(f"--env {name}: dragops-sync.yaml declares no environments")
    raise EnvironmentSelectionError(
        f"unknown environment {name!r}; dragops-sync.yaml declares {', '.join(names)}"
    )


def environment_owner(environment: EnvironmentSettings, base_owner: str) -> str:
    """The owner of an environment's patterns: its own `owner`, else `<base_owner>@<name>`."""
    return environment.owner or f"{base_owner}@{environment.name}"


# The variables the API client reads its instance and credentials from (README "Configuration").
_CLIENT_VARIABLES = {"token": "DRAGOPS_TOKEN", "email": "DRAGOPS_EMAIL", "password": "DRAGOPS_PASSWORD"}


def instance_environment(env: Mapping[str, str], environment: EnvironmentSettings) -> dict[str, str]:
    """`env` as the API client should read it for `environment`: `DRAGOPS_URL` its `url` (or the
    value of its `urlFrom` variable), and `DRAGOPS_TOKEN`/`_EMAIL`/`_PASSWORD` the values of the
    variables its `credentials` name. Raises `EnvironmentSelectionError` naming a variable it needs
    that is not set (never a value)."""
    result = dict(env)
    name = environment.name
    if environment.url is not None:
        result["DRAGOPS_URL"] = environment.url
    elif environment.url_from is not None:
        value = env.get(environment.url_from)
        if not value:
            raise EnvironmentSelectionError(
                f"environment {name!r} takes its URL from {environment.url_from}, which is not set"
            )
        result["DRAGOPS_URL"] = value
    credentials = environment.credentials
    named = {"token": credentials.token, "email": credentials.email, "password": credentials.password}
    for what, variable in named.items():
        if variable is None:
            continue
        value = env.get(variable)
        if not value:
            raise EnvironmentSelectionError(
                f"environment {name!r} takes its {what} from {variable}, which is not set"
            )
        result[_CLIENT_VARIABLES[what]] = value
    if credentials.token is not None and credentials.email is None:
        # This environment's token alone: a login of the base environment must not mix in.
        result.pop("DRAGOPS_EMAIL", None)
        result.pop("DRAGOPS_PASSWORD", None)
    return result
