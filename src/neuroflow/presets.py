r"""Named training recipes shared by the command line (``neuroflow train --preset NAME``)
and the README.

A preset is a plain dict of settings (JSON-like, no code). :func:`build_network` turns
one into a network and :func:`fit_options` into the keyword arguments of
:func:`neuroflow.fit`; any setting can be overridden by passing a changed copy
(:func:`resolve`), which is what explicit command-line options do.

``mnist-best`` is written out as plain Python in the README; the two must stay equal.

``nielsen`` reproduces the network of chapter 1 of Michael Nielsen's *Neural Networks and
Deep Learning* (``network.py``): 784-30-10, sigmoid hidden and output units, the
quadratic cost, plain stochastic gradient descent (no momentum, no weight decay) on
mini-batches of 10 for 30 epochs, trained on the first 50,000 MNIST training images (the
last 10,000 are held out for validation, as Nielsen's ``validation_data``).

**The learning rate.** Nielsen's cost for a mini-batch of :math:`n` samples is

.. math:: C_N = \frac{1}{2n} \sum_x \lVert y(x) - a(x) \rVert^2,
          \qquad \frac{\partial C_N}{\partial a_{xj}} = \frac{1}{n} (a_{xj} - y_{xj}),

with the step :math:`w \leftarrow w - \eta_N \, \partial C_N / \partial w`. neuroflow's
``mse`` averages over the :math:`n` samples *and* the :math:`k` outputs, without the
:math:`\frac12`:

.. math:: C = \frac{1}{n k} \sum_x \sum_j (a_{xj} - y_{xj})^2,
          \qquad \frac{\partial C}{\partial a_{xj}} = \frac{2}{n k} (a_{xj} - y_{xj})
          = \frac{2}{k} \, \frac{\partial C_N}{\partial a_{xj}}.

Backpropagation is linear in :math:`\partial C / \partial a`, so every weight's gradient
carries the same factor :math:`2/k`, and the steps are equal when
:math:`\eta \cdot 2/k = \eta_N`:

.. math:: \eta = \eta_N \, \frac{k}{2} = 3.0 \times \frac{10}{2} = 15.0.

(``tests/cli/test_cli_teaching_train.py`` checks one step against Nielsen's update written
out in NumPy.)

**The initialisation.** Nielsen draws every weight and bias from :math:`N(0, 1)`. The
preset draws the weights the same way (``initializer={"name": "normal", "std": 1.0}``);
neuroflow's ``Dense`` starts its biases at 0, the one difference.

``fashion-cnn`` trains on Fashion-MNIST (Zalando's 28x28 greyscale clothing images, ten
classes, the same four IDX files as MNIST), which is not bundled: ``--data DIR`` names
the folder holding them (:func:`data_problem` refuses anything else). The network is
``mnist-cnn``'s with batch normalisation after each convolution,
conv32k3-bn-pool2-conv64k3-bn-pool2-dense128 with dropout 0.25 and 0.5 (225,130
parameters). Why: two blocks of 3x3 convolutions, max-pooling and dropout are reported
near 92% on Fashion-MNIST, stuck there by the shirt / T-shirt confusion, and the
published two-block networks that pass it (92.5% and 93.4% test accuracy, both on
GitHub, linked from the Fashion-MNIST benchmark) add batch normalisation after the
convolutions; a dense network stops near 89%. AdamW with a one-cycle schedule (peak
3e-3, weight decay 0.01), the settings with which ``mnist-cnn`` reached 99.38% on MNIST
here, for 10 epochs of 128-image batches, every training image used (no validation
split) and the last epoch kept. Time: 89 s of CPU time per 60,000-image epoch on one
core (59 s without the normalisation; measured over 16 batches of random 28x28 images,
one BLAS thread), so 10 epochs take 15 minutes of one core and about 10 on two, where
the convolutions' matrix products run on both. (The accuracy is the literature's, not
measured here: Fashion-MNIST is not on this machine.)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow import schedules as _schedules
from neuroflow.callbacks import EarlyStopping
from neuroflow.layers import Dense, Dropout, Layer
from neuroflow.layers.stack import build_stack
from neuroflow.network import Network

__all__ = ["PRESETS", "names", "resolve", "build_network", "fit_options", "data_problem"]

#: The settings of the mnist-cnn preset (below), which fashion-cnn builds on.
_MNIST_CNN: dict[str, Any] = {
    "layers": "conv32k3,pool2,conv64k3,pool2,dropout0.25,dense128,dropout0.5",
    "activation": "relu",
    "output_activation": "softmax",
    "loss": "cross_entropy",
    "optimizer": "adamw",
    "learning_rate": 3e-3,
    "weight_decay": 0.01,
    "schedule": "one_cycle",
    "warmup_epochs": 0,
    "epochs": 8,
    "batch_size": 128,
    "validation_split": 0.0,
    "select_best": None,
}

#: Every preset by name. Keys:
#: ``layers`` (sizes, input first; or a stack such as ``"conv32k3,pool2,dense128"``, see
#: :mod:`neuroflow.layers.stack`, for 28x28 images and 10 classes), ``activation``
#: (hidden), ``output_activation``,
#: ``loss``, ``initializer`` (of the weights, a name or config dict of
#: :func:`neuroflow.initializers.get`; absent or ``None``: each activation's default),
#: ``dropout`` (rate after every hidden layer), ``input_dropout`` (rate on the
#: inputs), ``optimizer`` (registered name), ``learning_rate`` (peak rate),
#: ``weight_decay``, ``schedule`` (``"one_cycle"``, ``"cosine"`` or ``None``),
#: ``warmup_epochs`` (cosine only), ``epochs``, ``batch_size``, ``validation_split`` and
#: ``select_best`` (a logged quantity: the weights of the epoch where it was best are
#: restored at the end; ``None`` keeps the last epoch's); ``data_set`` (optional: the
#: name of a data set that is not bundled and must be given as an IDX folder).
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
    # A small convolutional network (the classic Keras/PyTorch MNIST CNN): two 3x3
    # convolutions with 2x2 max-pooling, then 128 dense neurons with dropout. Measured
    # (seed 0, float32, one BLAS thread): 99.38% MNIST test accuracy after the 8 epochs,
    # about 55 s of CPU time per epoch (46 min of wall time on a shared, overloaded
    # 2-core machine, where the run got 17% of a core).
    "mnist-cnn": _MNIST_CNN,
    # Fashion-MNIST, not bundled (module docstring: the choice and the literature): the same
    # training with each convolution's output normalised, for 10 epochs
    "fashion-cnn": {
        **_MNIST_CNN,
        "layers": "conv32k3,bn,pool2,conv64k3,bn,pool2,dropout0.25,dense128,dropout0.5",
        "epochs": 10,
        "data_set": "Fashion-MNIST",
    },
    "nielsen": {
        "layers": [784, 30, 10],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "loss": "mse",
        "initializer": {"name": "normal", "std": 1.0},
        "optimizer": "sgd",
        "learning_rate": 15.0,  # Nielsen's eta = 3.0 for his cost (module docstring)
        "weight_decay": 0.0,
        "schedule": None,
        "epochs": 30,
        "batch_size": 10,
        "validation_split": 1 / 6,  # 10,000 of 60,000: trains on Nielsen's 50,000
        "select_best": None,
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


def data_problem(preset: dict[str, Any], data: str) -> str | None:
    """Why ``data`` (``--data``: ``"mnist"`` or a path) cannot train ``preset``, or ``None``.

    A preset with a ``data_set`` (a data set that is not bundled) needs a folder: the
    bundled MNIST is refused with how to get the right data.
    """
    name = preset.get("data_set")
    if not name or data.lower() != "mnist":
        return None
    return (f"--data: this preset trains on {name}, which is not bundled with neuroflow; "
            f"download its four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
            f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not, from "
            f"https://github.com/zalandoresearch/fashion-mnist, folder data/fashion) into a "
            f"folder and pass it as --data DIR")


def build_network(preset: dict[str, Any], seed: int | np.random.Generator | None = 0,
                  dtype: str = "float32") -> Network:
    """The preset's network: ``Dense`` layers with ``Dropout`` before each hidden layer
    (``input_dropout`` on the inputs, ``dropout`` after each hidden activation); or, for a
    stack description, its layers for MNIST-shaped images (``(1, 28, 28)``, 10 classes)."""
    if isinstance(preset["layers"], str):
        return Network(build_stack(preset["layers"], (1, 28, 28), 10, preset["activation"],
                                   preset["output_activation"]),
                       loss=preset["loss"], seed=seed, dtype=dtype)
    sizes = list(preset["layers"])
    layers: list[Layer] = []
    if preset.get("input_dropout"):
        layers.append(Dropout(preset["input_dropout"], features=sizes[0]))
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = index < len(sizes) - 2
        layers.append(Dense(n_in, n_out, activation=preset["activation"] if hidden
                            else preset["output_activation"],
                            initializer=preset.get("initializer")))
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
