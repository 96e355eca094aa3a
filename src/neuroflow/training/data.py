"""What ``fit`` trains on: the data arguments validated and combined
(:func:`prepare_data`, :func:`split_validation`, :func:`class_sample_weight`) and the
optimiser chosen (:func:`resolve_optimizer`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow import preprocessing as _preprocessing
from neuroflow.metrics import labels_from_targets
from neuroflow.network import Network

__all__ = ["prepare_data", "split_validation", "class_sample_weight", "resolve_optimizer",
           "learn_from_data"]


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float,
                     sample_weight: np.ndarray | None = None):
    """Hold out the last ``fraction`` of the samples (before any shuffling) for validation."""
    n_val = int(math.floor(x.shape[0] * fraction))
    if n_val < 1 or n_val >= x.shape[0]:
        raise ValueError(
            f"validation_split: {fraction} of {x.shape[0]} samples leaves "
            f"{x.shape[0] - n_val} for training and {n_val} for validation; both must be >= 1"
        )
    cut = x.shape[0] - n_val
    train_weight = None if sample_weight is None else sample_weight[:cut]
    return x[:cut], y[:cut], train_weight, (x[cut:], y[cut:])


def prepare_data(network: Network, x: Any, y: Any, *, sample_weight: Any = None,
                 class_weight: dict[Any, float] | None = None,
                 validation_data: tuple[Any, Any] | None = None,
                 validation_split: float = 0.0):
    """Validate ``fit``'s data arguments; return ``(x, target, weights, validation)``.

    Inputs are validated and preprocessed, targets checked against the output layer and
    the loss, ``sample_weight`` and ``class_weight`` combined into one weight per sample
    (or ``None``), and the validation pair taken from ``validation_data`` or split off the
    end of the samples (``None`` when neither is given).
    """
    learn_from_data(network, x, y)
    x, target, weights = network.prepare_examples(x, y, sample_weight)
    if class_weight is not None:
        per_class = class_sample_weight(class_weight, target, network)
        weights = per_class if weights is None else weights * per_class

    validation = None
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data: expected a pair (x_val, y_val), received "
                             f"{type(validation_data).__name__}")
        x_val = network.prepare_inputs(validation_data[0], "x_val")
        y_val = network.prepare_targets(validation_data[1], "y_val")
        if y_val.shape[0] != x_val.shape[0]:
            raise ValueError(f"y_val: expected {x_val.shape[0]} targets, received "
                             f"{y_val.shape[0]}")
        validation = (x_val, y_val)
    elif validation_split:
        if not (isinstance(validation_split, (int, float)) and 0 < validation_split < 1):
            raise ValueError(f"validation_split: expected a number in (0, 1), received: "
                             f"{validation_split!r}")
        x, target, weights, validation = split_validation(x, target, validation_split, weights)
    return x, target, weights, validation


def learn_from_data(network: Network, x: Any, y: Any) -> None:
    """What ``fit`` learns from its data before it trains, where the network has none yet:
    the :attr:`~Network.class_names` of labels by name (sorted, as scikit-learn's
    ``LabelEncoder``), a :class:`~neuroflow.preprocessing.OneHotEncoder` for a
    DataFrame's categorical columns (saved with the model) and the DataFrame's column
    names as :attr:`~Network.feature_names`."""
    if network.class_names is None and network.loss.is_classification and \
            _preprocessing.is_label_array(y):
        classes = _preprocessing.learn_classes(y)
        if len(classes) != max(network.out_features, 2):
            raise ValueError(
                f"y: expected {max(network.out_features, 2)} classes (the output layer has "
                f"{network.out_features} outputs), received {len(classes)}: {classes[:10]!r}")
        network.class_names = classes
    if network.preprocessing is None and _preprocessing.has_categorical_columns(x):
        encoder = _preprocessing.OneHotEncoder().fit(x)
        if encoder.n_features != network.in_features:
            raise ValueError(
                f"x: one-hot encoding its categorical columns gives {encoder.n_features} "
                f"features ({', '.join(encoder.feature_names_out[:12])}), the network takes "
                f"{network.in_features}; size the input layer with "
                "neuroflow.preprocessing.OneHotEncoder().fit(x).n_features")
        network.preprocessing = encoder
        network.feature_names = encoder.feature_names_out
    elif network.feature_names is None and hasattr(x, "columns") and hasattr(x, "dtypes"):
        names = [str(name) for name in x.columns]
        if len(names) == network.in_features and len(set(names)) == len(names):
            network.feature_names = names


def resolve_optimizer(network: Network, optimizer: str | _optimizers.Optimizer | None,
                      learning_rate: float | None) -> _optimizers.Optimizer:
    """The optimiser ``fit`` uses: the one named or given, else the network's own from an
    earlier ``fit`` (its state continues), else Adam."""
    if isinstance(optimizer, _optimizers.Optimizer) and learning_rate is not None:
        raise ValueError(f"learning_rate: give the rate to the {optimizer.name!r} optimizer "
                         f"object itself, received both it and learning_rate="
                         f"{learning_rate!r}")
    if optimizer is None and network.optimizer is not None:
        if learning_rate is not None:  # a new rate for the optimiser whose state continues
            network.optimizer.learning_rate = _optimizers.get(
                network.optimizer.name, learning_rate).learning_rate
        return network.optimizer
    if optimizer is None:
        return _optimizers.Adam(
            **({} if learning_rate is None else {"learning_rate": learning_rate}))
    return _optimizers.get(optimizer, learning_rate)


def class_sample_weight(class_weight: Any, target: np.ndarray, network: Network) -> np.ndarray:
    """Per-sample weights ``(n,)`` from ``{class: weight}`` and prepared targets.

    Classes are the output indices ``0 .. k-1`` (``0``/``1`` for one sigmoid output);
    classes missing from ``class_weight`` weigh 1.
    """
    if not network.loss.is_classification:
        raise ValueError(f"class_weight: expected a classification loss, received loss "
                         f"{network.loss.name!r}; use sample_weight for regression")
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight: expected a dict {{class: weight}}, received "
                         f"{type(class_weight).__name__}")
    n_classes = max(network.out_features, 2)
    table = np.ones(n_classes, dtype=network.dtype)
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or \
                not 0 <= key < n_classes:
            raise ValueError(f"class_weight: expected class keys in 0..{n_classes - 1}, "
                             f"received key {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
                not math.isfinite(value) or value < 0:
            raise ValueError(f"class_weight: expected finite weights >= 0, received "
                             f"{value!r} for class {key}")
        table[int(key)] = value
    return table[labels_from_targets(target)]
