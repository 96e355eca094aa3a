"""The playground's network and data from a :class:`~neuroflow.playground.Config`: the
network (classification or regression), the train/test split, the input features, and
the ``fit`` call that the code shown replays."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import optimizers
from neuroflow.network import Network
from neuroflow.playground.config import Config, features, toy_data

__all__ = ["build_network", "training_data", "network_inputs", "fit_line"]


def build_network(config: Config) -> Network:
    """The freshly initialised float64 network of ``config``: one sigmoid output with
    binary cross-entropy for classification, one linear output with mean squared error
    for regression."""
    if config.problem == "regression":
        return Network.from_sizes(config.sizes, hidden=config.activation, output="linear",
                                  loss="mse", seed=config.seed, dtype="float64")
    return Network.from_sizes(config.sizes, hidden=config.activation, output="sigmoid",
                              seed=config.seed, dtype="float64")


def training_data(config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The data set's points split by ``config.ratio``: the first ``ratio`` percent (the
    sets are shuffled) for training, the rest for testing. Returns ``(x, y, x_test,
    y_test)``, the raw 2-D points and their labels or targets."""
    x, y = toy_data(config.data, config.points, config.noise, config.seed)
    cut = max(2, round(len(x) * config.ratio / 100))
    return x[:cut], y[:cut], x[cut:], y[cut:]


def network_inputs(config: Config, points: np.ndarray) -> np.ndarray:
    """What the network reads for 2-D ``points``: the points themselves with the default
    features, else :func:`~neuroflow.playground.config.features`."""
    return points if config.features == ("x0", "x1") else features(config.features, points)


def fit_line(segment: dict[str, Any]) -> str:
    """The ``net.fit`` call of one stretch of training (a regularised optimiser is built
    with its penalty: ``l1`` or ``weight_decay``)."""
    head = f"net.fit(x, y, epochs={segment['epochs']}, batch_size={segment['batch_size']}, "
    rate = segment["learning_rate"]
    if segment.get("penalties"):
        name = type(optimizers.get(segment["optimizer"])).__name__
        extra = "".join(f", {key}={value!r}" for key, value in segment["penalties"].items())
        return f"{head}optimizer=nf.optimizers.{name}(learning_rate={rate!r}{extra}), verbose=0)"
    optimizer = "" if segment["optimizer"] is None else f"optimizer={segment['optimizer']!r}, "
    return f"{head}{optimizer}learning_rate={rate!r}, verbose=0)"
