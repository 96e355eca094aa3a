// The network diagram: every input feature and hidden neuron as its map over the plane,
// every connection coloured by the sign of its weight (blue w > 0, orange w < 0, the one
// rule of every neuroflow figure) and as thick as |w| (relative to the largest |w|).
// Neurons are numbered from 0, as `neuroflow explain` and the figures number them:
// input x0, x1, ...; hidden neuron i of layer l is h<l>.<i>. The maps and weights come
// from the server's frames.

import { diverging, paintMap } from "./draw.js";

export const NODE = 38;
const FEATURE_LABELS = {
  x0: "x₀", x1: "x₁", "x0^2": "x₀²", "x1^2": "x₁²", x0x1: "x₀x₁",
  sin_x0: "sin x₀", sin_x1: "sin x₁",
};

/** The name of neuron `i` of column `k` (0: the inputs) of a network of `sizes`. */
export function neuronName(sizes, k, i, features) {
  if (k === 0) return features ? features[i] : `x${i}`;
  if (k === sizes.length - 1) return "out";
  return `h${k}.${i}`;
}

/** Node centres [[x, y] per neuron] per column for layer sizes on a canvas. */
export function layout(canvas, sizes) {
  const margin = 44;
  const columns = sizes.length;
  const spacing = Math.min(48, (canvas.height - 30) / Math.max(...sizes));
  return sizes.map((size, k) => {
    const x = margin + (k * (canvas.width - 2 * margin)) / Math.max(1, columns - 1);
    const top = canvas.height / 2 - ((size - 1) * spacing) / 2;
    return Array.from({ length: size }, (_, i) => [x, top + i * spacing]);
  });
}

/** The point at t in [0, 1] along the connection W[i, j] of layer k (canvas pixels). */
export function edgePoint(nodes, k, i, j, t) {
  const [a, y0] = nodes[k][i];
  const [b, y1] = nodes[k + 1][j];
  const x0 = a + NODE / 2;
  const x1 = b - NODE / 2;
  const xm = (a + b) / 2;
  const u = 1 - t;
  return [u * u * u * x0 + 3 * u * u * t * xm + 3 * u * t * t * xm + t * t * t * x1,
    u * u * u * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t * t * t * y1];
}

/** What lies under canvas point (mx, my): {neuron: [k, i]}, {weight: [k, i, j]} (the
 * nearest connection within 5 px) or null. */
export function hitTest(nodes, mx, my) {
  for (let k = 0; k < nodes.length; k++) {
    for (let i = 0; i < nodes[k].length; i++) {
      const [x, y] = nodes[k][i];
      if (Math.abs(mx - x) <= NODE / 2 && Math.abs(my - y) <= NODE / 2) return { neuron: [k, i] };
    }
  }
  let best = null;
  let distance = 5;
  for (let k = 0; k + 1 < nodes.length; k++) {
    for (let i = 0; i < nodes[k].length; i++) {
      for (let j = 0; j < nodes[k + 1].length; j++) {
        for (let s = 0; s <= 40; s++) {
          const [px, py] = edgePoint(nodes, k, i, j, s / 40);
          const d = Math.hypot(px - mx, py - my);
          if (d < distance) { distance = d; best = { weight: [k, i, j] }; }
        }
      }
    }
  }
  return best;
}

/** Draw the whole diagram for `sizes`, a frame {weights, neurons, boundary} and the
 * input features' maps; `highlight` ([k, i, j]) draws one connection black. */
export function drawNetwork(canvas, sizes, frame, inputs, highlight) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const nodes = layout(canvas, sizes);
  const all = frame.weights.flat(2).map(Math.abs);
  const largest = Math.max(1e-9, ...all);
  for (let k = 0; k < frame.weights.length; k++) {
    const W = frame.weights[k];
    for (let i = 0; i < W.length; i++) {
      for (let j = 0; j < W[i].length; j++) {
        const w = W[i][j];
        const [x0, y0] = nodes[k][i];
        const [x1, y1] = nodes[k + 1][j];
        const rgb = diverging(w >= 0 ? 0.85 : -0.85);
        const lit = highlight && highlight[0] === k && highlight[1] === i && highlight[2] === j;
        ctx.strokeStyle = lit ? "#111" : `rgba(${rgb[0]},${rgb[1]},${rgb[2]},0.85)`;
        ctx.lineWidth = 0.4 + (5 * Math.abs(w)) / largest + (lit ? 1.5 : 0);
        ctx.beginPath();
        ctx.moveTo(x0 + NODE / 2, y0);
        ctx.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1 - NODE / 2, y1);
        ctx.stroke();
      }
    }
  }
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "right";
  nodes.forEach((column, k) => {
    column.forEach(([x, y], i) => {
      const left = x - NODE / 2;
      const top = y - NODE / 2;
      if (k === 0) {
        if (inputs && inputs.maps[i]) paintMap(ctx, inputs.maps[i], 0, left, top, NODE, NODE);
        ctx.fillStyle = "#222";
        const name = inputs ? inputs.names[i] : `x${i}`;
        ctx.fillText(FEATURE_LABELS[name] || name, left - 3, y + 4);
      } else if (k === nodes.length - 1) {
        paintMap(ctx, frame.boundary, frame.centre ?? 0.5, left, top, NODE, NODE);
      } else {
        paintMap(ctx, frame.neurons[k - 1][i], undefined, left, top, NODE, NODE);
      }
      ctx.strokeStyle = "#444";
      ctx.lineWidth = 1;
      ctx.strokeRect(left, top, NODE, NODE);
    });
  });
  ctx.textAlign = "left";
  return nodes;
}
