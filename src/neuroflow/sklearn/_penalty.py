"""The L2 weight penalty of scikit-learn's multi-layer perceptron, as an optimiser wrapper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow import optimizers as _optimizers


class L2Penalty(_optimizers.Optimizer):
    r"""Wrap an optimiser to add an L2 penalty on the weights (not the biases).

    Before each step, every weight gradient gets :math:`(\alpha / m) W` added: the
    gradient of :math:`\frac{\alpha}{2m} \lVert W \rVert^2` with ``m`` the batch size, as
    in scikit-learn's multi-layer perceptron. The wrapped optimiser keeps its own state.
    """

    name = "l2_penalty"

    def __init__(self, inner: _optimizers.Optimizer, alpha: float, penalised: list[bool],
                 batch_size: int) -> None:
        self.inner = inner
        self.factor = alpha / batch_size
        self.penalised = penalised

    @property
    def iterations(self) -> int:  # type: ignore[override]
        return self.inner.iterations

    @property
    def learning_rate(self) -> Any:  # type: ignore[override]
        return self.inner.learning_rate

    @property
    def state(self) -> Any:
        return self.inner.state

    @state.setter
    def state(self, state: Any) -> None:
        self.inner.state = state

    def current_learning_rate(self) -> float:
        return self.inner.current_learning_rate()

    def step(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        if self.factor:
            for (param, grad), penalised in zip(pairs, self.penalised):
                if penalised:
                    grad += param.dtype.type(self.factor) * param
        self.inner.step(pairs)
