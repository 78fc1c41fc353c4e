"""The watch daemon's dashboard over real HTTP (no browser: tests/sync/test_dashboard_browser.py drives
one): the page without JavaScript, its JSON, a pattern's planned change, the assets, "Sync now" with
and without the token, escaping of hostile names, and no secret on any page."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dragops_emulator import Emulator, SeededUser
from dragops_sync.api import Client
from dragops_sync.states import Trigger
from kit.sync_dirs import pattern_file, sync_repo
from kit.sync_runs import DaemonThread, running_daemon

UI_TOKEN = "sentinel-ui-token-5b8e07"  # must never appear on a page


@pytest.fixture
def client(emu: Emulator, user: SeededUser) -> Iterator[Client]:
    with Client(base_url=emu.url, token=user.token) as c:
        yield c


def fetch(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of a request; HTTP errors are answers too. Redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, dict(answer.headers.items()), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


@contextmanager
def settled(directory: Path, client: Client, **options: object) -> Iterator[DaemonThread]:
    with running_daemon(directory, client, interval=300, **options) as runner:
        runner.wait_settled()
        yield runner


def test_the_page_reads_without_javascript_and_escapes_what_files_hold(
    tmp_path: Path, client: Client
) -> None:
    hostile = '<script>alert("x")</script> & Co'
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha", "beta": "Beta"})
    pattern_file(directory, "hostile", hostile)
    with settled(directory, client) as runner:
        url = runner.daemon.status_url
        status, headers, page = fetch(f"{url}/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert 'data-name="Alpha"' in page and 'data-name="Beta"' in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
        assert "<script>alert" not in page
        assert '<script src="/ui/assets/dashboard.js" defer></script>' in page
        assert "http://" not in page.replace(url, "") and "https://" not in page  # no CDN
        assert "Sync now" not in page  # no token: read-only
        # The filter of the page without JavaScript.
        _, _, filtered = fetch(f"{url}/?q=alp")
        assert 'data-name="Alpha"' in filtered and 'data-name="Beta"' not in filtered
        # The last cycles.
        assert '<td data-label="Trigger">start</td>' in page

        status, headers, state = fetch(f"{url}/ui/state.json")
        doc = json.loads(state)
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert {p["name"] for p in doc["patterns"]} == {"Alpha", "Beta", hostile}
        assert all(p["state"] == "synced" for p in doc["patterns"])
        assert doc["cycles"][-1]["trigger"] == "start" and doc["syncEnabled"] is False

        for asset, kind in (("dashboard.css", "text/css"), ("dashboard.js", "text/javascript")):
            status, headers, body = fetch(f"{url}/ui/assets/{asset}")
            assert status == 200 and headers["Content-Type"].startswith(kind) and len(body) > 500
        assert fetch(f"{url}/ui/assets/../daemon.py")[0] == 404
        assert fetch(f"{url}/ui/pattern?name=Nobody")[0] == 404


def test_a_drifted_pattern_shows_its_planned_change(tmp_path: Path, client: Client) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    with settled(directory, client) as runner:
        url = runner.daemon.status_url
        (summary,) = client.patterns.find_by_name("Alpha")
        pattern = client.patterns.get(summary.id)
        graph = json.loads(json.dumps(pattern.graph_data))
        for node in graph["nodes"]:
            if node["type"] == "Log":
                node["data"]["pinDefaults"]["message"] = "edited in the editor"
        client.patterns.update(summary.id, graph_data=graph)
        seen = runner.cycles
        runner.daemon.request_sync()
        runner.wait_cycle_after(seen, lambda o: o.trigger == Trigger.SYNC_NOW, "a sync-now cycle")
        _, _, page = fetch(f"{url}/ui/pattern?name=Alpha")
        assert 'class="badge state-drifted"' in page
        assert "edited in the editor" in page  # the live value the plan would revert
        assert (
            html.escape('~   pin message: "edited in the editor" -> "got it"') in page
        )  # the editor's terms
        assert '<img src="/ui/picture.svg?name=Alpha"' in page
        status, headers, svg = fetch(f"{url}/ui/picture.svg?name=Alpha")
        assert status == 200 and headers["Content-Type"] == "image/svg+xml"
        drawn = ET.fromstring(svg)
        nodes = {g.get("data-id"): g.get("class") for g in drawn.iter("{http://www.w3.org/2000/svg}g")}
        assert nodes == {"node_1": "node same", "node_2": "node changed"}
        assert fetch(f"{url}/ui/picture.svg?name=Nobody")[0] == 404
        _, _, state = fetch(f"{url}/ui/state.json")
        (row,) = json.loads(state)["patterns"]
        assert row["state"] == "drifted" and row["hasChanges"] is True


def test_sync_now_needs_the_token_and_triggers_one_cycle(tmp_path: Path, client: Client) -> None:
    directory = sync_repo(tmp_path / "repo", {"alpha": "Alpha"})
    with settled(directory, client) as runner:
        url = runner.daemon.status_url
        assert fetch(f"{url}/ui/sync", data=b"")[0] == 403  # read-only daemon
    with settled(directory, client, ui_token=UI_TOKEN) as runner:
        url = runner.daemon.status_url
        before = runner.cycles
        assert fetch(f"{url}/ui/sync", data=b"")[0] == 401
        assert fetch(f"{url}/ui/sync", data=b"", headers={"X-Dragops-UI-Token": "wrong"})[0] == 401
        assert fetch(f"{url}/ui/sync", data=b"token=wrong")[0] == 401
        assert fetch(f"{url}/ui/sync", data=b"x" * 100_000)[0] == 413
        assert runner.cycles == before  # nothing was triggered

        status, _, body = fetch(f"{url}/ui/sync", data=b"", headers={"X-Dragops-UI-Token": UI_TOKEN})
        assert status == 202 and json.loads(body) == {"accepted": True}
        runner.wait_cycle_after(before, lambda o: o.trigger == Trigger.SYNC_NOW, "a sync-now cycle")
        seen = runner.cycles
        status, headers, _ = fetch(f"{url}/ui/sync", data=f"token={UI_TOKEN}".encode())
        assert status == 303 and headers["Location"] == "/"  # the form of the page without JavaScript
        runner.wait_cycle_after(seen, lambda o: o.trigger == Trigger.SYNC_NOW, "a second sync-now cycle")

        pages = [
            fetch(f"{url}{path}")[2] for path in ("/", "/ui/state.json", "/ui/pattern?name=Alpha", "/status")
        ]
        assert 'id="sync-now"' in pages[0]
        assert all(UI_TOKEN not in page for page in pages)
        assert UI_TOKEN not in repr(runner.daemon.settings)
