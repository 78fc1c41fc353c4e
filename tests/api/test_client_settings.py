"""Client settings: keyword arguments, DRAGOPS_* fallbacks, clear configuration errors, TLS defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragops_sync.api import Client, ClientSettings, ConfigurationError, RateLimiter


def test_settings_fall_back_to_the_documented_environment_variables(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not used here")
    env = {
        "DRAGOPS_URL": "https://dragops.example.com/",
        "DRAGOPS_EMAIL": "ops@example.com",
        "DRAGOPS_PASSWORD": "pw-from-env",
        "DRAGOPS_CA_BUNDLE": str(bundle),
    }
    settings = ClientSettings.resolve(env=env)
    assert settings.api_url == "https://dragops.example.com/api"
    assert settings.instance_url == "https://dragops.example.com"
    assert settings.email == "ops@example.com"
    assert settings.password is not None and settings.password.get_secret_value() == "pw-from-env"
    assert settings.ca_bundle == str(bundle)
    assert (settings.timeout, settings.max_retries, settings.rate) == (30.0, 4, None)
    assert settings.auth_mode == "password"


def test_keyword_arguments_win_over_the_environment() -> None:
    env = {"DRAGOPS_URL": "https://env.example.com", "DRAGOPS_TOKEN": "env-token"}
    settings = ClientSettings.resolve(env=env, base_url="https://kw.example.com/api", token="kw-token")
    assert settings.instance_url == "https://kw.example.com"  # a trailing /api is tolerated
    assert settings.token is not None and settings.token.get_secret_value() == "kw-token"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "no DRAGOPS URL: set DRAGOPS_URL or pass --url"),
        ({"base_url": "dragops.example.com"}, "--url / DRAGOPS_URL.*must be an http"),
        ({"base_url": "ftp://x"}, "--url / DRAGOPS_URL.*must be an http"),
        ({"base_url": "https://x", "email": "a@b.c"}, "DRAGOPS_PASSWORD .password. is missing"),
        ({"base_url": "https://x", "password": "p"}, "DRAGOPS_EMAIL .email. is missing"),
        ({"base_url": "https://x", "timeout": 0}, "timeout must be a positive number"),
        ({"base_url": "https://x", "max_retries": -1}, "max_retries must be >= 0"),
        ({"base_url": "https://x", "rate": 0}, "rate must be a positive number"),
        ({"base_url": "https://x", "ca_bundle": "/nonexistent/ca.pem"}, "is not a readable file"),
    ],
)
def test_bad_settings_are_refused_with_a_message_naming_the_setting(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Client(env={}, **kwargs)  # type: ignore[arg-type]


def test_a_ca_bundle_that_is_not_a_certificate_is_a_configuration_error(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("garbage")
    with pytest.raises(ConfigurationError, match="cannot load the CA bundle"):
        Client(env={}, base_url="https://x", ca_bundle=str(bundle))


def test_the_client_is_a_context_manager_with_a_safe_repr() -> None:
    with Client(env={}, base_url="https://dragops.example.com", token="abc.def.ghi", rate=5) as client:
        assert repr(client) == "Client(url='https://dragops.example.com', auth='token')"
        assert isinstance(client.rate_limiter, RateLimiter)
        assert client.rate_limiter.rate == 5
        assert client.base_url == "https://dragops.example.com"


def test_settings_and_individual_arguments_cannot_be_mixed() -> None:
    settings = ClientSettings(base_url="https://x")
    with pytest.raises(ValueError, match="either settings= or individual settings"):
        Client(settings=settings, token="t")


def test_a_rate_and_a_shared_limiter_cannot_both_be_given() -> None:
    with pytest.raises(ValueError, match=r"either rate= .* or rate_limiter="):
        Client(env={}, base_url="https://x", rate=5, rate_limiter=RateLimiter(5))
