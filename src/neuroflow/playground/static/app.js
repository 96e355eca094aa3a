// The page: controls, the URL state, the frame stream and the Train panel. The server
// (neuroflow) computes every number; this file only asks for them and draws them.

import { drawCurves, drawMap, drawPoints, formatNumber, toPixel } from "./draw.js";
import { calloutFor, drawCallout } from "./callout.js";
import { drawNetwork, edgePoint, hitTest, layout, neuronName } from "./net.js";
import * as lessons from "./lessons.js";
import * as panels from "./panels.js";

const token = new URLSearchParams(location.search).get("token") || "";
const FIELDS = ["problem", "data", "noise", "ratio", "act", "opt", "lr", "bs", "reg", "rr", "seed"];
const CONFIG_KEYS = [...FIELDS, "points", "layers", "features"];
const REGRESSION_SETS = ["plane", "multigauss"];
const MAX_LAYERS = 6;
const MAX_NEURONS = 8;
const BOUNDARY_STRENGTH = 0.45; // the output map pale enough for the points' class colours
const $ = (id) => document.getElementById(id);

/** JSON from the server; a refusal (400, 403) becomes an Error with its message. */
export async function api(path, body) {
  const options = { headers: { "X-Neuroflow-Token": token } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

/** A stream's URL with the token (EventSource cannot send headers). */
export function streamUrl(path) {
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export const app = {
  state: null, frame: null, layers: [8, 8], losses: [], accuracies: [], testLosses: [],
  hoverNeuron: null, hoverWeight: null, playing: false,
  source: null, selected: null, readyMs: null, error: null,
  stats: { frames: 0, bytes: 0, maxBytes: 0, first: null, last: null, drawMs: 0 },
};
window.nf = app; // read by the browser tests: stats, readyMs, where()

/** Where on the network canvas (CSS pixels from its top-left corner) a connection
 * ([k, i, j], at t along it) or a neuron ([k, i]) is drawn. */
app.where = (item, t = 0.3) => {
  const canvas = $("network");
  const nodes = layout(canvas, app.state.sizes);
  const [x, y] = item.length === 3 ? edgePoint(nodes, item[0], item[1], item[2], t)
    : nodes[item[0]][item[1]];
  return [(x * canvas.clientWidth) / canvas.width, (y * canvas.clientHeight) / canvas.height];
};

/** The diagram, with the inspector's box on the neuron or connection pinned by a click
 * (once a point is inspected); `app.callout` keeps what the box shows. */
app.redrawNetwork = () => {
  const canvas = $("network");
  const nodes = drawNetwork(canvas, app.state.sizes, app.frame,
    { names: app.state.features, maps: app.state.input_maps }, app.hoverWeight);
  app.callout = null;
  if (app.pinned && app.record) {
    const callout = calloutFor(app.record, app.state.sizes, app.pinned);
    app.callout = { item: app.pinned, ...callout, box: drawCallout(canvas, nodes, app.pinned, callout) };
  }
};

export function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

/** Put `pairs` into the URL's hash (keeping the other keys), so a link reproduces the demo. */
export function writeHash(pairs) {
  const params = hashParams();
  for (const [key, value] of Object.entries(pairs)) params.set(key, value);
  history.replaceState(null, "", `${location.pathname}${location.search}#${params}`);
}

export function showStatus(text) {
  $("status").textContent = text || "";
}

function controlsConfig() {
  const config = {};
  for (const key of FIELDS) config[key] = $(key).value;
  // a new problem type starts on its first data set
  if ((config.problem === "regression") !== REGRESSION_SETS.includes(config.data)) {
    config.data = config.problem === "regression" ? "plane" : "moons";
  }
  config.features = [...document.querySelectorAll("#features input:checked")]
    .map((box) => box.value).join(",");
  config.layers = app.layers.join(",");
  config.points = app.state ? app.state.config.points : "400";
  return config;
}

/** Show why a setting was refused next to the controls, the field named by the message
 * ("lr: expected ...") marked; the fields go back to the settings in use. */
function refuse(message) {
  const box = $("config-error");
  box.textContent = message;
  box.hidden = false;
  const key = message.split(":")[0];
  document.querySelectorAll(".controls .refused").forEach((e) => e.classList.remove("refused"));
  if ($(key)) $(key).classList.add("refused");
  if (app.state) fillControls(app.state.config);
}

function clearRefusal() {
  $("config-error").hidden = true;
  $("config-error").textContent = "";
  document.querySelectorAll(".controls .refused").forEach((e) => e.classList.remove("refused"));
}

async function sendConfig(config) {
  try {
    const state = await api("/api/config", config);
    showStatus("");
    clearRefusal();
    applyState(state);
  } catch (error) {
    refuse(error.message);
  }
}

function fillControls(config) {
  for (const key of FIELDS) $(key).value = config[key];
  const chosen = (config.features || "x0,x1").split(",");
  document.querySelectorAll("#features input").forEach((box) => {
    box.checked = chosen.includes(box.value);
  });
  app.layers = config.layers ? config.layers.split(",").map(Number) : [];
}

function applyState(state) {
  app.state = state;
  app.error = null;
  const config = state.config;
  fillControls(config);
  app.losses = state.losses.slice();
  app.accuracies = state.accuracies.slice();
  app.testLosses = state.test_losses.slice();
  writeHash(config);
  renderLayerButtons();
  renderFrame(state.frame);
  panels.onState(state);
}

function renderLayerButtons() {
  $("layer-count").textContent = app.layers.length;
  const box = $("neuron-buttons");
  box.innerHTML = "";
  app.layers.forEach((n, k) => {
    const span = document.createElement("span");
    span.innerHTML = `L${k + 1}: <button data-k="${k}" data-d="-1">−</button> ${n} ` +
      `<button data-k="${k}" data-d="1">+</button>`;
    box.appendChild(span);
  });
  box.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    const k = Number(b.dataset.k);
    app.layers[k] = Math.max(1, Math.min(MAX_NEURONS, app.layers[k] + Number(b.dataset.d)));
    sendConfig(controlsConfig());
  }));
}

