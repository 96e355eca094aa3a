"""One reader for every command's ``--data``: what kind of source a value names, and the
labelled samples a model is scored or traced on.

``train``, ``evaluate``, ``explain``, ``sweep`` (and ``predict``'s INPUTs) accept the same
sources (:data:`~neuroflow.cli._data.SOURCES`): ``mnist`` (bundled), a folder of MNIST
IDX files, a folder of images with one sub-folder per class, and a CSV file.
:func:`~neuroflow.cli._data.data_kind` tells them apart
and refuses, in one line naming the option, a missing path and anything that is not a
folder or a regular file (a FIFO or a device is "not a regular file", never "no such
file"). Sizes are checked from the first item before the rest is decoded: an image
folder's size from its first image's header (:func:`image_features`), MNIST's 784
pixels from its format; a CSV file's width from its rows, which are cheap.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow import datasets
from neuroflow.cli._args import UsageError
from neuroflow.cli._data import (
    MNIST_FEATURES,
    TrainingData,
    csv_for_model,
    data_kind,
    load_data,
    load_image_folder,
)
from neuroflow.datasets.images import first_image, image_size

if TYPE_CHECKING:
    from neuroflow.cli._settings import TrainSettings

__all__ = ["image_features", "training_images", "labelled_data", "test_data"]

def image_features(spec: str) -> tuple[int, str]:
    """The inputs each image of the folder ``spec`` gives (grey pixels, width x height)
    and how to name that in a message, from the first image's header alone."""
    first = first_image(spec)
    width, height = image_size(first)
    return width * height, f"{width}x{height} pixels, from {str(first)!r}"


def training_images(settings: TrainSettings, resumed: Any
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``train --data FOLDER``: :func:`~neuroflow.cli._data.load_image_folder` with the
    run's seed and dtype (a resumed run's own), after checking the network's inputs
    (``--layers``' first size, or the resumed model's) against the first image's header,
    before any image is decoded."""
    seed = settings.seed if resumed is None or resumed.seed is None else resumed.seed
    dtype = settings.dtype if resumed is None else np.dtype(resumed.dtype).name
    n, where = image_features(settings.data)
    if resumed is not None and resumed.in_features != n:
        raise UsageError(f"--resume: the model takes {resumed.in_features} inputs, the "
                         f"images of --data {settings.data} have {n} ({where})")
    layers = settings.layers
    if resumed is None and not isinstance(layers, str) and layers and layers[0] != n:
        raise UsageError(f"--layers: the first size must be the number of inputs, {n} "
                         f"({where}), received {layers[0]}")
    return load_image_folder(settings.data, seed, dtype)


def test_data(settings: TrainSettings, data: TrainingData) -> TrainingData:
    """``train --test-data SOURCE``: ``data`` with SOURCE's samples as its test set, read
    for the network as ``evaluate`` reads them (a CSV file's columns matched by name,
    its categories one-hot encoded as in training, its labels mapped to the classes);
    ``data`` itself without ``--test-data``."""
    source = settings.test_data
    if source is None:
        return data
    x, y = labelled_data(source, data.network, target=settings.target,
                         header=settings.header, delimiter=settings.delimiter,
                         argument="--test-data")
    if len(y) == 0:
        raise UsageError(f"--test-data: {source!r} holds no samples")
    return dataclasses.replace(data, x_test=x, y_test=y,
                               held_out=f"{len(y)} samples of --test-data {source}")


def labelled_data(spec: str, net: Any, *, target: str | None = None,
                  header: bool | None = None, delimiter: str = ",",
                  argument: str = "--data") -> tuple[np.ndarray, np.ndarray]:
    """The labelled samples a saved model is scored (``evaluate``) or traced
    (``explain``) on: MNIST's or an IDX folder's test set, every image of an image folder
    (labelled by the model's ``class_names``, matched by folder name), every row of a CSV
    file (:func:`~neuroflow.cli._data.csv_for_model`), or two moons / circles for a
    2-input model. The model's input count is checked from the first item."""
    kind = data_kind(spec, argument, named=("moons", "circles"))
    if target is not None and kind != "csv":
        raise UsageError(f"--target: needs --data PATH.csv, received --data {spec!r}")
    if kind == "csv":
        return csv_for_model(net, spec, target, header=header, delimiter=delimiter)
    if kind in ("moons", "circles"):
        if net.in_features != 2:
            raise UsageError(f"{argument}: {kind} has 2 features, the model takes "
                             f"{net.in_features} inputs")
        make = datasets.make_moons if kind == "moons" else datasets.make_circles
        return make(n_samples=400, seed=0)
    if kind == "images":
        return _images_for_model(net, spec, argument)
    if net.in_features != MNIST_FEATURES:
        raise UsageError(f"{argument}: the model takes {net.in_features} inputs, the data has "
                         f"{MNIST_FEATURES} columns (the 28x28 pixels of MNIST images)")
    _, _, x, y = load_data(spec)
    return x, y


def _images_for_model(net: Any, spec: str, argument: str) -> tuple[np.ndarray, np.ndarray]:
    n, where = image_features(spec)
    if n != net.in_features:
        raise UsageError(f"{argument}: the model takes {net.in_features} inputs, the data has "
                         f"{n} columns (the images of {spec!r}: {where})")
    data = datasets.load_images(spec, dtype=np.dtype(net.dtype).name)
    assert data.y is not None and data.class_names is not None  # labelled by folder
    folders = [str(name) for name in data.class_names]
    if net.class_names is not None:
        known = {str(name): index for index, name in enumerate(net.class_names)}
        source = "the model's classes"
    else:  # a model without names: folders named 0, 1, ... are its class indices
        known = {str(index): index for index in range(max(2, net.out_features))}
        source = "class indices, as the model has no class names"
    unknown = [name for name in folders if name not in known]
    if unknown:
        expected = ", ".join(known) if len(known) <= 20 else f"{len(known)} classes"
        raise UsageError(f"{argument}: class folders of {spec!r} the model does not know: "
                         f"{', '.join(unknown[:10])} (expected {source}: {expected})")
    mapping = np.array([known[name] for name in folders], dtype=np.int64)
    return data.x, mapping[data.y]

