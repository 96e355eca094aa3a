"""scikit-learn's multi-layer perceptron regressor over a neuroflow network."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.sklearn._base import PARAMETERS_DOC, BaseMLP
from neuroflow.sklearn._compat import RegressorMixin

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: a neuroflow network with a linear output.

    Trained by mini-batch gradient descent on the mean squared error
    :math:`\\frac{1}{nk} \\sum_{i,j} (\\hat y_{ij} - y_{ij})^2`; several targets
    (``y`` of shape ``(n, k)``) give ``k`` outputs.
    """

    __doc__ = (__doc__ or "") + PARAMETERS_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow.sklearn import MLPRegressor
    >>> x = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> model = MLPRegressor(hidden_layer_sizes=(8,), random_state=0).fit(x, 2 * x[:, 0])
    >>> model.predict(x[:2]).shape
    (2,)
    """

    _output_activation = "linear"
    _loss = "mse"

    def _y_options(self) -> dict[str, Any]:
        return {"multi_output": True, "y_numeric": True}

    def _n_outputs(self) -> int:
        return self._target_width

    def _prepare_y(self, y: np.ndarray, first: bool, classes: Any = None) -> np.ndarray:
        width = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._target_width = width
            self._target_1d = y.ndim == 1
        elif width != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} target column(s) as in the first "
                             f"fit, received {width}")
        return y.reshape(-1, width)

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``X (n_samples, n_features)`` and targets ``y (n,)`` or ``(n, k)``."""
        return self._fit(X, y, partial=False)  # type: ignore[return-value]

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the network and optimiser state."""
        return self._fit(X, y, partial=True)  # type: ignore[return-value]

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: ``(n_samples,)`` when fitted on 1-D ``y``, else ``(n, k)``."""
        output = self._forward(X)
        return output[:, 0] if self._target_1d else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags
