"""scikit-learn's multi-layer perceptron losses, per batch, with optional sample weights.

Each pairs with one output function so that the output delta is ``p - y``
(``dC/dz`` per sample, before the weighting and the division by the weight sum):
softmax + log loss, logistic + binary log loss, identity + half squared error,
exp + Poisson deviance. The values follow scikit-learn exactly, including its quirk that
the squared error averages over the outputs while its gradient sums over them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from neuroflow.sklearn._compat import xlogy

__all__ = ["LOSSES", "OUTPUTS"]


def _clip(p: np.ndarray) -> np.ndarray:
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


def log_loss(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    r""":math:`-\sum_j \bar{y_j \log p_j}` (softmax outputs; the bar is the weighted mean)."""
    return float(-np.average(xlogy(y, _clip(p)), weights=w, axis=0).sum())


def binary_log_loss(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    r""":math:`-\sum_j \overline{y_j \log p_j + (1 - y_j) \log(1 - p_j)}` (logistic outputs)."""
    p = _clip(p)
    return float(-np.average(xlogy(y, p) + xlogy(1 - y, 1 - p), weights=w, axis=0).sum())


def squared_error(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    r""":math:`\tfrac12 \operatorname{mean}_j \overline{(y_j - p_j)^2}`."""
    return float(0.5 * np.average((y - p) ** 2, weights=w, axis=0).mean())


def poisson(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    r""":math:`\sum_j \overline{y_j \log(y_j / p_j) - y_j + p_j}` (exp outputs)."""
    return float(np.average(xlogy(y, y / p) - y + p, weights=w, axis=0).sum())


#: The loss of each output activation.
LOSSES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]] = {
    "softmax": log_loss, "logistic": binary_log_loss, "identity": squared_error,
    "exp": poisson,
}
#: The neuroflow output activation computing each (``exp`` is applied by the estimator to
#: a linear output) and the neuroflow loss named in the network for it.
OUTPUTS = {"softmax": ("softmax", "cross_entropy"),
           "logistic": ("sigmoid", "binary_cross_entropy"),
           "identity": ("linear", "mse"), "exp": ("linear", "mse")}
