r"""What each neuron computes.

For a network with two inputs, every neuron's output :math:`a_j = f(x W + b)_j` over the
input plane, one small heatmap per neuron with the data points on top: how the hidden
units carve the plane into the pieces the output layer combines. For image inputs,
the first layer's weights as images (:func:`neuroflow.plotting.first_layer_weights`).
"""

from __future__ import annotations

import math
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
from neuroflow.plotting.boundary import _boundary_grid
from neuroflow.plotting.network import first_layer_weights
from neuroflow.plotting.style import caption, describe_network, figure_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["neurons", "neuron_maps", "draw_neurons"]


def neuron_maps(network: Network, x: Any, resolution: int = 60
                ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, np.ndarray]]]:
    r"""Every neuron's output over the plane around ``x`` (2 features).

    Returns
    -------
    gx, gy : ndarray (resolution, resolution)
        The grid of the plane (raw input coordinates; the network's preprocessing is
        applied before the first layer).
    maps : list of (int, ndarray (resolution, resolution, units))
        For each layer with weights: its index in ``network.layers`` and its output
        :math:`a` at each grid point.
    """
    network = check_network(network)
    if network.in_features != 2:
        raise ValueError(f"network: expected 2 inputs for neuron maps over the plane, "
                         f"received a network with {network.in_features}")
    inputs = np.asarray(x, dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[1] != 2 or inputs.shape[0] < 1:
        raise ValueError(f"x: expected an array of shape (n, 2), received shape "
                         f"{inputs.shape}")
    gx, gy, points = _boundary_grid(inputs, check_count(resolution, "resolution"))
    maps = [(index, np.asarray(output, dtype=np.float64).reshape(resolution, resolution, -1))
            for index, (layer, output) in enumerate(zip(network.layers,
                                                        network.layer_outputs(points)))
            if "W" in layer.params]
    return gx, gy, maps


def draw_neurons(figure: Figure, network: Network, x: Any, labels: np.ndarray,
                 resolution: int = 60, max_neurons: int = 8) -> None:
    """Draw :func:`neuron_maps` into the empty ``figure``: a row per layer, a column per
    neuron (up to ``max_neurons``), the points coloured by class."""
    inputs = np.asarray(x, dtype=np.float64)
    gx, gy, maps = neuron_maps(network, inputs, resolution)
    columns = min(max(m.shape[2] for _, m in maps), max_neurons)
    axes = figure.subplots(len(maps), columns, squeeze=False)
    for row, (index, values) in enumerate(maps):
        layer = network.layers[index]
        activation = getattr(getattr(layer, "activation", None), "name", "")
        low, high = float(values.min()), float(values.max())
        if low < 0:
            low, high = -max(-low, high, 1e-12), max(-low, high, 1e-12)
        high = high if high > low else low + 1e-12
        role = "output" if row == len(maps) - 1 else f"hidden {row + 1}"
        for column in range(columns):
            ax = axes[row, column]
            ax.set_xticks([])
            ax.set_yticks([])
            if column >= values.shape[2]:
                ax.set_axis_off()
                continue
            ax.contourf(gx, gy, values[:, :, column], levels=16, cmap=sign_colormap(),
                        vmin=low, vmax=high)
            ax.scatter(inputs[:, 0], inputs[:, 1], c=labels, cmap="Greys", s=5,
                       edgecolors="#555555", linewidths=0.3, vmin=0,
                       vmax=max(int(labels.max()), 1))
            ax.set_title(f"n{column}", fontsize="small")
        axes[row, 0].set_ylabel(f"layer {index + 1}\n{role}, {activation}", fontsize="small")
        if values.shape[2] > columns:
            axes[row, -1].set_title(f"n{columns - 1} (+{values.shape[2] - columns} more)",
                                    fontsize="small")


def _grey_constant_pixels(figure: Figure, inputs: np.ndarray, shape: tuple[int, int]) -> None:
    """Grey out the pixels that are the same in every image of ``inputs`` (MNIST's blank
    border): these images give their weights no gradient."""
    if inputs.shape[0] < 2:
        return
    constant = (np.ptp(inputs, axis=0) == 0).reshape(shape)
    if not constant.any():
        return
    for ax in figure.axes:
        for image in ax.images:
            image.set_data(np.ma.array(image.get_array(), mask=constant))
            image.set_cmap(image.get_cmap().with_extremes(bad="#b0b0b0"))
    figure.suptitle(f"{figure.get_suptitle()}\ngrey: pixels equal in all {inputs.shape[0]} "
                    "images given (no gradient from them)", fontsize="medium")


def neurons(network: Network, x: Any, y: Any | None = None, resolution: int = 60,
            max_neurons: int | None = None, image_shape: tuple[int, int] | None = None,
            figsize: tuple[float, float] | None = None, style: str = "paper") -> Figure:
    r"""What every neuron responds to.

    With two inputs: each neuron's output :math:`a_j` over the plane around ``x``
    (blue high, orange low; a symmetric scale around 0 when outputs go negative), a row per
    layer, with the points of ``x`` coloured by their class ``y``. With image inputs:
    each first-layer neuron's weights :math:`W_{:, j}` as an image
    (:func:`first_layer_weights`), with the pixels that are equal in every image of
    ``x`` in grey: :math:`\partial C/\partial W_{ij} = \sum_n x_{ni} \delta_{nj}` is 0 for
    a pixel that is always 0, so those weights are still the random initial ones.

    Parameters
    ----------
    network : Network
    x : array (n, in_features)
        Data points (2-D inputs) drawn on the maps.
    y : array, optional
        Their targets, to colour the points.
    resolution : int
        Grid points per axis of each map.
    max_neurons : int, optional
        Neurons drawn per layer (2-D inputs; default 8) or images drawn (image inputs;
        default 36).
    image_shape : (int, int), optional
        Height and width of an image input (default: square, e.g. 28 x 28 for 784).
    figsize : (float, float), optional
    style : {"paper", "slides"}
    """
    network = check_network(network)
    if max_neurons is None:
        max_neurons = 8 if network.in_features == 2 else 36
    max_neurons = check_count(max_neurons, "max_neurons")
    if network.in_features != 2:
        side = math.isqrt(network.in_features)
        shape = image_shape or (side, side)
        with figure_style(style):
            figure = first_layer_weights(network, image_shape=shape,
                                         max_images=max_neurons,
                                         figsize=figsize or (8.0, 8.6))
            _grey_constant_pixels(figure, network.prepare_inputs(x, "x"), shape)
            caption(figure, style, describe_network(network))
        return figure
    network.prepare_inputs(x, "x")  # checks the shape and the values
    inputs = np.asarray(x, dtype=np.float64)
    labels = (np.zeros(len(inputs), dtype=int) if y is None else
              labels_from_targets(network.prepare_targets(y, "y")))
    rows = sum(1 for layer in network.layers if "W" in layer.params)
    columns = min(max(network.sizes[1:]), max_neurons)
    size = (1.7 * columns + 0.8, 1.7 * rows + 0.6) if figsize is None else figsize
    with figure_style(style):
        figure = new_figure(check_figsize(size))
        draw_neurons(figure, network, inputs, labels, resolution, max_neurons)
        figure.suptitle(f"each neuron's output over the input plane after "
                        f"{network.epochs_trained} epochs (blue high, orange low; points "
                        "shaded by class)", fontsize="medium")
        caption(figure, style, describe_network(network))
    return figure
