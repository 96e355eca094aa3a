"""Standardisation of numeric features (:class:`StandardScaler`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow._validation import numeric_matrix

__all__ = ["StandardScaler"]


class StandardScaler:
    r"""Standardise every feature to zero mean and unit variance.

    .. math:: x'_{ij} = (x_{ij} - \mu_j) / s_j

    with :math:`\mu_j` the mean and :math:`s_j` the (population) standard deviation of
    feature ``j`` over the training samples; a constant feature (``s_j = 0``) gets
    ``s_j = 1``, so it becomes 0 instead of a division by zero.

    Attributes
    ----------
    mean : ndarray (n_features,) float64
        :math:`\mu`, set by :meth:`fit`.
    scale : ndarray (n_features,) float64
        :math:`s`, set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> scaler = StandardScaler().fit(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> scaler.transform([[1.0, 5.0]]).tolist()
    [[0.0, 4.0]]
    """

    type_name = "StandardScaler"

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    @property
    def n_features(self) -> int | None:
        """Number of features seen by :meth:`fit` (``None`` before)."""
        return None if self.mean is None else int(self.mean.shape[0])

    def fit(self, x: Any) -> StandardScaler:
        """Learn the mean and standard deviation of every column of ``x (n, n_features)``."""
        array = numeric_matrix(x, "x").astype(np.float64)
        if array.shape[0] == 0:
            raise ValueError("x: expected at least one sample, received 0")
        if not np.isfinite(array).all():
            row, column = np.argwhere(~np.isfinite(array))[0]
            raise ValueError(f"x: expected finite values, received NaN or infinity at row "
                             f"{row + 1}, column {column + 1}")
        self.mean = array.mean(axis=0)
        scale = array.std(axis=0)
        scale[scale == 0] = 1.0
        self.scale = scale
        return self

    def transform(self, x: Any) -> np.ndarray:
        """Return ``(x - mean) / scale`` as float64, shape ``(n, n_features)``."""
        if self.mean is None or self.scale is None:
            raise ValueError("StandardScaler: call fit(x) before transform(x)")
        array = numeric_matrix(x, "x", self.n_features)
        return (array - self.mean) / self.scale

    def fit_transform(self, x: Any) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo :meth:`transform`: ``x * scale + mean``."""
        if self.mean is None or self.scale is None:
            raise ValueError("StandardScaler: call fit(x) before inverse_transform(x)")
        return numeric_matrix(x, "x", self.n_features) * self.scale + self.mean

    def get_config(self) -> dict[str, Any]:
        """JSON-ready description (no arrays): ``{"type": "StandardScaler", "n_features": k}``."""
        return {"type": self.type_name, "n_features": self.n_features}

    def state(self) -> dict[str, np.ndarray]:
        """The fitted arrays, ``{"mean": (k,), "scale": (k,)}`` (empty before :meth:`fit`)."""
        if self.mean is None or self.scale is None:
            return {}
        return {"mean": self.mean, "scale": self.scale}

    def load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`get_config` and :meth:`state` described, validating shapes."""
        n_features = config.get("n_features")
        if n_features is None:
            return
        if not (isinstance(n_features, int) and n_features > 0):
            raise ValueError(f"StandardScaler config: expected a positive n_features, "
                             f"received {n_features!r}")
        arrays = {}
        for key in ("mean", "scale"):
            value = tensors.get(key)
            if value is None or np.shape(value) != (n_features,):
                raise ValueError(f"StandardScaler state: expected tensor {key!r} of shape "
                                 f"({n_features},), received "
                                 f"{None if value is None else np.shape(value)}")
            arrays[key] = np.asarray(value, dtype=np.float64).copy()
        if not (np.isfinite(arrays["mean"]).all() and np.isfinite(arrays["scale"]).all()
                and (arrays["scale"] > 0).all()):
            raise ValueError("StandardScaler state: expected finite mean and positive scale")
        self.mean, self.scale = arrays["mean"], arrays["scale"]

    def __repr__(self) -> str:
        return f"StandardScaler(n_features={self.n_features})"
