"""Pictures of learning: the cost along one weight with gradient-descent paths, and the
learning curves of a training run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.network import Network
from neuroflow.plotting._common import check_figsize, check_network, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["cost_vs_weight", "learning_curves"]


def cost_vs_weight(network: Network, x: Any, y: Any, layer: int = 0,
                   weight: tuple[int, int] = (0, 0),
                   learning_rates: Sequence[float] | None = None, steps: int = 8,
                   figsize: tuple[float, float] = (12.0, 4.0)) -> Figure:
    r"""The cost :math:`C(w)` as one chosen weight moves, all others fixed, with the path
    of ``steps`` gradient-descent steps :math:`w \leftarrow w - \eta\, \partial C/\partial w`
    drawn on it, side by side for each learning rate.

    Parameters
    ----------
    network : Network
        Not modified: the curve and the paths are computed on a float64 copy.
    x, y : arrays
        The data the cost is measured on (a small batch is enough).
    layer : int
        Index of the layer (0 = first) holding the weight.
    weight : (int, int)
        ``(i, j)``: the weight from input ``i`` to neuron ``j`` of that layer.
    learning_rates : sequence of float, optional
        Default: a small, a good and a too-large rate derived from the curvature
        :math:`C''(w)` at the current weight (``0.1/C''``, ``0.8/C''`` and ``2.3/C''``;
        above ``2/C''`` gradient descent on a parabola overshoots further every step).
    steps : int
        Gradient-descent steps drawn per panel.
    """
    net = check_network(network).copy(dtype="float64")
    if isinstance(layer, bool) or not isinstance(layer, int) or \
            not 0 <= layer < len(net.layers) or "W" not in net.layers[layer].params:
        raise ValueError(f"layer: expected the index of a layer with weights, 0 to "
                         f"{len(net.layers) - 1}, received: {layer!r}")
    weights = net.layers[layer].params["W"]
    if not (isinstance(weight, (tuple, list)) and len(weight) == 2 and
            all(isinstance(v, int) for v in weight) and 0 <= weight[0] < weights.shape[0]
            and 0 <= weight[1] < weights.shape[1]):
        raise ValueError(f"weight: expected (i, j) with 0 <= i < {weights.shape[0]} and "
                         f"0 <= j < {weights.shape[1]}, received: {weight!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected a positive integer, received: {steps!r}")
    inputs = net.prepare_inputs(x, "x")
    target = net.prepare_targets(y, "y")
    i, j = weight
    start = float(weights[i, j])

    def cost(value: float) -> float:
        weights[i, j] = value
        return net.loss.value(net.forward(inputs), target)

    def slope(value: float) -> float:
        weights[i, j] = value
        net.forward(inputs)
        net.backward(target)
        return float(net.layers[layer].grads["W"][i, j])

    if learning_rates is None:
        h = 1e-3
        curvature = (cost(start + h) - 2 * cost(start) + cost(start - h)) / h**2
        curvature = curvature if curvature > 1e-8 else 1.0
        learning_rates = (0.1 / curvature, 0.8 / curvature, 2.3 / curvature)
        labels = ["too small", "good", "too large"]
    else:
        learning_rates = list(learning_rates)
        if not learning_rates or not all(isinstance(r, (int, float)) and r > 0
                                         for r in learning_rates):
            raise ValueError(f"learning_rates: expected positive numbers, received: "
                             f"{learning_rates!r}")
        labels = [""] * len(learning_rates)
    paths = []
    for rate in learning_rates:
        path = [start]
        for _ in range(steps):
            step = path[-1] - rate * slope(path[-1])
            if not math.isfinite(step) or abs(step - start) > 1e6:
                break
            path.append(step)
        paths.append(path)
    low = min(min(p) for p in paths)
    high = max(max(p) for p in paths)
    spread = max(high - low, 0.5)
    grid = np.linspace(low - 0.2 * spread, high + 0.2 * spread, 200)
    curve = np.array([cost(float(v)) for v in grid])
    weights[i, j] = start
    figure = new_figure(check_figsize(figsize))
    axes = figure.subplots(1, len(learning_rates), sharey=True, squeeze=False)[0]
    for ax, rate, path, label in zip(axes, learning_rates, paths, labels):
        path_costs = [cost(v) for v in path]
        weights[i, j] = start
        ax.plot(grid, curve, color="black", linewidth=1.2, label="C(w)")
        ax.plot(path, path_costs, "o-", color="#ff7f0e", markersize=4, linewidth=1,
                label="gradient-descent steps")
        ax.plot(path[:1], path_costs[:1], "s", color="#2ca02c", markersize=7, label="start")
        ax.set_title(f"learning rate {rate:.3g}" + (f" ({label})" if label else ""))
        ax.set_xlabel(f"weight w[{i}, {j}] of layer {layer + 1}")
        ax.set_ylim(float(curve.min()) - 0.05 * float(np.ptp(curve)),
                    float(curve.max()) + 0.05 * float(np.ptp(curve)) + 1e-12)
    axes[0].set_ylabel(f"cost C ({net.loss.name})")
    axes[0].legend(fontsize=8, loc="upper center")
    return figure


def learning_curves(history: Any, figsize: tuple[float, float] = (12.0, 4.0)) -> Figure:
    """Loss, other metrics and the learning rate per epoch, training and validation.

    Parameters
    ----------
    history : History or dict of str to list
        ``net.fit(...)``'s return value, ``network.history`` or its ``history`` dict.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs.get("loss"):
        raise ValueError("history: expected a History or a dict with a non-empty 'loss' "
                         f"list, received {type(history).__name__}")
    metrics = sorted(key for key in logs if not key.startswith("val_") and key not in
                     {"loss", "learning_rate", "time", "diagnostics"}
                     and all(isinstance(v, (int, float)) for v in logs[key]))
    panels = ["loss"] + metrics + (["learning_rate"] if logs.get("learning_rate") else [])
    figure = new_figure(check_figsize(figsize))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels):
        values = logs[key]
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, "o-", markersize=3, label=f"training {key}"
                if key != "learning_rate" else "learning rate")
        if logs.get(f"val_{key}"):
            val = logs[f"val_{key}"]
            ax.plot(np.arange(1, len(val) + 1), val, "o-", markersize=3,
                    label=f"validation {key}")
        if key == "learning_rate":
            if min(values) > 0:
                ax.set_yscale("log")
            ax.set_title("learning rate")
        else:
            ax.set_title(key.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return figure
