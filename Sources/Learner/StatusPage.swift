/// The learner's status page (`GET /`): one self-contained HTML document (its style, script and plot inline;
/// nothing is fetched from any other host, since learners often run without internet access) that polls
/// `status.json` once a second and redraws. Element ids and `data-` attributes are what the browser test reads.
enum StatusPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PPO learner</title>
<style>
  :root { --fg: #1d232a; --muted: #5f6b76; --line: #d7dde3; --accent: #1f6feb; --bad: #c0392b; --good: #1e7d32; --eval: #d9730d; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
  .muted { color: var(--muted); } .bad { color: var(--bad); } .good { color: var(--good); }
  #run { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr)); gap: .3rem 1rem; margin: .8rem 0; }
  #run div span { display: block; color: var(--muted); font-size: .8rem; } #run div b { font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: .2rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; } th { color: var(--muted); font-weight: 600; }
  td.end { white-space: normal; text-align: left; max-width: 16rem; font-size: .85rem; }
  tr[data-state="gone"] td { color: var(--muted); } tr[data-state="gone"] td.state { color: var(--bad); }
  svg { width: 100%; height: 18rem; border: 1px solid var(--line); border-radius: 4px; }
  svg .axis { stroke: var(--muted); stroke-width: 1; } svg text { fill: var(--muted); font-size: 11px; }
  svg polyline { fill: none; stroke: var(--accent); stroke-width: 2; } svg circle { fill: var(--accent); }
  svg polyline.eval { stroke: var(--eval); stroke-dasharray: 5 3; } svg circle.eval { fill: var(--eval); }
  .key { display: inline-block; width: 1.4rem; height: 0; border-top: 2px solid var(--accent); vertical-align: middle; margin: 0 .3rem 0 .6rem; }
  .key.eval { border-top: 2px dashed var(--eval); }
  #evaluation { display: flex; gap: 1.5rem; align-items: flex-start; flex-wrap: wrap; margin-top: .6rem; }
  #eval-video { max-width: 24rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
  #banner { padding: .4rem .6rem; border-radius: 4px; background: #fdecea; display: none; }
</style>
</head>
<body data-polls="0">
<h1>PPO learner <span id="title" class="muted"></span></h1>
<div id="banner" class="bad"></div>
<div id="run"></div>
<h2>Learning curve <span class="muted">(return against env steps)</span></h2>
<div class="muted"><span class="key"></span>training: mean of the last 20 episodes<span id="eval-key" hidden><span class="key eval"></span>greedy evaluation: mean over its episodes</span></div>
<svg id="curve" data-points="0" data-eval-points="0" viewBox="0 0 900 280" preserveAspectRatio="none" role="img" aria-label="learning curve"></svg>
<div id="evaluation" hidden>
  <div><h2>Greedy evaluation</h2><div id="eval-summary"></div></div>
  <figure id="eval-figure" hidden><img id="eval-video" data-update="" alt="the latest evaluation's first episode"><figcaption id="eval-caption" class="muted"></figcaption></figure>
</div>
<h2>Recent updates</h2>
<table id="updates"><thead><tr><th>update</th><th>env steps</th><th>policy loss</th><th>value loss</th><th>entropy</th><th>approx KL</th><th>clip fraction</th><th>expl. var.</th><th>seconds</th></tr></thead><tbody></tbody></table>
<h2>Workers <span id="worker-count" class="muted"></span></h2>
<table id="workers"><thead><tr><th>id</th><th>state</th><th>address</th><th>envs</th><th>transitions</th><th>steps/s</th><th>open grants</th><th>connected since</th><th>last seen</th><th>reconnects</th><th>last end</th></tr></thead><tbody></tbody></table>
<h2>Refusals</h2>
<table id="refusals"><thead><tr><th>what</th><th>reason</th><th>count</th></tr></thead><tbody></tbody></table>
<p class="muted" id="updated"></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (x, d = 0) => x === null || x === undefined ? "–" : Number(x).toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const sci = (x) => x === null || x === undefined ? "–" : (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2));
const dur = (s) => { if (s === null || s === undefined) return "–"; s = Math.round(s); const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60; return (h ? h + " h " : "") + (h || m ? m + " min " : "") + r + " s"; };
const time = (iso) => new Date(iso).toLocaleTimeString();
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }

function renderRun(s) {
  const r = s.run;
  $("title").textContent = "· " + r.env + " · " + r.run_id;
  const fields = [["state", r.state], ["preset", r.preset], ["seed", r.seed], ["policy version", r.policy_version],
    ["updates", fmt(r.updates) + " / " + fmt(r.total_updates)], ["env steps", fmt(r.env_steps) + " / " + fmt(r.total_env_steps)],
    ["steps/s", fmt(r.steps_per_second)], ["elapsed", dur(r.elapsed_seconds)], ["time to go", r.state === "training" ? dur(r.eta_seconds) : "–"],
    ["episodes", fmt(r.episodes)], ["mean return (20)", fmt(r.recent_return, 1)], ["workers connected", r.workers_connected],
    ["checkpoints", s.checkpoints.written + (s.checkpoints.failures ? " (" + s.checkpoints.failures + " failed)" : "")],
    ["grants open", s.grants.open]];
  const box = $("run"); box.replaceChildren();
  for (const [k, v] of fields) { const d = document.createElement("div"); d.id = "run-" + k.replace(/[^a-z]+/g, "-"); const l = document.createElement("span"); l.textContent = k; const b = document.createElement("b"); b.textContent = v; d.append(l, b); box.append(d); }
}

