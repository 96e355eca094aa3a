"""scikit-learn's multi-layer perceptron regressor over a neuroflow network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow.sklearn._base import BaseMLP
from neuroflow.sklearn._compat import (
    RegressorMixin,
    available_if,
    column_or_1d,
    r2_score,
    validate_data,
)
from neuroflow.sklearn._params import ATTRIBUTES_DOC, PARAMETERS_DOC, REGRESSOR_CONSTRAINTS

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor`` on neuroflow.

    The same parameters, defaults, errors, fitted attributes and training rules as
    ``sklearn.neural_network.MLPRegressor``. Linear outputs and half the squared error
    (``loss="squared_error"``), or exponential outputs and the Poisson deviance
    (``loss="poisson"``); ``y (n, k)`` gives ``k`` outputs.
    """

    __doc__ = (__doc__ or "") + """
    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default "squared_error"
        The loss minimised.""" + PARAMETERS_DOC.replace(
        "    Parameters\n    ----------\n", "") + ATTRIBUTES_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow.sklearn import MLPRegressor
    >>> x = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> model = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
    >>> model.fit(x, 2 * x[:, 0]).predict(x[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = REGRESSOR_CONSTRAINTS

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: Sequence[int] | int = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 1e-4,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 1e-3, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, batch_norm: bool = False) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, np.ndarray, np.ndarray | None]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if hasattr(self, "network_") and not reset and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} target column(s) as in the first "
                             f"fit, received {Y.shape[1]}")
        return X, Y.astype(X.dtype, copy=False), None

    def _output_name(self, Y: np.ndarray) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _score_outputs(self, output: np.ndarray, Y: np.ndarray,
                       sample_weight: np.ndarray | None) -> float:
        """R^2 (averaged over the outputs), as ``score`` gives it."""
        return float(r2_score(Y, output, sample_weight=sample_weight))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on ``X (n_samples, n_features)`` (dense or sparse) and targets ``y (n,)``
        or ``(n, n_outputs)``."""
        return self._fit(X, y, sample_weight, incremental=False)  # type: ignore[return-value]

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the weights and the solver's state."""
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[return-value]

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: ``(n_samples,)`` for one output, else ``(n, n_outputs)``."""
        output = self._forward_checked(X)
        return output.ravel() if output.shape[1] == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
