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

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuroflow.network import Network

__all__ = ["Callback", "CallbackList", "History", "ModelCheckpoint"]

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
        The epoch numbers recorded.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (used when saving training state)."""
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in
                                                       self.history.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        history = cls()
        history.epoch = [int(e) for e in data.get("epoch", [])]
        history.history = {str(k): list(v) for k, v in data.get("history", {}).items()}
        return history

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"

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
