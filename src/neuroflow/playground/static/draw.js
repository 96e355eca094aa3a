// Drawing only: every number drawn here was computed by neuroflow on the server.
// Colours follow one diverging scale: orange for negative (class 0), blue for positive
// (class 1), white at zero.

const ORANGE = [245, 147, 34];
const BLUE = [8, 119, 189];
const WHITE = [248, 248, 248];

/** Bytes of a quantised map {lo, hi, shape, data (base64)} as a Uint8Array. */
export function decodeBytes(map) {
  const text = atob(map.data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The colour of t in [-1, 1]: orange (-1) through white (0) to blue (+1). */
export function diverging(t) {
  const s = Math.max(-1, Math.min(1, t));
  const end = s < 0 ? ORANGE : BLUE;
  const k = Math.abs(s);
  return [0, 1, 2].map((c) => Math.round(WHITE[c] + (end[c] - WHITE[c]) * k));
}

/** A 256-entry palette for a map: value lo + q (hi - lo) / 255 coloured relative to
 * zero (scaled by max |lo|, |hi|), or, with `centre`, relative to that value. */
function palette(map, centre, strength = 1, discrete = false) {
  const table = [];
  const mid = centre === undefined ? 0 : centre;
  const scale = Math.max(Math.abs(map.lo - mid), Math.abs(map.hi - mid)) || 1;
  for (let q = 0; q < 256; q++) {
    const value = map.lo + (q * (map.hi - map.lo)) / 255;
    const t = discrete ? Math.sign(value - mid) : (value - mid) / scale;
    table.push(diverging(strength * t));
  }
  return table;
}

const scratch = new Map(); // one small canvas per map size, reused frame after frame

/** Draw a quantised map into the rectangle (x, y, w, h) of a 2-D context. */
export function paintMap(ctx, map, centre, x, y, w, h, strength = 1, discrete = false) {
  const [rows, cols] = map.shape.slice(-2);
  const key = `${cols}x${rows}`;
  if (!scratch.has(key)) {
    const small = document.createElement("canvas");
    small.width = cols;
    small.height = rows;
    scratch.set(key, { small, pen: small.getContext("2d"), image: new ImageData(cols, rows) });
  }
  const { small, pen, image } = scratch.get(key);
  const bytes = decodeBytes(map);
  const table = palette(map, centre, strength, discrete);
  for (let i = 0; i < rows * cols; i++) {
    const rgb = table[bytes[i]];
    image.data[4 * i] = rgb[0];
    image.data[4 * i + 1] = rgb[1];
    image.data[4 * i + 2] = rgb[2];
    image.data[4 * i + 3] = 255;
  }
  pen.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = !discrete; // a discretized map keeps its two colours
  ctx.drawImage(small, x, y, w, h);
}

/** Draw a quantised map onto a canvas, stretched to fill it; `strength` < 1 pales it
 * (the output map behind the data points, so that each point keeps its class colour);
 * `discrete` shows only the side of `centre` each value lies on ("discretize output"). */
export function drawMap(canvas, map, centre, strength = 1, discrete = false) {
  paintMap(canvas.getContext("2d"), map, centre, 0, 0, canvas.width, canvas.height, strength,
    discrete);
}

/** Map data coordinates (x1, x2) to canvas pixels for an extent [x1min, x1max, x2min, x2max]. */
export function toPixel(canvas, extent, x1, x2) {
  const px = ((x1 - extent[0]) / (extent[1] - extent[0])) * canvas.width;
  const py = ((extent[3] - x2) / (extent[3] - extent[2])) * canvas.height;
  return [px, py];
}

/** The colour of a label: class 1 blue, class 0 orange; a regression target on the
 * diverging scale (blue positive, orange negative). */
export function labelColour(label, regression) {
  if (regression) return `rgb(${diverging(label)})`;
  return label === 1 ? "rgb(8,119,189)" : "rgb(245,147,34)";
}

/** The data points on the boundary map; `selected` (an index) is ringed; test points
 * (`test`) are drawn with a thick black outline. */
export function drawPoints(canvas, extent, points, labels, selected, test = false,
  regression = false) {
  const ctx = canvas.getContext("2d");
  for (let i = 0; i < points.length; i++) {
    const [px, py] = toPixel(canvas, extent, points[i][0], points[i][1]);
    ctx.beginPath();
    ctx.arc(px, py, 3.6, 0, 2 * Math.PI);
    ctx.fillStyle = labelColour(labels[i], regression);
    ctx.fill();
    ctx.lineWidth = test ? 2 : 1;
    ctx.strokeStyle = test ? "#000" : "rgba(20,20,20,0.65)";
    ctx.stroke();
  }
  if (selected !== null && selected !== undefined && points[selected]) {
    const [px, py] = toPixel(canvas, extent, points[selected][0], points[selected][1]);
    ctx.beginPath();
    ctx.arc(px, py, 8, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#111";
    ctx.stroke();
  }
}

/** Line chart of one or more series [{values, colour, label}] on a canvas. */
export function drawCurves(canvas, series, options = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  const pad = { l: 44, r: 8, t: 10, b: 20 };
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  if (all.length === 0) return;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  let lo = options.lo !== undefined ? options.lo : Math.min(...all);
  let hi = options.hi !== undefined ? options.hi : Math.max(...all);
  if (options.clip) hi = Math.min(hi, options.clip);
  if (hi - lo < 1e-12) { hi = lo + 1; }
  const x = (i) => pad.l + (i / (n - 1)) * (w - pad.l - pad.r);
  const y = (v) => pad.t + (1 - (Math.min(v, hi) - lo) / (hi - lo)) * (h - pad.t - pad.b);
  ctx.strokeStyle = "#ddd";
  ctx.fillStyle = "#555";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (const v of [lo, (lo + hi) / 2, hi]) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(w - pad.r, y(v));
    ctx.stroke();
    ctx.fillText(formatNumber(v, 3), 2, y(v) + 4);
  }
  ctx.fillText(`epoch ${n - 1}`, w - pad.r - 64, h - 5);
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      if (!started) ctx.moveTo(x(i), y(v)); else ctx.lineTo(x(i), y(v));
      started = true;
    });
    ctx.stroke();
  }
  let lx = pad.l + 6;
  const labelled = series.filter((s) => s.label);
  const width = labelled.reduce((w, s) => w + ctx.measureText(s.label).width + 28, 0);
  ctx.fillStyle = "rgba(255,255,255,0.9)";
  if (labelled.length) ctx.fillRect(lx - 4, pad.t - 2, width, 14);
  for (const s of labelled) {
    ctx.fillStyle = s.colour;
    ctx.fillRect(lx, pad.t + 2, 10, 3);
    ctx.fillStyle = "#333";
    ctx.fillText(s.label, lx + 13, pad.t + 7);
    lx += ctx.measureText(s.label).width + 28;
  }
}

