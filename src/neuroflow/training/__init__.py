"""Training: mini-batch gradient descent over epochs, driven apart from the network's math
and speaking to the outside only through callbacks.

========================  ============================================================
:mod:`.loop`              :func:`fit` and :func:`run_epochs`, the one epoch loop
:mod:`.steps`             :class:`LocalSteps`, one process's work per step
:mod:`.batching`          :class:`BatchGatherer`, mini-batches gathered into reused arrays
:mod:`.stream`            :class:`StreamSteps`: ``fit`` on a generator or sequence of batches
:mod:`.data`              :func:`prepare_data`, :func:`split_validation`,
                          :func:`class_sample_weight`, :func:`resolve_optimizer`
:mod:`.resume`            :func:`run_settings`, :func:`data_fingerprint`: resuming exactly
:mod:`.interrupt`         Ctrl-C ends training after the current batch
========================  ============================================================

Importing this package registers :func:`fit` as the implementation of
:meth:`neuroflow.Network.fit` (see :func:`neuroflow.network.provide`).
"""

from neuroflow.services import provide
from neuroflow.training.batching import BatchGatherer
from neuroflow.training.data import (
    class_sample_weight,
    prepare_data,
    resolve_optimizer,
    split_validation,
)
from neuroflow.training.loop import check_options, fit, run_epochs
from neuroflow.training.resume import data_fingerprint, run_settings
from neuroflow.training.steps import PROBE_ROWS, LocalSteps

__all__ = ["fit", "run_epochs", "LocalSteps", "PROBE_ROWS", "split_validation",
           "class_sample_weight", "prepare_data", "resolve_optimizer", "run_settings",
           "data_fingerprint", "check_options", "BatchGatherer"]

provide("fit", fit)
