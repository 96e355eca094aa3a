"""scikit-learn's stochastic solvers as neuroflow optimisers, where its rules differ from
neuroflow's own :class:`~neuroflow.optimizers.SGD` and :class:`~neuroflow.optimizers.Adam`.

- SGD: scikit-learn's velocity accumulates the *scaled* steps (``v <- mu v - eta g``), so a
  learning rate that changes between epochs ("invscaling", "adaptive") scales only the new
  gradients; neuroflow's accumulates gradients and scales the sum by the current rate.
  With a constant rate both give the same trajectory.
- Adam: scikit-learn adds ``epsilon`` to ``sqrt(v)`` before the bias correction of ``v``
  (neuroflow, like the paper, after it).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow.optimizers import Adam, Optimizer
from neuroflow.optimizers.base import Slot
from neuroflow.sklearn._compat import ConvergenceWarning, scipy_optimize

__all__ = ["MomentumSGD", "SklearnAdam", "minimize_lbfgs"]


class MomentumSGD(Optimizer):
    r"""scikit-learn's SGD: with momentum :math:`\mu`, current rate :math:`\eta` and the
    velocity :math:`v` (0 at first)

    .. math::
        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{(classical)}, \qquad
        \theta \leftarrow \theta + \mu v - \eta g \quad\text{(Nesterov)}

    The rate is a plain number that the estimator changes between epochs.
    """

    name = "sgd"

    def __init__(self, learning_rate: float, momentum: float, nesterov: bool) -> None:
        super().__init__(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        velocity = slot("velocity")
        velocity *= self.momentum
        velocity -= grad * learning_rate
        if self.nesterov:
            param += velocity * self.momentum - grad * learning_rate
        else:
            param += velocity

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        velocity = slot("velocity")
        kind = param.dtype.type
        velocity *= kind(self.momentum)
        np.multiply(grad, kind(learning_rate), out=work)
        velocity -= work
        if self.nesterov:
            param -= work
            np.multiply(velocity, kind(self.momentum), out=work)
        else:
            np.copyto(work, velocity)
        param += work

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class SklearnAdam(Adam):
    r"""Adam as scikit-learn writes it: at step :math:`t`

    .. math::
        \theta \leftarrow \theta - \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        \frac{m}{\sqrt{v} + \epsilon}

    i.e. neuroflow's Adam with :math:`\epsilon / \sqrt{1 - \beta_2^t}` in place of
    :math:`\epsilon` (its kernel adds :math:`\epsilon \sqrt{1 - \beta_2^t}` to
    :math:`\sqrt v`).
    """

    def _epsilon(self) -> float:
        return self.epsilon / math.sqrt(1 - self.beta_2 ** self.iterations)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        epsilon, self.epsilon = self.epsilon, self._epsilon()
        try:
            super().update(param, grad, slot, learning_rate)
        finally:
            self.epsilon = epsilon

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        kernels.adam(param, grad, slot("m"), slot("v"), self.beta_1, self.beta_2,
                     self._epsilon(), learning_rate, self.iterations, work)


def minimize_lbfgs(objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
                   parameters: np.ndarray, max_iter: int, max_fun: int, tol: float
                   ) -> tuple[int, float]:
    """Full-batch L-BFGS-B from ``parameters`` (the flat buffer, written with the result);
    ``objective(theta) -> (loss, gradient)``. Returns ``(iterations, loss)`` and warns
    with ``ConvergenceWarning`` as scikit-learn does when SciPy reports no convergence."""
    result = scipy_optimize.minimize(
        objective, parameters.astype(np.float64), method="L-BFGS-B", jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol})
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        hint = (f"\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={max_iter})." if n_iter == max_iter else "")
        warnings.warn(f"lbfgs failed to converge after {n_iter} iteration(s) "
                      f"(status={result.status}):\n{result.message}\n{hint}\nYou might also "
                      "want to scale the data as shown in:\n    "
                      "https://scikit-learn.org/stable/modules/preprocessing.html",
                      ConvergenceWarning, stacklevel=5)
    parameters[...] = result.x
    return n_iter, float(result.fun)
