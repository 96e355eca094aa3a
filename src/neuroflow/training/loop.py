"""The training loop: mini-batch gradient descent over epochs, driven apart from the
network's math and speaking to the outside only through callbacks.

:func:`fit` validates its options and data and runs :func:`run_epochs`, the one epoch
loop, with :class:`~neuroflow.training.steps.LocalSteps` doing each step's work
(:mod:`neuroflow.distributed` runs the same loop with its own steps over MPI ranks).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow._validation import all_finite, parameters_diverged, positive_int
from neuroflow.callbacks import Callback, CallbackList, History, ProgressBar
from neuroflow.errors import TrainingDivergedError
from neuroflow.network import Network
from neuroflow.training.data import prepare_data, resolve_optimizer
from neuroflow.training.interrupt import interruptible
from neuroflow.training.resume import check_same_run, resume, run_settings
from neuroflow.training.steps import LocalSteps
from neuroflow.training.stream import StreamSteps, is_stream

__all__ = ["fit", "run_epochs", "check_options"]


# Overflow in a diverging run is reported once, clearly, by the divergence guard below;
# NumPy's own RuntimeWarnings would only repeat it as noise.
@np.errstate(over="ignore", invalid="ignore")
def fit(network: Network, x: Any, y: Any = None, *, epochs: int = 10, batch_size: int = 32,
        optimizer: str | _optimizers.Optimizer | None = None,
        learning_rate: float | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        verbose: int = 1,
        sample_weight: Any = None,
        class_weight: dict[Any, float] | None = None,
        distributed: bool = False,
        resume_from: str | os.PathLike[str] | None = None,
        steps_per_epoch: int | None = None) -> History:
    """Train ``network`` by mini-batch gradient descent.

    Each epoch visits the training samples in a fresh random order drawn from the
    network's generator, in batches of ``batch_size`` (the last, partial batch included).
    For each batch: forward pass, loss, backpropagation, one optimiser step.

    Parameters
    ----------
    x : array (n_samples, in_features), DataFrame, or a stream of batches
        Inputs; or, with ``y`` left out, a stream of ``(x, y)`` (or ``(x, y,
        sample_weight)``) batches: a generator or iterator (give ``steps_per_epoch``), a
        re-iterable, or a sequence with ``__len__``/``__getitem__`` returning batches (see
        :mod:`neuroflow.training.stream`; ``batch_size``, ``validation_split`` and
        ``sample_weight`` are then the stream's business).
    y : array, optional
        Targets: class labels ``(n,)`` (integers, or strings / pandas categories, learnt
        as :attr:`Network.class_names` in sorted order), one-hot ``(n, k)`` or real values
        ``(n, k)``.
    epochs : int
        Passes over the training data.
    batch_size : int
        Samples per gradient step.
    optimizer : str or Optimizer, optional
        ``"sgd"``, ``"adam"``, ``"rmsprop"`` or an instance. Default: the network's
        optimiser from an earlier ``fit`` (its state continues), else Adam.
    learning_rate : float, optional
        Learning rate for an optimiser given by name, or the new learning rate of the
        network's optimiser from an earlier ``fit`` (its state continues). Refused with an
        optimiser instance (give it the rate) and with ``resume_from``.
    validation_split : float
        Fraction of the samples, taken from the end before shuffling, held out to
        compute ``val_loss``/``val_accuracy`` after each epoch.
    validation_data : (x_val, y_val), optional
        Explicit validation set (takes precedence over ``validation_split``).
    shuffle : bool
        Reshuffle the training samples every epoch.
    callbacks : list of Callback
        Notified at the start/end of training, epochs and batches. Savers
        (:class:`~neuroflow.callbacks.ModelCheckpoint`) run after the others at each
        epoch's end, so a checkpoint holds every callback's state of that epoch.
    verbose : {0, 1, 2}
        0 silent, 1 a progress bar per epoch (plain lines when not a terminal), 2 one
        line per epoch.
    sample_weight : array (n_samples,), optional
        Weight of each sample's cost.
    class_weight : dict, optional
        ``{class: weight}`` for classification: each sample's cost is multiplied by its
        class's weight (classes left out weigh 1), on top of ``sample_weight``. Typical
        use: ``n / (n_classes * count[c])`` to balance rare classes.
    distributed : bool
        Train data-parallel over MPI ranks (launch with ``mpiexec``): see
        :func:`neuroflow.distributed.fit`, ``batch_size`` being the global batch. The same
        epoch loop runs, with the gradients summed over ranks.
    resume_from : str or path-like, optional
        A checkpoint written by :class:`~neuroflow.callbacks.ModelCheckpoint` (or
        :func:`neuroflow.save` with the optimiser). Everything the file holds replaces
        the network's (weights, layer state, optimiser with its state and step count,
        ``epochs_trained``, history, random generator, names, preprocessing), each
        stateful callback passed gets back the state saved by the callback of its type
        (matched in order; one without a saved state starts fresh), and training
        continues up to a **total** of ``epochs`` epochs (nothing is trained when the
        checkpoint already has that many, or when a restored callback had ended the run). With the
        same data and options, N epochs interrupted after k and resumed give
        bit-identical weights to N epochs in one run. ``optimizer`` may name the
        checkpoint's optimiser again but not a different one.
    steps_per_epoch : int, optional
        Batches per epoch of a stream (required for a generator; at most ``len(x)``
        for a sequence of batches, whose length is the default).

    Returns
    -------
    History
        The network's history (:attr:`Network.history`), which each ``fit`` continues:
        per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
        ``learning_rate`` and ``time``, one entry per epoch ever trained.

    Raises
    ------
    TrainingDivergedError
        When the loss becomes NaN or infinite, or the parameters do (checked after every
        step, the last included; see :func:`neuroflow.network.parameters_diverged`), or
        the trained network's outputs are not finite. Checkpoints keep the last good
        epoch.
    TrainingInterrupted
        A :class:`KeyboardInterrupt`: Ctrl-C (SIGINT, caught while ``fit`` runs in the
        main thread, unless SIGINT was being ignored) stops training after the current
        batch; the unfinished epoch is not counted (see :attr:`History.partial`), so
        checkpoints keep the last complete epoch; ``on_train_end`` fires, and then this
        is raised, carrying ``epochs_trained`` and ``history``. A second Ctrl-C
        interrupts at once.
    """
    options = check_options(epochs, batch_size, verbose, shuffle, callbacks)
    if y is None and is_stream(x):
        return _fit_stream(network, x, steps_per_epoch, optimizer, learning_rate,
                           validation_data, validation_split, sample_weight, class_weight,
                           distributed, resume_from, epochs, options)
    if steps_per_epoch is not None:
        raise ValueError(f"steps_per_epoch: only for a stream of batches (x alone, no y), "
                         f"received steps_per_epoch={steps_per_epoch!r} with arrays")
    if y is None:
        raise ValueError("y: expected targets, one per row of x (or x a stream of (x, y) "
                         "batches), received None")
    if distributed:
        if resume_from is not None:
            raise ValueError(f"resume_from: not supported with distributed=True, received "
                             f"{str(resume_from)!r}")
        # neuroflow.distributed sits above training in the layering (its steps drive
        # run_epochs) and needs the optional extra mpi4py: imported only when asked for.
        from neuroflow.distributed import fit as distributed_fit

        return distributed_fit(network, x, y, epochs=epochs, batch_size=batch_size,
                               optimizer=optimizer, learning_rate=learning_rate,
                               validation_split=validation_split,
                               validation_data=validation_data, shuffle=shuffle,
                               callbacks=callbacks, verbose=verbose,
                               sample_weight=sample_weight, class_weight=class_weight)
    if resume_from is not None:
        if learning_rate is not None:
            raise ValueError(
                f"learning_rate: resume_from continues with the checkpoint's optimizer and "
                f"learning rate, received learning_rate={learning_rate!r}; drop it, or load "
                "the model with neuroflow.load and call fit without resume_from")
        resume(network, resume_from, optimizer)
        optimizer = None
        epochs = max(0, epochs - network.epochs_trained)
    x, target, weights, validation = prepare_data(
        network, x, y, sample_weight=sample_weight, class_weight=class_weight,
        validation_data=validation_data, validation_split=validation_split)
    settings = run_settings(x, target, weights, validation, batch_size, shuffle)
    if resume_from is not None:
        check_same_run(network.training_run, settings, resume_from)
    network.training_run = settings
    network.optimizer = resolve_optimizer(network, optimizer, learning_rate)
    return run_epochs(network, LocalSteps(network, x, target, weights), validation,
                      epochs=epochs, resumed=resume_from is not None, **options)


def _fit_stream(network: Network, stream: Any, steps_per_epoch: int | None,
                optimizer: Any, learning_rate: float | None, validation_data: Any,
                validation_split: float, sample_weight: Any, class_weight: Any,
                distributed: bool, resume_from: Any, epochs: int,
                options: dict[str, Any]) -> History:
    """``fit`` on a stream of batches (:class:`~neuroflow.training.stream.StreamSteps`)."""
    for name, value in (("validation_split", validation_split), ("sample_weight", sample_weight),
                        ("distributed", distributed), ("resume_from", resume_from)):
        if value:
            raise ValueError(f"{name}: not supported when x is a stream of batches, received "
                             f"{value!r}; give validation_data, and sample weights as the "
                             "third item of each batch")
    validation = None
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data: expected a pair (x_val, y_val), received "
                             f"{type(validation_data).__name__}")
        validation = network.prepare_examples(*validation_data)[:2]
    steps = StreamSteps(network, stream, steps_per_epoch, class_weight)
    network.training_run = None  # a stream cannot be replayed: nothing to resume exactly
    network.optimizer = resolve_optimizer(network, optimizer, learning_rate)
    return run_epochs(network, steps, validation, epochs=epochs,
                      params={"samples": None, "batch_size": None}, **options)


def check_options(epochs: Any, batch_size: Any, verbose: Any, shuffle: Any,
                  callbacks: Any) -> dict[str, Any]:
    """Validate ``fit``'s loop options; return them as ``run_epochs`` takes them."""
    positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose: expected 0, 1 or 2, received: {verbose!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"shuffle: expected True or False, received: {shuffle!r}")
    if callbacks is None:
        callbacks = []
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError(f"callbacks: expected a list of Callback objects, received "
                         f"{type(callbacks).__name__}")
    CallbackList(callbacks)  # checks each entry
    return {"batch_size": batch_size, "verbose": verbose, "shuffle": bool(shuffle),
            "callbacks": list(callbacks)}


