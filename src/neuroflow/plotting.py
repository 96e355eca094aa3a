"""Pictures of a network and of its learning (optional extra ``neuroflow[plot]``).

Every function builds and returns a :class:`matplotlib.figure.Figure` without touching
pyplot's global state: nothing is shown, nothing needs a display (figures render with
the Agg canvas), and a notebook displays the returned figure. Save one with
:func:`save` (or ``figure.savefig``). matplotlib is imported only when a function is
called.

=============================  ==========================================================
:func:`architecture`           neurons as columns, connections coloured by weight
:func:`cost_vs_weight`         the cost as a function of one weight, with gradient-descent
                               paths for a small, a good and a too-large learning rate
:func:`learning_curves`        loss, metrics and learning rate per epoch
:func:`confusion_matrix`       true against predicted classes
:func:`first_layer_weights`    each first-layer neuron's weights as an image
:func:`misclassified`          a gallery of wrongly classified images
:func:`decision_boundary`      the classes a 2-D network predicts over the plane
:func:`decision_boundary_over_time`  the same, while the network trains
=============================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.network import Network

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "architecture", "cost_vs_weight", "learning_curves", "confusion_matrix",
    "first_layer_weights", "misclassified", "decision_boundary",
    "decision_boundary_over_time", "save", "FORMATS",
]

#: File formats :func:`save` writes, chosen by the file's suffix.
FORMATS = ("png", "svg")
_POSITIVE = "#1f77b4"   # blue: positive weight
_NEGATIVE = "#d62728"   # red: negative weight


def _figure(figsize: tuple[float, float]) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "neuroflow.plotting needs matplotlib: pip install 'neuroflow[plot]'") from error
    return Figure(figsize=figsize, layout="constrained")


def _check_network(network: object) -> Network:
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a neuroflow Network, received "
                         f"{type(network).__name__}")
    return network


def _check_figsize(figsize: object) -> tuple[float, float]:
    if not (isinstance(figsize, (tuple, list)) and len(figsize) == 2 and
            all(isinstance(v, (int, float)) and v > 0 for v in figsize)):
        raise ValueError(f"figsize: expected (width, height) in inches, both > 0, received: "
                         f"{figsize!r}")
    return float(figsize[0]), float(figsize[1])


def save(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``figure`` to ``path``; the suffix (``.png`` or ``.svg``) picks the format.

    The image is ``figsize * dpi`` pixels (PNG). It is rendered into the file through
    :func:`neuroflow.files.write_atomic`: atomically (a failed render leaves any old
    image in place), refusing a directory, device or FIFO, writing through a symbolic
    link and keeping an existing file's permission bits. Returns the path written.
    """
    from neuroflow.files import write_atomic

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"path: expected a file name ending in .png or .svg, received "
                         f"{str(path)!r}")
    write_atomic(path, lambda stream: figure.savefig(stream, dpi=dpi, format=suffix),
                 argument="path")
    return path


