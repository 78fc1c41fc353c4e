"""The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by Playwright for
Python through `executable_path`) opens the page of a running daemon against the emulator, sees the
patterns, watches a live edit turn a row to "drifted" without reloading, filters, opens the drift
detail, presses "Sync now" with a wrong and the right token, and reads on a phone-width screen.
A screenshot per step is saved under the test's temporary directory.

Skipped, with the reason, only where no browser can be had (`.ci/run` installs Chromium).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.states import Trigger
from kit.sync_dirs import sync_repo
from kit.sync_runs import running_daemon

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

UI_TOKEN = "sentinel-ui-token-c41d2a"
CHROMIUM = (
    os.environ.get("DRAGOPS_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run does it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def edit_live_message(client: Client, name: str, message: str) -> None:
    """What a person does in the DRAGOPS editor: change the Log node's message of `name`."""
    (summary,) = client.patterns.find_by_name(name)
    graph = json.loads(json.dumps(client.patterns.get(summary.id).graph_data))
    for node in graph["nodes"]:
        if node["type"] == "Log":
            node["data"]["pinDefaults"]["message"] = message
    client.patterns.update(summary.id, graph_data=graph)


def test_the_dashboard_follows_the_daemon_in_a_browser(tmp_path: Path, client: Client, browser: Any) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha", "beta": "Beta"})
    with running_daemon(directory, client, interval=1.0, ui_token=UI_TOKEN) as runner:
        runner.wait_settled()
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(runner.daemon.status_url + "/")
        page.wait_for_selector('tr[data-name="Alpha"][data-state="synced"]')
        page.wait_for_selector('tr[data-name="Beta"][data-state="synced"]')
        page.screenshot(path=str(tmp_path / "1-synced.png"), full_page=True)

        # A live edit turns the row to "drifted" without a reload (the marker survives).
        page.evaluate("window.__sameDocument = true")
        edit_live_message(client, "Alpha", "edited in the editor")
        page.wait_for_selector('tr[data-name="Alpha"][data-state="drifted"]', timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True
        assert page.inner_text('tr[data-name="Alpha"] .badge') == "drifted"
        page.screenshot(path=str(tmp_path / "2-drifted.png"), full_page=True)

        # The filter hides what does not match, as one types.
        page.fill("#filter", "bet")
        assert page.is_hidden('tr[data-name="Alpha"]') and page.is_visible('tr[data-name="Beta"]')
        assert page.inner_text("#pattern-count") == "1"
        page.fill("#filter", "")

        # The drift detail: the state and the planned change.
        page.click('tr[data-name="Alpha"] a')
        page.wait_for_selector("main[data-pattern='Alpha'] .badge.state-drifted")
        assert "edited in the editor" in page.inner_text("pre.changes")
        # Its picture: the SVG is loaded (under the page's strict CSP) and drawn, the Log node amber.
        page.wait_for_function(
            "() => { const i = document.querySelector('figure.picture img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        picture = page.request.get(runner.daemon.status_url + "/ui/picture.svg?name=Alpha").text()
        assert 'class="node changed" data-id="node_2"' in picture
        page.screenshot(path=str(tmp_path / "3-detail.png"), full_page=True)

        # Sync now: a wrong token triggers nothing; the right one a cycle.
        page.goto(runner.daemon.status_url + "/")
        seen = runner.cycles
        page.fill("#sync-token", "not-the-token")
        page.click("#sync-now")
        page.wait_for_selector('#sync-result[data-status="401"]')
        page.fill("#sync-token", UI_TOKEN)
        page.click("#sync-now")
        page.wait_for_selector('#sync-result[data-status="202"]')
        runner.wait_cycle_after(seen, lambda o: o.trigger == Trigger.SYNC_NOW, "a sync-now cycle")
        page.wait_for_selector('#cycles td[data-label="Trigger"]:text("sync-now")', timeout=10_000)
        assert UI_TOKEN not in page.content()

        # Phone width: rows become cards, no horizontal scrolling.
        page.set_viewport_size({"width": 375, "height": 800})
        assert page.eval_on_selector("#patterns thead", "e => getComputedStyle(e).display") == "none"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(tmp_path / "4-phone.png"), full_page=True)
        page.close()


def test_without_a_token_the_dashboard_is_read_only(tmp_path: Path, client: Client, browser: Any) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    with running_daemon(directory, client, interval=300) as runner:
        runner.wait_settled()
        page = browser.new_page()
        page.goto(runner.daemon.status_url + "/")
        page.wait_for_selector('tr[data-name="Alpha"]')
        assert page.query_selector("#sync-now") is None
        answer = page.request.post(runner.daemon.status_url + "/ui/sync", headers={"X-Dragops-UI-Token": "x"})
        assert answer.status == 403
        page.screenshot(path=str(tmp_path / "read-only.png"), full_page=True)
        page.close()
