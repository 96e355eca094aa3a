"""Root-mean-square propagation: :class:`RMSProp`."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow._constraints import Interval, validate
from neuroflow.backend import namespace
from neuroflow.optimizers.base import LearningRate, Optimizer, Slot

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, 2012): divide the gradient by a running RMS of its history.

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \eta\, g / (\sqrt{v} + \epsilon)
    """

    name = "rmsprop"
    _parameter_constraints = {**Optimizer._parameter_constraints,
                              "rho": [Interval(float, 0, 1, closed="left")],
                              "epsilon": [Interval(float, 0, None, closed="neither")]}

    def __init__(self, learning_rate: LearningRate = 1e-3, rho: float = 0.9,
                 epsilon: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None, l1: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm, l1)
        validate("RMSProp", {"rho": rho, "epsilon": epsilon}, self._parameter_constraints)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        v = slot("v")
        v *= self.rho
        v += (grad * grad) * (1 - self.rho)
        param -= (grad / (namespace(v).sqrt(v) + self.epsilon)) * learning_rate

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        kernels.rmsprop(param, grad, slot("v"), self.rho, self.epsilon, learning_rate, work)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
