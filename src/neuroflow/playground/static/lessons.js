// Panel 8, the lessons: depth (one against three hidden layers on the spirals, the same
// budget) and local minima (a cost with two basins). Every number is neuroflow's, from
// /api/lessons/depth and /api/lessons/minima; this file only draws them.

import { drawCurves, drawMap, drawPoints, formatNumber } from "./draw.js";

const $ = (id) => document.getElementById(id);
const DEPTH_COLOURS = ["#d97706", "#2563eb"];
const GLOBAL = "#16a34a";
const LOCAL = "#dc2626";
const basinColour = (lesson, basin) => (lesson.minima[basin].best ? GLOBAL : LOCAL);
let api = null;

export function init(context) {
  api = context.api;
  $("depth-go").addEventListener("click", depth);
  $("minima-go").addEventListener("click", minima);
}

function showError(id, error) {
  const box = $(id);
  box.textContent = error ? error.message : "";
  box.hidden = !error;
}

// ------------------------------------------------------------------ depth
async function depth() {
  const button = $("depth-go");
  button.disabled = true;
  $("depth-note").textContent = "training both networks…";
  showError("depth-error", null);
  try {
    const query = `epochs=${encodeURIComponent($("depth-epochs").value)}`;
    const lesson = await api(`/api/lessons/depth?${query}`);
    lesson.runs.forEach((run, k) => {
      const canvas = $(`depth-map-${k}`);
      drawMap(canvas, run.boundary, 0.5, 0.85);
      drawPoints(canvas, lesson.extent, lesson.points, lesson.labels, null);
      const last = run.losses.length - 1;
      $(`depth-caption-${k}`).innerHTML = `<b style="color:${DEPTH_COLOURS[k]}">${run.name}</b>` +
        ` (${run.sizes.join("-")}, ${run.parameters} parameters): loss ` +
        `${formatNumber(run.losses[last], 3)}, accuracy ` +
        `${(100 * run.accuracies[last]).toFixed(1)}%`;
    });
    drawCurves($("depth-curves"), lesson.runs.map((run, k) => ({
      values: run.losses, colour: DEPTH_COLOURS[k], label: run.name,
    })));
    const b = lesson.budget;
    $("depth-note").textContent = `Same budget: ${b.parameters} parameters each, ` +
      `${b.epochs} epochs of ${b.optimizer} (η = ${b.learning_rate}, batch ${b.batch_size}), ` +
      "the same seed and mini-batches. Loss on the data after each epoch.";
    $("panel-depth").dataset.done = "1";
  } catch (error) {
    showError("depth-error", error);
    $("depth-note").textContent = "";
  }
  button.disabled = false;
}

// ------------------------------------------------------------------ local minima
async function minima() {
  const button = $("minima-go");
  button.disabled = true;
  showError("minima-error", null);
  try {
    const lesson = await api(`/api/lessons/minima?seeds=${encodeURIComponent($("minima-seeds").value)}`);
    drawBasins($("minima-plot"), lesson);
    const body = $("minima-table").querySelector("tbody");
    body.innerHTML = "";
    for (const run of lesson.runs) {
      const minimum = lesson.minima[run.basin];
      const tr = document.createElement("tr");
      tr.innerHTML = `<td>${run.seed}</td><td>${formatNumber(run.start, 3)}</td>` +
        `<td>${formatNumber(run.end, 3)}</td><td>${formatNumber(run.cost, 3)}</td>` +
        `<td style="color:${basinColour(lesson, run.basin)}">${minimum.best ? "global" : "local"}` +
        ` (w ≈ ${formatNumber(minimum.w, 2)})</td>`;
      body.appendChild(tr);
    }
    const stuck = lesson.runs.filter((run) => !lesson.minima[run.basin].best).length;
    $("minima-note").textContent = `${lesson.model}; plain gradient descent, η = ` +
      `${lesson.learning_rate}, ${lesson.steps} steps from each seed's start. ` +
      `${stuck} of ${lesson.runs.length} runs end in the worse basin.`;
    $("panel-minima").dataset.done = "1";
  } catch (error) {
    showError("minima-error", error);
  }
  button.disabled = false;
}

/** C(w) as a line, the ridges dashed, each run from its start (ring) to its end (dot)
 * one row lower per seed, green when it ends in the global minimum's basin, red when in
 * another. */
function drawBasins(canvas, lesson) {
  const pen = canvas.getContext("2d");
  const { width: w, height: h } = canvas;
  const pad = { l: 44, r: 10, t: 12, b: 28 };
  pen.clearRect(0, 0, w, h);
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, w, h);
  const ws = lesson.weights;
  const lo = Math.min(...lesson.costs);
  const hi = Math.max(...lesson.costs);
  const x = (v) => pad.l + ((v - ws[0]) / (ws[ws.length - 1] - ws[0])) * (w - pad.l - pad.r);
  const y = (c) => pad.t + (1 - (c - lo) / (hi - lo || 1)) * (h - pad.t - pad.b) * 0.6;
  pen.font = "11px system-ui, sans-serif";
  pen.fillStyle = "#555";
  pen.fillText(formatNumber(hi, 3), 2, y(hi) + 4);
  pen.fillText(formatNumber(lo, 3), 2, y(lo) + 4);
  for (const v of [ws[0], 0, ws[ws.length - 1]]) pen.fillText(formatNumber(v, 2), x(v) - 6, h - 6);
  pen.fillText("w →", x(ws[0]) + 24, h - 6);
  pen.strokeStyle = "#999";
  pen.setLineDash([4, 4]);
  for (const ridge of lesson.ridges) {
    pen.beginPath();
    pen.moveTo(x(ridge), pad.t);
    pen.lineTo(x(ridge), h - pad.b);
    pen.stroke();
  }
  pen.setLineDash([]);
  pen.strokeStyle = "#111";
  pen.lineWidth = 2;
  pen.beginPath();
  ws.forEach((v, i) => (i ? pen.lineTo(x(v), y(lesson.costs[i])) : pen.moveTo(x(v), y(lesson.costs[i]))));
  pen.stroke();
  lesson.minima.forEach((m, k) => {
    pen.fillStyle = basinColour(lesson, k);
    pen.beginPath();
    pen.moveTo(x(m.w), y(m.cost) + 2);
    pen.lineTo(x(m.w) - 6, y(m.cost) + 12);
    pen.lineTo(x(m.w) + 6, y(m.cost) + 12);
    pen.fill();
    pen.fillText(m.best ? "global minimum" : "local minimum", x(m.w) - 30, y(m.cost) + 24);
  });
  const top = pad.t + (h - pad.t - pad.b) * 0.7;
  const row = ((h - pad.b) - top) / Math.max(1, lesson.runs.length);
  lesson.runs.forEach((run, k) => {
    const colour = basinColour(lesson, run.basin);
    const ry = top + (k + 0.5) * row;
    pen.strokeStyle = colour;
    pen.lineWidth = 1.5;
    pen.beginPath();
    pen.moveTo(x(run.start), ry);
    pen.lineTo(x(run.end), ry);
    pen.stroke();
    pen.beginPath();
    pen.arc(x(run.start), ry, 3.5, 0, 2 * Math.PI);
    pen.stroke();
    pen.fillStyle = colour;
    pen.beginPath();
    pen.arc(x(run.end), ry, 3.5, 0, 2 * Math.PI);
    pen.fill();
  });
}
