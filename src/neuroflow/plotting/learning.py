"""Pictures of learning: the cost along one weight with gradient-descent paths, and the
learning curves of a training run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.experiments.behaviour import classify
from neuroflow.experiments.cost_curve import CostCurve, DescentPath, cost_curve
from neuroflow.network import Network
from neuroflow.plotting._common import check_figsize, check_network, new_figure
from neuroflow.plotting.style import caption, describe_network, figure_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["cost_vs_weight", "draw_cost_curve", "learning_curves", "BEHAVIOUR_COLOURS"]


#: The colour of each behaviour's title and path.
BEHAVIOUR_COLOURS = {"stalls": "#bcbd22", "crawls": "#7f7f7f", "converges": "#2ca02c",
                     "oscillates": "#ff7f0e", "diverges": "#d62728"}


def cost_vs_weight(network: Network, x: Any, y: Any, layer: int | None = None,
                   weight: tuple[int, int] | None = None,
                   learning_rates: Sequence[float] | None = None, steps: int = 10,
                   figsize: tuple[float, float] | None = None,
                   style: str = "paper") -> Figure:
    r"""The cost :math:`C(w)` as one weight moves, all others fixed, with ``steps``
    gradient-descent steps :math:`w \leftarrow w - \eta\, \partial C/\partial w` drawn
    on it, one column per learning rate; below each, the cost after each step.

    Each column is titled with :math:`\eta` and what its path *did*: the label is
    :func:`neuroflow.experiments.classify` (stalls, crawls, converges, oscillates,
    diverges) of the very arrays the column draws, its steps :math:`(w_t, C_t)`, the
    lowest point of its curve as :math:`C^\star` and the weight there (marked
    :math:`w^\star`) as ``minimum``, never assumed from the size of :math:`\eta`. The
    numbers come from :func:`neuroflow.experiments.cost_curve`.

    Parameters
    ----------
    network : Network
        Not modified: the curve and the paths are computed on a float64 copy.
    x, y : arrays
        The data the cost is measured on (a small batch is enough).
    layer : int, optional
        Index into ``network.layers`` of the layer holding the weight (default: the
        layer of the most informative weight; 0 when ``weight`` is given).
    weight : (int, int), optional
        ``(i, j)``: the weight from input ``i`` to neuron ``j``. Default: the weight
        with the largest :math:`|\partial C/\partial w|` that is not wired to a
        constant input (:func:`neuroflow.experiments.informative_weight`).
    learning_rates : sequence of float, optional
        Default: four rates found by simulation to crawl, converge, oscillate and diverge
        where this weight allows (:data:`neuroflow.experiments.cost_curve.RATES`).
    steps : int
        Gradient-descent steps per path.
    figsize : (float, float), optional
        Default: 3.6 inches per learning rate by 6.
    style : {"paper", "slides"}
    """
    curve = cost_curve(check_network(network), x, y, layer=layer, weight=weight,
                       learning_rates=learning_rates, steps=steps)
    size = (3.6 * len(curve.paths), 6.0) if figsize is None else figsize
    with figure_style(style):
        figure = new_figure(check_figsize(size))
        draw_cost_curve(figure, curve)
        caption(figure, style, f"{describe_network(network)}; plain gradient descent on "
                               f"w alone, {len(np.asarray(x))} samples, loss {curve.loss}")
    return figure


def _panel_range(curve: CostCurve, path: DescentPath) -> tuple[float, float]:
    """The weights a panel shows: its path, the start and the curve's minimum."""
    positions = path.positions[np.isfinite(path.positions)]
    lowest = float(curve.weights[int(np.argmin(curve.costs))])
    low = min(float(positions.min()), lowest, curve.start)
    high = max(float(positions.max()), lowest, curve.start)
    margin = max(0.1 * (high - low), 1e-3)
    return (max(low - margin, float(curve.weights[0])),
            min(high + margin, float(curve.weights[-1])))


