"""examples/ci/promotion.yml and examples/environments-repo agree: the workflow sets every variable the
environments read (URLs, tokens, connection keys), each job gets only its own environment's secrets,
production applies the exact commit, and every `dragops-sync` command line in it parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from dragops_sync.cli import cli
from dragops_sync.directory import load_settings

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "promotion.yml"
SETTINGS = ROOT / "examples" / "environments-repo" / "dragops-sync.yaml"


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def variables_of(environment: str) -> set[str]:
    (chosen,) = [e for e in load_settings(SETTINGS).environments if e.name == environment]
    names = {chosen.url_from, chosen.credentials.token, *chosen.connections.values()}
    return {n for n in names if n}


def job_env(doc: dict[str, Any], job: str) -> set[str]:
    return set(doc.get("env", {})) | set(doc["jobs"][job].get("env", {}))


def test_each_apply_job_sets_what_its_environment_reads_and_nothing_of_the_other() -> None:
    doc = workflow()
    staging, prod = variables_of("staging"), variables_of("prod")
    assert staging <= job_env(doc, "staging")
    assert prod <= job_env(doc, "production")
    secrets = {n for n in staging | prod if "TOKEN" in n}
    assert not (secrets & prod) & set(doc["jobs"]["staging"].get("env", {}))
    assert not (secrets & staging) & set(doc["jobs"]["production"].get("env", {}))
    # The plan job plans both, without any connection key.
    plan_env = job_env(doc, "plan")
    assert {
        "DRAGOPS_STAGING_URL",
        "DRAGOPS_PROD_URL",
        "DRAGOPS_STAGING_TOKEN",
        "DRAGOPS_PROD_TOKEN",
    } <= plan_env
    assert not any(name.startswith("SLACK_TOKEN") for name in plan_env)


def test_production_waits_for_staging_and_applies_the_same_commit() -> None:
    job = workflow()["jobs"]["production"]
    assert job["needs"] == ["staging"] and job["environment"] == "production"
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert '--ref "$ref"' in script and "GITHUB_SHA" in script


def test_every_command_line_parses() -> None:
    scripts = [step.get("run", "") for job in workflow()["jobs"].values() for step in job["steps"]]
    commands = [
        m.group(1) for script in scripts for m in re.finditer(r"(?m)^\s*(dragops-sync [^\n>]+)", script)
    ]
    assert len(commands) >= 4
    for line in commands:
        words = shlex.split(line.replace("$", "X"))[1:]
        name = words[0]
        command = cli.get_command(cli.make_context("dragops-sync", [name], resilient_parsing=True), name)
        assert command is not None, line
        command.make_context(name, words[1:])  # raises on an unknown option or a missing argument
