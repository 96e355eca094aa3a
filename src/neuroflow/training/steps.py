"""The per-step work of the epoch loop on one process: :class:`LocalSteps`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow.metrics import accuracy
from neuroflow.network import Network
from neuroflow.training.batching import BatchGatherer
from neuroflow.training.blas import ProductThreads, largest_product_per_sample

__all__ = ["OneProcessSteps", "LocalSteps", "PROBE_ROWS", "correct_count"]

#: Rows whose outputs the trained network must still compute as finite numbers at the
#: end of ``fit`` (the divergence guard's last check; a clipped loss can hide overflow).
PROBE_ROWS = 1024


def correct_count(output: np.ndarray, target: np.ndarray, loss: Any) -> float:
    """The batch's correctly classified samples, as ``accuracy(output, target, loss) *
    n`` (the same float, bit for bit).

    Integer labels ``(n,)`` against outputs ``(n, k > 1)`` (softmax, or mse with
    labels) take a short path, one ``argmax`` and one count instead of
    :func:`~neuroflow.metrics.accuracy`'s conversions (a few of the step's microseconds
    at small batches); anything else is ``accuracy``'s."""
    n = output.shape[0]
    if (type(output) is np.ndarray and type(target) is np.ndarray and output.ndim == 2
            and output.shape[1] > 1 and target.ndim == 1 and target.dtype == np.int64
            and getattr(loss, "name", loss) != "binary_cross_entropy"):
        # accuracy's mean of the booleans is their count divided by n in float64
        return int(np.count_nonzero(output.argmax(axis=1) == target)) / n * n
    return accuracy(output, target, loss=loss) * n


class OneProcessSteps:
    """The per-step work of :func:`run_epochs` in one process, whatever the batches come
    from: a subclass says how the batch of a step is read (:meth:`batch`)."""

    #: Whether this process runs the user's callbacks and speaks (rank 0 under MPI).
    is_root = True
    #: A callback's ``stop_training`` after a batch ends the epoch at once.
    stops_after_batch = True
    network: Network
    classification: bool

    def batch(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The inputs, targets and sample weights (or ``None``) of the step ``index``."""
        raise NotImplementedError

    def gradients(self, index: np.ndarray, stop: bool) -> tuple[float, float, int] | None:
        """Forward and backward over the batch of ``index``: fill the gradients, return
        ``(mean loss, correctly classified count, batch size)``; ``None`` when another
        rank asked to stop (never here)."""
        network = self.network
        xb, yb, wb = self.batch(index)
        output = network.forward(xb, training=True)
        loss = network.loss.value(output, yb, wb)
        if math.isfinite(loss):
            network.backward(yb, wb, input_gradient=False)
        correct = correct_count(output, yb, network.loss) if self.classification else 0.0
        return loss, correct, xb.shape[0]

    def validate(self, validation: tuple[np.ndarray, np.ndarray] | None
                 ) -> dict[str, float] | None:
        """Validation scores after an epoch."""
        return None if validation is None else self.network.score(*validation)

    def share_control(self) -> None:
        """Make the stop flag and learning rate of the root's callbacks every rank's
        (nothing to share in one process)."""

    def extra_logs(self) -> dict[str, float]:
        """Logs beyond ``fit``'s own (distributed: the time spent reducing)."""
        return {}

    def close(self) -> None:
        """End of the loop, also after an exception: reused arrays are for the training
        loop only, so later forward passes (a callback's, the user's) get fresh ones."""
        self.network.reuse_buffers(False)

    def finish(self) -> None:
        """After ``on_train_end`` of a run that ended normally or diverged: make every
        process's network the same (nothing to do in one process)."""


class LocalSteps(OneProcessSteps):
    """How one process computes a batch's loss and gradients on arrays in memory: the
    per-step work of :func:`run_epochs`. :class:`neuroflow.distributed.DistributedSteps`
    has the same methods and sums the gradients over MPI ranks."""

    def __init__(self, network: Network, x: np.ndarray, target: np.ndarray,
                 weights: np.ndarray | None) -> None:
        self.network = network
        self.samples = x.shape[0]
        self.classification = network.loss.is_classification
        network.pack_parameters()  # a cast or a move between back-ends replaced arrays
        #: (parameter, gradient) pairs the optimiser steps on.
        self.pairs = network.parameter_buffer or list(zip(network.parameters(),
                                                          network.gradients()))
        # Hot path: batches are gathered into reused arrays and the layers reuse their
        # work arrays, so a step allocates (almost) nothing; see neuroflow.training.batching.
        self.batches = BatchGatherer(x, target, weights, backend=network.backend)
        self.probe = x[:PROBE_ROWS]
        network.reuse_buffers(True)
        # A step of small products on one BLAS thread (see neuroflow.training.blas)
        self.product_threads = ProductThreads()
        self.flops_per_sample = (largest_product_per_sample(network)
                                 if network.backend == "numpy" else None)

    def gradients(self, index: np.ndarray, stop: bool) -> tuple[float, float, int] | None:
        """:meth:`OneProcessSteps.gradients`, on one BLAS thread when every product of
        the step is small (:class:`~neuroflow.training.blas.ProductThreads`)."""
        if self.flops_per_sample is not None:
            self.product_threads(self.flops_per_sample * index.shape[0])
        return super().gradients(index, stop)

    def end_step(self) -> None:
        """After the update of a step (its products and the divergence guard's dot
        product done): the process's BLAS threads back for the callbacks, validation and
        whatever else runs before the next step's products."""
        self.product_threads.close()

    def close(self) -> None:
        """End of the loop: the BLAS threads and the reused arrays are given back."""
        self.product_threads.close()
        super().close()

    def order(self, order: np.ndarray) -> np.ndarray:
        """The epoch's sample order (the same on every rank)."""
        return order

    def batch(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The samples ``index``, gathered into reused arrays."""
        return self.batches.take(index)
