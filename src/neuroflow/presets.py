"""Named training recipes shared by the command line (``neuroflow train --preset NAME``)
and the README.

A preset is a plain dict of settings (JSON-like, no code). :func:`build_network` turns
one into a network and :func:`fit_options` into the keyword arguments of
:func:`neuroflow.fit`; any setting can be overridden by passing a changed copy
(:func:`resolve`), which is what explicit command-line options do.

``mnist-best`` is written out as plain Python in the README; the two must stay equal.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow import schedules as _schedules
from neuroflow.callbacks import EarlyStopping
from neuroflow.layers import Dense, Dropout, Layer
from neuroflow.network import Network

__all__ = ["PRESETS", "names", "resolve", "build_network", "fit_options"]

#: Every preset by name. Keys:
#: ``layers`` (sizes, input first), ``activation`` (hidden), ``output_activation``,
#: ``loss``, ``dropout`` (rate after every hidden layer), ``input_dropout`` (rate on the
#: inputs), ``optimizer`` (registered name), ``learning_rate`` (peak rate),
#: ``weight_decay``, ``schedule`` (``"one_cycle"``, ``"cosine"`` or ``None``),
#: ``warmup_epochs`` (cosine only), ``epochs``, ``batch_size``, ``validation_split`` and
#: ``select_best`` (a logged quantity: the weights of the epoch where it was best are
#: restored at the end; ``None`` keeps the last epoch's).
PRESETS: dict[str, dict[str, Any]] = {
    "mnist-best": {
        "layers": [784, 512, 512, 10],
        "activation": "relu",
        "output_activation": "softmax",
        "loss": "cross_entropy",
        "input_dropout": 0.1,
        "dropout": 0.3,
        "optimizer": "adamw",
        "learning_rate": 2e-3,
        "weight_decay": 0.05,
        "schedule": "one_cycle",
        "warmup_epochs": 0,
        "epochs": 15,
        "batch_size": 128,
        "validation_split": 0.1,
        "select_best": "val_accuracy",
    },
}


def names() -> list[str]:
    """The preset names, sorted."""
    return sorted(PRESETS)


def resolve(name: str, **overrides: Any) -> dict[str, Any]:
    """A copy of preset ``name`` with the settings in ``overrides`` (``None`` values are
    ignored) replaced."""
    if name not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(names())}, received: {name!r}")
    preset = copy.deepcopy(PRESETS[name])
    for key, value in overrides.items():
        if key not in preset:
            raise ValueError(f"{key}: not a setting of preset {name!r} (settings: "
                             f"{', '.join(sorted(preset))})")
        if value is not None:
            preset[key] = value
    return preset


def build_network(preset: dict[str, Any], seed: int | np.random.Generator | None = 0,
                  dtype: str = "float32") -> Network:
    """The preset's network: ``Dense`` layers with ``Dropout`` before each hidden layer
    (``input_dropout`` on the inputs, ``dropout`` after each hidden activation)."""
    sizes = list(preset["layers"])
    layers: list[Layer] = []
    if preset.get("input_dropout"):
        layers.append(Dropout(preset["input_dropout"], features=sizes[0]))
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = index < len(sizes) - 2
        layers.append(Dense(n_in, n_out, activation=preset["activation"] if hidden
                            else preset["output_activation"]))
        if hidden and preset.get("dropout"):
            layers.append(Dropout(preset["dropout"]))
    return Network(layers, loss=preset["loss"], seed=seed, dtype=dtype)


def fit_options(preset: dict[str, Any], n_samples: int) -> dict[str, Any]:
    """Keyword arguments of :func:`neuroflow.fit` for ``n_samples`` training samples
    (before the validation split): epochs, batch size, validation split, the optimiser
    with its learning-rate schedule, and the best-epoch selection callback."""
    epochs, batch_size = preset["epochs"], preset["batch_size"]
    steps = _schedules.steps_per_epoch(n_samples, batch_size, preset["validation_split"])
    rate: Any = preset["learning_rate"]
    if preset["schedule"] == "one_cycle":
        rate = _schedules.OneCycle(rate, total_steps=epochs * steps)
    elif preset["schedule"] == "cosine":
        rate = _schedules.CosineDecay(rate, decay_steps=epochs * steps,
                                      warmup_steps=preset["warmup_epochs"] * steps)
    elif preset["schedule"] is not None:
        raise ValueError(f"schedule: expected 'one_cycle', 'cosine' or None, received: "
                         f"{preset['schedule']!r}")
    optimizer_class = _optimizers.OPTIMIZERS[preset["optimizer"]]
    decay = preset.get("weight_decay") or 0.0
    optimizer = optimizer_class(learning_rate=rate, weight_decay=decay)
    callbacks = []
    if preset.get("select_best"):
        # never stops early (patience = epochs): only keeps the best epoch's weights
        callbacks.append(EarlyStopping(monitor=preset["select_best"], patience=epochs,
                                       restore_best=True))
    options: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size,
                               "optimizer": optimizer, "callbacks": callbacks}
    if preset["validation_split"]:
        options["validation_split"] = preset["validation_split"]
    return options
