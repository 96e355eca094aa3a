// Panels 2-5 and 7: the inspector, the cost landscape, the learning-rate race, the code
// and MNIST. Each asks the server (neuroflow) for its numbers and draws them.

import { decodeBytes, diverging, drawCurves, drawLandscape, formatNumber } from "./draw.js";

const $ = (id) => document.getElementById(id);
const RACE_COLOURS = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed"];
let ctx = null; // {api, streamUrl, app, writeHash, hashParams, showStatus}
let lastInspect = 0;
let lastCode = 0;
let framesSinceLandscape = 0;
let landscapeDrawn = false;
let landscapeBusy = false;
let raceCsv = "";
let ready = false;
const visible = { landscape: false, inspect: false };

export function init(context) {
  ctx = context;
  $("landscape-go").addEventListener("click", () => drawLandscapePanel(51));
  $("race-go").addEventListener("click", race);
  $("race-csv").addEventListener("click", downloadCsv);
  $("copy").addEventListener("click", () => navigator.clipboard.writeText($("python").textContent));
  $("save").addEventListener("click", save);
  const params = ctx.hashParams();
  if (params.has("lrs")) $("lrs").value = params.get("lrs");
  $("lrs").addEventListener("change", () => ctx.writeHash({ lrs: $("lrs").value }));
  for (const id of ["w1", "w2"]) {
    $(id).addEventListener("change", () => ctx.writeHash({ [id]: $(id).value }));
  }
  initMnist();
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) visible[entry.target.id.slice(6)] = entry.isIntersecting;
  });
  watcher.observe($("panel-landscape"));
  watcher.observe($("panel-inspect"));
  const pen = $("race-curves").getContext("2d");
  pen.fillStyle = "#5b6475";
  pen.font = "13px system-ui, sans-serif";
  pen.fillText("Press Race: one copy of this network per η, same seed,", 20, 100);
  pen.fillText("trains side by side; the table names what each did.", 20, 120);
}

export function onState(state) {
  fillWeightChoices(state.sizes);
  ctx.app.selected = null;
  ctx.app.record = null;
  ctx.app.pinned = null;
  $("inspect-tables").innerHTML = "";
  $("inspect-summary").innerHTML = "";
  landscapeDrawn = false;
  refreshCode();
  if (ready) drawLandscapePanel();
}

export function onFrame() {
  const now = performance.now();
  if (ctx.app.selected !== null && visible.inspect && now - lastInspect > 700) {
    inspect(ctx.app.selected);
  }
  if (now - lastCode > 2000) refreshCode();
  framesSinceLandscape += 1;
  if (landscapeDrawn && visible.landscape && !landscapeBusy && framesSinceLandscape >= 15
      && $("mode").value === "live") drawLandscapePanel();
}

export function onPause() {
  refreshCode();
  if (ctx.app.selected !== null) inspect(ctx.app.selected);
}

export function afterReady() {
  ready = true;
  drawLandscapePanel();
  ctx.api("/api/mnist/state").then(drawMnistFrame).catch((e) => ctx.showStatus(e.message));
}

// ------------------------------------------------------------------ 2. inspector
function cell(value, cls = "") {
  const sign = value > 0 ? "pos" : value < 0 ? "neg" : "";
  return `<td class="${cls} ${sign}" data-value="${value}">${formatNumber(value, 4)}</td>`;
}

