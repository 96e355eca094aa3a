"""The playground's MNIST panel: a digit classifier trained on a subset of the bundled
digits, its first layer's weights as images, and the forward pass of a drawn digit.

The classifier is dense (``784 - hidden - 10``) or, with ``conv`` filters, a small
convolutional network: ``conv`` 3 x 3 filters (ReLU) and 2 x 2 max-pooling before the
hidden layer. Its first layer's weights are then the filters, and the forward pass shows
the feature maps of the drawing after the convolution and after the pooling.

A drawing is brought to MNIST's own framing before the network sees it (as the digits
were prepared: the ink's bounding box scaled to fit 20 x 20 pixels, placed in the
28 x 28 square with its centre of mass at the centre).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from neuroflow.datasets import mnist
from neuroflow.errors import TrainingDivergedError
from neuroflow.layers import Conv2D, Dense, Flatten, MaxPool2D
from neuroflow.network import Network
from neuroflow.playground.config import ACTIVATIONS, OPTIMIZERS
from neuroflow.playground.frames import quantise

__all__ = ["MnistEngine", "frame_digit", "TEST_IMAGES"]

#: Held-out test images the accuracy is measured on.
TEST_IMAGES = 1000


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bundled MNIST, read once per process (the arrays are never written to)."""
    return mnist()


def frame_digit(pixels: Any) -> np.ndarray:
    """A drawing ``(28, 28)`` or ``(784,)`` with ink near 1 on 0, framed like MNIST:
    the ink's bounding box scaled to fit 20 x 20, centred by its centre of mass in
    28 x 28. Returns float32 ``(784,)`` in [0, 1] (all zeros for an empty drawing)."""
    image = np.clip(np.asarray(pixels, dtype=np.float64).reshape(28, 28), 0.0, 1.0)
    rows, cols = np.nonzero(image > 0.05)
    if rows.size == 0:
        return np.zeros(784, dtype=np.float32)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = 20.0 / max(crop.shape)
    width = max(1, int(round(crop.shape[1] * scale)))
    height = max(1, int(round(crop.shape[0] * scale)))
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize((width, height),
                                                                 Image.Resampling.LANCZOS)
    inked = np.asarray(small, dtype=np.float64) / 255
    total = inked.sum()
    cy = float((inked.sum(axis=1) * np.arange(height)).sum() / total) if total else height / 2
    cx = float((inked.sum(axis=0) * np.arange(width)).sum() / total) if total else width / 2
    top = int(np.clip(round(14 - cy), 0, 28 - height))
    left = int(np.clip(round(14 - cx), 0, 28 - width))
    framed = np.zeros((28, 28))
    framed[top:top + height, left:left + width] = inked
    return np.clip(framed, 0.0, 1.0).astype(np.float32).ravel()


def _setting(query: Mapping[str, str], key: str, default: Any, lo: float, hi: float) -> Any:
    text = query.get(key)
    if text in (None, ""):
        return default
    try:
        value = type(default)(text)
    except ValueError:
        raise ValueError(f"{key}: expected a number, received {text!r}") from None
    if not lo <= value <= hi or value != value:
        raise ValueError(f"{key}: expected a number from {lo:g} to {hi:g}, received {text!r}")
    return value


