#!/usr/bin/env python3
"""Refresh the README's screenshots (docs/images/*.png) from the real thing.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Starts an emulator, applies a copy of examples/gitops-repo to it, runs the watch daemon with its
dashboard, edits a pattern live (as a person in the DRAGOPS editor would) so it drifts, and takes
pictures with headless Chromium (Debian's `chromium` driven by Playwright for Python):

* `dashboard.png` — the dashboard with the drifted row;
* `dashboard-detail.png` — the drifted pattern's page with its planned change;
* `dashboard-phone.png` — the dashboard on a phone-width screen.

Needs the dev extras (`pip install -e ".[dev]"`) and a Chromium; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gitops-repo"
# The example's connections take their keys from these; the emulator never calls Slack or GitHub.
DEMO_KEYS = {"SLACK_TOKEN": "xoxb-demo-not-a-real-token", "GITHUB_TRIAGE_TOKEN": "ghp-demo-not-a-real-token"}


def copy_example(target: Path) -> Path:
    """A committed git repository holding examples/gitops-repo (no local state)."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dragops-local"))
    settings = target / "dragops-sync.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("rate: 10", "rate: 1000"), encoding="utf-8")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=demo", "-c", "user.email=demo@example.invalid", "commit", "-q", "-m", "example"],
    ):
        subprocess.run(["git", "-C", str(target), *args], check=True)
    return target


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def edit_live(client: Any, name: str) -> None:
    """Change one pin default of `name` on the instance (a live edit: the daemon reports drift)."""
    (summary,) = client.patterns.find_by_name(name)
    graph = json.loads(json.dumps(client.patterns.get(summary.id).graph_data))
    for node in graph["nodes"]:
        defaults = node.get("data", {}).get("pinDefaults") or {}
        for key, value in defaults.items():
            if isinstance(value, str):
                defaults[key] = value + " (edited in the editor)"
                client.patterns.update(summary.id, graph_data=graph)
                return
    raise SystemExit(f"{name} has no string pin default to edit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args()
    if not args.chromium:
        print("error: no Chromium found (apt-get install chromium, or pass --chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from dragops_emulator import Emulator, EmulatorSettings
    from dragops_sync.api import Client
    from dragops_sync.daemon import Daemon, DaemonSettings

    os.environ.update({k: os.environ.get(k, v) for k, v in DEMO_KEYS.items()})
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(settings=EmulatorSettings(rate_limits_enabled=False)) as emu,
    ):
        user = emu.seed_user()
        repo = copy_example(Path(tmp) / "gitops-repo")
        with Client(base_url=emu.url, token=user.token) as client:
            settings = DaemonSettings(repo, interval=2.0, status_addr="127.0.0.1:0", ui_token="demo")
            daemon = Daemon(settings, client=client, env=os.environ)
            cycles: list[object] = []
            daemon.on_cycle = cycles.append
            thread = threading.Thread(target=daemon.run, daemon=True)
            thread.start()
            try:
                wait_for(lambda: len(cycles) >= 2, "the first cycles")
                edit_live(client, "Deploy Failure Alert")
                url = daemon.status_url
                assert url is not None
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
                    page = browser.new_page(viewport={"width": 1280, "height": 760})
                    page.goto(url + "/")
                    page.wait_for_selector('tr[data-state="drifted"]', timeout=30_000)
                    page.screenshot(path=str(args.out / "dashboard.png"))
                    page.click('tr[data-state="drifted"] a')
                    page.wait_for_selector("pre.changes")
                    page.screenshot(path=str(args.out / "dashboard-detail.png"))
                    page.goto(url + "/")
                    page.set_viewport_size({"width": 390, "height": 844})
                    page.wait_for_selector('tr[data-state="drifted"]')
                    page.screenshot(path=str(args.out / "dashboard-phone.png"))
                    browser.close()
            finally:
                daemon.stop_event.set()
                thread.join(30)
    for name in ("dashboard.png", "dashboard-detail.png", "dashboard-phone.png"):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
