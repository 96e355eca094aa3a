// The network diagram: every hidden neuron as its live activation map over the plane,
// every connection coloured by the sign of its weight and as thick as |w| (relative to
// the largest |w|). The maps and weights come from the server's frames.

import { diverging, paintMap } from "./draw.js";

const NODE = 38;

/** Node centres [[x, y] per neuron] per column for layer sizes on a canvas. */
export function layout(canvas, sizes) {
  const margin = 34;
  const columns = sizes.length;
  const spacing = Math.min(48, (canvas.height - 30) / Math.max(...sizes));
  return sizes.map((size, k) => {
    const x = margin + (k * (canvas.width - 2 * margin)) / Math.max(1, columns - 1);
    const top = canvas.height / 2 - ((size - 1) * spacing) / 2;
    return Array.from({ length: size }, (_, i) => [x, top + i * spacing]);
  });
}

/** Draw the whole diagram for `sizes` and a frame {weights, neurons, boundary}. */
export function drawNetwork(canvas, sizes, frame) {
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
        ctx.strokeStyle = `rgba(${rgb[0]},${rgb[1]},${rgb[2]},0.85)`;
        ctx.lineWidth = 0.4 + (5 * Math.abs(w)) / largest;
        ctx.beginPath();
        ctx.moveTo(x0 + NODE / 2, y0);
        ctx.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1 - NODE / 2, y1);
        ctx.stroke();
      }
    }
  }
  ctx.font = "bold 13px system-ui, sans-serif";
  ctx.textAlign = "center";
  nodes.forEach((column, k) => {
    column.forEach(([x, y], i) => {
      const left = x - NODE / 2;
      const top = y - NODE / 2;
      if (k === 0) {
        ctx.fillStyle = "#eef1f5";
        ctx.fillRect(left, top, NODE, NODE);
        ctx.fillStyle = "#222";
        ctx.fillText(i === 0 ? "x₁" : "x₂", x, y + 5);
      } else if (k === nodes.length - 1) {
        paintMap(ctx, frame.boundary, 0.5, left, top, NODE, NODE);
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
