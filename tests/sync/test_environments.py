"""Environments: one directory, staging and production. Each environment sees only its files and its
values, owns its own patterns (two on one instance never touch each other), and a mistake in the
settings or the files names the file, the field and the environment. Real HTTP to the emulator."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, EmulatorSettings, SeededUser
from dragops_sync.api import Client
from dragops_sync.ownership import ownership_mark
from kit.documents import webhook_logger
from kit.emulator import writes
from kit.git import commit, git, init_repo
from kit.live import user_patterns
from kit.sync_dirs import write_pattern, write_settings
from kit.sync_runs import run_cli, running_daemon
from kit.waiting import wait_for

SECRET = "sentinel-env-key-0b7d1e"  # a connection key: never in any output

SETTINGS = """\
owner: acme/flows
rate: 1000
defaults: {deploy: false}
environments:
  - name: staging
    variables: {greeting: hello staging, channel: "#alerts-staging"}
    connections: {slack: SLACK_TOKEN_STAGING}
  - name: prod
    variables: {greeting: hello prod, channel: "#alerts-prod"}
    exclude: [patterns/experiment.json]
    defaults: {drift: enforce}
"""


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def greeter(name: str, message: str = "got it") -> dict[str, Any]:
    return webhook_logger(name, message)


def with_variable_key() -> dict[str, Any]:
    """A pattern whose Log node has a pin default keyed by a variable (keys are structure)."""
    document = greeter("Alpha")
    for node in document["graphData"]["nodes"]:
        if node["type"] == "Log":
            node["data"]["pinDefaults"]["${var:key}"] = "x"
    return document


def make_directory(root: Path, settings: str = SETTINGS) -> Path:
    init_repo(root)
    write_settings(root, settings)
    write_pattern(root, "alpha.json", greeter("Alpha", "${var:greeting} to ${var:channel}"))
    write_pattern(root, "experiment.json", greeter("Experiment", "only on staging"))
    (root / "connections.yaml").write_text(
        "connections:\n  - {name: slack, provider: slack, apiKey: '${SLACK_TOKEN}'}\n", encoding="utf-8"
    )
    commit(root, "environments")
    return root


def live_by_owner(client: Client) -> dict[tuple[str, str | None], str]:
    """(pattern name, owner) -> the Log message, for every live pattern."""
    found = {}
    for summary in user_patterns(client):
        pattern = client.patterns.get(summary.id)
        (log,) = [n for n in pattern.graph_data["nodes"] if n["type"] == "Log"]
        found[(summary.name, ownership_mark(summary.tags).owner)] = log["data"]["pinDefaults"]["message"]
    return found


ENV = {"SLACK_TOKEN_STAGING": SECRET, "SLACK_TOKEN": "base-key-not-used-by-staging"}


def test_two_environments_on_one_instance_each_see_only_their_patterns_and_values(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = make_directory(tmp_path / "repo")
    staging = run_cli(["apply", str(directory), "--env", "staging"], emu=emu, user=user, env=ENV)
    assert staging.exit_code == 0, staging.output
    prod = run_cli(["apply", str(directory), "--env", "prod", "--prune"], emu=emu, user=user, env=ENV)
    assert prod.exit_code == 0, prod.output
    assert live_by_owner(client) == {
        ("Alpha", "acme/flows@staging"): "hello staging to #alerts-staging",
        ("Experiment", "acme/flows@staging"): "only on staging",
        ("Alpha", "acme/flows@prod"): "hello prod to #alerts-prod",
    }
    # Each plan is clean afterwards, and prune in one environment never touches the other's patterns.
    for name in ("staging", "prod"):
        planned = run_cli(
            ["plan", str(directory), "--env", name, "--prune", "-o", "json"], emu=emu, user=user, env=ENV
        )
        doc = json.loads(planned.stdout)
        assert planned.exit_code == 0 and doc["environment"] == name and doc["owner"] == f"acme/flows@{name}"
        assert {i["kind"] for i in doc["items"]} <= {"noop"}, doc["items"]
    for result in (staging, prod):
        assert SECRET not in result.output


def test_two_environments_on_two_instances(tmp_path: Path) -> None:
    with (
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as one,
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as two,
    ):
        first, second = one.seed_user(), two.seed_user()
        settings = SETTINGS.replace(
            "  - name: staging\n",
            f"  - name: staging\n    url: {one.url}\n    credentials: {{token: STAGING_TOKEN}}\n",
        ).replace(
            "  - name: prod\n",
            f"  - name: prod\n    url: {two.url}\n    credentials: {{token: PROD_TOKEN}}\n",
        )
        directory = make_directory(tmp_path / "repo", settings)
        env = {**ENV, "STAGING_TOKEN": first.token, "PROD_TOKEN": second.token}
        for name in ("staging", "prod"):
            result = run_cli(["apply", str(directory), "--env", name], env=env)
            assert result.exit_code == 0, result.output
            assert first.token not in result.output and second.token not in result.output
        with (
            Client(base_url=one.url, token=first.token) as c1,
            Client(base_url=two.url, token=second.token) as c2,
        ):
            assert live_by_owner(c1) == {
                ("Alpha", "acme/flows@staging"): "hello staging to #alerts-staging",
                ("Experiment", "acme/flows@staging"): "only on staging",
            }
            assert live_by_owner(c2) == {("Alpha", "acme/flows@prod"): "hello prod to #alerts-prod"}
        missing = run_cli(["plan", str(directory), "--env", "prod"], env={**ENV, "STAGING_TOKEN": "x"})
        assert missing.exit_code == 1
        assert "environment 'prod' takes its token from PROD_TOKEN, which is not set" in missing.output


@pytest.mark.parametrize(
    ("settings", "pattern", "expected"),
    [
        # An undefined variable names the file, its line, the field and the environment.
        (
            SETTINGS,
            greeter("Alpha", "${var:nope}"),
            "variable 'nope' is not defined in environment 'staging'",
        ),
        # A variable in a key.
        (SETTINGS, with_variable_key(), "cannot be used in a key"),
        # An environment that names a file that does not exist.
        (
            SETTINGS.replace(
                "    connections:", "    include: [patterns/gone.json, patterns/*]\n    connections:"
            ),
            greeter("Alpha"),
            "environment 'staging' includes patterns/gone.json: no such file",
        ),
        # An environment that names a connection connections.yaml does not declare.
        (SETTINGS.replace("{slack: SLACK", "{nope: SLACK"), greeter("Alpha"), "connection 'nope', not in"),
    ],
)
def test_mistakes_are_named_and_nothing_is_written(
    tmp_path: Path, emu: Emulator, user: SeededUser, settings: str, pattern: dict[str, Any], expected: str
) -> None:
    directory = make_directory(tmp_path / "repo", settings)
    write_pattern(directory, "alpha.json", pattern)
    result = run_cli(["apply", str(directory), "--env", "staging"], emu=emu, user=user, env=ENV)
    assert result.exit_code == 1
    assert expected in result.output
    with Client(base_url=emu.url, token=user.token) as client:
        assert client.patterns.find_by_name("Alpha") == []  # the file in question is never written
    offline = run_cli(["validate", str(directory), "--env", "staging"])
    assert offline.exit_code == 1 and expected in offline.output


def test_an_undefined_variable_is_placed_on_its_line(tmp_path: Path) -> None:
    directory = make_directory(tmp_path / "repo")
    (directory / "patterns" / "alpha.json").write_text(
        json.dumps(greeter("Alpha", "${var:nope}"), indent=2), encoding="utf-8"
    )
    result = run_cli(["validate", str(directory), "--env", "prod", "-o", "json"])
    (issue,) = json.loads(result.stdout)["issues"]
    assert issue["file"] == "patterns/alpha.json" and issue["line"] is not None
    assert issue["field"].endswith("pinDefaults.message")


def test_validate_without_env_checks_every_environment(tmp_path: Path) -> None:
    settings = SETTINGS.replace("greeting: hello prod, ", "")  # prod lacks `greeting`
    directory = make_directory(tmp_path / "repo", settings)
    result = run_cli(["validate", str(directory)])
    assert result.exit_code == 1
    assert "== environment staging" in result.output and "== environment prod" in result.output
    assert "variable 'greeting' is not defined in environment 'prod'" in result.output
    assert "'staging'" not in result.output.split("== environment prod")[0].split("== environment staging")[1]


def test_env_is_required_when_environments_are_declared_and_must_exist(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    directory = make_directory(tmp_path / "repo")
    emu.clear_request_log()
    bare = run_cli(["plan", str(directory)], emu=emu, user=user, env=ENV)
    assert bare.exit_code == 1
    assert "declares environments (staging, prod): choose one with --env NAME" in bare.output
    unknown = run_cli(["apply", str(directory), "--env", "qa"], emu=emu, user=user, env=ENV)
    assert unknown.exit_code == 1
    assert "unknown environment 'qa'; dragops-sync.yaml declares staging, prod" in unknown.output
    assert writes(emu) == []
    plain = tmp_path / "plain"
    write_settings(plain, "rate: 1000\n")
    write_pattern(plain, "alpha.json", greeter("Alpha", "${var:greeting}"))
    no_envs = run_cli(["validate", str(plain), "--env", "prod"])
    assert no_envs.exit_code == 1 and "declares no environments" in no_envs.output
    uses_var = run_cli(["validate", str(plain)])
    assert uses_var.exit_code == 1 and "${var:greeting} needs an environment" in uses_var.output


def test_export_writes_variables_back_and_the_plan_stays_clean(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client
) -> None:
    directory = make_directory(
        tmp_path / "repo", SETTINGS.replace("    exclude: [patterns/experiment.json]\n", "")
    )
    write_pattern(directory, "beta.json", greeter("Beta", "${var:channel}"))
    for name in ("staging", "prod"):
        assert run_cli(["apply", str(directory), "--env", name], emu=emu, user=user, env=ENV).exit_code == 0
    exported = tmp_path / "exported"
    write_settings(exported, SETTINGS.replace("    exclude: [patterns/experiment.json]\n", ""))
    (exported / "connections.yaml").write_text((directory / "connections.yaml").read_text(), encoding="utf-8")
    result = run_cli(
        ["export", str(exported), "--env", "staging", "--tag", "dragops-sync:owner=acme/flows@staging"],
        emu=emu,
        user=user,
    )
    assert result.exit_code == 0, result.output
    text = (exported / "patterns" / "alpha.json").read_text(encoding="utf-8")
    assert "${var:greeting} to ${var:channel}" not in text  # a whole value only
    assert "hello staging to #alerts-staging" in text
    beta = json.loads((exported / "patterns" / "beta.json").read_text(encoding="utf-8"))
    (log,) = [n for n in beta["graphData"]["nodes"] if n["type"] == "Log"]
    assert log["data"]["pinDefaults"]["message"] == "${var:channel}"  # a whole value: its variable
    for name in ("staging", "prod"):
        planned = run_cli(["plan", str(exported), "--env", name, "-o", "json"], emu=emu, user=user, env=ENV)
        assert planned.exit_code == 0, planned.output


def test_the_daemon_of_one_environment_never_writes_the_others(
    tmp_path: Path, emu: Emulator, user: SeededUser, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_directory(tmp_path / "repo")
    assert run_cli(["apply", str(directory), "--env", "prod"], emu=emu, user=user, env=ENV).exit_code == 0
    prod_before = {k: v for k, v in live_by_owner(client).items() if k[1] == "acme/flows@prod"}
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with running_daemon(directory, client, environment="staging", prune=True) as runner:
        runner.wait_settled()
        write_pattern(directory, "alpha.json", greeter("Alpha", "${var:greeting}, edited"))
        wait_for(
            lambda: live_by_owner(client).get(("Alpha", "acme/flows@staging")) == "hello staging, edited",
            what="the staging edit live",
        )
        status = runner.daemon.status.to_dict()
        assert status["environment"] == "staging" and status["owner"] == "acme/flows@staging"
        metrics = runner.daemon.metrics.render().decode()
        assert 'dragops_sync_environment_info{environment="staging"} 1.0' in metrics
    prod_after = {k: v for k, v in live_by_owner(client).items() if k[1] == "acme/flows@prod"}
    assert prod_after == prod_before


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments-repo"


def test_the_example_applies_to_staging_and_prod_and_rolls_back_by_commit(tmp_path: Path) -> None:
    repo = tmp_path / "environments-repo"
    shutil.copytree(EXAMPLE, repo)
    settings = repo / "dragops-sync.yaml"
    settings.write_text(settings.read_text().replace("rate: {read: 20, write: 5}", "rate: 1000"))
    init_repo(repo)
    with (
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as staging_emu,
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as prod_emu,
    ):
        staging_user, prod_user = staging_emu.seed_user(), prod_emu.seed_user()
        env = {
            "DRAGOPS_STAGING_URL": staging_emu.url,
            "DRAGOPS_STAGING_TOKEN": staging_user.token,
            "DRAGOPS_PROD_URL": prod_emu.url,
            "DRAGOPS_PROD_TOKEN": prod_user.token,
            "SLACK_TOKEN_STAGING": SECRET,
            "SLACK_TOKEN_PROD": SECRET + "-prod",
        }
        for name in ("staging", "prod"):
            result = run_cli(["apply", str(repo), "--env", name], env=env)
            assert result.exit_code == 0, result.output
            assert SECRET not in result.output
        with (
            Client(base_url=staging_emu.url, token=staging_user.token) as staging,
            Client(base_url=prod_emu.url, token=prod_user.token) as prod,
        ):
            assert sorted(p.name for p in user_patterns(staging)) == [
                "Load Test Probe",
                "Slack Notifier",
                "Status Report",
            ]
            assert sorted(p.name for p in user_patterns(prod)) == ["Slack Notifier", "Status Report"]

            def channel(client: Client) -> str:
                (summary,) = client.patterns.find_by_name("Slack Notifier")
                graph = client.patterns.get(summary.id).graph_data
                (post,) = [n for n in graph["nodes"] if n["id"] == "post"]
                return str(post["data"]["pinDefaults"]["channel"])

            assert (channel(staging), channel(prod)) == ("#alerts-staging", "#alerts")
            assert all(d.status == "active" for d in prod.deployments.list())

            # A bad change reaches production; the rollback is one command naming the last good commit.
            good = git(repo, "rev-parse", "HEAD")
            settings.write_text(
                settings.read_text().replace('alerts_channel: "#alerts"\n', 'alerts_channel: "#oops"\n')
            )
            commit(repo, "the wrong channel")
            assert run_cli(["apply", str(repo), "--env", "prod"], env=env).exit_code == 0
            assert channel(prod) == "#oops"
            planned = run_cli(["plan", str(repo), "--env", "prod", "--ref", good, "-o", "json"], env=env)
            changed = [
                (i["kind"], i["name"]) for i in json.loads(planned.stdout)["items"] if i["kind"] != "noop"
            ]
            assert ("update", "Slack Notifier") in changed and all(n == "Slack Notifier" for _, n in changed)
            rollback = run_cli(["apply", str(repo), "--env", "prod", "--ref", good], env=env)
            assert rollback.exit_code == 0, rollback.output
            assert channel(prod) == "#alerts" and channel(staging) == "#alerts-staging"
            assert "#oops" in settings.read_text()  # the working tree is untouched


def test_validate_json_of_every_environment_is_one_document(tmp_path: Path) -> None:
    directory = make_directory(tmp_path / "repo", SETTINGS.replace("greeting: hello prod, ", ""))
    result = run_cli(["validate", str(directory), "-o", "json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["valid"] is False
    assert [(e["environment"], e["valid"]) for e in doc["environments"]] == [
        ("staging", True),
        ("prod", False),
    ]
    single = json.loads(run_cli(["validate", str(directory), "--env", "staging", "-o", "json"]).stdout)
    assert single["environment"] == "staging" and single["valid"] is True
