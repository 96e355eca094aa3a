"""Adaptive moment estimation: :class:`Adam` and :class:`AdamW`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow._constraints import Interval, validate
from neuroflow.backend import namespace
from neuroflow.optimizers.base import LearningRate, Optimizer, Slot

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): gradient descent with adaptive per-weight step sizes.

    At step :math:`t = 1, 2, \dots`, with :math:`m, v` starting at 0:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2

        \hat m = m / (1 - \beta_1^t), \quad \hat v = v / (1 - \beta_2^t), \qquad
        \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)
    """

    name = "adam"
    _parameter_constraints = {**Optimizer._parameter_constraints,
                              "beta_1": [Interval(float, 0, 1, closed="left")],
                              "beta_2": [Interval(float, 0, 1, closed="left")],
                              "epsilon": [Interval(float, 0, None, closed="neither")]}

    def __init__(self, learning_rate: LearningRate = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None, l1: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm, l1)
        validate(type(self).__name__, {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon},
                 self._parameter_constraints)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        t = self.iterations
        m, v = slot("m"), slot("v")
        m *= self.beta_1
        m += grad * (1 - self.beta_1)
        v *= self.beta_2
        v += (grad * grad) * (1 - self.beta_2)
        # With c1 = 1 - beta_1^t, c2 = sqrt(1 - beta_2^t), m_hat = m / c1, v_hat = v / c2^2:
        #   eta m_hat / (sqrt(v_hat) + eps) = (eta c2 / c1) m / (sqrt(v) + eps c2),
        # so both bias corrections become scalars.
        c2 = math.sqrt(1 - self.beta_2**t)
        param -= (m / (namespace(v).sqrt(v) + self.epsilon * c2)) * (
            learning_rate * c2 / (1 - self.beta_1**t))

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        kernels.adam(param, grad, slot("m"), slot("v"), self.beta_1, self.beta_2,
                     self.epsilon, learning_rate, self.iterations, work)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The decay shrinks the weights directly instead of entering the gradient, so the
    adaptive step sizes do not weaken it. At step :math:`t`, with :math:`\lambda` =
    ``weight_decay``:

    .. math::
        \theta \leftarrow \theta - \eta \lambda \theta, \quad\text{then the Adam update}
        \quad \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

    with :math:`m, v` computed from the gradient alone (:meth:`Optimizer.step` applies
    the decay). The decay applies to every parameter the optimiser is given (biases
    included).
    """

    name = "adamw"
    decoupled_weight_decay = True

    def __init__(self, learning_rate: LearningRate = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, weight_decay: float = 0.01,
                 clip_norm: float | None = None, l1: float = 0.0) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clip_norm, l1)