function renderFrame(frame) {
  app.frame = frame;
  app.losses[frame.epoch] = frame.loss;
  app.accuracies[frame.epoch] = frame.accuracy;
  app.losses.length = frame.epoch + 1;
  app.accuracies.length = frame.epoch + 1;
  if (frame.test_loss !== null && frame.test_loss !== undefined) {
    app.testLosses[frame.epoch] = frame.test_loss;
    app.testLosses.length = frame.epoch + 1;
  }
  $("epoch").textContent = frame.epoch;
  $("loss").textContent = formatNumber(frame.loss, 4);
  $("loss").dataset.value = frame.loss;
  $("accuracy").textContent = frame.accuracy === null ? "–" : `${(100 * frame.accuracy).toFixed(1)}%`;
  $("test-loss").textContent = formatNumber(frame.test_loss, 4);
  $("test-loss").dataset.value = frame.test_loss ?? "";
  $("behaviour").textContent = frame.behaviour || "–";
  $("behaviour").className = frame.behaviour ? `behaviour-${frame.behaviour}` : "";
  drawOutput();
  app.redrawNetwork();
  const series = [{ values: app.losses, colour: "#1d2330", label: "training loss" }];
  if (app.testLosses.length) series.push({ values: app.testLosses, colour: "#c2410c", label: "test loss" });
  if (app.state.problem === "classification") {
    series.push({ values: app.accuracies, colour: "#16a34a", label: "accuracy" });
  }
  drawCurves($("curves"), series, { lo: 0 });
  renderFindings(frame);
  if (frame.error) {
    showStatus(frame.error);
    if (app.playing) pause();
  }
  panels.onFrame(frame);
}

/** The output map with the points, or the map of the neuron the pointer is over,
 * enlarged (as TensorFlow Playground does); "discretize" shows only each side. */
