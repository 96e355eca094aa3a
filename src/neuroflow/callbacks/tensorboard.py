"""A callback that writes the training curves for TensorBoard: :class:`TensorBoard`."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neuroflow import backend as _backend
from neuroflow._constraints import Constraints, Interval, PathLike, validate
from neuroflow.hooks import Callback, Logs

__all__ = ["TensorBoard"]


class TensorBoard(Callback):
    """Write every epoch's logs as TensorBoard scalars, and optionally weight histograms,
    to an event file in ``log_dir`` (``tensorboard --logdir LOG_DIR`` shows them).

    Each number of the epoch's logs becomes a scalar at step ``epoch + 1`` (epochs
    trained): ``loss``, the metrics (``accuracy``), ``val_loss``/``val_accuracy`` with
    validation data, ``learning_rate`` and ``time`` (seconds), under the same names.
    Every ``histogram_freq`` epochs each parameter (``layers.{i}.{W,b,...}``) is written
    as a histogram. The file is flushed at each epoch's end and closed when training ends.

    Needs the ``tensorboard`` extra (``pip install 'neuroflow[tensorboard]'``, which
    installs ``tensorboardX``; TensorBoard itself is needed only to view the files).

    Parameters
    ----------
    log_dir : str or path-like
        Folder of the event files (created if missing); one new file per ``fit``.
    histogram_freq : int
        Write weight histograms every this many epochs; 0 (the default) never.
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {
        "log_dir": [PathLike("a folder path")],
        "histogram_freq": [Interval(int, 0, None, closed="left")]}

    def __init__(self, log_dir: str | os.PathLike[str], histogram_freq: int = 0) -> None:
        super().__init__()
        validate("TensorBoard", {"log_dir": log_dir, "histogram_freq": histogram_freq},
                 self._parameter_constraints)
        self.log_dir = Path(log_dir)
        self.histogram_freq = int(histogram_freq)
        self._writer: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        try:
            from tensorboardX import SummaryWriter  # optional extra: neuroflow[tensorboard]
        except ImportError as error:
            raise ImportError("TensorBoard: needs tensorboardX; install it with "
                              "pip install 'neuroflow[tensorboard]'") from error
        if self.log_dir.exists() and not self.log_dir.is_dir():
            raise ValueError(f"log_dir: expected a folder, received the file "
                             f"{str(self.log_dir)!r}")
        self._writer = SummaryWriter(logdir=str(self.log_dir))

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self._writer is None:
            return
        step = epoch + 1
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float, np.integer, np.floating)) and \
                    not isinstance(value, bool) and math.isfinite(float(value)):
                self._writer.add_scalar(key, float(value), step)
        if self.histogram_freq and step % self.histogram_freq == 0 and self.network is not None:
            for name, parameter, _ in self.network.named_parameters():
                self._writer.add_histogram(name, _backend.to_numpy(parameter), step)
        self._writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @property
    def event_files(self) -> list[Path]:
        """The event files in :attr:`log_dir`, oldest first."""
        return sorted(self.log_dir.glob("events.out.tfevents.*"), key=os.path.getmtime)
