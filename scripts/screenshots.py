#!/usr/bin/env python3
"""Refresh the README's screenshots (docs/images/*.png) from the real thing.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Starts an emulator, applies a copy of examples/gitops-repo to it, runs the watch daemon with its
dashboard, edits a pattern live (as a person in the DRAGOPS editor would) so it drifts, and takes
pictures with headless Chromium (Debian's `chromium` driven by Playwright for Python):

* `dashboard.png` — the dashboard with the drifted row;
* `dashboard-detail.png` — the drifted pattern's page with its planned change;
* `dashboard-phone.png` — the dashboard on a phone-width screen;
* `plan-markdown.png` — `plan --output markdown` after a file edit, laid out as a pull-request comment
  with its Mermaid picture drawn by the real Mermaid (`mermaid.min.js`: `--mermaid-js`, else the copy
  `.ci/run` keeps in `.ci/cache/`, else fetched once with `npm pack mermaid@11`).

Needs the dev extras (`pip install -e ".[dev]"`) and a Chromium.
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


MERMAID_CACHE = ROOT / ".ci" / "cache" / "mermaid"
_COMMENT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font: 14px -apple-system, "Segoe UI", system-ui, sans-serif; color: #1f2328; background: #f6f8fa;
  margin: 0; padding: 24px; }}
.comment {{ max-width: 980px; margin: auto; background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
  padding: 16px 24px; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
td, th {{ border: 1px solid #d0d7de; padding: 4px 10px; }}
pre {{ background: #f6f8fa; padding: 10px; border-radius: 6px; overflow-x: auto; font-size: 12px; }}
.add {{ color: #116329; background: #dafbe1; }} .del {{ color: #82071e; background: #ffebe9; }}
.chg {{ color: #7d4e00; }} .mermaid {{ background: #fff; }}
</style></head><body><div class="comment">{body}</div></body></html>"""


def mermaid_js(given: Path | None) -> Path:
    """mermaid.min.js: the one given, the cached one, or one fetched with npm into the cache."""
    cached = MERMAID_CACHE / "package" / "dist" / "mermaid.min.js"
    if given is not None:
        return given
    if not cached.is_file():
        MERMAID_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", "mermaid@11"], cwd=MERMAID_CACHE, check=True)
        tarball = next(MERMAID_CACHE.glob("mermaid-*.tgz"))
        subprocess.run(
            ["tar", "xzf", tarball.name, "package/dist/mermaid.min.js"], cwd=MERMAID_CACHE, check=True
        )
    return cached


def edit_file(repo: Path) -> None:
    """A reviewer's pull request: one message reworded, a log node added after it."""
    path = repo / "patterns" / "deploy-failure-alert.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    graph = doc["graphData"]
    for node in graph["nodes"]:
        if node["id"] == "ok":
            node["data"]["pinDefaults"]["message"] = "deploy succeeded; recorded"
    graph["nodes"].append(
        {
            "id": "audit",
            "type": "Log",
            "position": {"x": 1300, "y": -160},
            "data": {"pinDefaults": {"message": "audit: deploy event seen"}},
        }
    )
    graph["edges"].append(
        {"id": "e-audit", "source": "ok", "sourceHandle": "exec", "target": "audit", "targetHandle": "exec"}
    )
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def sync_cli(url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`dragops-sync ARGS` against the emulator."""
    env = {**os.environ, "DRAGOPS_URL": url, "DRAGOPS_TOKEN": token}
    command = [sys.executable, "-c", "from dragops_sync.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def markdown_plan(repo: Path, url: str, token: str) -> str:
    """The example applied, then the plan of a file edit, as markdown."""
    applied = sync_cli(url, token, "apply", str(repo), "--auto-approve")
    if applied.returncode != 0:
        raise SystemExit(f"apply failed:\n{applied.stdout}{applied.stderr}")
    edit_file(repo)
    done = sync_cli(url, token, "plan", str(repo), "-o", "markdown")
    if done.returncode not in (0, 2) or "```mermaid" not in done.stdout:
        raise SystemExit(f"plan -o markdown failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def comment_page(markdown_text: str) -> str:
    """The markdown as a pull-request comment: tables, open details, coloured diff lines."""
    import markdown

    html = markdown.markdown(markdown_text, extensions=["tables", "fenced_code", "md_in_html"])
    html = html.replace("<details>", "<details open>")
    html = html.replace('<pre><code class="language-mermaid">', '<pre class="mermaid">')
    lines = []
    in_diff = False
    for line in html.split("\n"):
        if '<code class="language-diff">' in line:
            in_diff = True
        klass = {"+": "add", "-": "del", "~": "chg"}.get(line.split(">")[-1][:1] if in_diff else "", "")
        lines.append(f'<span class="{klass}">{line}</span>' if klass and in_diff else line)
        if "</code></pre>" in line:
            in_diff = False
    return _COMMENT_PAGE.format(body="\n".join(lines).replace("</code></pre>", "</pre>"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument(
        "--mermaid-js", type=Path, help="mermaid.min.js (default: cached, or fetched with npm)"
    )
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
        page_html = comment_page(markdown_plan(repo, emu.url, user.token))
        subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--", "patterns"], check=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_content(page_html)
            page.add_script_tag(path=str(mermaid_js(args.mermaid_js)))
            page.evaluate("async () => { mermaid.initialize({startOnLoad: false}); await mermaid.run(); }")
            page.wait_for_selector("pre.mermaid svg")
            page.screenshot(path=str(args.out / "plan-markdown.png"), full_page=True)
            browser.close()
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
                    page.screenshot(path=str(args.out / "dashboard-detail.png"), full_page=True)
                    page.goto(url + "/")
                    page.set_viewport_size({"width": 390, "height": 844})
                    page.wait_for_selector('tr[data-state="drifted"]')
                    page.screenshot(path=str(args.out / "dashboard-phone.png"))
                    browser.close()
            finally:
                daemon.stop_event.set()
                thread.join(30)
    for name in ("dashboard.png", "dashboard-detail.png", "dashboard-phone.png", "plan-markdown.png"):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
