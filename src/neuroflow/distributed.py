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
from neuroflow.callbacks import Callback, CallbackList, History
from neuroflow.errors import TrainingDivergedError
from neuroflow.layers import _positive_int
from neuroflow.metrics import accuracy
from neuroflow.network import Network
from neuroflow.progress import ProgressBar
from neuroflow.training import prepare_data, resolve_optimizer

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
    try:
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


def _epoch_logs(loss: float, accuracy_: float | None, validation: dict[str, float] | None,
                learning_rate: float, elapsed: float, reducing: float) -> dict[str, Any]:
    """The epoch's logs, keyed and ordered as :func:`neuroflow.training.fit` logs them."""
    logs: dict[str, Any] = {"loss": loss}
    if accuracy_ is not None:
        logs["accuracy"] = accuracy_
    if validation is not None:
        logs["val_loss"] = validation["loss"]
        if accuracy_ is not None:
            logs["val_accuracy"] = validation["accuracy"]
    logs.update(learning_rate=learning_rate, time=elapsed, allreduce_time=reducing)
    return logs


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
    comm = world(comm)
    n_ranks, my_rank = comm.Get_size(), comm.Get_rank()
    root = my_rank == 0
    epochs = _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size")
    shards = n_ranks if shards is None else _positive_int(shards, "shards")
    if shards % n_ranks:
        raise ValueError(f"shards: expected a multiple of the number of ranks ({n_ranks}), "
                         f"received: {shards}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose: expected 0, 1 or 2, received: {verbose!r}")
    x, target, weights, validation = prepare_data(
        network, x, y, sample_weight=sample_weight, class_weight=class_weight,
        validation_data=validation_data, validation_split=validation_split)
    _check_same_everywhere(comm, samples=x.shape[0], parameters=network.parameter_count,
                           batch_size=batch_size, epochs=epochs, shards=shards)

    opt = network.optimizer = resolve_optimizer(network, optimizer, learning_rate)
    _broadcast_state(network, comm)

    # One flat buffer: every gradient, then the extra slots. Each parameter is updated
    # from a view into the reduced buffer, so unpacking costs nothing.
    params = network.parameters()
    offsets = np.cumsum([0] + [p.size for p in params]).tolist()
    total = offsets[-1]
    local_shards = shards // n_ranks
    send = np.zeros((local_shards if deterministic else 1, total + _EXTRA), dtype=network.dtype)
    gathered = np.zeros((shards if deterministic else 0, total + _EXTRA), dtype=network.dtype)
    reduced = np.zeros(total + _EXTRA, dtype=network.dtype)
    pairs = [(p, reduced[a:b].reshape(p.shape)) for p, a, b in
             zip(params, offsets[:-1], offsets[1:])]
    my_shards = range(my_rank * local_shards, (my_rank + 1) * local_shards)

    history = History()
    callback_list: list[Callback] = [history]
    if root:
        callback_list += list(callbacks or [])
        if verbose:
            callback_list.append(ProgressBar(verbose))
    hooks = CallbackList(callback_list)
    n = x.shape[0]
    steps = -(-n // batch_size)
    initial_epoch = network.epochs_trained
    hooks.set_network(network)
    hooks.set_params({"epochs": initial_epoch + epochs, "steps": steps, "samples": n,
                      "batch_size": batch_size, "verbose": verbose if root else 0,
                      "initial_epoch": initial_epoch, "ranks": n_ranks, "shards": shards})
    network.stop_training = False
    network.history = history
    classification = network.loss.is_classification
    numeric_rate = not callable(opt.learning_rate)
    control = np.zeros(4, dtype=np.float64)  # stop, learning rate, val_loss, val_accuracy

    def share_control(val_loss: float = math.nan, val_accuracy: float = math.nan) -> None:
        """Rank 0 tells every rank: stop?, the learning rate, the validation scores."""
        control[:] = [float(network.stop_training),
                      float(opt.learning_rate) if numeric_rate  # type: ignore[arg-type]
                      else math.nan,
                      val_loss, val_accuracy]
        comm.Bcast(control, root=0)
        network.stop_training = bool(control[0])
        if numeric_rate:
            opt.learning_rate = float(control[1])

    hooks.on_train_begin()
    for epoch in range(initial_epoch, initial_epoch + epochs):
        hooks.on_epoch_begin(epoch)
        share_control()
        started = time.perf_counter()
        reducing = 0.0
        learning_rate_used = opt.current_learning_rate()
        order = network.rng.permutation(n) if shuffle else np.arange(n)
        comm.Bcast(order, root=0)  # guards against ranks whose generators drifted
        loss_sum = 0.0
        correct = 0.0
        for batch in range(steps):
            hooks.on_batch_begin(batch)
            index = order[batch * batch_size:(batch + 1) * batch_size]
            bounds = shard_bounds(index.shape[0], shards)
            send[...] = 0
            for slot, shard in enumerate(my_shards):
                row = send[slot if deterministic else 0]
                part = index[bounds[shard]:bounds[shard + 1]]
                if part.shape[0] == 0:
                    continue
                xb, yb = x[part], target[part]
                wb = None if weights is None else weights[part]
                output = network.forward(xb, training=True)
                row[total + _LOSS] += network.loss.value(output, yb, wb) * part.shape[0]
                if classification:
                    row[total + _CORRECT] += accuracy(output, yb) * part.shape[0]
                network.backward(yb, wb, input_gradient=False)
                scale = part.shape[0] / index.shape[0]
                for grad, a, b in zip(network.gradients(), offsets[:-1], offsets[1:]):
                    if deterministic or local_shards == 1:
                        np.multiply(grad.reshape(-1), scale, out=row[a:b])
                    else:
                        row[a:b] += grad.reshape(-1) * scale
            if root and network.stop_training:
                send[0, total + _STOP] = 1.0
            tick = time.perf_counter()
            if deterministic:
                comm.Allgather(send, gathered)
                reduced[...] = gathered[0]
                for row in gathered[1:]:
                    reduced += row
            else:
                comm.Allreduce(send[0], reduced)
            reducing += time.perf_counter() - tick
            if reduced[total + _STOP] > 0:
                network.stop_training = True
                break
            size_used = index.shape[0]
            loss = float(reduced[total + _LOSS]) / size_used
            if not math.isfinite(loss):
                hooks.on_train_end()
                raise TrainingDivergedError(
                    f"loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; the "
                    f"learning rate ({opt.current_learning_rate():g}) is probably too high, "
                    "try a lower one"
                )
            opt.step(pairs)
            loss_sum += loss * size_used
            correct += float(reduced[total + _CORRECT])
            hooks.on_batch_end(batch, {"loss": loss, "size": size_used})
        elapsed = time.perf_counter() - started
        network.epochs_trained = epoch + 1
        scores = {"loss": math.nan, "accuracy": math.nan}
        if validation is not None and root:
            scores.update(network.score(*validation))
        logs = _epoch_logs(loss_sum / n, correct / n if classification else None,
                           scores if validation is not None else None,
                           learning_rate_used, elapsed, reducing)
        if root:
            hooks.on_epoch_end(epoch, logs)
            share_control(scores["loss"], scores["accuracy"])
        else:
            share_control()
            if validation is not None:
                scores = {"loss": float(control[2]), "accuracy": float(control[3])}
            hooks.on_epoch_end(epoch, _epoch_logs(
                loss_sum / n, correct / n if classification else None,
                scores if validation is not None else None, learning_rate_used, elapsed,
                reducing))
        if network.stop_training:
            break
    hooks.on_train_end()
    _broadcast_state(network, comm)  # e.g. best weights restored by a callback on rank 0
    return history
