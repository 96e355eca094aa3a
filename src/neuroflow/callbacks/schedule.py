"""Setting the learning rate once per epoch: :class:`LearningRateScheduler`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from neuroflow._constraints import Constraints, Satisfies, validate
from neuroflow.hooks import Callback

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Set the learning rate once per epoch from ``schedule(epoch)``.

    ``schedule`` is any callable of the epoch number (0, 1, ...), for instance a
    :mod:`neuroflow.schedules` object, which then counts epochs instead of steps. At the
    start of each epoch the optimiser's ``learning_rate`` becomes that constant (it
    replaces any per-step schedule the optimiser had).
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {"schedule": [
        Satisfies(callable, "a callable mapping the epoch to a learning rate")]}

    def __init__(self, schedule: Callable[[int], float]) -> None:
        super().__init__()
        validate("LearningRateScheduler", {"schedule": schedule}, self._parameter_constraints)
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
