// evomerge dashboard: fetches the run's JSON and renders it. Every value from the run (thoughts, YAML, errors, names)
// is untrusted text and is only ever assigned through textContent, never parsed as HTML.
"use strict";

const state = { run: null, summary: null, candidates: [], sortKey: "generation", sortAsc: true, filter: "",
  charts: {}, lastSignature: "" };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fmt(v, digits = 4) {
  return v === null || v === undefined ? "–" : (typeof v === "number" ? v.toFixed(digits) : String(v));
}

async function getJson(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(url + ": HTTP " + r.status);
  return r.json();
}

async function main() {
  const params = new URLSearchParams(location.search);
  state.run = params.get("run");
  if (!state.run) {
    const runs = await getJson("/api/runs");
    if (runs.length === 1 && !runs[0].error) {
      state.run = runs[0].name;
    } else {
      showRunList(runs);
      return;
    }
  }
  document.getElementById("run").hidden = false;
  document.getElementById("candidate-filter").addEventListener("input", e => { state.filter = e.target.value; renderTable(); });
  document.querySelectorAll("#candidates th").forEach(th => th.addEventListener("click", () => {
    const k = th.dataset.key;
    state.sortAsc = state.sortKey === k ? !state.sortAsc : true;
    state.sortKey = k;
    renderTable();
  }));
  await refresh();
  setInterval(() => refresh().catch(err => setUpdated("update failed: " + err.message)), 3000);
}

function showRunList(runs) {
  document.getElementById("runs").hidden = false;
  const ul = document.getElementById("run-list");
  ul.replaceChildren();
  for (const r of runs) {
    const li = el("li");
    if (r.error) {
      // a run.db that cannot be read (empty, corrupt): named with the reason, no link
      li.append(el("span", r.name), el("span", "  unreadable: " + r.error, "error"));
    } else {
      const a = el("a", r.name);
      a.href = "/?run=" + encodeURIComponent(r.name);
      li.append(a, el("span", "  " + r.status + ", " + r.candidates + " candidates, best " + fmt(r.best), "muted"));
    }
    ul.append(li);
  }
  document.body.dataset.ready = "runs";
}

function setUpdated(text) {
  document.getElementById("updated").textContent = text;
}

async function refresh() {
  const base = "/api/runs/" + encodeURIComponent(state.run);
  const summary = await getJson(base + "/summary");
  const signature = summary.candidate_count + "|" + summary.status + "|" + summary.thoughts.length;
  if (signature !== state.lastSignature) {
    state.lastSignature = signature;
    state.summary = summary;
    state.candidates = await getJson(base + "/candidates");
    state.fitness = await getJson(base + "/fitness");
    render();
  }
  setUpdated("updated " + new Date().toLocaleTimeString());
  document.body.dataset.ready = "run";
}

function render() {
  const s = state.summary;
  document.getElementById("run-title").textContent = s.name;
  document.getElementById("run-status").textContent = s.status;
  const cards = document.getElementById("cards");
  cards.replaceChildren();
  const last = s.generations[s.generations.length - 1];
  const card = (label, value) => { const c = el("div", null, "card"); c.append(el("div", label, "label"), el("div", value, "value")); cards.append(c); };
  card("optimizer", s.optimizer || "–");
  card("generations", s.generations.length);
  card("candidates", s.candidate_count);
  const estimated = state.fitness && state.fitness.candidates.some(r => r.estimate !== null);
  card(estimated ? "best fitness (estimated)" : "best fitness", fmt(s.best ? s.best.score : null));
  card("last generation mean", fmt(last ? last.mean : null));
  renderFitness();
  renderMetrics();
  renderBest();
  renderThoughts();
  renderEstimates();
  renderTable();
  document.getElementById("config-yaml").textContent = s.config_yaml || "";
  document.getElementById("config-options").textContent = s.options ? JSON.stringify(s.options, null, 2) : "";
  const a = document.getElementById("download-best");
  a.href = "/api/runs/" + encodeURIComponent(state.run) + "/best_config.yaml";
}

function chart(id, config) {
  const canvas = document.getElementById(id);
  if (state.charts[id]) state.charts[id].destroy();
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
  state.charts[id] = new Chart(canvas, config);
  // Expose what was drawn, for tests and for people inspecting the page.
  const ds = state.charts[id].data.datasets;
  canvas.dataset.series = String(ds.length);
  canvas.dataset.points = ds.map(d => d.data.length).join(",");
}

