"""The CLI's client paces its requests with the `rate` of dragops-sync.yaml.

README "Request rate and the cost of a reconcile" says what that costs.
"""

from __future__ import annotations

from pathlib import Path

import click

from dragops_emulator import Emulator, SeededUser
from dragops_sync._cli_support import merge_options, open_client
from dragops_sync.api import RateLimiter


def _context(url: str, token: str) -> click.Context:
    ctx = click.Context(click.Command("apply"))
    merge_options(ctx, url=url, token=token)
    return ctx


def test_the_cli_client_is_paced_at_the_rate_of_the_settings_file(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    (tmp_path / "dragops-sync.yaml").write_text("owner: acme/flows\nrate: 7\n", encoding="utf-8")
    with open_client(_context(emu.url, user.token), tmp_path) as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, RateLimiter)
        assert (limiter.rate, limiter.per_second) == (7.0, 7)
        client.connections.list()  # the limiter is the one the requests wait for
    assert [r["path"] for r in emu.request_log()] == ["/api/connections"]


def test_the_cli_client_uses_the_default_rate_without_a_settings_file(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    with open_client(_context(emu.url, user.token), tmp_path) as client:
        assert client.rate_limiter is not None
        assert client.rate_limiter.rate == 10.0  # SyncSettings' default


def test_an_invalid_settings_file_still_gives_a_client_paced_at_the_default_rate(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    # The command reports the bad file and writes nothing; its reads are still paced.
    (tmp_path / "dragops-sync.yaml").write_text("rate: -3\n", encoding="utf-8")
    with open_client(_context(emu.url, user.token), tmp_path) as client:
        assert client.rate_limiter is not None
        assert client.rate_limiter.rate == 10.0