function renderCurve(points, evals) {
  const svg = $("curve"), ns = "http://www.w3.org/2000/svg", W = 900, H = 280, L = 60, B = 30, T = 10, R = 10;
  svg.replaceChildren(); svg.dataset.points = points.length; svg.dataset.evalPoints = evals.length;
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
  add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }); add("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" });
  if (points.length === 0 && evals.length === 0) { add("text", { x: L + 10, y: H / 2 }, "no finished episodes yet"); return; }
  const all = points.concat(evals.map(e => ({ env_steps: e.env_steps, mean_return: e.mean })));
  const xs = all.map(p => p.env_steps), ys = all.map(p => p.mean_return);
  const x0 = 0, x1 = Math.max(...xs, 1); let y0 = Math.min(...ys), y1 = Math.max(...ys); if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R), py = (y) => H - B - (y - y0) / (y1 - y0) * (H - B - T);
  for (const [v, y] of [[y1, T + 4], [y0, H - B]]) add("text", { x: 4, y: y }, fmt(v, 1));
  add("text", { x: W - R - 4, y: H - 8, "text-anchor": "end" }, fmt(x1) + " steps"); add("text", { x: L, y: H - 8 }, "0");
  add("polyline", { points: points.map(p => px(p.env_steps).toFixed(1) + "," + py(p.mean_return).toFixed(1)).join(" ") });
  for (const p of points) add("circle", { cx: px(p.env_steps).toFixed(1), cy: py(p.mean_return).toFixed(1), r: points.length > 200 ? 1.2 : 2.5, class: "point" });
  if (evals.length === 0) return;
  add("polyline", { points: evals.map(e => px(e.env_steps).toFixed(1) + "," + py(e.mean).toFixed(1)).join(" "), class: "eval" });
  for (const e of evals) add("circle", { cx: px(e.env_steps).toFixed(1), cy: py(e.mean).toFixed(1), r: 3, class: "eval" });
}

function renderEvaluation(ev) {
  $("eval-key").hidden = !ev; $("evaluation").hidden = !ev;
  if (!ev) return;
  const last = ev.points[ev.points.length - 1], best = ev.best;
  const line = (e) => fmt(e.mean, 1) + " ± " + fmt(e.std, 1) + " after update " + e.update + " (" + fmt(e.env_steps) + " steps)";
  $("eval-summary").replaceChildren(...[
    "every " + ev.every + " updates, " + ev.episodes + " deterministic episodes" + (ev.target === null || ev.target === undefined ? "" : "; the run stops at " + fmt(ev.target, 1)),
    "latest: " + (last ? line(last) : "none yet"), "best: " + (best ? line(best) + " — best.safetensors" : "none yet")
  ].map(t => { const d = document.createElement("div"); d.textContent = t; return d; }));
  const video = $("eval-video"), update = ev.video_update;
  $("eval-figure").hidden = update === null || update === undefined;
  if (update !== null && update !== undefined && video.dataset.update !== String(update)) {
    video.src = "eval.gif?update=" + update; video.dataset.update = String(update);
    $("eval-caption").textContent = "the evaluation after update " + update + ", its first episode";
  }
}

function renderUpdates(rows) {
  const body = $("updates").tBodies[0]; body.replaceChildren();
  for (const u of rows.slice(-10).reverse()) {
    const tr = body.insertRow(); cell(tr, u.update); cell(tr, fmt(u.env_steps));
    for (const k of ["policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "explained_variance"]) cell(tr, sci(u[k]));
    cell(tr, fmt(u.seconds, 3));
  }
}

function renderWorkers(workers) {
  const body = $("workers").tBodies[0]; body.replaceChildren();
  const live = workers.filter(w => w.state === "connected").length;
  $("worker-count").textContent = "(" + live + " connected, " + (workers.length - live) + " gone)";
  for (const w of workers) {
    const tr = body.insertRow(); tr.className = "worker"; tr.dataset.id = w.id; tr.dataset.state = w.state;
    cell(tr, w.id); cell(tr, w.state, "state"); cell(tr, w.address); cell(tr, w.envs); cell(tr, fmt(w.transitions));
    cell(tr, fmt(w.steps_per_second)); cell(tr, w.open_grants); cell(tr, time(w.connected_at));
    cell(tr, w.seconds_since_seen < 1 ? "now" : dur(w.seconds_since_seen) + " ago"); cell(tr, w.reconnects); cell(tr, w.last_end || "–", "end");
  }
}

function renderRefusals(ref) {
  const body = $("refusals").tBodies[0]; body.replaceChildren();
  const rows = [];
  for (const [k, v] of Object.entries(ref.frames_rejected)) if (v > 0) rows.push(["frames rejected", k, v]);
  for (const [k, v] of Object.entries(ref.transitions_dropped)) if (v > 0) rows.push(["transitions dropped", k, v]);
  if (rows.length === 0) { const tr = body.insertRow(); cell(tr, "none"); cell(tr, ""); cell(tr, ""); }
  for (const [what, reason, n] of rows) { const tr = body.insertRow(); cell(tr, what); cell(tr, reason); cell(tr, fmt(n)); }
}

async function poll() {
  try {
    const answer = await fetch("status.json", { cache: "no-store" });
    if (!answer.ok) throw new Error("status.json answered " + answer.status);
    const s = await answer.json();
    renderRun(s); renderCurve(s.curve, s.evaluation ? s.evaluation.points : []); renderEvaluation(s.evaluation); renderUpdates(s.recent_updates); renderWorkers(s.workers); renderRefusals(s.refusals);
    document.body.dataset.polls = Number(document.body.dataset.polls) + 1;
    $("banner").style.display = "none";
    $("updated").textContent = "updated " + time(s.generated_at) + " · polling status.json every second";
  } catch (e) {
    $("banner").textContent = "the learner does not answer (" + e.message + "); showing the last status received";
    $("banner").style.display = "block";
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
"""#
}
