"""Pictures of how a trained classifier does: its confusion matrix and the samples it
gets wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow import metrics
from neuroflow.network import Network
from neuroflow.plotting._common import (
    check_count,
    check_figsize,
    check_image_shape,
    check_network,
    grid_shape,
    new_figure,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["confusion_matrix", "misclassified"]


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
    counts = np.asarray(metrics.confusion_matrix(y_true, y_pred, n_classes=n_classes))
    k = counts.shape[0]
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names: expected {k} names, received {len(class_names)}")
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    figure = new_figure(check_figsize(figsize))
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


def misclassified(network: Network, x: Any, y: Any, image_shape: tuple[int, int] = (28, 28),
                  max_images: int = 25, class_names: Sequence[Any] | None = None,
                  figsize: tuple[float, float] = (8.0, 8.0)) -> Figure:
    """A gallery of the inputs the network gets wrong, titled "predicted (true)"."""
    network = check_network(network)
    inputs = np.asarray(x)
    shape = check_image_shape(image_shape, network.in_features)
    predicted = network.predict_classes(inputs)
    true = metrics.labels_from_targets(network.prepare_targets(y))
    wrong = np.flatnonzero(predicted != true)
    names = class_names if class_names is not None else network.class_names
    count = min(len(wrong), check_count(max_images, "max_images"))
    rows, columns = grid_shape(max(count, 1))
    figure = new_figure(check_figsize(figsize))
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