function drawOutput() {
  const frame = app.frame;
  const boundary = $("boundary");
  const discrete = $("discretize").checked;
  const hover = app.hoverNeuron;
  const caption = $("output-caption");
  if (hover) {
    const [k, i] = hover;
    const last = app.state.sizes.length - 1;
    const map = k === 0 ? app.state.input_maps[i] : k === last ? frame.boundary : frame.neurons[k - 1][i];
    drawMap(boundary, map, k === last ? frame.centre : k === 0 ? 0 : undefined, 1, discrete);
    caption.textContent = `Showing ${neuronName(app.state.sizes, k, i, app.state.features)} ` +
      "over the plane (move the pointer off it to see the output).";
    return;
  }
  caption.textContent = "";
  drawMap(boundary, frame.boundary, frame.centre ?? 0.5, BOUNDARY_STRENGTH, discrete);
  const regression = app.state.problem === "regression";
  drawPoints(boundary, app.state.extent, app.state.points, app.state.labels, app.selected,
    false, regression);
  if ($("show-test").checked) {
    drawPoints(boundary, app.state.extent, app.state.test_points, app.state.test_labels, null,
      true, regression);
  }
}

/** Canvas coordinates of a pointer event on `canvas` (scaled like the canvas). */
function canvasPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [((event.clientX - box.left) * canvas.width) / box.width,
    ((event.clientY - box.top) * canvas.height) / box.height];
}

/** Hover: a connection shows its weight, a neuron its map in the output; click on a
 * connection: edit its weight (the server sets it; the maps change at once); once a point
 * is inspected, a click also pins the inspector's box to that neuron or connection (a
 * click beside them removes it). */
function networkPointer(event, click) {
  if (!app.state || !app.frame) return;
  const canvas = $("network");
  const [mx, my] = canvasPoint(canvas, event);
  const nodes = layout(canvas, app.state.sizes);
  const hit = hitTest(nodes, mx, my);
  const tip = $("weight-tip");
  const neuron = hit && hit.neuron ? hit.neuron : null;
  const weight = hit && hit.weight ? hit.weight : null;
  const changed = String(neuron) !== String(app.hoverNeuron) || String(weight) !== String(app.hoverWeight);
  app.hoverNeuron = neuron;
  app.hoverWeight = weight;
  if (weight) {
    const [k, i, j] = weight;
    const names = app.state.features;
    const value = app.frame.weights[k][i][j];
    tip.textContent = `layer ${k + 1}: ${neuronName(app.state.sizes, k, i, names)} → ` +
      `${neuronName(app.state.sizes, k + 1, j, names)}  w = ${formatNumber(value, 4)}` +
      (click ? "" : "  (click to edit)");
    tip.dataset.weight = `${k}.${i}.${j}`;
    tip.dataset.value = value;
    tip.hidden = false;
    if (click) editWeight(k, i, j, value);
  } else {
    tip.hidden = true;
  }
  if (click && app.record) app.pinned = weight || neuron;
  if (changed || click) {
    drawOutput();
    app.redrawNetwork();
  }
}

function editWeight(k, i, j, value) {
  const box = $("weight-edit");
  box.hidden = false;
  box.dataset.weight = `${k}.${i}.${j}`;
  const input = $("weight-value");
  input.value = value;
  input.focus();
  input.select();
}

async function submitWeight() {
  const box = $("weight-edit");
  try {
    const frame = await api("/api/weight", { weight: box.dataset.weight, value: $("weight-value").value });
    box.hidden = true;
    renderFrame(frame);
    panels.onPause();
  } catch (error) { $("weight-error").textContent = error.message; }
}

function renderFindings(frame) {
  const list = $("findings");
  if (frame.error) {
    list.innerHTML = `<li class="finding diverged"><b></b></li>`;
    list.querySelector("b").textContent = `Epoch ${frame.epoch}: ${frame.error} — the ` +
      "learning rate is far too large for this network: lower it (Reset keeps it).";
    return;
  }
  if (!frame.findings || frame.findings.length === 0) {
    list.innerHTML = `<li class="ok">Epoch ${frame.epoch}: no problems spotted.</li>`;
    return;
  }
  list.innerHTML = "";
  for (const finding of frame.findings) {
    const item = document.createElement("li");
    item.className = "finding";
    item.innerHTML = `<b></b> <span class="hintline"></span>`;
    item.querySelector("b").textContent = `Epoch ${finding.epoch + 1}: ${finding.message}`;
    item.querySelector("span").textContent = `— ${finding.hint}`;
    list.appendChild(item);
  }
}

