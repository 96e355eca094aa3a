"""Synchronous data-parallel training over MPI (the Horovod design), via ``mpi4py``.

Every rank (process) holds the whole network and the whole data set. Each step, the
global batch of ``batch_size`` samples, drawn from the epoch's permutation exactly as
:func:`neuroflow.training.fit` draws it, is cut into ``shards`` contiguous pieces; each
rank backpropagates its pieces, and one ``Allreduce`` over a single flat buffer (every
parameter's gradient packed one after another, plus the batch loss and accuracy counts)
sums them. The pieces are weighted so that the sum is exactly the gradient of the mean
cost over the global batch:

.. math::

    g = \\frac{1}{m} \\sum_{i \\in B} \\nabla C_i
      = \\sum_s \\frac{m_s}{m} \\Big( \\frac{1}{m_s} \\sum_{i \\in B_s} \\nabla C_i \\Big)
      = \\sum_s \\frac{m_s}{m} g_s ,

where ``m = |B|`` and ``m_s = |B_s|`` (the losses average over the batch they are
given, so ``g_s`` is the shard mean). Every rank then takes the same optimiser step on
the same summed gradient, so the replicas never drift apart. Rank 0 broadcasts its
initial weights first; rank 0 alone runs the callbacks (progress, checkpoints), computes
the validation scores and, at the end, broadcasts its final weights.

Launch one process per core (or per machine), e.g.::

    mpiexec -n 4 neuroflow train --distributed

Install with ``pip install neuroflow[mpi]`` (``mpi4py`` and the ``mpich`` wheel, which
brings ``mpiexec``; no system MPI is needed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow._validation import positive_int
from neuroflow.hooks import Callback, History
from neuroflow.metrics import accuracy
from neuroflow.network import Network
from neuroflow.training import (
    PROBE_ROWS,
    check_options,
    prepare_data,
    resolve_optimizer,
    run_epochs,
    run_settings,
)

__all__ = ["fit", "world", "rank", "size", "is_root", "shard_bounds"]

#: Extra slots after the packed gradients: batch loss x samples, correct predictions,
#: and rank 0's stop request.
_LOSS, _CORRECT, _STOP = 0, 1, 2
_EXTRA = 3


def world(comm: Any = None) -> Any:
    """The communicator to train over: ``comm`` itself, or ``MPI.COMM_WORLD``.

    Raises
    ------
    ImportError
        When ``mpi4py`` is not installed (``pip install neuroflow[mpi]``).
    """
    if comm is not None:
        return comm
    try:  # optional extra (mpi4py): only distributed training needs it
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError("distributed training needs mpi4py and an MPI library: "
                          "pip install 'neuroflow[mpi]'") from error
    return MPI.COMM_WORLD


def rank(comm: Any = None) -> int:
    """This process's rank in ``comm`` (default ``MPI.COMM_WORLD``), from 0."""
    return int(world(comm).Get_rank())


def size(comm: Any = None) -> int:
    """Number of processes in ``comm`` (default ``MPI.COMM_WORLD``)."""
    return int(world(comm).Get_size())


def is_root(comm: Any = None) -> bool:
    """Whether this is rank 0, the one that prints, evaluates and saves."""
    return rank(comm) == 0