# ---------------------------------------------------------------------------- architecture
def architecture(network: Network, max_neurons: int = 8,
                 figsize: tuple[float, float] = (8.0, 5.0)) -> Figure:
    """The network as a textbook diagram: a column of neurons per layer and every
    connection between neighbouring columns.

    Edge colour gives the weight's sign (blue positive, red negative) and its width and
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
    network = _check_network(network)
    if isinstance(max_neurons, bool) or not isinstance(max_neurons, int) or max_neurons < 2:
        raise ValueError(f"max_neurons: expected an integer >= 2, received: {max_neurons!r}")
    figure = _figure(_check_figsize(figsize))
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
                colours.append(to_rgba(_POSITIVE if w >= 0 else _NEGATIVE,
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
    ax.plot([], [], color=_POSITIVE, label="positive weight")
    ax.plot([], [], color=_NEGATIVE, label="negative weight")
    ax.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-1.75, 1.4)
    ax.set_axis_off()
    ax.set_title(f"network {' -> '.join(map(str, sizes))}: {network.parameter_count:,} "
                 "weights and biases")
    return figure


# ---------------------------------------------------------------------------- cost vs weight
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
    net = _check_network(network).copy(dtype="float64")
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
    figure = _figure(_check_figsize(figsize))
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


# ---------------------------------------------------------------------------- curves
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
    figure = _figure(_check_figsize(figsize))
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


# ---------------------------------------------------------------------------- confusion
def _confusion_counts(y_true: Any, y_pred: Any, n_classes: int | None) -> np.ndarray:
    from neuroflow import metrics

    compute = getattr(metrics, "confusion_matrix", None)
    if compute is not None:
        return np.asarray(compute(y_true, y_pred, n_classes=n_classes))
    true = metrics.labels_from_targets(np.asarray(y_true))
    predicted = metrics.labels_from_targets(np.asarray(y_pred))
    k = n_classes or int(max(true.max(), predicted.max())) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None,
                     class_names: Sequence[Any] | None = None, normalize: bool = False,
                     figsize: tuple[float, float] = (6.0, 5.0)) -> Figure:
    """Counts of (true class, predicted class): row ``i``, column ``j`` counts the
    samples of class ``i`` predicted as ``j``; the diagonal holds the correct ones.

    Parameters
    ----------
    y_true, y_pred : arrays (n,)
        Labels (network outputs ``(n, k)`` are turned into labels by argmax).
    n_classes : int, optional
        Number of classes (default: from the labels).
    class_names : sequence, optional
        Tick labels.
    normalize : bool
        Show each row as fractions of its true class.
    """
    counts = _confusion_counts(y_true, y_pred, n_classes)
    k = counts.shape[0]
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names: expected {k} names, received {len(class_names)}")
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    figure = _figure(_check_figsize(figsize))
    ax = figure.add_subplot()
    image = ax.imshow(shown, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.8)
    threshold = float(shown.max()) / 2
    if k <= 20:
        for i in range(k):
            for j in range(k):
                text = f"{shown[i, j]:.2f}" if normalize else str(int(shown[i, j]))
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > threshold else "black")
    names = [str(n) for n in class_names] if class_names is not None else \
        [str(n) for n in range(k)]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    correct = int(np.trace(counts))
    ax.set_title(f"confusion matrix: {correct} of {int(counts.sum())} correct "
                 f"({correct / max(int(counts.sum()), 1):.1%})")
    return figure


# ---------------------------------------------------------------------------- images
def _grid_shape(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def _check_image_shape(image_shape: object, size: int) -> tuple[int, int]:
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 2 and
            all(isinstance(v, int) and v > 0 for v in image_shape)) or \
            image_shape[0] * image_shape[1] != size:
        raise ValueError(f"image_shape: expected (height, width) with height * width = {size}, "
                         f"received: {image_shape!r}")
    return int(image_shape[0]), int(image_shape[1])


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, received: {value!r}")
    return value


def first_layer_weights(network: Network, image_shape: tuple[int, int] = (28, 28),
                        max_images: int = 64,
                        figsize: tuple[float, float] = (8.0, 8.0)) -> Figure:
    """Each first-layer neuron's incoming weights ``W[:, j]`` drawn as an image.

    What a neuron "looks for": red pixels raise its weighted sum, blue pixels lower it
    (symmetric colour scale per image).
    """
    network = _check_network(network)
    weights = network.layers[0].params.get("W")
    if weights is None:
        raise ValueError("network: expected a first layer with weights W")
    shape = _check_image_shape(image_shape, weights.shape[0])
    count = min(weights.shape[1], _check_count(max_images, "max_images"))
    rows, columns = _grid_shape(count)
    figure = _figure(_check_figsize(figsize))
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            image = weights[:, index].reshape(shape)
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_title(str(index), fontsize=7)
    figure.suptitle(f"first-layer weights of {count} of {weights.shape[1]} neurons "
                    "(red: positive, blue: negative)")
    return figure


def misclassified(network: Network, x: Any, y: Any, image_shape: tuple[int, int] = (28, 28),
                  max_images: int = 25, class_names: Sequence[Any] | None = None,
                  figsize: tuple[float, float] = (8.0, 8.0)) -> Figure:
    """A gallery of the inputs the network gets wrong, titled "predicted (true)"."""
    from neuroflow.metrics import labels_from_targets

    network = _check_network(network)
    inputs = np.asarray(x)
    shape = _check_image_shape(image_shape, network.in_features)
    predicted = network.predict_classes(inputs)
    true = labels_from_targets(network.prepare_targets(y))
    wrong = np.flatnonzero(predicted != true)
    names = class_names if class_names is not None else network.class_names
    count = min(len(wrong), _check_count(max_images, "max_images"))
    rows, columns = _grid_shape(max(count, 1))
    figure = _figure(_check_figsize(figsize))
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            sample = wrong[index]
            ax.imshow(inputs[sample].reshape(shape), cmap="gray_r", interpolation="nearest")
            label_p, label_t = predicted[sample], true[sample]
            if names is not None:
                label_p, label_t = names[label_p], names[label_t]
            ax.set_title(f"{label_p} ({label_t})", fontsize=8, color="#d62728")
    if not count:
        axes.flat[0].text(0.5, 0.5, "no misclassified samples", ha="center", va="center")
    figure.suptitle(f"{len(wrong)} of {len(true)} misclassified; showing {count}: "
                    "predicted (true)")
    return figure


# ---------------------------------------------------------------------------- 2-D boundary
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
    ax.contourf(gx, gy, surface.reshape(gx.shape), levels=20, cmap="RdBu_r", alpha=0.6)
    if output.shape[1] <= 2:
        ax.contour(gx, gy, surface.reshape(gx.shape), levels=[0.5], colors="black",
                   linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="RdBu_r", s=10, edgecolors="black",
               linewidths=0.3)
    ax.set_xticks([])
    ax.set_yticks([])


def _check_2d(network: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    from neuroflow.metrics import labels_from_targets

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
    network = _check_network(network)
    inputs, labels = _check_2d(network, x, y)
    figure = _figure(_check_figsize(figsize))
    ax = figure.add_subplot()
    _draw_boundary(ax, network, inputs, labels, _check_count(resolution, "resolution"))
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
    network = _check_network(network)
    inputs, labels = _check_2d(network, x, y)
    epochs = list(epochs)
    if not epochs or any(isinstance(e, bool) or not isinstance(e, int) or e < 0
                         for e in epochs) or epochs != sorted(epochs):
        raise ValueError(f"epochs: expected increasing non-negative integers, received: "
                         f"{epochs!r}")
    fit_options.setdefault("verbose", 0)
    figure = _figure(_check_figsize(figsize))
    axes = figure.subplots(1, len(epochs), squeeze=False)[0]
    done = 0
    for ax, target in zip(axes, epochs):
        if target > done:
            network.fit(inputs, y, epochs=target - done, **fit_options)
            done = target
        _draw_boundary(ax, network, inputs, labels, _check_count(resolution, "resolution"))
        accuracy = float((network.predict_classes(inputs) == labels).mean())
        ax.set_title(f"epoch {target}: accuracy {accuracy:.0%}")
    return figure
