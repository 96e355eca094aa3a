"""Callbacks: objects the training loop notifies at the start and end of training,
epochs and batches.

``fit`` calls, in order: ``on_train_begin``, then for each epoch ``on_epoch_begin``,
``on_batch_begin``/``on_batch_end`` per batch, ``on_epoch_end(epoch, logs)``, and
finally ``on_train_end``. ``logs`` at epoch end holds ``loss`` (and ``accuracy`` for
classification), ``val_loss``/``val_accuracy`` with validation data, ``learning_rate``
and ``time`` (seconds). A callback ends training by setting
``self.network.stop_training = True``.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from neuroflow.network import Network

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ReduceLROnPlateau",
           "LearningRateScheduler", "CSVLogger", "LambdaCallback",
           "ModelCheckpoint"]

Logs = dict[str, Any]


class Callback:
    """Base class; every hook does nothing unless overridden."""

    def __init__(self) -> None:
        self.network: Network | None = None
        #: Facts about the run: ``epochs``, ``steps`` (batches per epoch), ``samples``,
        #: ``batch_size``, ``verbose``, ``initial_epoch``.
        self.params: dict[str, Any] = {}

    def set_network(self, network: Network) -> None:
        self.network = network

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (also when training stops early or is interrupted)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After epoch ``epoch``, with its ``logs``."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before batch ``batch`` of the current epoch."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After batch ``batch``; ``logs`` holds its ``loss`` and ``size``."""

    def get_state(self) -> dict[str, Any] | None:
        """What this callback has learnt during training, saved in checkpoints so that a
        resumed run continues exactly; ``None`` (the default) for a stateless callback.

        A stateful callback returns a dict whose values are JSON values (numbers,
        strings, lists, dicts, ``None``) or NumPy arrays (keys of arrays: letters,
        digits, ``_`` and ``.``), and restores it in :meth:`set_state`. ``fit`` calls
        ``set_state`` after ``on_train_begin`` when it resumes from a checkpoint.
        """
        return None

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned (a stateful callback overrides both)."""
        if state:
            raise ValueError(f"{type(self).__name__}.set_state: this callback keeps no state, "
                             f"received keys {sorted(state)}")


class CallbackList(Callback):
    """Forwards each hook to a list of callbacks, in order."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        super().__init__()
        self.callbacks = list(callbacks)
        for index, callback in enumerate(self.callbacks):
            if not isinstance(callback, Callback):
                raise ValueError(f"callbacks[{index}]: expected a Callback, received "
                                 f"{type(callback).__name__}")

    def set_network(self, network: Network) -> None:
        for callback in self.callbacks:
            callback.set_network(network)

    def set_params(self, params: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.set_params(params)

    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)