def _guarded_arrays(network: Network) -> list[Any]:
    """What the divergence guard checks after each step: the one flat buffer when the
    parameters are packed (one dot product instead of one per array), else each array."""
    buffer = network.parameter_buffer
    return [buffer.parameters] if buffer is not None else network.parameters()


def run_epochs(network: Network, steps: Any, validation: tuple[np.ndarray, np.ndarray] | None,
               *, epochs: int, batch_size: int, shuffle: bool, callbacks: list[Callback],
               verbose: int, resumed: bool = False,
               params: dict[str, Any] | None = None) -> History:
    """The epoch loop every ``fit`` runs (one process or MPI ranks, through ``steps``).

    ``epochs`` more epochs from ``network.epochs_trained``; ``network.optimizer`` steps on
    ``steps.pairs``. Callbacks run where ``steps.is_root``; savers (``runs_last``) after
    the others at each epoch's end. See :func:`fit` for stops and divergence.
    """
    opt = network.optimizer
    assert opt is not None  # fit resolved it
    history = network.history if network.history is not None else History()
    network.history = history
    savers = [c for c in callbacks if getattr(c, "runs_last", False)] if steps.is_root else []
    others = [c for c in callbacks if c not in savers] if steps.is_root else []
    progress = [ProgressBar(verbose)] if verbose and steps.is_root else []
    hooks = CallbackList([history, *others, *progress])
    saving = CallbackList(savers)
    n = steps.samples  # a stream's: its batches per epoch, one "index" per step
    per_step = getattr(steps, "indices_per_step", batch_size)
    batches = -(-n // per_step)
    initial_epoch = network.epochs_trained
    for group in (hooks, saving):
        group.set_network(network)
        group.set_params({"epochs": initial_epoch + epochs, "steps": batches, "samples": n,
                          "batch_size": batch_size, "verbose": verbose if steps.is_root else 0,
                          "initial_epoch": initial_epoch, **(params or {})})
    network.stop_training = False
    # after each update, before the callbacks: e.g. the BLAS threads given back
    end_step = getattr(steps, "end_step", lambda: None)
    try:
        hooks.on_train_begin()
        saving.on_train_begin()
        network._callbacks = _restore_callback_states(network, callbacks, resumed)
        if network.stop_training:  # a restored callback had ended the saved run
            epochs = 0
        for epoch in range(initial_epoch, initial_epoch + epochs):
            hooks.on_epoch_begin(epoch)
            saving.on_epoch_begin(epoch)
            steps.share_control()
            started = time.perf_counter()
            learning_rate_used = opt.current_learning_rate()
            order = steps.order(network.rng.permutation(n) if shuffle else np.arange(n))
            loss_sum = correct = 0.0
            seen = done = 0
            for batch in range(batches):
                hooks.on_batch_begin(batch)
                result = steps.gradients(order[batch * per_step:(batch + 1) * per_step],
                                         network.stop_training)
                if result is None:  # the root asked to stop before this update
                    network.stop_training = True
                    break
                loss, batch_correct, size = result
                if not math.isfinite(loss):
                    raise TrainingDivergedError(
                        f"loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; "
                        f"{_hint(opt)}")
                opt.step(steps.pairs)
                if parameters_diverged(_guarded_arrays(network)):
                    raise TrainingDivergedError(
                        f"the weights became NaN, infinite or too large to compute with "
                        f"(norm beyond 1e{_norm_limit(network)}) at epoch {epoch + 1}, "
                        f"batch {batch + 1}; {_hint(opt)}")
                end_step()
                loss_sum += loss * size
                correct += batch_correct
                seen += size
                done += 1
                hooks.on_batch_end(batch, {"loss": loss, "size": size})
                if network.stop_training and steps.stops_after_batch:
                    break
            if done < batches:  # stopped mid-epoch: not logged as an epoch, not counted
                history.partial = _partial_logs(epoch, batch, seen, loss_sum, correct,
                                                steps.classification)
                break
            logs: dict[str, Any] = {"loss": loss_sum / seen}
            if steps.classification:
                logs["accuracy"] = correct / seen
            scores = steps.validate(validation)
            for key, value in (scores or {}).items():
                logs[f"val_{key}"] = value
            logs["learning_rate"] = learning_rate_used
            logs["time"] = time.perf_counter() - started
            logs.update(steps.extra_logs())
            network.epochs_trained = epoch + 1
            hooks.on_epoch_end(epoch, logs)
            saving.on_epoch_end(epoch, logs)
            steps.share_control()
            if network.stop_training:
                break
        _check_outputs(network, steps.probe)
    except TrainingDivergedError:
        _end(network, hooks, saving, steps)
        raise
    except BaseException:
        network._callbacks = []
        steps.close()
        raise
    _end(network, hooks, saving, steps)
    return history


def _end(network: Network, hooks: CallbackList, saving: CallbackList, steps: Any) -> None:
    """``on_train_end`` everywhere; keep the callbacks' final states on the network."""
    try:
        steps.close()
        hooks.on_train_end()
        saving.on_train_end()
        steps.finish()  # after on_train_end: e.g. best weights restored by a callback
        network.callback_states = network.current_callback_states() or None
    finally:
        network._callbacks = []


def _restore_callback_states(network: Network, callbacks: list[Callback],
                             resumed: bool) -> list[Callback]:
    """The stateful callbacks (``get_state()`` not ``None``); when resuming, each first
    gets the checkpoint's next unused state saved by a callback of its type (in order).
    A callback whose type has no saved state left starts fresh; saved states of types
    not passed are not used."""
    stateful = [c for c in callbacks if c.get_state() is not None]
    if resumed:
        remaining = list(network.callback_states or [])
        for callback in stateful:
            match = next((entry for entry in remaining
                          if entry["type"] == type(callback).__name__), None)
            if match is not None:
                remaining.remove(match)
                callback.set_state(match["state"])
    return stateful


def _partial_logs(epoch: int, batch: int, seen: int, loss_sum: float, correct: float,
                  classification: bool) -> dict[str, float] | None:
    if seen == 0:
        return None
    partial = {"epoch": epoch, "batches": batch + 1, "samples": seen, "loss": loss_sum / seen}
    if classification:
        partial["accuracy"] = correct / seen
    return partial


def _check_outputs(network: Network, probe: np.ndarray) -> None:
    """The last step's weights must still give finite outputs (a clipped loss can hide
    weights that overflow the activations)."""
    if probe.shape[0] and not all_finite(np.asarray(network._predict_prepared(probe, None))):
        raise TrainingDivergedError(
            "the trained network's outputs are NaN or infinite; "
            f"{_hint(network.optimizer)}")


def _norm_limit(network: Network) -> int:
    return int(math.log10(math.sqrt(float(np.finfo(network.dtype).max))))


def _hint(optimizer: Any) -> str:
    rate = optimizer.current_learning_rate() if optimizer is not None else float("nan")
    return (f"the learning rate ({rate:g}) is probably too high, try a lower one (or "
            "--dtype float64 when the data's values are very large)")


fit = interruptible(fit)
