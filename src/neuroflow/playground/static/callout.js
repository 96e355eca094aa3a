// The inspector on the network diagram: after a data point is inspected (one backprop
// step, neuroflow.backprop.trace on the server), a click on a neuron or a connection pins
// a box beside it with that neuron's z, a and δ, or that connection's w, ∂C/∂w = a·δ and
// its update −η ∂C/∂w. Every number is the trace's; this file only lays them out.

import { formatNumber } from "./draw.js";
import { NODE, edgePoint, neuronName } from "./net.js";

/** The lines of the box for `item` ([k, i]: neuron i of column k; [k, i, j]: the
 * connection W[i, j] of layer k + 1) from the trace `record`: {title, lines, values}. */
export function calloutFor(record, sizes, item) {
  const name = (k, i) => neuronName(sizes, k, i, record.features);
  const input = (k, i) => (k === 0 ? record.input[i] : record.layers[k - 1].a[i]);
  const eta = record.learning_rate;
  const head = `point #${record.index}, epoch ${record.epoch}`;
  if (item.length === 3) {
    const [k, i, j] = item;
    const layer = record.layers[k];
    const values = { w: layer.W[i][j], a: input(k, i), delta: layer.delta[j],
      gradient: layer.dW[i][j], change: layer.change[i][j] };
    values.after = values.w + values.change;
    return { title: `${name(k, i)} → ${name(k + 1, j)} (${head})`, values, lines: [
      `w = ${formatNumber(values.w, 5)}`,
      `∂C/∂w = a·δ = ${formatNumber(values.a, 4)} × ${formatNumber(values.delta, 4)}`,
      `      = ${formatNumber(values.gradient, 5)}`,
      `Δw = −η ∂C/∂w = −${eta} × ∂C/∂w = ${formatNumber(values.change, 5)}`,
      `w after = ${formatNumber(values.after, 5)}`,
    ] };
  }
  const [k, i] = item;
  if (k === 0) {
    const values = { a: record.input[i] };
    return { title: `${name(0, i)}, input (${head})`, values,
      lines: [`a = ${formatNumber(values.a, 5)}`] };
  }
  const layer = record.layers[k - 1];
  const values = { z: layer.z[i], a: layer.a[i], delta: layer.delta[i],
    bias: layer.b[i], change: layer.bias_change[i] };
  return { title: `${name(k, i)} (${head})`, values, lines: [
    `z = Σ a·w + b = ${formatNumber(values.z, 5)}`,
    `a = ${layer.activation}(z) = ${formatNumber(values.a, 5)}`,
    `δ = ∂C/∂z = ${formatNumber(values.delta, 5)}`,
    `b = ${formatNumber(values.bias, 4)}, Δb = −η δ = ${formatNumber(values.change, 4)}`,
  ] };
}

/** Draw the box of `callout` beside `item` on the diagram (`nodes`: its layout), with a
 * ring round the neuron or a line to the connection; returns the box [x, y, w, h]. */
export function drawCallout(canvas, nodes, item, callout) {
  const pen = canvas.getContext("2d");
  const [ax, ay] = item.length === 3 ? edgePoint(nodes, item[0], item[1], item[2], 0.5)
    : nodes[item[0]][item[1]];
  pen.font = "12px system-ui, sans-serif";
  const rows = [callout.title, ...callout.lines];
  const width = 14 + Math.max(...rows.map((r) => pen.measureText(r).width));
  const height = 10 + 16 * rows.length;
  const side = ax + NODE / 2 + 10 + width <= canvas.width ? 1 : -1;
  const x = Math.max(2, Math.min(canvas.width - width - 2,
    side > 0 ? ax + NODE / 2 + 10 : ax - NODE / 2 - 10 - width));
  const y = Math.max(2, Math.min(canvas.height - height - 2, ay - height / 2));
  pen.strokeStyle = "#111";
  pen.lineWidth = 2;
  pen.beginPath();
  if (item.length === 3) pen.arc(ax, ay, 5, 0, 2 * Math.PI);
  else pen.rect(ax - NODE / 2 - 3, ay - NODE / 2 - 3, NODE + 6, NODE + 6);
  pen.stroke();
  pen.lineWidth = 1;
  pen.beginPath();
  pen.moveTo(ax, ay);
  pen.lineTo(side > 0 ? x : x + width, y + height / 2);
  pen.stroke();
  pen.fillStyle = "rgba(255,255,255,0.95)";
  pen.fillRect(x, y, width, height);
  pen.strokeRect(x, y, width, height);
  rows.forEach((row, r) => {
    pen.fillStyle = r === 0 ? "#555" : "#111";
    pen.fillText(row, x + 7, y + 18 + 16 * r);
  });
  return [x, y, width, height];
}
