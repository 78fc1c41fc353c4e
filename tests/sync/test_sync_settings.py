"""dragops-sync.yaml, connections.yaml and reading a whole directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_sync.api import Rates
from dragops_sync.desired import PruneBudget
from dragops_sync.directory import (
    ConnectionsError,
    SettingsError,
    load_connections,
    load_directory,
    load_settings,
    parse_budget,
    resolve_connections,
)
from kit.documents import scheduled_report, webhook_logger
from kit.sync_dirs import write_pattern, write_settings

SENTINEL = "sk-SENTINEL-secret-value-0042"


def test_a_missing_settings_file_means_the_built_in_defaults(tmp_path: Path) -> None:
    options = load_settings(tmp_path / "dragops-sync.yaml").options()
    assert (options.deploy, options.drift, options.prune_enabled, str(options.prune_budget)) == (
        True,
        "warn",
        False,
        "10",
    )
    assert options.owner is None and options.ignore == ()


def test_the_design_example_settings_load(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        "owner: platform/automations\n"
        "defaults: {deploy: true, drift: warn, environmentId: env_prod}\n"
        'prune: {enabled: false, budget: "20%"}\n'
        "concurrency: 8\nrate: 10\n"
        'ignore: ["/graphData/nodes/*/position"]\n',
    )
    options = load_settings(path).options()
    assert options.owner == "platform/automations"
    assert options.environment_id == "env_prod"
    assert options.prune_budget == PruneBudget(count=None, percent=20.0)
    assert load_settings(path).client_rate() == 10.0 and options.concurrency == 8
    assert options.ignore == ("/graphData/nodes/*/position",)


def test_an_empty_settings_file_is_all_defaults(tmp_path: Path) -> None:
    assert load_settings(write_settings(tmp_path, "")).options().deploy is True


def test_the_default_rate_is_separate_read_and_write_budgets_from_the_documented_limits(
    tmp_path: Path,
) -> None:
    # The server allows 1,200 reads and 300 writes a minute per user: 20 and 5 a second.
    assert load_settings(write_settings(tmp_path, "")).client_rate() == Rates(read=20.0, write=5.0)


def test_a_rate_mapping_gives_separate_read_and_write_budgets(tmp_path: Path) -> None:
    settings = load_settings(write_settings(tmp_path, "rate: {read: 6, write: 1.5}\n"))
    assert settings.client_rate() == Rates(read=6.0, write=1.5)


@pytest.mark.parametrize(
    "text", ["rate: {read: 0, write: 1}\n", "rate: {read: 5, writes: 1}\n", "rate: -2\n"]
)
def test_a_rate_that_is_not_positive_or_misspelt_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write_settings(tmp_path, text))
    assert {i.field.split(".")[0] for i in caught.value.issues} == {"rate"}


@pytest.mark.parametrize(
    ("value", "managed", "limit"),
    [(10, 100, 10), ("10", 3, 10), ("20%", 100, 20), ("20%", 9, 1), ("0", 50, 0), ("100%", 7, 7)],
)
def test_a_prune_budget_is_a_count_or_a_percentage_of_the_managed_patterns(
    value: object, managed: int, limit: int
) -> None:
    assert parse_budget(value).limit(managed) == limit


@pytest.mark.parametrize("value", [-1, "ten", "150%", True, 2.5, "1.5"])
def test_a_bad_prune_budget_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="budget"):
        parse_budget(value)


def test_settings_errors_name_the_file_and_every_field(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "owner: ''\nrate: 0\nconcurency: 3\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert {i.field for i in caught.value.issues} == {"owner", "rate", "concurency"}
    assert all(i.file == str(path) for i in caught.value.issues)


def test_connections_take_environment_references_and_resolve_from_the_mapping_given(tmp_path: Path) -> None:
    (tmp_path / "connections.yaml").write_text(
        "connections:\n"
        "  - {name: slack-alerts, provider: slack, apiKey: '${SLACK_TOKEN}', displayName: Slack - Alerts}\n"
        "  - {name: openai, provider: openai, apiKey: '${OPENAI_KEY}'}\n",
        encoding="utf-8",
    )
    desired = load_directory(tmp_path, env={"SLACK_TOKEN": SENTINEL, "OPENAI_KEY": "k2"})
    assert desired.issues == ()
    assert [(c.server_name, c.api_key_env) for c in desired.connections] == [
        ("Slack - Alerts", "SLACK_TOKEN"),
        ("openai", "OPENAI_KEY"),
    ]
    assert SENTINEL not in repr(desired)
    resolved = resolve_connections(desired.connections, {"SLACK_TOKEN": SENTINEL, "OPENAI_KEY": "k2"})
    assert resolved[0].api_key == SENTINEL
    assert SENTINEL not in repr(resolved)


def test_a_missing_environment_variable_is_named_and_no_value_is_shown(tmp_path: Path) -> None:
    (tmp_path / "connections.yaml").write_text(
        "connections:\n  - {name: slack, provider: slack, apiKey: '${SLACK_TOKEN}'}\n", encoding="utf-8"
    )
    desired = load_directory(tmp_path, env={"OTHER": SENTINEL})
    assert [(i.file, i.field) for i in desired.issues] == [("connections.yaml", "connections[0].apiKey")]
    assert "SLACK_TOKEN is not set" in desired.issues[0].message
    with pytest.raises(ConnectionsError, match="SLACK_TOKEN") as caught:
        resolve_connections(desired.connections, {"OTHER": SENTINEL})
    assert SENTINEL not in str(caught.value)


def test_two_connections_with_one_display_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "connections.yaml"
    path.write_text(
        "connections:\n  - {name: a, provider: slack, apiKey: '${A}', displayName: Slack}\n"
        "  - {name: Slack, provider: slack, apiKey: '${B}'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConnectionsError, match=r"duplicate connection 'Slack' \(also connections\[0\]\)"):
        load_connections(path)


def test_a_directory_is_read_with_each_files_effective_intent(tmp_path: Path) -> None:
    write_settings(
        tmp_path, "owner: team/a\ndefaults: {deploy: false, drift: observe, environmentId: env_dev}\n"
    )
    write_pattern(tmp_path, "logger.json", webhook_logger())
    write_pattern(
        tmp_path,
        "report.yaml",
        scheduled_report() | {"sync": {"deploy": True, "drift": "enforce", "prune": False}},
    )
    (tmp_path / "patterns" / ".gitkeep").write_text("", encoding="utf-8")
    desired = load_directory(tmp_path)
    assert desired.issues == () and desired.valid and desired.pattern_files == 2
    by_name = {p.name: p for p in desired.patterns}
    logger, report = by_name["Webhook Logger"], by_name["Nightly Report"]
    assert (logger.path, logger.deploy, logger.drift, logger.environment_id, logger.keep) == (
        "patterns/logger.json",
        False,
        "observe",
        "env_dev",
        False,
    )
    assert (report.deploy, report.drift, report.environment_id, report.keep) == (
        True,
        "enforce",
        "env_dev",
        True,
    )
    assert desired.options.owner == "team/a"


def test_an_empty_directory_gives_an_empty_valid_desired_state(tmp_path: Path) -> None:
    desired = load_directory(tmp_path)
    assert desired.patterns == () and desired.issues == () and desired.pattern_files == 0


def test_sub_folders_of_patterns_are_reported(tmp_path: Path) -> None:
    (tmp_path / "patterns" / "nested").mkdir(parents=True)
    assert [(i.file, i.message) for i in load_directory(tmp_path).issues] == [
        ("patterns/nested", "sub-folders of patterns/ are not read")
    ]


def test_an_invalid_settings_file_marks_the_desired_state(tmp_path: Path) -> None:
    write_settings(tmp_path, "prune: yes\n")
    desired = load_directory(tmp_path)
    assert not desired.settings_valid
    assert desired.issues[0].file == "dragops-sync.yaml" and desired.issues[0].field == "prune"