function openStream() {
  const source = new EventSource(streamUrl("/api/stream?frames=300&epochs=1"));
  app.source = source;
  source.onmessage = (event) => {
    const now = performance.now();
    const stats = app.stats;
    stats.frames += 1;
    stats.bytes += event.data.length;
    stats.maxBytes = Math.max(stats.maxBytes, event.data.length);
    if (stats.first === null) stats.first = now;
    stats.last = now;
    renderFrame(JSON.parse(event.data));
    stats.drawMs += performance.now() - now;
  };
  const finish = (retry) => {
    source.close();
    if (app.source !== source) return;
    app.source = null;
    if (app.playing) setTimeout(openStream, retry);
  };
  source.addEventListener("end", () => finish(0));
  source.onerror = () => finish(500);
}

function play() {
  if (app.playing) { pause(); return; }
  app.playing = true;
  $("play").textContent = "❚❚ Pause";
  openStream();
}

/** Stop the stream; the server answers with the network as the pause left it (no step
 * runs after a pause), and that is what the page draws. */
async function pause() {
  app.playing = false;
  $("play").textContent = "▶ Play";
  if (app.source) { app.source.close(); app.source = null; }
  try {
    const paused = await api("/api/pause", {});
    renderFrame(paused.frame);
    panels.onPause();
  } catch (error) { showStatus(error.message); }
}

/** Exactly one epoch from the network on screen (pausing first when playing). */
async function step() {
  if (app.playing) await pause();
  try {
    renderFrame(await api("/api/step?epochs=1", {}));
    panels.onPause();
  } catch (error) { showStatus(error.message); }
}

async function reset() {
  if (app.playing) await pause();
  try { applyState(await api("/api/reset", {})); } catch (error) { showStatus(error.message); }
}

function pickPoint(event) {
  const canvas = $("boundary");
  const box = canvas.getBoundingClientRect();
  const mx = ((event.clientX - box.left) * canvas.width) / box.width;
  const my = ((event.clientY - box.top) * canvas.height) / box.height;
  let best = null;
  let distance = 12;
  app.state.points.forEach(([a, b], i) => {
    const [px, py] = toPixel(canvas, app.state.extent, a, b);
    const d = Math.hypot(px - mx, py - my);
    if (d < distance) { distance = d; best = i; }
  });
  if (best === null) return;
  app.selected = best;
  renderFrame(app.frame);
  panels.inspect(best);
}

async function start() {
  $("play").addEventListener("click", play);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("boundary").addEventListener("click", pickPoint);
  for (const key of FIELDS) $(key).addEventListener("change", () => sendConfig(controlsConfig()));
  document.querySelectorAll("#features input").forEach((box) => {
    box.addEventListener("change", () => sendConfig(controlsConfig()));
  });
  for (const key of ["show-test", "discretize"]) {
    $(key).addEventListener("change", () => { if (app.frame) drawOutput(); });
  }
  const network = $("network");
  network.addEventListener("mousemove", (event) => networkPointer(event, false));
  network.addEventListener("click", (event) => networkPointer(event, true));
  network.addEventListener("mouseleave", () => {
    app.hoverNeuron = null;
    app.hoverWeight = null;
    $("weight-tip").hidden = true;
    if (app.frame) {
      drawOutput();
      app.redrawNetwork();
    }
  });
  $("weight-set").addEventListener("click", submitWeight);
  $("weight-value").addEventListener("keydown", (event) => { if (event.key === "Enter") submitWeight(); });
  $("weight-cancel").addEventListener("click", () => { $("weight-edit").hidden = true; });
  $("layer-plus").addEventListener("click", () => {
    if (app.layers.length < MAX_LAYERS) app.layers.push(4);
    sendConfig(controlsConfig());
  });
  $("layer-minus").addEventListener("click", () => {
    app.layers.pop();
    sendConfig(controlsConfig());
  });
  panels.init({ api, streamUrl, app, writeHash, hashParams, showStatus });
  lessons.init({ api });
  const params = hashParams();
  const config = {};
  for (const key of CONFIG_KEYS) if (params.has(key)) config[key] = params.get(key);
  try {
    applyState(Object.keys(config).length ? await api("/api/config", config)
      : await api("/api/state"));
  } catch (error) {
    showStatus(error.message);
    applyState(await api("/api/state"));
  }
  app.readyMs = performance.now();
  document.body.dataset.ready = "1";
  panels.afterReady();
}

start();
