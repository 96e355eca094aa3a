"""neuroflow: feed-forward neural networks from first principles on NumPy.

Every part is visible: neurons (:class:`Dense`), activations, losses, initialisers,
backpropagation (:meth:`Network.backward`), gradient descent (:mod:`neuroflow.optimizers`),
and a finite-difference check of it all (:func:`check_gradients`).
"""

from neuroflow import (
    activations,
    callbacks,
    datasets,
    distributed,
    initializers,
    losses,
    metrics,
    optimizers,
    presets,
    schedules,
)
from neuroflow.errors import (
    DatasetError,
    ModelFileError,
    NeuroflowError,
    TrainingDivergedError,
    TrainingInterrupted,
)
from neuroflow.gradcheck import GradientCheckResult, check_gradients
from neuroflow.io import load, save
from neuroflow.layers import BatchNorm, Dense, Dropout, Layer
from neuroflow.network import Network
from neuroflow.trace import LayerTrace, Trace, trace
from neuroflow.training import fit

__version__ = "0.1.0"

__all__ = [
    "Network", "Dense", "Dropout", "BatchNorm", "Layer", "fit", "load", "save", "check_gradients",
    "GradientCheckResult", "activations", "callbacks", "datasets", "distributed",
    "initializers", "losses", "presets", "schedules",
    "metrics", "optimizers", "NeuroflowError", "ModelFileError", "DatasetError",
    "TrainingDivergedError", "TrainingInterrupted", "trace", "Trace", "LayerTrace", "__version__",
]