class MnistEngine:
    """A ``784 - hidden - 10`` softmax network (with ``conv`` filters: ``conv 3x3 -
    pool 2x2 - hidden - 10``) trained on the first ``subset`` MNIST training images, one
    epoch at a time.

    Parameters
    ----------
    hidden : int
        Neurons of the hidden layer (of a dense network, their incoming weights are shown
        as images).
    conv : int
        Filters of the first layer, a 3 x 3 convolution with ReLU followed by 2 x 2
        max-pooling (shown as images, and their feature maps in the forward pass); 0: no
        convolution, a dense network.
    activation, optimizer : str
        Hidden activation and optimiser (plain SGD by default).
    learning_rate : float
    batch_size : int
    subset : int
        Training images used.
    seed : int
    """

    def __init__(self, hidden: int = 32, activation: str = "relu", optimizer: str = "sgd",
                 learning_rate: float = 0.1, batch_size: int = 32, subset: int = 5000,
                 seed: int = 0, conv: int = 0) -> None:
        if activation not in ACTIVATIONS or optimizer not in OPTIMIZERS:
            raise ValueError(f"activation, optimizer: expected one of {', '.join(ACTIVATIONS)}"
                             f" and one of {', '.join(OPTIMIZERS)}, received {activation!r}, "
                             f"{optimizer!r}")
        self.settings = {"hidden": hidden, "activation": activation, "optimizer": optimizer,
                         "learning_rate": learning_rate, "batch_size": batch_size,
                         "subset": subset, "seed": seed, "conv": conv}
        x_train, y_train, x_test, y_test = _digits()
        self.x, self.y = x_train[:subset], y_train[:subset]
        self.x_test, self.y_test = x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]
        if conv:
            self.network = Network([
                Conv2D(conv, 3, activation="relu", input_shape=(1, 28, 28)), MaxPool2D(2),
                Flatten(), Dense(conv * 13 * 13, hidden, activation=activation),
                Dense(hidden, 10, activation="softmax")], seed=seed)
        else:
            self.network = Network.from_sizes([784, hidden, 10], hidden=activation,
                                              output="softmax", seed=seed)
        self.error: str | None = None
        self.losses: list[float] = []
        self.accuracies: list[float] = []
        self._record()

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> MnistEngine:
        """Build from URL pairs ``mh`` (hidden neurons), ``mconv`` (convolution filters,
        0 for none), ``mlr``, ``mbs``, ``mn`` (training images), ``mseed``, ``mact``,
        ``mopt``; bad values raise :class:`ValueError` naming the key."""
        activation = query.get("mact") or "relu"
        optimizer = query.get("mopt") or "sgd"
        for key, value, allowed in (("mact", activation, ACTIVATIONS),
                                    ("mopt", optimizer, OPTIMIZERS)):
            if value not in allowed:
                raise ValueError(f"{key}: expected one of {', '.join(allowed)}, received "
                                 f"{value!r}")
        return cls(hidden=_setting(query, "mh", 32, 1, 128), activation=activation,
                   optimizer=optimizer, learning_rate=_setting(query, "mlr", 0.1, 1e-6, 10.0),
                   batch_size=_setting(query, "mbs", 32, 1, 1000),
                   subset=_setting(query, "mn", 5000, 100, 60000),
                   seed=_setting(query, "mseed", 0, 0, 2**31 - 1),
                   conv=_setting(query, "mconv", 0, 0, 16))

    @property
    def epoch(self) -> int:
        """Epochs trained."""
        return int(self.network.epochs_trained)

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs on the subset (plain ``fit``)."""
        s: dict[str, Any] = self.settings
        for _ in range(epochs):
            if self.error is not None:
                return
            options: dict[str, Any] = ({"optimizer": s["optimizer"]}
                                       if self.network.optimizer is None else {})
            try:
                self.network.fit(self.x, self.y, epochs=1, batch_size=s["batch_size"],
                                 learning_rate=s["learning_rate"], verbose=0, **options)
            except TrainingDivergedError as error:
                self.error = f"training diverged: {error}"
                return
            self._record()

    def _record(self) -> None:
        scores = self.network.evaluate(self.x_test, self.y_test)
        self.losses.append(float(scores["loss"]))
        self.accuracies.append(float(scores["accuracy"]))

    def frame(self) -> dict[str, Any]:
        """``epoch``, test ``loss`` and ``accuracy`` (on :data:`TEST_IMAGES` images) and
        ``weights``: each hidden neuron's 784 incoming weights as a 28 x 28 image (of a
        convolutional network: each 3 x 3 filter), quantised on ``[-m, m]`` with ``m``
        the largest ``|w|``."""
        first = self.network.layers[0]
        weights = (first.params["W"][:, 0] if isinstance(first, Conv2D)
                   else first.params["W"].T.reshape(-1, 28, 28))
        m = float(np.abs(weights).max()) or 1.0
        return {"epoch": self.epoch, "loss": self.losses[-1],
                "accuracy": self.accuracies[-1], "weights": quantise(weights, -m, m),
                "error": self.error, "settings": self.settings}

    def predict(self, pixels: Any) -> dict[str, Any]:
        """The forward pass of a drawing: ``input`` (the framed 784 pixels), ``layers``
        (each dense layer's activations), ``maps`` (of a convolutional network: each
        image layer's output, ``{"name", "shape": [channels, height, width], "values"}``,
        the feature maps after the convolution and after the pooling; empty for a dense
        network) and ``probabilities`` (the softmax output), ``digit``."""
        x = frame_digit(pixels).reshape(1, 784)
        outputs = self.network.layer_outputs(x)
        probabilities = outputs[-1][0].astype(np.float64)
        maps, layers = [], []
        for layer, a in zip(self.network.layers, outputs):
            values = a[0].astype(np.float64)
            if a.ndim == 4:  # (1, channels, height, width): a convolution's or pooling's
                maps.append({"name": "convolution" if isinstance(layer, Conv2D)
                             else "max-pooling", "shape": list(values.shape),
                             "values": values.ravel().tolist()})
            elif isinstance(layer, Dense):
                layers.append(values.tolist())
        return {"input": x[0].astype(np.float64).tolist(), "layers": layers, "maps": maps,
                "probabilities": probabilities.tolist(), "digit": int(probabilities.argmax())}