export async function inspect(index) {
  lastInspect = performance.now();
  let record;
  try {
    record = await ctx.api(`/api/inspect?i=${index}`);
  } catch (error) { ctx.showStatus(error.message); return; }
  ctx.app.record = record; // the diagram's box (callout.js) reads it
  if (ctx.app.frame) ctx.app.redrawNetwork();
  // numbered from 0, as neuroflow explain and the figures number them
  const names = (l, i) => (l === 0 ? record.features[i] : `h${l}.${i}`);
  const out = record.layers.length;
  $("inspect-help").textContent =
    `Point #${record.index} at (${formatNumber(record.x[0], 3)}, ${formatNumber(record.x[1], 3)}), ` +
    `label ${record.label}, epoch ${record.epoch}. δ = ∂C/∂z; one plain gradient step ` +
    `W ← W − η ∂C/∂W with η = ${record.learning_rate}.`;
  const drop = record.cost_after - record.cost_before;
  $("inspect-summary").innerHTML =
    `<p class="cost-line">Cost of this point C = <b id="cost-before">${formatNumber(record.cost_before, 6)}</b>` +
    ` → after that one step <b id="cost-after">${formatNumber(record.cost_after, 6)}</b>` +
    ` (${drop <= 0 ? "down" : "up"} ${formatNumber(Math.abs(drop), 3)}); output a = ` +
    `${formatNumber(record.output[0], 5)}</p>`;
  const blocks = record.layers.map((layer, l) => {
    const target = (j) => (l === out - 1 ? "out" : names(l + 1, j));
    let neurons = `<table><caption>Layer ${l + 1} neurons (${layer.activation})</caption>` +
      "<tr><th>neuron</th><th>z</th><th>a</th><th>δ</th></tr>";
    layer.z.forEach((z, j) => {
      neurons += `<tr><th>${target(j)}</th>${cell(z)}${cell(layer.a[j])}` +
        `${cell(layer.delta[j], "delta").replace("<td", `<td data-layer="${l}" data-neuron="${j}"`)}</tr>`;
    });
    neurons += "</table>";
    let weights = `<table><caption>Layer ${l + 1} connections</caption>` +
      "<tr><th>w</th><th>value</th><th>∂C/∂w</th><th>−η ∂C/∂w</th></tr>";
    layer.W.forEach((row, i) => row.forEach((w, j) => {
      weights += `<tr><th>${names(l, i)}→${target(j)}</th>${cell(w)}${cell(layer.dW[i][j], "grad")}` +
        `${cell(layer.change[i][j])}</tr>`;
    }));
    layer.b.forEach((b, j) => {
      weights += `<tr><th>b→${target(j)}</th>${cell(b)}${cell(layer.db[j])}${cell(layer.bias_change[j])}</tr>`;
    });
    weights += "</table>";
    return `<div class="layer-block">${neurons}${weights}</div>`;
  });
  $("inspect-tables").innerHTML = blocks.join("");
}

// ------------------------------------------------------------------ 3. landscape
function fillWeightChoices(sizes) {
  const params = ctx.hashParams();
  for (const [id, fallback] of [["w1", "0.0.0"], ["w2", "0.1.0"]]) {
    const select = $(id);
    const wanted = params.get(id) || select.value || fallback;
    select.innerHTML = "";
    for (let l = 0; l < sizes.length - 1; l++) {
      for (let i = 0; i < sizes[l]; i++) {
        for (let j = 0; j < sizes[l + 1]; j++) {
          const option = document.createElement("option");
          option.value = `${l}.${i}.${j}`;
          const from = l === 0 ? (ctx.app.state.features || [])[i] || `x${i}` : `h${l}.${i}`;
          const to = l === sizes.length - 2 ? "out" : `h${l + 1}.${j}`;
          option.textContent = `layer ${l + 1}: ${from} → ${to}`;
          select.appendChild(option);
        }
      }
    }
    select.value = [...select.options].some((o) => o.value === wanted) ? wanted : fallback;
  }
}

async function drawLandscapePanel(resolution = 31) {
  landscapeBusy = true;
  framesSinceLandscape = 0;
  const query = `w1=${$("w1").value}&w2=${$("w2").value}&span=${$("span").value}` +
    `&mode=${$("mode").value}&n=${resolution}`;
  try {
    const result = await ctx.api(`/api/landscape?${query}`);
    const { lo, hi } = drawLandscape($("landscape"), result);
    const label = (w) => $("w1").querySelector(`option[value="${w.join(".")}"]`).textContent;
    const last = result.path_costs[result.path_costs.length - 1];
    $("landscape-note").textContent =
      `C from ${formatNumber(lo, 4)} (dark) to ${formatNumber(hi, 4)} (light) over ` +
      `w₁ = ${label(result.first)} ∈ [${formatNumber(result.w1[0], 3)}, ` +
      `${formatNumber(result.w1[result.w1.length - 1], 3)}] (→) and w₂ = ${label(result.second)} ∈ ` +
      `[${formatNumber(result.w2[0], 3)}, ${formatNumber(result.w2[result.w2.length - 1], 3)}] (↑). ` +
      `Path: ${result.path.length - 1} ${result.mode === "live" ? "epochs of training (all weights learning)" :
        "steps with only these two weights learning"}, C now ${formatNumber(last, 4)}.`;
    landscapeDrawn = true;
  } catch (error) { ctx.showStatus(error.message); }
  landscapeBusy = false;
}