function renderFitness() {
  const g = state.summary.generations;
  const labels = g.map(x => x.generation);
  chart("fitness-chart", {
    type: "line",
    data: { labels, datasets: [
      { label: "best", data: g.map(x => ({ x: x.generation, y: x.best })), borderColor: "#2a6", tension: 0 },
      { label: "mean", data: g.map(x => ({ x: x.generation, y: x.mean })), borderColor: "#36c", tension: 0 },
      { label: "candidates", type: "scatter", data: state.candidates.filter(c => c.score !== null).map(c => ({ x: c.generation, y: c.score })),
        backgroundColor: "rgba(120,120,140,0.45)", pointRadius: 3 }] },
    options: { scales: { x: { type: "linear", title: { display: true, text: "generation" }, ticks: { stepSize: 1 } },
      y: { title: { display: true, text: "fitness" } } } }
  });
}

function renderMetrics() {
  const m = state.summary.task_metrics;
  const colors = ["#c33", "#36c", "#2a6", "#a6c", "#c80", "#088"];
  const datasets = Object.keys(m).map((k, i) => ({ label: k, data: m[k].map(p => ({ x: p.generation, y: p.mean })),
    borderColor: colors[i % colors.length], tension: 0 }));
  chart("metrics-chart", { type: "line", data: { datasets },
    options: { scales: { x: { type: "linear", title: { display: true, text: "generation" }, ticks: { stepSize: 1 } } } } });
}

function renderBest() {
  const s = state.summary;
  const box = document.getElementById("heatmaps");
  box.replaceChildren();
  document.getElementById("best-yaml").textContent = s.best ? (s.best.merge_yaml || "") : "no candidate has a score yet";
  // s.layout is the run's stored gene layout (StoredLayout in the run store): method, dimensions [G, M, S, P], models,
  // parameters, filters, layer_ranges; gene (g, m, s, p) is at ((g * M + m) * S + s) * P + p.
  if (!s.best || !s.layout || !s.layout.dimensions) return;
  const [G, M, S, P] = s.layout.dimensions;
  const genes = s.best.genes;
  for (let p = 0; p < P; p++) {
    for (let f = 0; f < S; f++) {
      const filters = s.layout.filters || [];
      const title = (s.layout.parameters ? s.layout.parameters[p] : "param " + p) + (S > 1 ? " · " + (f < filters.length ? filters[f] : "other tensors") : "");
      box.append(el("h4", title));
      const table = el("table", null, "heatmap");
      table.dataset.param = String(p);
      const head = el("tr");
      head.append(el("th", "layers"));
      for (let m = 0; m < M; m++) head.append(el("th", s.layout.models ? s.layout.models[m] : "model " + m));
      table.append(head);
      for (let g = 0; g < G; g++) {
        const tr = el("tr");
        const ranges = s.layout.layer_ranges;
        tr.append(el("th", ranges ? ranges[g][0] + "–" + (ranges[g][1] - 1) : "group " + g));
        for (let m = 0; m < M; m++) {
          const v = genes[((g * M + m) * S + f) * P + p];
          const td = el("td", v.toFixed(2));
          td.style.backgroundColor = "rgba(40, 110, 220, " + Math.max(0, Math.min(1, v)).toFixed(3) + ")";
          td.style.color = v > 0.55 ? "#fff" : "#111";
          tr.append(td);
        }
        table.append(tr);
      }
      box.append(table);
    }
  }
}

// Estimated fitness: every estimate is shown as such, beside the whole-task fitness where it was measured.
function renderEstimates() {
  const f = state.fitness;
  const rows = f ? f.candidates : [];
  const estimated = rows.filter(r => r.estimate !== null);
  const section = document.getElementById("estimates");
  section.hidden = estimated.length === 0;
  if (section.hidden) return;
  const full = rows.filter(r => r.full !== null);
  const best = full.reduce((b, r) => (b === null || r.full > b.full ? r : b), null);
  document.getElementById("estimates-summary").textContent = "method " + estimated[0].method + ": "
    + estimated.length + " candidates estimated, " + full.length + " measured on the whole task; tokens scored "
    + f.tokens_scored + (best ? "; best by whole-task fitness: generation " + best.generation + ", candidate "
    + best.index + ", " + fmt(best.full) : "");
  const body = document.querySelector("#estimates-table tbody");
  body.replaceChildren();
  for (const r of full) {
    const tr = el("tr");
    tr.append(el("td", String(r.generation)), el("td", String(r.index)), el("td", r.method),
      el("td", r.estimate === null ? "–" : fmt(r.estimate)), el("td", fmt(r.full)),
      el("td", String((r.tokens || 0) + (r.full_tokens || 0))));
    body.append(tr);
  }
}

