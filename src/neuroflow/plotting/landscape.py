r"""The cost landscape over two weights, with the path training takes across it.

The surface is :func:`neuroflow.experiments.cost_surface` (every other parameter frozen)
and the path :func:`neuroflow.experiments.training_path` (a copy trained by ``fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.experiments.landscape import (
    CostSurface,
    TrainingPath,
    cost_surface,
    training_path,
)
from neuroflow.experiments.weights import WeightIndex
from neuroflow.network import Network
from neuroflow.plotting._common import check_figsize, check_network, new_figure
from neuroflow.plotting.style import caption, describe_network, figure_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["cost_landscape", "landscape_data", "draw_landscape"]


def weight_name(index: WeightIndex) -> str:
    """``w[i, j] of layer L`` (layers counted from 1, as ``neuroflow explain`` does)."""
    layer, i, j = index
    return f"w[{i}, {j}] of layer {layer + 1}"


def landscape_data(network: Network, x: Any, y: Any, first: WeightIndex | None = None,
                   second: WeightIndex | None = None,
                   span: float | tuple[float, float] | None = None, resolution: int = 41,
                   epochs: int = 5, learning_rate: float = 0.1, optimizer: str = "sgd",
                   batch_size: int = 32, seed: int = 0,
                   isolate: bool = True) -> tuple[CostSurface, TrainingPath]:
    """The path (:func:`training_path`) and the surface under it (:func:`cost_surface`).

    With ``span`` omitted the grid is centred on the box around the path and reaches
    30% beyond it on every side; with ``span`` it is centred on the network's weights.
    """
    path = training_path(network, x, y, first, second, epochs=epochs,
                         learning_rate=learning_rate, optimizer=optimizer,
                         batch_size=batch_size, seed=seed, isolate=isolate)
    if span is None:
        low, high = path.positions.min(axis=0), path.positions.max(axis=0)
        widths = np.maximum(0.8 * (high - low), 0.25 * np.maximum(np.abs(path.positions[0]),
                                                                   1.0))
        centre: tuple[float, float] | None = (float((low[0] + high[0]) / 2),
                                              float((low[1] + high[1]) / 2))
        span = (float(widths[0]), float(widths[1]))
    else:
        centre = None
    surface = cost_surface(network, x, y, path.first, path.second, span=span,
                           resolution=resolution, centre=centre)
    return surface, path


def draw_landscape(figure: Figure, surface: CostSurface, path: TrainingPath,
                   upto: int | None = None) -> Callable[[int], None]:
    """Draw the contour of ``surface`` and ``path`` (its first ``upto`` steps; all by
    default) into the empty ``figure``; returns a function that redraws the path up to
    another step (what an animation calls for each frame)."""
    ax = figure.add_subplot()
    filled = ax.contourf(surface.first_values, surface.second_values, surface.costs,
                         levels=24, cmap="viridis")
    ax.contour(surface.first_values, surface.second_values, surface.costs, levels=12,
               colors="white", linewidths=0.4, alpha=0.6)
    figure.colorbar(filled, ax=ax, label=f"cost C ({surface.loss})")
    halo, = ax.plot([], [], "-", color="white", linewidth=2.2)
    line, = ax.plot([], [], "o-", color="#d62728", markersize=3, linewidth=1.2,
                    label=f"{path.optimizer} steps")
    ax.plot(path.positions[:1, 0], path.positions[:1, 1], "s", color="white",
            markeredgecolor="black", markersize=9, label="start")
    end, = ax.plot([], [], "*", color="#ffdd00", markeredgecolor="black", markersize=14)
    numbers: list[Any] = []
    steps = len(path.positions) - 1
    every = max(1, int(np.ceil(steps / 8)))
    moved = "only these two weights learn" if path.isolated else \
        "all weights learn; the surface is the slice at the start"
    ax.set_xlim(surface.first_values[0], surface.first_values[-1])
    ax.set_ylim(surface.second_values[0], surface.second_values[-1])
    ax.set_xlabel(weight_name(surface.first))
    ax.set_ylabel(weight_name(surface.second))

    def update(step: int) -> None:
        count = min(step + 1, len(path.positions))
        shown = path.positions[:count]
        for artist in (halo, line):
            artist.set_data(shown[:, 0], shown[:, 1])
        end.set_data(shown[-1:, 0], shown[-1:, 1])
        end.set_label(f"step {count - 1}")
        while numbers:
            numbers.pop().remove()
        for index in range(every, count, every):
            numbers.append(ax.annotate(str(index), tuple(shown[index]),
                                       textcoords="offset points", xytext=(5, 5),
                                       color="white", fontsize="small", fontweight="bold"))
        ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
        ax.set_title(f"{path.optimizer}, η = {path.learning_rate:g}: C {path.costs[0]:.3g} → "
                     f"{path.costs[count - 1]:.3g} after {count - 1} steps\n({moved})",
                     fontsize="medium")

    update(steps if upto is None else upto)
    return update


def cost_landscape(network: Network, x: Any, y: Any, first: WeightIndex | None = None,
                   second: WeightIndex | None = None,
                   span: float | tuple[float, float] | None = None, resolution: int = 41,
                   epochs: int = 5, learning_rate: float = 0.1, optimizer: str = "sgd",
                   batch_size: int = 32, seed: int = 0, isolate: bool = True,
                   figsize: tuple[float, float] = (6.4, 5.2), style: str = "paper",
                   data: tuple[CostSurface, TrainingPath] | None = None) -> Figure:
    r"""Contour of the cost :math:`C(w_1, w_2)` over two weights, every other parameter
    frozen, with the path of training drawn on it and its steps numbered.

    Parameters
    ----------
    network : Network
        Not modified: the path is trained on a copy.
    x, y : arrays
        The data: training set of the path and batch the cost is measured on.
    first, second : (int, int, int), optional
        ``(layer, i, j)``: :math:`W_{ij}` of ``network.layers[layer]``. Default: the
        two weights with the largest :math:`|\partial C/\partial w|` on ``(x, y)`` that
        are not wired to a constant input.
    span : float or (float, float), optional
        Half-width of the grid around the network's weights; default: the path's box and
        30% around it.
    resolution : int
        Grid points per axis.
    epochs, learning_rate, optimizer, batch_size, seed
        The training of the path (:meth:`Network.fit` on a copy).
    isolate : bool
        Train only the two weights (default), so that the path lies on the surface; with
        ``False`` all parameters learn and the surface drawn is the slice at the start.
    figsize : (float, float)
    style : {"paper", "slides"}
    data : (CostSurface, TrainingPath), optional
        What :func:`landscape_data` returned for these arguments (e.g. for an animation
        of the same landscape), drawn as it is instead of being computed again.
    """
    network = check_network(network)
    surface, path = data if data is not None else landscape_data(
        network, x, y, first, second, span, resolution, epochs, learning_rate, optimizer,
        batch_size, seed, isolate)
    with figure_style(style):
        figure = new_figure(check_figsize(figsize))
        draw_landscape(figure, surface, path)
        caption(figure, style, f"{describe_network(network)}; {path.optimizer}, "
                               f"η = {learning_rate:g}, batch {batch_size}, {epochs} epochs")
    return figure
