r"""Gradient descent: :class:`SGD`.

The whole of learning is this one step, repeated: move every weight a little *down* the
gradient of the cost, scaled by the learning rate :math:`\eta`:

.. math:: w \leftarrow w - \eta \, \partial C / \partial w

(``momentum=0``). With momentum :math:`\mu` the step follows a running sum of past
gradients, the velocity :math:`v`, instead of the last gradient alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow._constraints import Interval, validate
from neuroflow.optimizers.base import LearningRate, Optimizer, Slot

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    With learning rate :math:`\eta`, momentum :math:`\mu` and velocity :math:`v` (0 at first):

    .. math::
        v \leftarrow \mu v + g, \qquad
        \theta \leftarrow \theta - \eta v                      \quad\text{(classical)}

        \theta \leftarrow \theta - \eta (g + \mu v)            \quad\text{(Nesterov)}

    With ``momentum=0`` this is plain gradient descent :math:`\theta \leftarrow \theta - \eta g`:
    a step *down* the gradient, scaled by the learning rate.
    """

    name = "sgd"
    _parameter_constraints = {**Optimizer._parameter_constraints,
                              "momentum": [Interval(float, 0, 1, closed="left")],
                              "nesterov": [bool]}

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0,
                 clip_norm: float | None = None, l1: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm, l1)
        validate("SGD", {"momentum": momentum, "nesterov": nesterov},
                 self._parameter_constraints)
        self.momentum = float(momentum)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov: expected momentum > 0 with nesterov=True, received: "
                             "momentum=0")
        self.nesterov = bool(nesterov)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        if self.momentum == 0:
            param -= grad * learning_rate
            return
        velocity = slot("velocity")
        velocity *= self.momentum
        velocity += grad
        if self.nesterov:
            param -= (velocity * self.momentum + grad) * learning_rate
        else:
            param -= velocity * learning_rate

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        if self.momentum == 0:
            kernels.sgd(param, grad, learning_rate, work)
        else:
            kernels.sgd_momentum(param, grad, slot("velocity"), self.momentum, self.nesterov,
                                 learning_rate, work)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