const KIND_TEXT = { retry: "retry", error: "failed request", correction: "correction", trim: "trimmed" };

function renderThoughts() {
  const counts = document.getElementById("llm-counts");
  const c = state.summary.llm;
  counts.hidden = !c;
  if (c) {
    counts.dataset.counts = [c.requests, c.retries, c.corrections, c.errors, c.fallbacks].join(",");
    counts.textContent = "requests " + c.requests + ", retries " + c.retries + ", corrections " + c.corrections
      + ", failed requests " + c.errors + ", fallbacks " + c.fallbacks;
    if (c.prompt_tokens !== undefined) {
      const approx = c.tokens_estimated ? "~" : "";
      counts.dataset.tokens = [c.prompt_tokens, c.completion_tokens].join(",");
      counts.textContent += ", tokens " + approx + c.prompt_tokens + " in + " + approx + c.completion_tokens + " out";
      if (c.estimated_cost !== undefined) counts.textContent += ", cost ~" + c.estimated_cost.toFixed(4);
    }
  }
  const ol = document.getElementById("thoughts");
  ol.replaceChildren();
  for (const t of state.summary.thoughts) {
    const li = el("li");
    li.dataset.generation = String(t.generation);
    li.append(el("strong", "generation " + t.generation + (t.attempt > 1 ? ", attempt " + t.attempt : "") + ": "));
    if (t.fallback) li.append(el("span", "fallback to the best genome (" + (t.error || "") + ") ", "fallback"));
    else if (t.error) li.append(el("span", (KIND_TEXT[t.kind] || "retry") + " (" + t.error + ") ", "retry"));
    li.append(el("span", t.thought || "", "thought"));
    if (t.prompt_tokens !== undefined) {
      const approx = t.tokens_estimated ? "~" : "";
      li.append(el("span", " (" + approx + t.prompt_tokens + " + " + approx + t.completion_tokens + " tokens)", "tokens"));
    }
    ol.append(li);
  }
}

function matches(c, f) {
  if (!f) return true;
  const g = f.match(/^g:(\d+)$/);
  if (g) return c.generation === Number(g[1]);
  const hay = [c.status, c.worker, c.error, String(c.generation)].join(" ").toLowerCase();
  return hay.includes(f.toLowerCase());
}

function renderTable() {
  const tbody = document.querySelector("#candidates tbody");
  tbody.replaceChildren();
  const k = state.sortKey, dir = state.sortAsc ? 1 : -1;
  const rows = state.candidates.filter(c => matches(c, state.filter.trim())).sort((a, b) => {
    const x = a[k], y = b[k];
    if (x === y) return (a.generation - b.generation) || (a.index - b.index);
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  for (const c of rows) {
    const tr = el("tr");
    if (c.status === "failed") tr.className = "failed";
    for (const v of [c.generation, c.index, fmt(c.score), c.status, fmt(c.merge_seconds, 2), fmt(c.eval_seconds, 2), c.worker || "", c.error || ""]) {
      tr.append(el("td", v));
    }
    tr.addEventListener("click", () => showDetail(c));
    tbody.append(tr);
  }
  document.getElementById("candidates").dataset.rows = String(rows.length);
}

function showDetail(c) {
  document.getElementById("candidate-detail").hidden = false;
  document.getElementById("detail-title").textContent = "generation " + c.generation + ", candidate " + c.index + ": " + fmt(c.score);
  const t = document.getElementById("detail-metrics");
  t.replaceChildren();
  for (const [k, v] of Object.entries(c.metrics)) {
    const tr = el("tr");
    tr.append(el("td", k), el("td", fmt(v)));
    t.append(tr);
  }
  document.getElementById("detail-timings").textContent = "merge " + fmt(c.merge_seconds, 2) + " s, evaluation " + fmt(c.eval_seconds, 2) + " s, on " + (c.worker || "–");
  document.getElementById("detail-error").textContent = c.error || "none";
  document.getElementById("detail-yaml").textContent = c.merge_yaml || "";
}

main().catch(err => { document.body.dataset.ready = "error"; setUpdated("failed: " + err.message); });
