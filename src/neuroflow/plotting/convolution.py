"""Pictures of a convolutional network: its first convolution's kernels and the feature
maps every image layer computes for one input.

A :class:`~neuroflow.layers.Conv2D` filter is one neuron whose ``kh x kw`` weights are
shared by every position of the image, so its kernel is small enough to look at whole,
and its output over the image (a *feature map*) shows where it finds its pattern. Both
figures follow the colour rule of every neuroflow figure: blue positive, orange negative,
white at zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.network import Network
from neuroflow.plotting._common import (
    check_count,
    check_figsize,
    check_network,
    grid_shape,
    new_figure,
    sign_colormap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["conv_filters", "feature_maps", "first_convolution", "map_layers",
           "CONV_NEEDED"]

#: What the figures need, in the words of their error message.
CONV_NEEDED = ("a convolutional network (a Conv2D layer, e.g. neuroflow train --layers "
               "conv8k3,pool2,dense32)")


def first_convolution(network: Network) -> tuple[int, Any]:
    """The index and the layer of the network's first :class:`~neuroflow.layers.Conv2D`;
    ``ValueError`` naming what is needed when it has none."""
    network = check_network(network)
    for index, layer in enumerate(network.layers):
        if getattr(layer, "type_name", None) == "Conv2D":
            return index, layer
    kinds = ", ".join(dict.fromkeys(type(layer).__name__ for layer in network.layers))
    raise ValueError(f"network: expected {CONV_NEEDED}; this one has only {kinds} layers")


def map_layers(network: Network) -> list[int]:
    """Indices of the layers whose output is images ``(channels, height, width)``: the
    convolutions, the pooling layers (and a batch normalisation between them), in order."""
    first_convolution(network)
    return [index for index, layer in enumerate(network.layers)
            if len(layer.output_shape) == 3]


def _kernel_image(kernel: np.ndarray) -> np.ndarray:
    """One filter ``(channels, kh, kw)`` as one image: its channels side by side, a
    column of NaN (drawn blank) between two channels."""
    channels, height, _ = kernel.shape
    gap = np.full((height, 1), np.nan)
    parts: list[np.ndarray] = []
    for c in range(channels):
        parts += [gap, kernel[c]] if c else [kernel[c]]
    return np.hstack(parts).astype(np.float64)


def conv_filters(network: Network, max_filters: int = 64,
                 figsize: tuple[float, float] | None = None) -> Figure:
    """Every kernel of the network's first convolution, one small image per filter.

    Filter ``f``'s image is its weights ``W[f, c]`` (``kh x kw``), channel by channel from
    left to right; the pixel at ``(u, v)`` is the weight of the input pixel ``u`` rows
    down and ``v`` columns right of the window's corner. Blue is a positive weight (that
    input raises the filter's sum), orange a negative one; one colour scale for all
    filters, symmetric about 0, so that a weak filter looks weak.

    Parameters
    ----------
    network : Network
        With at least one ``Conv2D`` layer (the first is drawn).
    max_filters : int
        Filters drawn at most (the first ones).
    figsize : (float, float), optional
        Size in inches; by default about 0.9 inch per filter image.
    """
    index, layer = first_convolution(network)
    weights = np.asarray(layer.params["W"])
    count = min(weights.shape[0], check_count(max_filters, "max_filters"))
    rows, columns = grid_shape(count)
    size = check_figsize(figsize) if figsize is not None else (
        max(4.0, 0.9 * columns + 1.0), max(2.5, 0.9 * rows + 0.8))
    figure = new_figure(size)
    axes = figure.subplots(rows, columns, squeeze=False)
    limit = float(np.abs(weights[:count]).max()) or 1.0
    colours = sign_colormap().with_extremes(bad="none")
    image = None
    for number, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if number < count:
            image = ax.imshow(_kernel_image(weights[number]), cmap=colours, vmin=-limit,
                              vmax=limit, interpolation="nearest")
            ax.set_title(str(number), fontsize=7)
    if image is not None:
        figure.colorbar(image, ax=axes, shrink=0.6, label="weight")
    filters, channels, kh, kw = weights.shape
    shown = f"{count} of {filters}" if count < filters else f"all {filters}"
    per = f", {channels} channels side by side" if channels > 1 else ""
    figure.suptitle(f"layer {index + 1} (Conv2D): {shown} {kh}x{kw} kernels{per}\n"
                    "blue: positive weight, orange: negative", fontsize="medium")
    return figure


def feature_maps(network: Network, x: Any, max_maps: int = 16,
                 figsize: tuple[float, float] | None = None,
                 title: str | None = None) -> Figure:
    """The feature maps of one input image: the input on the first row, then one row per
    image layer (each convolution and pooling layer, :func:`map_layers`) with its output
    channels for that image, as :meth:`~neuroflow.Network.layer_outputs` computes them.

    Each row has one colour scale, symmetric about 0 (blue positive, orange negative,
    white 0): after a ReLU a map is white where the filter did not find its pattern and
    blue where it did; after a pooling layer the same maps, smaller.

    Parameters
    ----------
    network : Network
        With at least one ``Conv2D`` layer.
    x : array
        One input: an image ``(channels, height, width)``, ``(height, width)`` or a row of
        ``in_features`` values, or a batch of one.
    max_maps : int
        Channels drawn per layer at most (the first ones).
    figsize : (float, float), optional
        Size in inches; by default about 0.8 inch per map.
    title : str, optional
        The figure's title (default: names the layers drawn).
    """
    network = check_network(network)
    layers = map_layers(network)
    limit_maps = check_count(max_maps, "max_maps")
    sample = _one_sample(network, x)
    outputs = network.layer_outputs(sample)
    rows: list[Any] = [np.asarray(outputs[i]).reshape(network.layers[i].output_shape)
                       for i in layers]
    columns = max(2, min(limit_maps, max(maps.shape[0] for maps in rows)))
    size = check_figsize(figsize) if figsize is not None else (
        0.8 * columns + 1.6, 0.85 * (len(rows) + 1) + 0.6)
    figure = new_figure(size)
    axes = figure.subplots(len(rows) + 1, columns, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    image_shape = first_convolution(network)[1].input_shape
    signal = network.prepare_inputs(sample)
    if signal.size == int(np.prod(image_shape)):  # the image the first convolution sees
        _draw_input(axes[0], signal.reshape(image_shape))
    for row, (index, maps) in enumerate(zip(layers, rows), start=1):
        layer = network.layers[index]
        limit = float(np.abs(maps).max()) or 1.0
        shown = min(columns, maps.shape[0])
        for channel in range(shown):
            ax = axes[row, channel]
            ax.imshow(maps[channel], cmap=sign_colormap(), vmin=-limit, vmax=limit,
                      interpolation="nearest")
            ax.set_title(str(channel), fontsize=6, pad=2)
        name = type(layer).__name__
        of = f"{shown} of {maps.shape[0]}" if shown < maps.shape[0] else f"{maps.shape[0]}"
        axes[row, 0].text(-0.15, 0.5, f"layer {index + 1}\n{name}\n{of} maps\n"
                          f"{maps.shape[1]}x{maps.shape[2]}", transform=axes[row, 0].transAxes,
                          ha="right", va="center", fontsize=7)
    figure.suptitle(title or "feature maps of one input, one row per layer "
                    "(blue: positive, orange: negative, white: 0)", fontsize="medium")
    return figure


def _one_sample(network: Network, x: Any) -> np.ndarray:
    """``x`` as a batch of one input for ``network`` (a batch of one is kept as it is)."""
    array = np.asarray(x)
    shape = tuple(network.layers[0].input_shape)
    size = int(np.prod(shape))
    if array.size != size:
        raise ValueError(f"x: expected one input of shape {shape} ({size} values), "
                         f"received an array of shape {array.shape}")
    if array.ndim == len(shape) + 1 or array.shape == (1, size):
        return array
    return array[np.newaxis]


def _draw_input(axes: Any, image: np.ndarray) -> None:
    """The input image in the first cell of the row (grey, or RGB for 3 channels)."""
    ax = axes[0]
    if image.shape[0] == 3:
        low, high = float(image.min()), float(image.max())
        ax.imshow((image.transpose(1, 2, 0) - low) / ((high - low) or 1.0),
                  interpolation="nearest")
    else:
        ax.imshow(image[0], cmap="gray_r", interpolation="nearest")
    ax.set_title("input", fontsize=7, pad=2)
