"""Callbacks that watch one logged quantity: :class:`EarlyStopping` and
:class:`ReduceLROnPlateau`, on the common :class:`_Monitor` base."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from neuroflow._constraints import Constraints, Interval, Options, Satisfies, validate
from neuroflow.hooks import Callback, Logs

__all__ = ["EarlyStopping", "ReduceLROnPlateau"]

#: What ``monitor`` and ``mode`` accept, here and in :class:`ModelCheckpoint`.
MONITOR = [Satisfies(lambda value: isinstance(value, str) and value != "",
                     "the name of a logged quantity such as 'val_loss'")]
MODE = [Options(("auto", "min", "max"))]
_COUNT = [Interval(int, 0, None, closed="left")]


def monitor_mode(monitor: str, mode: str) -> str:
    """``"min"`` or ``"max"``: ``mode`` itself, or for ``"auto"`` ``"max"`` for names of
    quantities where larger is better (accuracies, precision, recall, F1) and ``"min"``
    for the rest (losses)."""
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


class _Monitor(Callback):
    """Tracks the best value of one logged quantity."""

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {
        "monitor": MONITOR, "min_delta": [Interval(float, 0, None, closed="left")],
        "mode": MODE}

    def __init__(self, monitor: str, min_delta: float, mode: str) -> None:
        super().__init__()
        validate(type(self).__name__, {"monitor": monitor, "min_delta": min_delta,
                                       "mode": mode}, self._parameter_constraints)
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.mode = monitor_mode(monitor, mode)
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

    _parameter_constraints = {**_Monitor._parameter_constraints, "patience": _COUNT,
                              "restore_best": [bool]}

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = False) -> None:
        super().__init__(monitor, min_delta, mode)
        validate("EarlyStopping", {"patience": patience, "restore_best": restore_best},
                 self._parameter_constraints)
        self.patience = int(patience)
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

    _parameter_constraints = {**_Monitor._parameter_constraints,
                              "factor": [Interval(float, 0, 1, closed="neither")],
                              "patience": _COUNT, "cooldown": _COUNT,
                              "minimum_learning_rate": [Interval(float, 0, None, closed="left")]}

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0,
                 minimum_learning_rate: float = 0.0, mode: str = "auto") -> None:
        super().__init__(monitor, min_delta, mode)
        validate("ReduceLROnPlateau", {"factor": factor, "patience": patience,
                                       "cooldown": cooldown,
                                       "minimum_learning_rate": minimum_learning_rate},
                 self._parameter_constraints)
        self.factor = float(factor)
        self.patience, self.cooldown = int(patience), int(cooldown)
        self.minimum_learning_rate = float(minimum_learning_rate)
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
