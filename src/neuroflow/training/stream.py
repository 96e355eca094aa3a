"""Training on a stream of batches: data that arrive batch by batch instead of as two
arrays in memory (:class:`StreamSteps`, what ``fit(x)`` without ``y`` runs).

A stream is one of

- a **sequence of batches**: an object with ``__len__`` and ``__getitem__`` (a Keras
  ``Sequence``, a list of ``(x, y)`` pairs): ``len()`` batches per epoch, visited in a
  fresh random order each epoch when ``shuffle`` is on;
- a **re-iterable**: ``iter(stream)`` gives a new pass over the data each time (an object
  whose ``__iter__`` starts again): one pass per epoch, in the order given;
- an **iterator or generator**: one pass that never restarts; ``steps_per_epoch`` says
  how many batches make an epoch, and each epoch draws that many more from it (like
  Keras, a generator may loop forever). It must not run out before ``epochs`` epochs.

Each batch is ``(x_batch, y_batch)`` or ``(x_batch, y_batch, sample_weight_batch)``,
validated and preprocessed like ``fit``'s arrays. Only the current batch is held, so the
memory used does not grow with the data. Measured on a 2 GB float32 ``.npy`` (2,000,000
rows of 256; a 256-64-10 network, batches of 1024, one epoch): a generator reading it
with ``np.fromfile`` peaked at 190 MB resident (91 MB anonymous); slicing a
``np.load(..., mmap_mode="r")`` map instead also peaked at 89 MB anonymous, but the pages
it read stay mapped and count as 2 GB of (file-backed, reclaimable) resident memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from neuroflow._validation import positive_int
from neuroflow.inference import is_stream
from neuroflow.network import Network
from neuroflow.training.data import class_sample_weight
from neuroflow.training.steps import OneProcessSteps

__all__ = ["StreamSteps", "is_stream"]


class StreamSteps(OneProcessSteps):
    """The per-step work of :func:`~neuroflow.training.run_epochs` on a stream: each step
    takes the next batch. The loop's "samples" are the batches of an epoch, one per step
    (:attr:`indices_per_step`), so its shuffled order is the order of the batches."""

    #: One batch number per step (the array loop's ``batch_size`` sample indices).
    indices_per_step = 1

    def __init__(self, network: Network, stream: Any, steps_per_epoch: int | None,
                 class_weight: dict[Any, float] | None = None) -> None:
        self.network = network
        self.stream = stream
        self.class_weight = class_weight
        self.classification = network.loss.is_classification
        self._iterator: Iterator[Any] | None = None
        self.indexed = not isinstance(stream, Iterable) or (
            hasattr(stream, "__getitem__") and hasattr(stream, "__len__")
            and not isinstance(stream, Iterator))
        length = len(stream) if hasattr(stream, "__len__") else None
        if steps_per_epoch is not None:
            steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch")
            if self.indexed and length is not None and steps_per_epoch > length:
                raise ValueError(f"steps_per_epoch: expected at most the {length} batches of "
                                 f"x, received {steps_per_epoch}")
        elif length is None or isinstance(stream, Iterator):
            raise ValueError(
                f"steps_per_epoch: x is a {type(stream).__name__} of batches whose length is "
                "unknown; give steps_per_epoch, the number of batches that make one epoch")
        elif length == 0:
            raise ValueError("x: expected at least one batch, received an empty stream")
        #: Batches per epoch.
        self.samples = steps_per_epoch if steps_per_epoch is not None else int(length or 0)
        self.restarts = not isinstance(stream, Iterator) and not self.indexed
        self.epoch = 0
        self._drawn = 0
        network.pack_parameters()
        self.pairs = network.parameter_buffer or list(zip(network.parameters(),
                                                          network.gradients()))
        first = self._batch(0)  # checked before training starts; the probe of the end
        self.probe = first[0][:1024].copy()
        self._first: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = first
        network.reuse_buffers(True)

    def order(self, order: np.ndarray) -> np.ndarray:
        """The order of the batches: shuffled for a sequence, as they come otherwise."""
        if self.restarts and self.epoch:
            self._iterator = None  # a re-iterable starts a new pass each epoch
        self.epoch += 1
        return order if self.indexed else np.arange(self.samples)

    def _next_raw(self, number: int) -> Any:
        if self.indexed:
            return self.stream[int(number)]
        if self._iterator is None:
            self._iterator = iter(self.stream)
        try:
            raw = next(self._iterator)
        except StopIteration:
            raise ValueError(
                f"x: the stream ran out after {self._drawn} batches, in epoch {self.epoch}; "
                f"each epoch takes {self.samples} (steps_per_epoch): give a generator that "
                "loops, or fewer epochs or steps_per_epoch") from None
        self._drawn += 1
        return raw

    def _batch(self, number: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Batch ``number`` (or the iterator's next one), validated and prepared."""
        raw = self._next_raw(number)
        if not (isinstance(raw, (tuple, list)) and len(raw) in (2, 3)):
            raise ValueError(f"x: expected batches (x, y) or (x, y, sample_weight), received "
                             f"a {type(raw).__name__}")
        x, target, weights = self.network.prepare_examples(*raw)
        if x.shape[0] == 0:
            raise ValueError("x: expected batches of at least one sample, received an empty one")
        if self.class_weight is not None:
            per_class = class_sample_weight(self.class_weight, target, self.network)
            weights = per_class if weights is None else weights * per_class
        return x, target, weights

    def batch(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The batch numbered ``index[0]`` of the epoch (the one read first to check the
        stream, when it is that one)."""
        if self._first is not None and (not self.indexed or int(index[0]) == 0):
            first, self._first = self._first, None
            return first
        return self._batch(int(index[0]))
