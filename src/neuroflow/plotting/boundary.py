"""Decision boundaries of a network with two inputs: after training, or while it trains."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.metrics import labels_from_targets
from neuroflow.network import Network
from neuroflow.plotting._common import (
    check_count,
    check_figsize,
    check_network,
    new_figure,
    sign_colormap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["decision_boundary", "decision_boundary_over_time"]


def _boundary_grid(x: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    margin = 0.15 * (x.max(axis=0) - x.min(axis=0)) + 1e-3
    low, high = x.min(axis=0) - margin, x.max(axis=0) + margin
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def _draw_boundary(ax: Any, network: Network, x: np.ndarray, labels: np.ndarray,
                   resolution: int) -> None:
    gx, gy, points = _boundary_grid(x, resolution)
    output = network.predict(points)
    if output.shape[1] == 1:
        surface = output[:, 0]
    elif output.shape[1] == 2:
        surface = output[:, 1]
    else:
        surface = output.argmax(axis=1).astype(float)
    ax.contourf(gx, gy, surface.reshape(gx.shape), levels=20, cmap=sign_colormap(), alpha=0.6)
    if output.shape[1] <= 2:
        ax.contour(gx, gy, surface.reshape(gx.shape), levels=[0.5], colors="black",
                   linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=labels, cmap=sign_colormap(), s=10, edgecolors="black",
               linewidths=0.3)
    ax.set_xticks([])
    ax.set_yticks([])


def _check_2d(network: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if network.in_features != 2:
        raise ValueError(f"network: expected 2 inputs for a decision boundary in the plane, "
                         f"received a network with {network.in_features}")
    inputs = network.prepare_inputs(x, "x")
    labels = labels_from_targets(network.prepare_targets(y, "y"))
    return inputs, labels


def decision_boundary(network: Network, x: Any, y: Any, resolution: int = 150,
                      figsize: tuple[float, float] = (5.0, 5.0)) -> Figure:
    """The plane coloured by the network's prediction, the boundary (output 0.5) drawn in
    black and the points ``(x, y)`` on top; ``x`` has two features."""
    network = check_network(network)
    inputs, labels = _check_2d(network, x, y)
    figure = new_figure(check_figsize(figsize))
    ax = figure.add_subplot()
    _draw_boundary(ax, network, inputs, labels, check_count(resolution, "resolution"))
    ax.set_title(f"decision boundary after {network.epochs_trained} epochs")
    return figure


def decision_boundary_over_time(network: Network, x: Any, y: Any,
                                epochs: Sequence[int] = (0, 5, 20, 100),
                                resolution: int = 100,
                                figsize: tuple[float, float] = (14.0, 3.8),
                                **fit_options: Any) -> Figure:
    """Train ``network`` on 2-D data and draw its decision boundary after each of
    ``epochs`` total epochs, left to right: how the boundary bends into shape.

    The network is trained in place (``fit`` with ``fit_options``, silently, e.g.
    ``learning_rate=0.01, batch_size=32``); ``epochs`` counts from its current state.
    """
    network = check_network(network)
    inputs, labels = _check_2d(network, x, y)
    epochs = list(epochs)
    if not epochs or any(isinstance(e, bool) or not isinstance(e, int) or e < 0
                         for e in epochs) or epochs != sorted(epochs):
        raise ValueError(f"epochs: expected increasing non-negative integers, received: "
                         f"{epochs!r}")
    fit_options.setdefault("verbose", 0)
    figure = new_figure(check_figsize(figsize))
    axes = figure.subplots(1, len(epochs), squeeze=False)[0]
    done = 0
    for ax, target in zip(axes, epochs):
        if target > done:
            network.fit(inputs, y, epochs=target - done, **fit_options)
            done = target
        _draw_boundary(ax, network, inputs, labels, check_count(resolution, "resolution"))
        accuracy = float((network.predict_classes(inputs) == labels).mean())
        ax.set_title(f"epoch {target}: accuracy {accuracy:.0%}")
    return figure