def shard_bounds(batch_size: int, shards: int) -> list[int]:
    """Cut points of a batch of ``batch_size`` samples into ``shards`` contiguous pieces.

    Shard ``s`` is ``batch[bounds[s]:bounds[s + 1]]`` with ``bounds[s] = s * m // shards``,
    so sizes differ by at most one (some are empty when ``m < shards``).

    >>> shard_bounds(10, 3)
    [0, 3, 6, 10]
    """
    return [s * batch_size // shards for s in range(shards + 1)]


def _check_same_everywhere(comm: Any, **values: int) -> None:
    """Raise the same ValueError on every rank when the ranks disagree on ``values``."""
    mine = np.array(list(values.values()), dtype=np.int64)
    every = np.empty((comm.Get_size(), mine.size), dtype=np.int64)
    comm.Allgather(mine, every)
    for column, name in enumerate(values):
        seen = sorted(set(every[:, column].tolist()))
        if len(seen) > 1:
            raise ValueError(f"{name}: expected the same value on every rank, received "
                             f"{every[:, column].tolist()} (ranks 0..{comm.Get_size() - 1}); "
                             "every rank must load the same data and build the same network")


def _broadcast_state(network: Network, comm: Any) -> None:
    """Overwrite every layer's state (weights and non-trained arrays) with rank 0's."""
    for layer in network.layers:
        state = {key: np.ascontiguousarray(value) for key, value in layer.state().items()}
        for value in state.values():
            comm.Bcast(value, root=0)
        layer.load_state(state)


def _validation_scores(network: Network, validation: Any, comm: Any
                       ) -> dict[str, float] | None:
    """Rank 0's validation scores, broadcast so every rank logs the same."""
    if validation is None:
        return None
    scores = network.score(*validation) if comm.Get_rank() == 0 else {}
    return comm.bcast(scores, root=0)


class DistributedSteps:
    """The per-step work of :func:`neuroflow.training.run_epochs` over MPI ranks: each
    rank backpropagates its shards of the global batch and one ``Allreduce`` (or, when
    ``deterministic``, an ``Allgather`` summed in shard order) sums the weighted
    gradients, the batch loss and accuracy counts, and rank 0's stop request."""

    stops_after_batch = False  # a stop from rank 0 travels with the next reduction

    def __init__(self, network: Network, x: np.ndarray, target: np.ndarray,
                 weights: np.ndarray | None, comm: Any, shards: int,
                 deterministic: bool) -> None:
        self.network, self.x, self.target, self.weights = network, x, target, weights
        self.comm, self.shards, self.deterministic = comm, shards, deterministic
        n_ranks, my_rank = comm.Get_size(), comm.Get_rank()
        self.is_root = my_rank == 0
        self.samples = x.shape[0]
        self.probe = x[:PROBE_ROWS]
        self.classification = network.loss.is_classification
        # One flat buffer: every gradient, then the extra slots. Each parameter is updated
        # from a view into the reduced buffer, so unpacking costs nothing.
        params = network.parameters()
        self.offsets = np.cumsum([0] + [p.size for p in params]).tolist()
        total = self.total = self.offsets[-1]
        self.local_shards = shards // n_ranks
        self.send = np.zeros((self.local_shards if deterministic else 1, total + _EXTRA),
                             dtype=network.dtype)
        self.gathered = np.zeros((shards if deterministic else 0, total + _EXTRA),
                                 dtype=network.dtype)
        self.reduced = np.zeros(total + _EXTRA, dtype=network.dtype)
        self.pairs = [(p, self.reduced[a:b].reshape(p.shape)) for p, a, b in
                      zip(params, self.offsets[:-1], self.offsets[1:])]
        self.my_shards = range(my_rank * self.local_shards, (my_rank + 1) * self.local_shards)
        self.reducing = 0.0
        # stop, learning rate, shared by rank 0 at each epoch's start and end
        self.control = np.zeros(2, dtype=np.float64)

    def order(self, order: np.ndarray) -> np.ndarray:
        self.reducing = 0.0
        self.comm.Bcast(order, root=0)  # guards against ranks whose generators drifted
        return order

    def gradients(self, index: np.ndarray, stop: bool) -> tuple[float, float, int] | None:
        network, send, total = self.network, self.send, self.total
        bounds = shard_bounds(index.shape[0], self.shards)
        send[...] = 0
        for slot, shard in enumerate(self.my_shards):
            row = send[slot if self.deterministic else 0]
            part = index[bounds[shard]:bounds[shard + 1]]
            if part.shape[0] == 0:
                continue
            xb, yb = self.x[part], self.target[part]
            wb = None if self.weights is None else self.weights[part]
            output = network.forward(xb, training=True)
            row[total + _LOSS] += network.loss.value(output, yb, wb) * part.shape[0]
            if self.classification:
                row[total + _CORRECT] += accuracy(output, yb, loss=network.loss) * part.shape[0]
            network.backward(yb, wb, input_gradient=False)
            scale = part.shape[0] / index.shape[0]
            for grad, a, b in zip(network.gradients(), self.offsets[:-1], self.offsets[1:]):
                if self.deterministic or self.local_shards == 1:
                    np.multiply(grad.reshape(-1), scale, out=row[a:b])
                else:
                    row[a:b] += grad.reshape(-1) * scale
        if self.is_root and stop:
            send[0, total + _STOP] = 1.0
        tick = time.perf_counter()
        if self.deterministic:
            self.comm.Allgather(send, self.gathered)
            self.reduced[...] = self.gathered[0]
            for row in self.gathered[1:]:
                self.reduced += row
        else:
            self.comm.Allreduce(send[0], self.reduced)
        self.reducing += time.perf_counter() - tick
        if self.reduced[total + _STOP] > 0:
            return None
        size = index.shape[0]
        return (float(self.reduced[total + _LOSS]) / size,
                float(self.reduced[total + _CORRECT]), size)

    def validate(self, validation: Any) -> dict[str, float] | None:
        return _validation_scores(self.network, validation, self.comm)

    def share_control(self) -> None:
        """Rank 0 tells every rank: stop?, and the learning rate (when a number)."""
        network, opt = self.network, self.network.optimizer
        numeric = opt is not None and not callable(opt.learning_rate)
        self.control[:] = [float(network.stop_training),
                           float(opt.learning_rate) if numeric else math.nan]  # type: ignore
        self.comm.Bcast(self.control, root=0)
        network.stop_training = bool(self.control[0])
        if numeric:
            opt.learning_rate = float(self.control[1])  # type: ignore[union-attr]

    def extra_logs(self) -> dict[str, float]:
        return {"allreduce_time": self.reducing}

    def close(self) -> None:
        """Nothing to release: the ranks' batches are gathered by fancy indexing."""

    def finish(self) -> None:
        """Rank 0's final state everywhere, e.g. the best weights its EarlyStopping
        restored in ``on_train_end`` (callbacks run on rank 0 only)."""
        _broadcast_state(self.network, self.comm)


def fit(network: Network, x: Any, y: Any, *, epochs: int = 10, batch_size: int = 32,
        optimizer: str | _optimizers.Optimizer | None = None,
        learning_rate: float | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        verbose: int = 1,
        sample_weight: Any = None,
        class_weight: dict[Any, float] | None = None,
        comm: Any = None,
        shards: int | None = None,
        deterministic: bool = False) -> History:
    """Train ``network`` by synchronous data-parallel mini-batch descent over MPI.

    Run the same call on every rank, with the same data, network and options. With the
    same seed and global ``batch_size`` the result equals :func:`neuroflow.training.fit`
    in one process, up to the order in which the gradient sums are rounded.

    Parameters
    ----------
    network : Network
        Built identically on every rank; rank 0's initial weights are broadcast.
    x : array (n_samples, in_features)
        All the training inputs (every rank holds the whole set and takes its shard of
        each batch by index).
    y : array
        Targets, as for :func:`neuroflow.training.fit`.
    epochs, optimizer, learning_rate, validation_split, validation_data, shuffle
    sample_weight, class_weight
        As for :func:`neuroflow.training.fit`.
    batch_size : int
        The *global* batch: samples per optimiser step summed over all ranks.
    callbacks : list of Callback
        Run on rank 0 only. Changes they make to the optimiser's (numeric) learning rate
        in ``on_epoch_begin``/``on_epoch_end`` and requests to stop
        (``network.stop_training``) reach every rank: a stop requested after batch ``b``
        ends training on every rank before the update of batch ``b + 1``.
    verbose : {0, 1, 2}
        Progress on rank 0 (other ranks are silent).
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``. ``MPI.COMM_SELF`` runs alone (useful as a reference).
    shards : int, optional
        Pieces each global batch is cut into; a multiple of the number of ranks ``P``
        (each rank backpropagates ``shards / P`` of them). Default ``P``.
    deterministic : bool
        Fix the summation order: instead of ``Allreduce``, gather every shard's gradient
        (``Allgather``) and add them on every rank in shard order. The weights then depend
        only on (data, seed, ``batch_size``, ``shards``), bit for bit, not on the number
        of ranks or the MPI library's reduction algorithm. Costs ``P`` times the
        communication volume.

    Returns
    -------
    History
        The same on every rank: per-epoch ``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``learning_rate``, ``time``, and ``allreduce_time`` (seconds
        this rank spent in the gradient reduction, waiting for slower ranks included).

    Raises
    ------
    ValueError
        For bad arguments, or when the ranks disagree on the data or network size.
    TrainingDivergedError
        On every rank when the loss of a global batch becomes NaN or infinite.
    """
    options = check_options(epochs, batch_size, verbose, shuffle, callbacks)
    comm = world(comm)
    n_ranks = comm.Get_size()
    shards = n_ranks if shards is None else positive_int(shards, "shards")
    if shards % n_ranks:
        raise ValueError(f"shards: expected a multiple of the number of ranks ({n_ranks}), "
                         f"received: {shards}")
    x, target, weights, validation = prepare_data(
        network, x, y, sample_weight=sample_weight, class_weight=class_weight,
        validation_data=validation_data, validation_split=validation_split)
    _check_same_everywhere(comm, samples=x.shape[0], parameters=network.parameter_count,
                           batch_size=batch_size, epochs=epochs, shards=shards)

    network.training_run = run_settings(x, target, weights, validation, batch_size, shuffle)
    network.optimizer = resolve_optimizer(network, optimizer, learning_rate)
    _broadcast_state(network, comm)
    steps = DistributedSteps(network, x, target, weights, comm, shards, deterministic)
    # The loss and weights are the same on every rank, so a divergence is raised on all.
    return run_epochs(network, steps, validation, epochs=epochs,
                      params={"ranks": n_ranks, "shards": shards}, **options)
