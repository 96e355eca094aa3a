"""Saving the model during training so that it can resume: :class:`ModelCheckpoint`."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, ClassVar

from neuroflow._constraints import Constraints, InstanceOf, PathLike, validate
from neuroflow.callbacks.monitor import MODE, MONITOR, monitor_mode
from neuroflow.hooks import Callback, Logs
from neuroflow.io import is_finite, save
from neuroflow.io.format import sign_key_bytes

__all__ = ["ModelCheckpoint"]


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
        Whether smaller or larger is better; ``"auto"`` maximises accuracies, precision,
        recall and F1 (as :class:`EarlyStopping` does) and minimises the rest.
    include_optimizer : bool
        Save the optimiser state too (needed to resume training exactly).
    sign_key : bytes or str, optional
        Sign every checkpoint with this secret key (see :func:`neuroflow.io.save`), so
        that ``neuroflow.load(path, key=...)`` can tell it was not changed.

    Attributes
    ----------
    best : float
        Best monitored value so far (with ``save_best_only``).
    last_path : pathlib.Path or None
        File written by the last save.
    last_epoch : int or None
        Epochs completed at the last save.
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`); a
    #: ``sign_key``'s length is checked by :func:`neuroflow.io.format.sign_key_bytes`.
    _parameter_constraints: ClassVar[Constraints] = {
        "path": [PathLike()], "monitor": MONITOR, "save_best_only": [bool], "mode": MODE,
        "include_optimizer": [bool],
        "sign_key": [InstanceOf((bytes, bytearray, memoryview, str),
                                "a secret key (bytes or str)"), None]}

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto",
                 include_optimizer: bool = True, sign_key: bytes | str | None = None) -> None:
        super().__init__()
        validate("ModelCheckpoint", {"path": path, "monitor": monitor,
                                     "save_best_only": save_best_only, "mode": mode,
                                     "include_optimizer": include_optimizer,
                                     "sign_key": sign_key},
                 self._parameter_constraints)
        self.path = path
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.include_optimizer = bool(include_optimizer)
        # kept private and out of any repr: the secret of signed checkpoints
        self._sign_key = None if sign_key is None else sign_key_bytes(sign_key)
        self.mode = monitor_mode(monitor, mode)
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
        save(network, target, include_optimizer=self.include_optimizer,
             sign_key=self._sign_key)
        self.last_path, self.last_epoch = target, epoch + 1
