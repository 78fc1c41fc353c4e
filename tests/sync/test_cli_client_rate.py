"""The CLI's client paces its requests with the `rate` of dragops-sync.yaml.

README "Request rate and the cost of a reconcile" says what that costs.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from dragops_emulator import Emulator, SeededUser
from dragops_sync._cli_support import merge_options, open_client
from dragops_sync.api import RateLimiter, SplitRateLimiter


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
        limiter = client.rate_limiter
        assert isinstance(limiter, SplitRateLimiter)
        assert (limiter.read.rate, limiter.write.rate) == (20.0, 5.0)  # the documented limits


def test_the_cli_client_paces_reads_and_writes_apart_with_a_rate_mapping(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    (tmp_path / "dragops-sync.yaml").write_text("rate: {read: 6, write: 1.5}\n", encoding="utf-8")
    with open_client(_context(emu.url, user.token), tmp_path) as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, SplitRateLimiter)
        assert (limiter.read.rate, limiter.write.rate) == (6.0, 1.5)
        started = time.monotonic()
        client.connections.list()
        client.connections.list()  # a read waits for reads only: 1.02/6 s
        assert time.monotonic() - started < 0.5


def test_an_invalid_settings_file_still_gives_a_client_paced_at_the_default_rate(
    tmp_path: Path, emu: Emulator, user: SeededUser
) -> None:
    # The command reports the bad file and writes nothing; its reads are still paced.
    (tmp_path / "dragops-sync.yaml").write_text("rate: -3\n", encoding="utf-8")
    with open_client(_context(emu.url, user.token), tmp_path) as client:
        limiter = client.rate_limiter
        assert isinstance(limiter, SplitRateLimiter)
        assert (limiter.read.rate, limiter.write.rate) == (20.0, 5.0)
