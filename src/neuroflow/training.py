"""The training loop: mini-batch gradient descent over epochs, driven apart from the
network's math and speaking to the outside only through callbacks."""

from __future__ import annotations

import functools
import hashlib
import math
import os
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers
from neuroflow.batching import BatchGatherer
from neuroflow.callbacks import Callback, CallbackList, History
from neuroflow.errors import TrainingDivergedError, TrainingInterrupted
from neuroflow.layers import _positive_int
from neuroflow.metrics import accuracy
from neuroflow.network import Network, all_finite, check_sample_weight, parameters_diverged
from neuroflow.progress import ProgressBar

__all__ = ["fit", "run_epochs", "LocalSteps", "split_validation", "class_sample_weight",
           "prepare_data", "resolve_optimizer"]


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float,
                     sample_weight: np.ndarray | None = None):
    """Hold out the last ``fraction`` of the samples (before any shuffling) for validation."""
    n_val = int(math.floor(x.shape[0] * fraction))
    if n_val < 1 or n_val >= x.shape[0]:
        raise ValueError(
            f"validation_split: {fraction} of {x.shape[0]} samples leaves "
            f"{x.shape[0] - n_val} for training and {n_val} for validation; both must be >= 1"
        )
    cut = x.shape[0] - n_val
    train_weight = None if sample_weight is None else sample_weight[:cut]
    return x[:cut], y[:cut], train_weight, (x[cut:], y[cut:])


# Overflow in a diverging run is reported once, clearly, by the divergence guard below;
# NumPy's own RuntimeWarnings would only repeat it as noise.
@np.errstate(over="ignore", invalid="ignore")
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
        distributed: bool = False,
        resume_from: str | os.PathLike[str] | None = None) -> History:
    """Train ``network`` by mini-batch gradient descent.

    Each epoch visits the training samples in a fresh random order drawn from the
    network's generator, in batches of ``batch_size`` (the last, partial batch included).
    For each batch: forward pass, loss, backpropagation, one optimiser step.

    Parameters
    ----------
    x : array (n_samples, in_features)
        Inputs.
    y : array
        Targets: class labels ``(n,)``, one-hot ``(n, k)`` or real values ``(n, k)``.
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
    options = _check_options(epochs, batch_size, verbose, shuffle, callbacks)
    if distributed:
        if resume_from is not None:
            raise ValueError(f"resume_from: not supported with distributed=True, received "
                             f"{str(resume_from)!r}")
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
        _resume(network, resume_from, optimizer)
        optimizer = None
        epochs = max(0, epochs - network.epochs_trained)
    x, target, weights, validation = prepare_data(
        network, x, y, sample_weight=sample_weight, class_weight=class_weight,
        validation_data=validation_data, validation_split=validation_split)
    settings = run_settings(x, target, weights, validation, batch_size, shuffle)
    if resume_from is not None:
        _check_same_run(network.training_run, settings, resume_from)
    network.training_run = settings
    network.optimizer = resolve_optimizer(network, optimizer, learning_rate)
    return run_epochs(network, LocalSteps(network, x, target, weights), validation,
                      epochs=epochs, resumed=resume_from is not None, **options)


def _check_options(epochs: Any, batch_size: Any, verbose: Any, shuffle: Any,
                   callbacks: Any) -> dict[str, Any]:
    """Validate ``fit``'s loop options; return them as ``run_epochs`` takes them."""
    _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size")
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