/** A number with `digits` significant digits, "-" for null. */
export function formatNumber(v, digits = 4) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** The cost grid as a contour plot (colour low = dark blue to high = light, with 10 iso-cost
 * lines), the path drawn over it. Grid point (r, c) sits exactly at (w1[c], w2[r]). */
export function drawLandscape(canvas, result) {
  const ctx = canvas.getContext("2d");
  const { w1, w2, costs, path } = result;
  const n1 = w1.length;
  const n2 = w2.length;
  const flat = costs.flat().filter((v) => v !== null && Number.isFinite(v));
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const level = (v) => (v === null || !Number.isFinite(v) ? 1 : Math.sqrt((v - lo) / (hi - lo || 1)));
  const gx = (c) => (c / (n1 - 1)) * canvas.width;
  const gy = (r) => (1 - r / (n2 - 1)) * canvas.height;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let r = 0; r < n2; r++) {
    for (let c = 0; c < n1; c++) {
      const t = level(costs[r][c]);
      ctx.fillStyle = `rgb(${Math.round(20 + 225 * t)},${Math.round(45 + 200 * t)},${Math.round(110 + 140 * t)})`;
      const x0 = gx(c - 0.5);
      const y0 = gy(r + 0.5);
      ctx.fillRect(Math.floor(x0), Math.floor(y0), Math.ceil(gx(c + 0.5) - x0) + 1,
        Math.ceil(gy(r - 0.5) - y0) + 1);
    }
  }
  ctx.strokeStyle = "rgba(255,255,255,0.75)";
  ctx.lineWidth = 1;
  for (let k = 1; k < 10; k++) {
    const t = k / 10;
    ctx.beginPath();
    for (let r = 0; r < n2 - 1; r++) {
      for (let c = 0; c < n1 - 1; c++) {
        const corners = [[r, c], [r, c + 1], [r + 1, c + 1], [r + 1, c]];
        const values = corners.map(([i, j]) => level(costs[i][j]));
        const points = [];
        for (let e = 0; e < 4; e++) {
          const a = values[e];
          const b = values[(e + 1) % 4];
          if ((a < t) !== (b < t)) {
            const f = (t - a) / (b - a);
            const [ra, ca] = corners[e];
            const [rb, cb] = corners[(e + 1) % 4];
            points.push([gx(ca + f * (cb - ca)), gy(ra + f * (rb - ra))]);
          }
        }
        for (let p = 0; p + 1 < points.length; p += 2) {
          ctx.moveTo(points[p][0], points[p][1]);
          ctx.lineTo(points[p + 1][0], points[p + 1][1]);
        }
      }
    }
    ctx.stroke();
  }
  const px = (a) => ((a - w1[0]) / (w1[n1 - 1] - w1[0])) * canvas.width;
  const py = (b) => (1 - (b - w2[0]) / (w2[n2 - 1] - w2[0])) * canvas.height;
  ctx.strokeStyle = "#ff3b30";
  ctx.lineWidth = 2;
  ctx.beginPath();
  path.forEach(([a, b], i) => {
    if (a === null || b === null) return;
    if (i === 0) ctx.moveTo(px(a), py(b)); else ctx.lineTo(px(a), py(b));
  });
  ctx.stroke();
  ctx.fillStyle = "#ff3b30";
  path.forEach(([a, b], i) => {
    if (a === null || b === null) return;
    ctx.beginPath();
    ctx.arc(px(a), py(b), i === 0 || i === path.length - 1 ? 5 : 2, 0, 2 * Math.PI);
    ctx.fill();
  });
  if (path.length) {
    ctx.fillStyle = "#000";
    ctx.font = "bold 12px system-ui, sans-serif";
    const [a0, b0] = path[0];
    ctx.fillText("start", px(a0) + 6, py(b0) - 6);
  }
  return { lo, hi };
}