class History(Callback):
    """Records every epoch's logs: ``history["loss"]`` is the list of epoch losses.

    Attributes
    ----------
    history : dict of str to list
        One list per logged quantity (``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``learning_rate``, ``time``, ...).
    epoch : list of int
        The epoch numbers recorded (complete epochs only).
    partial : dict or None
        When the last ``fit`` stopped in the middle of an epoch (a callback's
        ``stop_training`` after a batch, or Ctrl-C): that epoch's number (``epoch``),
        the ``samples`` and ``batches`` it had seen and the ``loss`` (and ``accuracy``)
        over those samples. The unfinished epoch is not in :attr:`history`, is not counted
        in ``epochs_trained``, and a resumed run repeats it from its checkpoint.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []
        self.partial: dict[str, float] | None = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        self.partial = None
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (used when saving training state)."""
        data: dict[str, Any] = {"epoch": list(self.epoch),
                                "history": {k: list(v) for k, v in self.history.items()}}
        if self.partial is not None:
            data["partial"] = dict(self.partial)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        history = cls()
        history.epoch = [int(e) for e in data.get("epoch", [])]
        history.history = {str(k): list(v) for k, v in data.get("history", {}).items()}
        partial = data.get("partial")
        history.partial = None if partial is None else dict(partial)
        return history

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode: expected 'auto', 'min' or 'max', received: {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor or monitor.endswith(("precision", "recall", "f1")) \
            else "min"
    return mode


def _monitored(monitor: str, logs: Logs | None, owner: str) -> float:
    logs = logs or {}
    if monitor not in logs:
        raise ValueError(
            f"{owner}: monitor={monitor!r} is not among the epoch logs "
            f"({', '.join(sorted(logs)) or 'none'}); give fit validation data for 'val_*' "
            "quantities or monitor one of those")
    return float(logs[monitor])


def _number(value: object, argument: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        sign = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{argument}: expected a finite number {sign}, received: {value!r}")
    return float(value)


def _count(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{argument}: expected a non-negative integer, received: {value!r}")
    return value


class _Monitor(Callback):
    """Tracks the best value of one logged quantity."""

    def __init__(self, monitor: str, min_delta: float, mode: str) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor: expected the name of a logged quantity such as "
                             f"'val_loss', received: {monitor!r}")
        self.monitor = monitor
        self.min_delta = _number(min_delta, "min_delta")
        self.mode = _monitor_mode(monitor, mode)
        self.best = math.inf if self.mode == "min" else -math.inf

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _check_state(self, state: dict[str, Any], keys: tuple[str, ...]) -> None:
        missing = [key for key in keys if key not in state]
        if missing:
            raise ValueError(f"{type(self).__name__}.set_state: expected keys "
                             f"{', '.join(keys)}, missing {', '.join(missing)}")


class EarlyStopping(_Monitor):
    """Stop training when a monitored quantity has stopped improving.

    After each epoch the value of ``monitor`` is compared with the best so far; it
    improves when it is lower by more than ``min_delta`` (``mode="min"``) or higher by
    more than ``min_delta`` (``mode="max"``). After ``patience`` epochs in a row without
    improvement, training stops.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs: ``"val_loss"`` (default), ``"val_accuracy"``, ``"loss"``...
    patience : int
        Epochs without improvement tolerated before stopping (0: stop at the first).
    min_delta : float
        Smallest change counted as an improvement.
    mode : {"auto", "min", "max"}
        ``"auto"`` maximises quantities named like accuracies and minimises the rest.
    restore_best : bool
        At the end of training, copy back the weights (and every other layer state, e.g.
        BatchNorm running statistics) of the best epoch, exactly.

    Attributes
    ----------
    best : float
        Best monitored value.
    best_epoch : int or None
        Epoch (from 0) that reached it.
    stopped_epoch : int or None
        Epoch after which training was stopped, ``None`` if it ran to the end.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = False) -> None:
        super().__init__(monitor, min_delta, mode)
        self.patience = _count(patience, "patience")
        self.restore_best = bool(restore_best)
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_state: list[dict[str, np.ndarray]] | None = None

    def on_train_begin(self, logs=None):
        self._reset()
        self.wait = 0
        self.best_epoch = self.stopped_epoch = None
        self._best_state = None

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(self.monitor, logs, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best and self.network is not None:
                self._best_state = [{k: v.copy() for k, v in layer.state().items()}
                                    for layer in self.network.layers]
            return
        self.wait += 1
        if self.wait >= self.patience and self.network is not None:
            self.stopped_epoch = epoch
            self.network.stop_training = True

    def get_state(self) -> dict[str, Any]:
        """``best``, ``best_epoch``, ``stopped_epoch``, ``wait`` and, with
        ``restore_best``, the best epoch's layer state as ``layers.{i}.{key}`` arrays."""
        state: dict[str, Any] = {"best": self.best, "best_epoch": self.best_epoch,
                                 "stopped_epoch": self.stopped_epoch, "wait": self.wait,
                                 "best_layers": None if self._best_state is None
                                 else len(self._best_state)}
        for i, saved in enumerate(self._best_state or []):
            for key, value in saved.items():
                state[f"layers.{i}.{key}"] = value
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        self._check_state(state, ("best", "best_epoch", "stopped_epoch", "wait"))
        self.best = float(state["best"])
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        self.wait = int(state["wait"])
        count = state.get("best_layers")
        self._best_state = None if count is None else [{} for _ in range(int(count))]
        for name, value in state.items():
            if name.startswith("layers.") and self._best_state is not None:
                _, index, key = name.split(".", 2)
                self._best_state[int(index)][key] = np.array(value, copy=True)

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_state is not None and self.network is not None:
            for layer, saved in zip(self.network.layers, self._best_state):
                current = layer.state()
                for key, value in saved.items():
                    np.copyto(current[key], value)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without improvement (see :class:`EarlyStopping`), the
    optimiser's ``learning_rate`` becomes ``max(learning_rate * factor,
    minimum_learning_rate)``; then ``cooldown`` epochs pass before counting again. The
    optimiser must have a constant learning rate (not a schedule).

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (default ``"val_loss"``).
    factor : float
        Multiplier in (0, 1).
    patience : int
        Epochs without improvement before a reduction.
    min_delta : float
        Smallest change counted as an improvement.
    cooldown : int
        Epochs to wait after a reduction before counting epochs without improvement.
    minimum_learning_rate : float
        Lower bound of the learning rate.
    mode : {"auto", "min", "max"}
        As in :class:`EarlyStopping`.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0,
                 minimum_learning_rate: float = 0.0, mode: str = "auto") -> None:
        super().__init__(monitor, min_delta, mode)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or \
                not 0 < factor < 1:
            raise ValueError(f"factor: expected a number in (0, 1), received: {factor!r}")
        self.factor = float(factor)
        self.patience = _count(patience, "patience")
        self.cooldown = _count(cooldown, "cooldown")
        self.minimum_learning_rate = _number(minimum_learning_rate, "minimum_learning_rate")
        self.wait = 0
        self.cooldown_left = 0

    def on_train_begin(self, logs=None):
        optimizer = self.network.optimizer if self.network is not None else None
        if optimizer is not None and callable(optimizer.learning_rate):
            raise ValueError("ReduceLROnPlateau: expected an optimizer with a constant "
                             f"learning_rate, received the schedule {optimizer.learning_rate!r}")
        self._reset()
        self.wait = self.cooldown_left = 0

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(self.monitor, logs, "ReduceLROnPlateau")
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            return
        self.wait += 1
        optimizer = self.network.optimizer if self.network is not None else None
        if self.wait >= self.patience and optimizer is not None:
            rate = float(optimizer.learning_rate)
            optimizer.learning_rate = max(rate * self.factor, self.minimum_learning_rate)
            self.wait = 0
            self.cooldown_left = self.cooldown


    def get_state(self) -> dict[str, Any]:
        """``best``, ``wait`` and ``cooldown_left`` (the learning rate itself is the
        optimiser's, saved with it)."""
        return {"best": self.best, "wait": self.wait, "cooldown_left": self.cooldown_left}

    def set_state(self, state: dict[str, Any]) -> None:
        self._check_state(state, ("best", "wait", "cooldown_left"))
        self.best = float(state["best"])
        self.wait, self.cooldown_left = int(state["wait"]), int(state["cooldown_left"])