class LocalSteps:
    """How one process computes a batch's loss and gradients: the per-step work of
    :func:`run_epochs`. :class:`neuroflow.distributed.DistributedSteps` has the same
    methods and sums the gradients over MPI ranks."""

    #: Whether this process runs the user's callbacks and speaks (rank 0 under MPI).
    is_root = True
    #: A callback's ``stop_training`` after a batch ends the epoch at once.
    stops_after_batch = True

    def __init__(self, network: Network, x: np.ndarray, target: np.ndarray,
                 weights: np.ndarray | None) -> None:
        self.network = network
        self.samples = x.shape[0]
        self.classification = network.loss.is_classification
        network.pack_parameters()  # loading weights replaces arrays: lay them end to end
        #: (parameter, gradient) pairs the optimiser steps on.
        self.pairs = list(zip(network.parameters(), network.gradients()))
        # Hot path: batches are gathered into reused arrays and the layers reuse their
        # work arrays, so a step allocates (almost) nothing; see neuroflow.batching.
        self.batches = BatchGatherer(x, target, weights, backend=network.backend)
        self.probe = x[:1024]
        network.reuse_buffers(True)

    def order(self, order: np.ndarray) -> np.ndarray:
        """The epoch's sample order (the same on every rank)."""
        return order

    def gradients(self, index: np.ndarray, stop: bool) -> tuple[float, float, int] | None:
        """Forward and backward over the samples ``index``: fill the gradients, return
        ``(mean loss, correctly classified count, batch size)``; ``None`` when another
        rank asked to stop (never here)."""
        network = self.network
        xb, yb, wb = self.batches.take(index)
        output = network.forward(xb, training=True)
        loss = network.loss.value(output, yb, wb)
        if math.isfinite(loss):
            network.backward(yb, wb, input_gradient=False)
        correct = (accuracy(output, yb, loss=network.loss) * xb.shape[0]
                   if self.classification else 0.0)
        return loss, correct, xb.shape[0]

    def validate(self, validation: tuple[np.ndarray, np.ndarray] | None
                 ) -> dict[str, float] | None:
        """Validation scores after an epoch."""
        return None if validation is None else self.network.score(*validation)

    def share_control(self) -> None:
        """Make the stop flag and learning rate of the root's callbacks every rank's."""

    def extra_logs(self) -> dict[str, float]:
        """Logs beyond ``fit``'s own (distributed: the time spent reducing)."""
        return {}

    def close(self) -> None:
        # Reused arrays are for the training loop only: later forward passes (a
        # callback's, the user's) must get fresh arrays, even after an exception.
        self.network.reuse_buffers(False)


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
    n = steps.samples
    batches = -(-n // batch_size)
    initial_epoch = network.epochs_trained
    for group in (hooks, saving):
        group.set_network(network)
        group.set_params({"epochs": initial_epoch + epochs, "steps": batches, "samples": n,
                          "batch_size": batch_size, "verbose": verbose if steps.is_root else 0,
                          "initial_epoch": initial_epoch, **(params or {})})
    network.stop_training = False
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
            seen = 0
            for batch in range(batches):
                hooks.on_batch_begin(batch)
                result = steps.gradients(order[batch * batch_size:(batch + 1) * batch_size],
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
                if parameters_diverged(network.parameters()):
                    raise TrainingDivergedError(
                        f"the weights became NaN, infinite or too large to compute with "
                        f"(norm beyond 1e{_norm_limit(network)}) at epoch {epoch + 1}, "
                        f"batch {batch + 1}; {_hint(opt)}")
                loss_sum += loss * size
                correct += batch_correct
                seen += size
                hooks.on_batch_end(batch, {"loss": loss, "size": size})
                if network.stop_training and steps.stops_after_batch:
                    break
            if seen < n:  # stopped mid-epoch: not logged as an epoch, not counted
                history.partial = _partial_logs(epoch, batch, seen, loss_sum, correct,
                                                steps.classification)
                break
            logs: dict[str, Any] = {"loss": loss_sum / n}
            if steps.classification:
                logs["accuracy"] = correct / n
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


def prepare_data(network: Network, x: Any, y: Any, *, sample_weight: Any = None,
                 class_weight: dict[Any, float] | None = None,
                 validation_data: tuple[Any, Any] | None = None,
                 validation_split: float = 0.0):
    """Validate ``fit``'s data arguments; return ``(x, target, weights, validation)``.

    Inputs are validated and preprocessed, targets checked against the output layer and
    the loss, ``sample_weight`` and ``class_weight`` combined into one weight per sample
    (or ``None``), and the validation pair taken from ``validation_data`` or split off the
    end of the samples (``None`` when neither is given).
    """
    x = network.prepare_inputs(x, "x")
    target = network.prepare_targets(y, "y")
    if target.shape[0] != x.shape[0]:
        raise ValueError(f"y: expected {x.shape[0]} targets (one per row of x), received "
                         f"{target.shape[0]}")
    weights = None
    if sample_weight is not None:
        weights = check_sample_weight(sample_weight, x.shape[0], network.dtype)
    if class_weight is not None:
        per_class = class_sample_weight(class_weight, target, network)
        weights = per_class if weights is None else weights * per_class

    validation = None
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data: expected a pair (x_val, y_val), received "
                             f"{type(validation_data).__name__}")
        x_val = network.prepare_inputs(validation_data[0], "x_val")
        y_val = network.prepare_targets(validation_data[1], "y_val")
        if y_val.shape[0] != x_val.shape[0]:
            raise ValueError(f"y_val: expected {x_val.shape[0]} targets, received "
                             f"{y_val.shape[0]}")
        validation = (x_val, y_val)
    elif validation_split:
        if not (isinstance(validation_split, (int, float)) and 0 < validation_split < 1):
            raise ValueError(f"validation_split: expected a number in (0, 1), received: "
                             f"{validation_split!r}")
        x, target, weights, validation = split_validation(x, target, validation_split, weights)
    return x, target, weights, validation


def resolve_optimizer(network: Network, optimizer: str | _optimizers.Optimizer | None,
                      learning_rate: float | None) -> _optimizers.Optimizer:
    """The optimiser ``fit`` uses: the one named or given, else the network's own from an
    earlier ``fit`` (its state continues), else Adam."""
    if isinstance(optimizer, _optimizers.Optimizer) and learning_rate is not None:
        raise ValueError(f"learning_rate: give the rate to the {optimizer.name!r} optimizer "
                         f"object itself, received both it and learning_rate="
                         f"{learning_rate!r}")
    if optimizer is None and network.optimizer is not None:
        if learning_rate is not None:  # a new rate for the optimiser whose state continues
            network.optimizer.learning_rate = _optimizers.get(
                network.optimizer.name, learning_rate).learning_rate
        return network.optimizer
    if optimizer is None:
        return _optimizers.Adam(
            **({} if learning_rate is None else {"learning_rate": learning_rate}))
    return _optimizers.get(optimizer, learning_rate)


def class_sample_weight(class_weight: Any, target: np.ndarray, network: Network) -> np.ndarray:
    """Per-sample weights ``(n,)`` from ``{class: weight}`` and prepared targets.

    Classes are the output indices ``0 .. k-1`` (``0``/``1`` for one sigmoid output);
    classes missing from ``class_weight`` weigh 1.
    """
    if not network.loss.is_classification:
        raise ValueError(f"class_weight: expected a classification loss, received loss "
                         f"{network.loss.name!r}; use sample_weight for regression")
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight: expected a dict {{class: weight}}, received "
                         f"{type(class_weight).__name__}")
    n_classes = max(network.out_features, 2)
    table = np.ones(n_classes, dtype=network.dtype)
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or \
                not 0 <= key < n_classes:
            raise ValueError(f"class_weight: expected class keys in 0..{n_classes - 1}, "
                             f"received key {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
                not math.isfinite(value) or value < 0:
            raise ValueError(f"class_weight: expected finite weights >= 0, received "
                             f"{value!r} for class {key}")
        table[int(key)] = value
    from neuroflow.metrics import labels_from_targets

    return table[labels_from_targets(target)]


# ---------------------------------------------------------------------------- resume, Ctrl-C
def data_fingerprint(*arrays: np.ndarray | None, rows: int = 64) -> str:
    """A short hash of ``arrays`` (same length along axis 0): their shapes, dtypes and up
    to ``rows`` evenly spaced rows. It tells data sets apart cheaply (microseconds for
    MNIST); it does not detect every edit of a single value."""
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        picked = np.linspace(0, array.shape[0] - 1, min(rows, array.shape[0])).astype(np.int64)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(np.ascontiguousarray(array[picked]).tobytes())
    return digest.hexdigest()[:16]


def run_settings(x: np.ndarray, target: np.ndarray, weights: np.ndarray | None,
                 validation: tuple[np.ndarray, np.ndarray] | None, batch_size: int,
                 shuffle: bool) -> dict[str, Any]:
    """What a resumed ``fit`` must repeat for its batches to be those of the interrupted
    run: batch size, shuffling, the training and validation sample counts and a
    :func:`data_fingerprint` of the (prepared) training data and weights."""
    return {"batch_size": int(batch_size), "shuffle": bool(shuffle),
            "samples": int(x.shape[0]),
            "validation_samples": 0 if validation is None else int(validation[0].shape[0]),
            "data_fingerprint": data_fingerprint(x, target, weights)}


#: How :func:`_check_same_run` names each setting.
_SETTING_NAMES = {"batch_size": "batch_size", "shuffle": "shuffle",
                  "samples": "training samples", "validation_samples": "validation samples",
                  "data_fingerprint": "data fingerprint"}


def _check_same_run(saved: dict[str, Any] | None, current: dict[str, Any],
                    path: str | os.PathLike[str]) -> None:
    """Refuse to resume with other data or settings than the checkpoint's run (checkpoints
    that predate this record are not checked)."""
    if saved is None:
        return
    differences = [f"{_SETTING_NAMES[key]} {saved[key]!r} -> {current[key]!r}"
                   for key in _SETTING_NAMES if key in saved and saved[key] != current[key]]
    if differences:
        raise ValueError(
            f"resume_from: the checkpoint {str(path)!r} was trained with other data or "
            f"settings ({'; '.join(differences)}), so its batches cannot continue exactly; "
            "resume with the same data and options, or load it with neuroflow.load and call "
            "fit without resume_from to train on from its weights")


def _resume(network: Network, path: str | os.PathLike[str],
            optimizer: str | _optimizers.Optimizer | None) -> None:
    """Restore the checkpoint at ``path`` into ``network``."""
    from neuroflow.io import load_into

    load_into(network, path)
    restored = network.optimizer
    if optimizer is not None and restored is not None:
        name = optimizer.name if isinstance(optimizer, _optimizers.Optimizer) else optimizer
        if not isinstance(name, str) or name.lower() != restored.name:
            raise ValueError(f"optimizer: the checkpoint {str(path)!r} continues with "
                             f"{restored.name!r}, received: {name!r}")


class _InterruptGuard:
    """Ctrl-C state of one running ``fit``."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = signal.default_int_handler


_GUARDS: dict[int, _InterruptGuard] = {}


def _interruptible(function: Any) -> Any:
    """Wrap ``fit`` so that Ctrl-C ends training after the current batch.

    While ``fit`` runs in the main thread, SIGINT only sets a flag and
    ``network.stop_training``; the loop finishes the batch, skips the epoch's end,
    fires ``on_train_end``, and the wrapper raises :class:`TrainingInterrupted`. The
    previous handler is back in place as soon as the first Ctrl-C arrives (a second one
    interrupts at once) and whenever ``fit`` returns or raises.
    """

    @functools.wraps(function)
    def wrapper(network: Network, *args: Any, **kwargs: Any) -> History:
        if threading.current_thread() is not threading.main_thread() or id(network) in _GUARDS:
            return function(network, *args, **kwargs)
        guard = _InterruptGuard()

        def handler(signum: int, frame: Any) -> None:
            guard.requested = True
            network.stop_training = True
            signal.signal(signal.SIGINT, guard.previous)

        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            # ignored by the parent (e.g. a background job): it stays ignored
            return function(network, *args, **kwargs)
        try:
            previous = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main interpreter
            return function(network, *args, **kwargs)
        guard.previous = previous if previous is not None else signal.default_int_handler
        _GUARDS[id(network)] = guard
        try:
            history = function(network, *args, **kwargs)
        finally:
            _GUARDS.pop(id(network), None)
            if signal.getsignal(signal.SIGINT) is handler:
                signal.signal(signal.SIGINT, guard.previous)
        if guard.requested:
            done = network.epochs_trained
            raise TrainingInterrupted(
                f"training interrupted after {done} complete epoch{'s' * (done != 1)}; a "
                "checkpoint written at the end of the last one is intact",
                epochs_trained=done, history=history)
        return history

    return wrapper


fit = _interruptible(fit)
