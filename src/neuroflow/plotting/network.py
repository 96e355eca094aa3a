"""Pictures of the network itself: its architecture and its first layer's weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from neuroflow.network import Network
from neuroflow.plotting._common import (
    NEGATIVE,
    POSITIVE,
    check_count,
    check_figsize,
    check_image_shape,
    check_network,
    grid_shape,
    new_figure,
    sign_colormap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["architecture", "first_layer_weights"]


def architecture(network: Network, max_neurons: int = 8,
                 figsize: tuple[float, float] = (8.0, 5.0)) -> Figure:
    """The network as a textbook diagram: a column of neurons per layer and every
    connection between neighbouring columns.

    Edge colour gives the weight's sign (blue positive, orange negative) and its width and
    opacity its magnitude relative to the largest weight of that layer. A layer wider
    than ``max_neurons`` shows its first and last neurons around a "⋮ +N" marker.

    Parameters
    ----------
    network : Network
    max_neurons : int
        Neurons drawn per column before eliding (>= 2).
    figsize : (float, float)
        Size in inches.
    """
    network = check_network(network)
    if isinstance(max_neurons, bool) or not isinstance(max_neurons, int) or max_neurons < 2:
        raise ValueError(f"max_neurons: expected an integer >= 2, received: {max_neurons!r}")
    figure = new_figure(check_figsize(figsize))
    ax = figure.add_subplot()
    sizes = network.sizes
    shown_columns: list[list[int | None]] = []   # neuron indices, None marks the elided
    for size in sizes:
        if size <= max_neurons:
            shown: list[int | None] = list(range(size))
        else:
            head = max_neurons // 2
            tail = max_neurons - head - 1
            shown = list(range(head)) + [None] + list(range(size - tail, size))
        shown_columns.append(shown)
    tallest = max(max(len(shown) for shown in shown_columns), 2)
    columns: list[list[tuple[int | None, float]]] = []   # (neuron index or None, y)
    for shown in shown_columns:
        count = len(shown)
        ys = np.linspace(1, -1, count) * (count - 1) / (tallest - 1) if count > 1 else [0.0]
        columns.append(list(zip(shown, (float(y) for y in ys))))
    weight_layers = [layer for layer in network.layers if "W" in layer.params]
    dense_columns = [0] + [i + 1 for i, layer in enumerate(network.layers)
                           if "W" in layer.params]
    # optional extra (neuroflow[plot]): present once new_figure above has succeeded
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    segments, colours, widths = [], [], []
    for layer, (left, right) in zip(weight_layers, zip(dense_columns[:-1], dense_columns[1:])):
        weights = layer.params["W"]
        largest = float(np.abs(weights).max()) or 1.0
        for i, y0 in columns[left]:
            for j, y1 in columns[right]:
                if i is None or j is None:
                    continue
                w = float(weights[i, j])
                strength = abs(w) / largest
                segments.append([(left, y0), (right, y1)])
                colours.append(to_rgba(POSITIVE if w >= 0 else NEGATIVE,
                                       0.15 + 0.75 * strength))
                widths.append(0.3 + 2.2 * strength)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths, zorder=1))
    names = ["input"] + [f"{getattr(getattr(layer, 'activation', None), 'name', '')} "
                         f"{type(layer).__name__}".strip() for layer in network.layers]
    for c, column in enumerate(columns):
        if c == 0:
            face = "#bbbbbb"
        elif c == len(columns) - 1:
            face = "#ffbb78"
        else:
            face = "#98df8a"
        for neuron, y in column:
            if neuron is None:
                ax.text(c, y, f"⋮\n+{sizes[c] - (len(column) - 1)}", ha="center",
                        va="center", fontsize=9, zorder=3)
            else:
                ax.scatter([c], [y], s=260, color=face, edgecolors="black", linewidths=0.8,
                           zorder=2)
        role = "input layer" if c == 0 else ("output layer" if c == len(columns) - 1
                                             else f"hidden layer {c}")
        plural = "s" if sizes[c] != 1 else ""
        ax.text(c, -1.25, f"{role}\n{sizes[c]} neuron{plural}\n{names[c] if c else ''}".rstrip(),
                ha="center", va="top", fontsize=8)
    ax.plot([], [], color=POSITIVE, label="positive weight")
    ax.plot([], [], color=NEGATIVE, label="negative weight")
    ax.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-1.75, 1.4)
    ax.set_axis_off()
    ax.set_title(f"network {' -> '.join(map(str, sizes))}: {network.parameter_count:,} "
                 "weights and biases")
    return figure


def first_layer_weights(network: Network, image_shape: tuple[int, int] = (28, 28),
                        max_images: int = 64,
                        figsize: tuple[float, float] = (8.0, 8.0)) -> Figure:
    """Each first-layer neuron's incoming weights ``W[:, j]`` drawn as an image.

    What a neuron "looks for": blue pixels (positive weights) raise its weighted sum,
    orange pixels lower it (symmetric colour scale per image; the colours of every
    figure and of the playground).
    """
    network = check_network(network)
    weights = network.layers[0].params.get("W")
    if weights is None:
        raise ValueError("network: expected a first layer with weights W")
    shape = check_image_shape(image_shape, weights.shape[0])
    count = min(weights.shape[1], check_count(max_images, "max_images"))
    rows, columns = grid_shape(count)
    figure = new_figure(check_figsize(figsize))
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            image = weights[:, index].reshape(shape)
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap=sign_colormap(), vmin=-limit, vmax=limit,
                      interpolation="nearest")
            ax.set_title(str(index), fontsize=7)
    figure.suptitle(f"first-layer weights of {count} of {weights.shape[1]} neurons "
                    "(blue: positive, orange: negative)")
    return figure