class LearningRateScheduler(Callback):
    """Set the learning rate once per epoch from ``schedule(epoch)``.

    ``schedule`` is any callable of the epoch number (0, 1, ...), for instance a
    :mod:`neuroflow.schedules` object, which then counts epochs instead of steps. At the
    start of each epoch the optimiser's ``learning_rate`` becomes that constant (it
    replaces any per-step schedule the optimiser had).
    """

    def __init__(self, schedule: Callable[[int], float]) -> None:
        super().__init__()
        if not callable(schedule):
            raise ValueError("schedule: expected a callable mapping the epoch to a learning "
                             f"rate, received {type(schedule).__name__}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or \
                not math.isfinite(rate) or rate <= 0:
            raise ValueError(f"schedule: expected a finite learning rate > 0 for epoch {epoch}, "
                             f"received: {rate!r}")
        if self.network is not None and self.network.optimizer is not None:
            self.network.optimizer.learning_rate = float(rate)

    # Stateless on purpose: the rate is a function of the epoch number, which a resumed
    # run continues from, and the rate in force is saved with the optimiser.


class CSVLogger(Callback):
    """Log one CSV row per epoch (``epoch`` then every logged quantity) to ``path``.

    At the end of every epoch the file is rewritten, atomically, with every row so far
    (through :func:`neuroflow.files.write_atomic`): it always holds whole rows, never a
    half-written one, and no file stays open between epochs, so an exception anywhere in
    training leaks no handle. Follow it while training runs with ``tail -F`` (which
    reopens a replaced file) rather than ``tail -f``. The header is written with the first
    row, or taken from the existing file when appending to it. The path is checked when
    training begins (:func:`neuroflow.files.check_writable`): a directory, device or FIFO
    is refused before the first epoch.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    separator : str
        Field separator (one character).
    append : bool
        Keep the rows of an existing file and add to them, instead of replacing it.
    """

    def __init__(self, path: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator: expected one character, received: {separator!r}")
        self.path = Path(path)
        self.separator = separator
        self.append = bool(append)
        self._kept = ""  # an existing file's text, when appending
        self._rows: list[str] = []
        self._keys: list[str] | None = None

    def _row(self, cells: list[Any]) -> str:
        import io

        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.separator).writerow(cells)
        return buffer.getvalue()

    def on_train_begin(self, logs=None):
        from neuroflow.files import check_writable, write_atomic

        check_writable(self.path, argument="path")
        self._kept, self._rows, self._keys = "", [], None
        if self.append and self.path.exists():
            with open(self.path, encoding="utf-8", newline="") as existing:
                text = existing.read()
            if text.strip():
                self._kept = text if text.endswith(("\n", "\r")) else text + "\r\n"
                header = text.splitlines()[0].strip()
                self._keys = header.split(self.separator)[1:] if header else None
        elif not self.append:
            write_atomic(self.path, b"", argument="path")  # an old log goes at once

    def on_epoch_end(self, epoch, logs=None):
        from neuroflow.files import write_atomic

        logs = logs or {}
        if self._keys is None:
            self._keys = list(logs)
            self._rows.append(self._row(["epoch", *self._keys]))
        self._rows.append(self._row([epoch, *(logs.get(key, "") for key in self._keys)]))
        write_atomic(self.path, (self._kept + "".join(self._rows)).encode("utf-8"),
                     argument="path")


class LambdaCallback(Callback):
    """A callback made of plain functions, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))``.

    Each argument is ``None`` or a callable with the signature of the hook of the same
    name: ``on_train_begin(logs)``, ``on_train_end(logs)``, ``on_epoch_begin(epoch,
    logs)``, ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``.
    """

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
             "on_batch_begin", "on_batch_end")

    def __init__(self, on_train_begin: Callable[..., Any] | None = None,
                 on_train_end: Callable[..., Any] | None = None,
                 on_epoch_begin: Callable[..., Any] | None = None,
                 on_epoch_end: Callable[..., Any] | None = None,
                 on_batch_begin: Callable[..., Any] | None = None,
                 on_batch_end: Callable[..., Any] | None = None) -> None:
        super().__init__()
        given = dict(zip(self.HOOKS, (on_train_begin, on_train_end, on_epoch_begin,
                                      on_epoch_end, on_batch_begin, on_batch_end)))
        for name, function in given.items():
            if function is not None and not callable(function):
                raise ValueError(f"{name}: expected a callable or None, received "
                                 f"{type(function).__name__}")
        self.functions = given

    def on_train_begin(self, logs=None):
        if self.functions["on_train_begin"]:
            self.functions["on_train_begin"](logs)

    def on_train_end(self, logs=None):
        if self.functions["on_train_end"]:
            self.functions["on_train_end"](logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self.functions["on_epoch_begin"]:
            self.functions["on_epoch_begin"](epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.functions["on_epoch_end"]:
            self.functions["on_epoch_end"](epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        if self.functions["on_batch_begin"]:
            self.functions["on_batch_begin"](batch, logs)

    def on_batch_end(self, batch, logs=None):
        if self.functions["on_batch_end"]:
            self.functions["on_batch_end"](batch, logs)


class ModelCheckpoint(Callback):
    """Save the model at the end of epochs, atomically, so training can resume from it.

    Each save writes the whole model file (weights, layer state, optimiser state, epoch
    count, random generator state and history; see :mod:`neuroflow.io`) to a temporary
    file beside ``path`` and renames it over ``path``: a crash or Ctrl-C never leaves a
    half-written checkpoint. ``fit(..., resume_from=path)`` continues from it exactly.

    Epochs whose weights are no longer finite (NaN or infinity) are not saved, so the
    last good checkpoint survives a diverging run.

    Parameters
    ----------
    path : str or path-like
        Target file. May contain ``{epoch}`` (the number of epochs completed, from 1)
        and any key of the epoch logs, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.safetensors"``.
    monitor : str
        Logged quantity compared when ``save_best_only`` (default ``"val_loss"``).
    save_best_only : bool
        Save only when ``monitor`` improves on the best value so far (the file then
        holds the best epoch, which is not the point to resume an interrupted run from).
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; ``"auto"`` maximises names containing
        ``"acc"`` and minimises the rest.
    include_optimizer : bool
        Save the optimiser state too (needed to resume training exactly).

    Attributes
    ----------
    best : float
        Best monitored value so far (with ``save_best_only``).
    last_path : pathlib.Path or None
        File written by the last save.
    last_epoch : int or None
        Epochs completed at the last save.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 include_optimizer: bool = True) -> None:
        super().__init__()
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise ValueError(f"path: expected a file path, received: {path!r}")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor: expected the name of a logged quantity such as "
                             f"'val_loss', received: {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode: expected 'auto', 'min' or 'max', received: {mode!r}")
        self.path = path
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.include_optimizer = bool(include_optimizer)
        self.mode = mode if mode != "auto" else ("max" if "acc" in monitor else "min")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path: Path | None = None
        self.last_epoch: int | None = None

    #: ``fit`` runs savers after every other callback's ``on_epoch_end``, so the file
    #: holds the epoch's final state (e.g. EarlyStopping's updated best).
    runs_last = True

    def get_state(self) -> dict[str, Any] | None:
        """With ``save_best_only``: the ``best`` value so far and the last save's epoch
        (without it the checkpoint keeps no state)."""
        if not self.save_best_only:
            return None
        return {"best": self.best, "last_epoch": self.last_epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        if "best" not in state:
            raise ValueError("ModelCheckpoint.set_state: expected key 'best'")
        self.best = float(state["best"])
        self.last_epoch = state.get("last_epoch")

    def _target(self, epoch: int, logs: Logs) -> Path:
        try:
            return Path(str(self.path).format(epoch=epoch + 1, **logs))
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"path: cannot fill in {str(self.path)!r} from the epoch number "
                             f"and logs ({', '.join(sorted(logs))}): {error}") from None

    def on_epoch_end(self, epoch, logs=None):
        from neuroflow.io import is_finite, save

        logs = dict(logs or {})
        network = self.network
        if network is None or not is_finite(network):
            return
        if self.save_best_only:
            if self.monitor not in logs:
                raise ValueError(
                    f"ModelCheckpoint: monitor={self.monitor!r} is not among the epoch logs "
                    f"({', '.join(sorted(logs)) or 'none'}); give fit validation data for "
                    "'val_*' quantities or monitor one of those")
            value = float(logs[self.monitor])
            better = value < self.best if self.mode == "min" else value > self.best
            if not (math.isfinite(value) and better):
                return
            self.best = value
        target = self._target(epoch, logs)
        save(network, target, include_optimizer=self.include_optimizer)
        self.last_path, self.last_epoch = target, epoch + 1


def __getattr__(name: str) -> Any:
    # Diagnostics lives in neuroflow.diagnostics (which imports this module); load it on
    # first access so that ``nf.callbacks.Diagnostics`` works without an import cycle.
    if name == "Diagnostics":
        from neuroflow.diagnostics import Diagnostics

        return Diagnostics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