def draw_cost_curve(figure: Figure, curve: CostCurve,
                    upto: int | None = None) -> Callable[[int], None]:
    """Draw ``curve`` into the empty ``figure``, a column per path, with the steps up to
    ``upto`` (all by default); returns a function that redraws the paths up to another
    step (what an animation calls for each frame)."""
    axes = figure.subplots(2, len(curve.paths), squeeze=False,
                           gridspec_kw={"height_ratios": [2.2, 1.0]})
    name = f"w[{curve.i}, {curve.j}] of layer {curve.layer + 1}"
    updates: list[Any] = []
    for column, path in enumerate(curve.paths):
        top, bottom = axes[0, column], axes[1, column]
        low, high = _panel_range(curve, path)
        inside = (curve.weights >= low) & (curve.weights <= high)
        drawn_weights, visible = curve.weights[inside], curve.costs[inside]
        spread = float(np.ptp(visible)) or 1e-12
        top.plot(drawn_weights, visible, color="black", label="C(w)")
        lowest = int(np.argmin(visible))
        top.plot(drawn_weights[lowest:lowest + 1], visible[lowest:lowest + 1], "v",
                 color="black", markersize=7, label="lowest C (w*)")
        # the label is measured on exactly what this column draws: the steps (set on
        # ``line`` by ``update``), the curve's lowest cost and the weight where it lies
        behaviour = classify(path.costs, floor=float(visible[lowest]), positions=path.positions,
                             minimum=float(drawn_weights[lowest]))
        colour = BEHAVIOUR_COLOURS.get(behaviour, "black")
        line, = top.plot([], [], "o-", color=colour, linewidth=1, label="steps")
        top.plot([curve.start], path.costs[:1], "s", color="#1f77b4", markersize=8,
                 label="start")
        top.set_xlim(low, high)
        top.set_ylim(float(visible.min()) - 0.05 * spread, float(visible.max()) + 0.12 * spread)
        top.set_title(f"η = {path.learning_rate:.3g}: {behaviour}", color=colour)
        top.set_xlabel(name)
        finite = np.isfinite(path.costs)
        bottom.axhspan(curve.floor, curve.floor + 0.05 * (path.costs[0] - curve.floor),
                       color="#2ca02c", alpha=0.2, label="within 5% of the lowest C")
        bottom.axhline(curve.floor, color="black", linestyle="--", linewidth=1)
        trace, = bottom.plot([], [], "o-", color=colour, linewidth=1)
        bottom.set_xlim(-0.5, len(path.costs) - 0.5)
        bottom.set_xlabel("step")
        if finite.any():
            highest = float(max(path.costs[finite].max(), path.costs[0]))
            room = highest - curve.floor + 1e-12
            bottom.set_ylim(curve.floor - 0.05 * room, highest + 0.1 * room)
        updates.append((top, path, line, trace, (low, high), spread, []))
    axes[0, 0].set_ylabel(f"cost C ({curve.loss})")
    axes[1, 0].set_ylabel("C after each step")

    def update(step: int) -> None:
        for top, path, line, trace, window, spread, numbers in updates:
            shown = min(step + 1, len(path.costs))
            positions, costs = path.positions[:shown], path.costs[:shown]
            line.set_data(positions, costs)
            finite = np.isfinite(costs)
            trace.set_data(np.arange(shown)[finite], costs[finite])
            while numbers:
                numbers.pop().remove()
            numbers.extend(_number_steps(top, positions, costs, window, spread))
        axes[0, 0].legend(loc="best", fontsize="x-small")
        axes[1, 0].legend(loc="best", fontsize="x-small")

    update(max(len(p.costs) for p in curve.paths) if upto is None else upto)
    return update


def _number_steps(ax: Any, positions: np.ndarray, costs: np.ndarray,
                  window: tuple[float, float], spread: float) -> list[Any]:
    """Write each step's number beside its point, skipping a number that would land on
    one already written (a path that has settled); returns the texts written."""
    written: list[tuple[float, float]] = []
    texts = []
    width = window[1] - window[0]
    for step, (w, c) in enumerate(zip(positions, costs)):
        if not (np.isfinite(w) and np.isfinite(c) and window[0] <= w <= window[1]):
            continue
        if any(abs(w - u) < 0.025 * width and abs(c - v) < 0.03 * spread for u, v in written):
            continue
        written.append((float(w), float(c)))
        texts.append(ax.annotate(str(step), (w, c), textcoords="offset points",
                                 xytext=(0, 5), ha="center", fontsize="x-small"))
    return texts


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
