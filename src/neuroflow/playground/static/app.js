// The page: controls, the URL state, the frame stream and the Train panel. The server
// (neuroflow) computes every number; this file only asks for them and draws them.

import { drawCurves, drawMap, drawPoints, formatNumber, toPixel } from "./draw.js";
import { drawNetwork } from "./net.js";
import * as panels from "./panels.js";

const token = new URLSearchParams(location.search).get("token") || "";
const CONFIG_KEYS = ["data", "noise", "points", "layers", "act", "opt", "lr", "bs", "seed"];
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
  state: null, frame: null, layers: [8, 8], losses: [], accuracies: [], playing: false,
  source: null, selected: null, readyMs: null, error: null,
  stats: { frames: 0, bytes: 0, maxBytes: 0, first: null, last: null, drawMs: 0 },
};
window.nf = app; // read by the browser tests: stats, readyMs

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
  for (const key of ["data", "noise", "act", "opt", "lr", "bs", "seed"]) config[key] = $(key).value;
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
  for (const key of ["data", "noise", "act", "opt", "lr", "bs", "seed"]) $(key).value = config[key];
  app.layers = config.layers ? config.layers.split(",").map(Number) : [];
}

function applyState(state) {
  app.state = state;
  app.error = null;
  const config = state.config;
  fillControls(config);
  app.losses = state.losses.slice();
  app.accuracies = state.accuracies.slice();
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
  $("epoch").textContent = frame.epoch;
  $("loss").textContent = formatNumber(frame.loss, 4);
  $("loss").dataset.value = frame.loss;
  $("accuracy").textContent = `${(100 * frame.accuracy).toFixed(1)}%`;
  $("behaviour").textContent = frame.behaviour || "–";
  $("behaviour").className = frame.behaviour ? `behaviour-${frame.behaviour}` : "";
  const boundary = $("boundary");
  drawMap(boundary, frame.boundary, 0.5, BOUNDARY_STRENGTH);
  drawPoints(boundary, app.state.extent, app.state.points, app.state.labels, app.selected);
  drawNetwork($("network"), app.state.sizes, frame);
  drawCurves($("curves"), [
    { values: app.losses, colour: "#1d2330", label: "loss (cost C)" },
    { values: app.accuracies, colour: "#16a34a", label: "accuracy" },
  ], { lo: 0 });
  renderFindings(frame);
  if (frame.error) {
    showStatus(frame.error);
    if (app.playing) pause();
  }
  panels.onFrame(frame);
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
  for (const key of ["data", "noise", "act", "opt", "lr", "bs", "seed"]) {
    $(key).addEventListener("change", () => sendConfig(controlsConfig()));
  }
  $("layer-plus").addEventListener("click", () => {
    if (app.layers.length < MAX_LAYERS) app.layers.push(4);
    sendConfig(controlsConfig());
  });
  $("layer-minus").addEventListener("click", () => {
    app.layers.pop();
    sendConfig(controlsConfig());
  });
  panels.init({ api, streamUrl, app, writeHash, hashParams, showStatus });
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