// ------------------------------------------------------------------ 4. race
function race() {
  const rates = $("lrs").value;
  const epochs = $("race-epochs").value;
  const body = $("race-table").querySelector("tbody");
  body.innerHTML = "";
  $("race-csv").disabled = true;
  $("race-error").hidden = true;
  ctx.writeHash({ lrs: rates });
  const query = `/api/race?lrs=${encodeURIComponent(rates)}&epochs=${epochs}`;
  const source = new EventSource(ctx.streamUrl(query));
  let heard = false;
  const labels = rates.split(",").map((r) => `η = ${r.trim()}`);
  const draw = (losses) => {
    const start = Math.max(...losses.map((l) => l[0]));
    drawCurves($("race-curves"), losses.map((values, k) => ({
      values, colour: RACE_COLOURS[k], label: labels[k],
    })), { lo: 0, clip: 2 * start });
  };
  source.addEventListener("progress", (event) => { heard = true; draw(JSON.parse(event.data).losses); });
  source.addEventListener("result", (event) => {
    heard = true;
    const result = JSON.parse(event.data);
    draw(result.rows.map((r) => r.losses));
    for (const row of result.rows) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td>${row.learning_rate}</td><td>${formatNumber(row.final_loss, 4)}</td>` +
        `<td>${row.accuracy === null ? "–" : `${(100 * row.accuracy).toFixed(1)}%`}</td>` +
        `<td class="behaviour-${row.behaviour}">${row.behaviour}</td>`;
      body.appendChild(tr);
    }
    raceCsv = result.csv;
    $("race-csv").disabled = false;
    source.close();
  });
  source.addEventListener("end", () => source.close());
  source.onerror = () => {
    source.close();
    if (!heard) raceFailed(query);
  };
}

/** A refused race (an EventSource cannot read its 400): ask again for the message and
 * show it in the panel, the old curves wiped. */
async function raceFailed(query) {
  let message = "the race could not start";
  try { await ctx.api(query); } catch (error) { message = error.message; }
  const box = $("race-error");
  box.textContent = message;
  box.hidden = false;
  const canvas = $("race-curves");
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, canvas.width, canvas.height);
}

function downloadCsv() {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([raceCsv], { type: "text/csv" }));
  link.download = "learning_rate_race.csv";
  link.click();
}

// ------------------------------------------------------------------ 5. code
async function refreshCode() {
  lastCode = performance.now();
  try {
    const code = await ctx.api(`/api/code?sample=${ctx.app.selected || 0}`);
    $("python").textContent = code.python;
    $("cli").textContent = code.cli;
  } catch (error) { ctx.showStatus(error.message); }
}

async function save() {
  try {
    const result = await ctx.api("/api/save", { name: "playground.safetensors" });
    $("saved").textContent = `saved: ${result.path}`;
    $("python").textContent = result.code.python;
    $("cli").textContent = result.code.cli;
  } catch (error) { ctx.showStatus(error.message); }
}

// ------------------------------------------------------------------ 7. MNIST
function initMnist() {
  const canvas = $("draw");
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, canvas.width, canvas.height);
  let drawing = false;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * canvas.width) / box.width,
      ((event.clientY - box.top) * canvas.height) / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    const [x, y] = at(event);
    pen.beginPath();
    pen.moveTo(x, y);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, y] = at(event);
    pen.strokeStyle = "#fff";
    pen.lineWidth = 20;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.lineTo(x, y);
    pen.stroke();
  });
  const finish = () => { if (drawing) { drawing = false; predict(); } };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  $("clear").addEventListener("click", () => {
    pen.fillStyle = "#000";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    $("forward").innerHTML = "";
    $("probabilities").innerHTML = "";
    $("prediction").textContent = "–";
  });
  $("mnist-train").addEventListener("click", trainMnist);
  $("mnist-model").addEventListener("change", async () => {
    try {
      drawMnistFrame(await ctx.api("/api/mnist/config", { mconv: $("mnist-model").value }));
    } catch (error) { ctx.showStatus(error.message); return; }
    $("clear").click();
  });
}

/** A canvas of `values` (height x width, row by row), each pixel `colour(v)` (r, g, b),
 * shown `cssWidth` pixels wide when given. */
function imageCanvas(values, height, width, colour, cssWidth) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(width, height);
  values.forEach((v, p) => image.data.set([...colour(v), 255], 4 * p));
  canvas.getContext("2d").putImageData(image, 0, 0);
  if (cssWidth) {
    canvas.style.width = `${cssWidth}px`;
    canvas.style.imageRendering = "pixelated";
  }
  return canvas;
}

function pixels() {
  const small = document.createElement("canvas");
  small.width = 28;
  small.height = 28;
  const pen = small.getContext("2d");
  pen.drawImage($("draw"), 0, 0, 28, 28);
  const data = pen.getImageData(0, 0, 28, 28).data;
  return Array.from({ length: 784 }, (_, i) => data[4 * i] / 255);
}

async function predict() {
  let result;
  try {
    result = await ctx.api("/api/mnist/predict", { pixels: pixels() });
  } catch (error) { ctx.showStatus(error.message); return; }
  const forward = $("forward");
  forward.innerHTML = "<div class='hint'>input (framed like MNIST, 28 × 28)</div>";
  const ink = (v) => [255 * (1 - v), 255 * (1 - v), 255 * (1 - v)];
  forward.appendChild(imageCanvas(result.input, 28, 28, ink, 84));
  (result.maps || []).forEach((group) => {
    const [channels, height, width] = group.shape;
    const top = Math.max(1e-9, ...group.values.map(Math.abs));
    forward.insertAdjacentHTML("beforeend",
      `<div class="hint">${group.name}: ${channels} feature maps, ${height} × ${width}</div>`);
    const row = document.createElement("div");
    row.className = "maps";
    const size = height * width;
    for (let c = 0; c < channels; c++) {
      row.appendChild(imageCanvas(group.values.slice(c * size, (c + 1) * size), height, width,
        (v) => diverging(v / top), 2 * width));
    }
    forward.appendChild(row);
  });
  result.layers.slice(0, -1).forEach((a, l) => {
    const top = Math.max(1e-9, ...a.map(Math.abs));
    const row = a.map((v) => {
      const rgb = diverging(v / top);
      return `<div title="${v}" style="background: rgb(${rgb})"></div>`;
    }).join("");
    forward.insertAdjacentHTML("beforeend",
      `<div class="hint">hidden layer ${l + 1}: ${a.length} activations</div><div class="activations">${row}</div>`);
  });
  $("prediction").textContent = result.digit;
  $("probabilities").innerHTML = result.probabilities.map((p, d) =>
    `<div class="prob${d === result.digit ? " best" : ""}"><span>${d}</span>` +
    `<div class="bar" style="width:${Math.max(1, 220 * p)}px"></div><em>${(100 * p).toFixed(1)}%</em></div>`).join("");
}

function drawMnistFrame(frame) {
  $("mnist-epoch").textContent = frame.epoch;
  $("mnist-accuracy").textContent = `${(100 * frame.accuracy).toFixed(1)}%`;
  const [count, height, width] = frame.weights.shape;
  const bytes = decodeBytes(frame.weights);
  const columns = 8;
  const scale = 45;
  const canvas = $("mnist-weights");
  canvas.height = Math.ceil(count / columns) * scale;
  $("mnist-weights-what").textContent = height === 28 ? "(one image per hidden neuron)"
    : `(one ${height} × ${width} filter per feature map)`;
  const pen = canvas.getContext("2d");
  pen.clearRect(0, 0, canvas.width, canvas.height);
  pen.imageSmoothingEnabled = false;
  const size = height * width;
  const colour = (b) => diverging((b - 127.5) / 127.5);
  for (let k = 0; k < count; k++) {
    const tile = imageCanvas(bytes.subarray(k * size, (k + 1) * size), height, width, colour);
    pen.drawImage(tile, (k % columns) * scale, Math.floor(k / columns) * scale, scale - 2, scale - 2);
  }
}

function trainMnist() {
  const button = $("mnist-train");
  button.disabled = true;
  const source = new EventSource(ctx.streamUrl("/api/mnist/stream?frames=5&epochs=1"));
  source.onmessage = (event) => drawMnistFrame(JSON.parse(event.data));
  const done = () => { source.close(); button.disabled = false; predict(); };
  source.addEventListener("end", done);
  source.onerror = done;
}
