"""neuroflow: feed-forward neural networks from first principles on NumPy.

Every idea of a feed-forward network has a file named after it:

==========================  ==============================================================
concept                     where it lives
==========================  ==============================================================
artificial neuron           :mod:`neuroflow.layers.dense` (:class:`Dense`: z = xW + b,
                            a = f(z))
activation                  :mod:`neuroflow.activations`
topology                    :mod:`neuroflow.network` (:class:`Network`, ``from_sizes``)
random weights              :mod:`neuroflow.initializers`
forward pass                :meth:`Network.forward`; from the equations:
                            :mod:`neuroflow.backprop`
cost                        :mod:`neuroflow.losses`
backpropagation             :mod:`neuroflow.backprop` (the reference);
                            :meth:`Network.backward` (the fast path, tested against it)
gradient descent            :mod:`neuroflow.optimizers.sgd` (Adam, AdamW, RMSProp beside it)
learning rate               :mod:`neuroflow.schedules` and the optimisers' ``learning_rate``
mini-batches and epochs     :mod:`neuroflow.training.loop`
checking it all             :func:`check_gradients` (:mod:`neuroflow.gradcheck`)
==========================  ==============================================================

The layering and the reasons for it: ``docs/architecture.md``. The faces that need an
optional extra or are rarely used (:mod:`neuroflow.presets`, :mod:`neuroflow.distributed`,
:mod:`neuroflow.plotting`, :mod:`neuroflow.sklearn`, :mod:`neuroflow.onnx`) are loaded on
first use, so ``import neuroflow`` stays cheap.
"""

import importlib
from typing import Any

from neuroflow import (
    activations,
    callbacks,
    datasets,
    explain,  # gives Trace its text form (see neuroflow.backprop.Trace.renderer)
    initializers,
    io,
    losses,
    metrics,
    optimizers,
    schedules,
    training,
)
from neuroflow._version import __version__
from neuroflow.backprop import LayerTrace, Trace, trace
from neuroflow.errors import (
    DatasetError,
    ModelFileError,
    NeuroflowError,
    TrainingDivergedError,
    TrainingInterrupted,
)
from neuroflow.gradcheck import GradientCheckResult, check_gradients
from neuroflow.io import load, save
from neuroflow.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    Layer,
    MaxPool2D,
)
from neuroflow.network import Network
from neuroflow.training import fit

#: Modules loaded on first attribute access (``nf.presets``, ``nf.distributed`` ...).
_LAZY = ("presets", "distributed", "plotting", "sklearn", "onnx")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"neuroflow.{name}")
    raise AttributeError(f"module 'neuroflow' has no attribute {name!r}")


__all__ = [
    "Network", "Dense", "Dropout", "BatchNorm", "Conv2D", "MaxPool2D", "AvgPool2D",
    "GlobalAveragePooling2D", "Flatten", "Layer", "fit", "load", "save", "check_gradients",
    "GradientCheckResult", "activations", "callbacks", "datasets", "distributed", "explain",
    "initializers", "io", "losses", "presets", "schedules", "training",
    "metrics", "optimizers", "NeuroflowError", "ModelFileError", "DatasetError",
    "TrainingDivergedError", "TrainingInterrupted", "trace", "Trace", "LayerTrace", "__version__",
]
