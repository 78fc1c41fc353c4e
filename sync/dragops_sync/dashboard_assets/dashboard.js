// dragops-sync dashboard: refreshes the page from /ui/state.json every 2 s (no reload), filters the
// table as one types, and sends "Sync now" with the UI token. Rows are built with textContent only.
"use strict";

const REFRESH_MS = 2000;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// States whose words differ from their value (the server's page says the same).
const SHOWN = { binned: "in the recycle bin" };

function badge(state) {
  const text = state || "unknown";
  return el("span", { class: `badge state-${text}` }, SHOWN[text] || text);
}

function shortCommit(commit) {
  return commit ? commit.slice(0, 12) : "—";
}

function deploymentText(cell) {
  if (!cell) return "—";
  return cell.version === null || cell.version === undefined ? cell.status : `${cell.status} v${cell.version}`;
}

function lastRunText(cell) {
  const run = cell && cell.lastRun;
  return run ? `${run.status} ${run.at || ""}`.trim() : "—";
}

function patternRow(row) {
  const link = el("a", { href: `/ui/pattern?name=${encodeURIComponent(row.name)}` }, row.name);
  const name = el("td", { "data-label": "Pattern" }, link);
  if (row.file) name.append(el("div", { class: "file" }, row.file));
  return el(
    "tr",
    { "data-name": row.name, "data-state": row.state || "unknown" },
    name,
    el("td", { "data-label": "State" }, badge(row.state)),
    el("td", { "data-label": "Deployment" }, deploymentText(row.deployment)),
    el("td", { "data-label": "Last run" }, lastRunText(row.deployment)),
    el("td", { "data-label": "Last error", class: "error" }, row.lastError || ""),
    el("td", { "data-label": "Next retry" }, row.nextRetryAt || ""),
  );
}

function cycleRow(cycle) {
  const writes = cycle.failed ? `${cycle.written} (${cycle.failed} failed)` : String(cycle.written);
  return el(
    "tr",
    { class: `result-${cycle.result}` },
    el("td", { "data-label": "Cycle" }, cycle.number),
    el("td", { "data-label": "Trigger" }, cycle.trigger),
    el("td", { "data-label": "Result" }, badge(cycle.result)),
    el("td", { "data-label": "Duration" }, `${cycle.durationSeconds.toFixed(2)} s`),
    el("td", { "data-label": "Writes" }, writes),
    el("td", { "data-label": "Commit" }, el("code", {}, shortCommit(cycle.commit))),
  );
}

function applyFilter() {
  const input = document.getElementById("filter");
  const wanted = input ? input.value.trim().toLowerCase() : "";
  let shown = 0;
  for (const row of document.querySelectorAll("#patterns tbody tr[data-name]")) {
    const haystack = `${row.dataset.name} ${row.dataset.state} ${row.textContent}`.toLowerCase();
    const match = !wanted || haystack.includes(wanted);
    row.classList.toggle("hidden", !match);
    if (match) shown += 1;
  }
  const count = document.getElementById("pattern-count");
  if (count) count.textContent = String(shown);
}

function setText(id, text) {
  const node = document.getElementById(id);
  if (node) node.textContent = text;
}

function drawHeader(state) {
  setText("owner", state.owner || "—");
  setText("source", state.source || "");
  const commit = document.querySelector("#commit code");
  if (commit) commit.textContent = shortCommit(state.commit);
  const health = !state.healthy ? "unhealthy" : state.ready ? "ready" : "not ready";
  const node = document.getElementById("health");
  if (node) {
    node.textContent = health;
    node.className = `health-${health.replace(" ", "-")}`;
  }
}

function drawIndex(state) {
  const patterns = document.querySelector("#patterns tbody");
  if (patterns && state.patterns.length) patterns.replaceChildren(...state.patterns.map(patternRow));
  const cycles = document.querySelector("#cycles tbody");
  if (cycles && state.cycles.length) cycles.replaceChildren(...state.cycles.map(cycleRow));
  applyFilter();
}

function checkPattern(state) {
  // A pattern page reloads itself when the pattern's state moves (its planned change moved too).
  const main = document.querySelector("main[data-pattern]");
  if (!main) return;
  const row = state.patterns.find((p) => p.name === main.dataset.pattern);
  if (row && row.state !== main.dataset.state) window.location.reload();
}

async function refresh() {
  try {
    const answer = await fetch("/ui/state.json", { cache: "no-store" });
    if (!answer.ok) return;
    const state = await answer.json();
    document.body.dataset.refreshedAt = String(Date.now());
    drawHeader(state);
    if (document.body.dataset.page === "index") drawIndex(state);
    if (document.body.dataset.page === "pattern") checkPattern(state);
  } catch (error) {
    // The daemon restarting: keep the last page and try again at the next tick.
  }
}

async function syncNow(event) {
  event.preventDefault();
  const token = document.getElementById("sync-token").value;
  const result = document.getElementById("sync-result");
  const answer = await fetch("/ui/sync", { method: "POST", headers: { "X-Dragops-UI-Token": token } });
  if (answer.status === 202) result.textContent = "Sync requested.";
  else if (answer.status === 401) result.textContent = "Wrong token: nothing was triggered.";
  else result.textContent = `Refused (${answer.status}).`;
  result.dataset.status = String(answer.status);
  setTimeout(refresh, 300);
}

document.addEventListener("DOMContentLoaded", () => {
  const filter = document.getElementById("filter");
  if (filter) filter.addEventListener("input", applyFilter);
  const form = document.getElementById("sync-form");
  if (form) form.addEventListener("submit", syncNow);
  applyFilter();
  setInterval(refresh, REFRESH_MS);
});
