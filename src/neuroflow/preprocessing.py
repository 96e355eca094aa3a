"""Input preprocessing fitted on training data and stored with the model.

A preprocessor is any object with ``transform(x)``, ``get_config()`` (a JSON-ready dict
whose ``"type"`` names its class) and ``state()`` (a dict of arrays). A network applies
its ``network.preprocessing`` in :meth:`~neuroflow.Network.prepare_inputs`, so ``fit``,
``predict`` and ``evaluate`` see the same transform; :mod:`neuroflow.io` saves the config
in the metadata and the arrays as tensors ``preprocessing.{key}``, and
:func:`from_config` rebuilds the object when the model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow._validation import numeric_matrix

__all__ = ["StandardScaler", "OneHotEncoder", "from_config", "PREPROCESSORS",
           "is_label_array", "learn_classes", "encode_labels", "has_categorical_columns"]


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


# ---------------------------------------------------------------- labels by name
def _is_category(values: Any) -> bool:
    """A pandas categorical (Series or column), found without importing pandas."""
    return getattr(getattr(values, "dtype", None), "name", "") == "category"


def is_label_array(y: Any) -> bool:
    """Whether ``y`` names classes (strings, Python objects, pandas categories, one per
    sample) instead of holding their numbers or one-hot rows."""
    if _is_category(y):
        return True
    if isinstance(y, np.ndarray) and y.dtype.kind in "biufc":
        return False
    try:
        array = np.asarray(y)
    except (TypeError, ValueError):
        return False
    return array.dtype.kind in "OUS" and (array.ndim == 1 or array.shape[1:] == (1,))


def _label_values(y: Any, argument: str) -> np.ndarray:
    """The labels as a 1-D object array; missing ones (None, NaN) refused."""
    values = np.asarray(y, dtype=object).reshape(-1)
    nan = np.flatnonzero((values == None) | (values != values))  # noqa: E711 (elementwise)
    if nan.size:
        raise ValueError(f"{argument}: expected a label for every sample, received a missing "
                         f"one (None or NaN) at row {nan[0] + 1}")
    return values


def learn_classes(y: Any, argument: str = "y") -> list[Any]:
    """The distinct labels of ``y`` in sorted order (scikit-learn's ``LabelEncoder``): class
    ``i`` is ``classes[i]``. NumPy scalars become Python ones (JSON-ready)."""
    values = _label_values(y, argument)
    try:
        classes = np.unique(values)
    except TypeError:
        raise ValueError(f"{argument}: expected labels of one kind that sort (all strings, or "
                         f"all numbers), received {sorted({type(v).__name__ for v in values})}"
                         ) from None
    return [c.item() if isinstance(c, np.generic) else c for c in classes]


def encode_labels(y: Any, class_names: Sequence[Any] | None, argument: str = "y") -> Any:
    """Class numbers ``(n,)`` int64 for labels by name (:func:`is_label_array`): label
    ``class_names[i]`` becomes ``i``. Anything else is returned unchanged."""
    if not is_label_array(y):
        return y
    values = _label_values(y, argument)
    if class_names is None:
        raise ValueError(f"{argument}: labels by name ({values[0]!r}, ...) need the network's "
                         "class_names: fit learns them from its y, or set network.class_names")
    try:
        uniques, inverse = np.unique(values, return_inverse=True)
    except TypeError:
        raise ValueError(f"{argument}: expected labels of one kind, received "
                         f"{sorted({type(v).__name__ for v in values})}") from None
    lookup = {name: index for index, name in enumerate(class_names)}
    unknown = [u for u in uniques if u not in lookup]
    if unknown:
        raise ValueError(f"{argument}: unknown class labels {unknown[:5]!r}; the network's "
                         f"classes are {list(class_names)!r}")
    return np.array([lookup[u] for u in uniques], dtype=np.int64)[inverse.reshape(-1)]


# ---------------------------------------------------------------- categorical features
def has_categorical_columns(x: Any) -> bool:
    """Whether ``x`` is a table (a pandas DataFrame) with a column of strings, objects or
    categories, which :class:`OneHotEncoder` turns into numbers."""
    if not (hasattr(x, "columns") and hasattr(x, "dtypes")):
        return False
    return any(_is_category(x[name]) or np.asarray(x[name]).dtype.kind not in "biuf"
               for name in x.columns)


def _table_columns(x: Any) -> list[tuple[str, Any]]:
    """``(name, column)`` pairs of a DataFrame, or of a 2-D array (named ``"0"``, ``"1"``...)."""
    if hasattr(x, "columns") and hasattr(x, "dtypes"):
        return [(str(name), x[name]) for name in x.columns]
    array = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if array.ndim != 2:
        raise ValueError(f"x: expected a table (n_samples, n_columns), received shape "
                         f"{array.shape}")
    return [(str(j), array[:, j]) for j in range(array.shape[1])]


class OneHotEncoder:
    r"""One-hot encode the categorical columns of a table; numeric columns pass through.

    A column of strings, Python objects or pandas categories with categories
    :math:`c_0 < c_1 < \dots < c_{m-1}` (sorted, learnt by :meth:`fit`) becomes ``m``
    columns in its place, :math:`x'_{i,k} = [x_i = c_k]`; the other columns keep their
    values. ``fit`` on a pandas DataFrame with such columns makes one for the network
    (``network.preprocessing``), so ``predict`` and ``evaluate`` take the same DataFrame
    and a saved model keeps the categories (in its metadata). A category not seen by
    :meth:`fit` is an error at :meth:`transform`.

    Attributes
    ----------
    columns : list of dict
        One ``{"name": column name, "categories": sorted list, or None for a numeric
        column}`` per input column, set by :meth:`fit`.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"size": [1.0, 2.0], "colour": ["red", "blue"]})
    >>> encoder = OneHotEncoder().fit(table)
    >>> encoder.feature_names_out
    ['size', 'colour=blue', 'colour=red']
    >>> encoder.transform(table).tolist()
    [[1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
    """

    type_name = "OneHotEncoder"

    def __init__(self) -> None:
        self.columns: list[dict[str, Any]] | None = None

    @property
    def n_features(self) -> int | None:
        """Number of output columns (``None`` before :meth:`fit`): what the network takes."""
        if self.columns is None:
            return None
        return sum(1 if c["categories"] is None else len(c["categories"]) for c in self.columns)

    @property
    def feature_names_out(self) -> list[str]:
        """Names of the output columns: ``name`` or ``name=category``."""
        return [c["name"] if c["categories"] is None else f"{c['name']}={category}"
                for c in self.columns or [] for category in (c["categories"] or [None])]

    def fit(self, x: Any) -> OneHotEncoder:
        """Learn which columns of ``x`` are categorical, and their sorted categories."""
        columns = []
        for name, column in _table_columns(x):
            values = np.asarray(column)
            categorical = _is_category(column) or values.dtype.kind not in "biuf"
            columns.append({"name": name, "categories": learn_classes(
                column, f"x column {name!r}") if categorical else None})
        if not columns:
            raise ValueError("x: expected at least one column, received none")
        self.columns = columns
        return self

    def transform(self, x: Any) -> np.ndarray:
        """The encoded table ``(n, n_features)`` as float64."""
        if self.columns is None:
            raise ValueError("OneHotEncoder: call fit(x) before transform(x)")
        given = _table_columns(x)
        names = [name for name, _ in given]
        expected = [c["name"] for c in self.columns]
        if len(given) != len(expected) or (hasattr(x, "columns") and names != expected
                                           and not all(n.isdigit() for n in expected)):
            raise ValueError(f"x: expected the columns {expected}, received {names}")
        n = len(np.asarray(given[0][1]))
        out = np.zeros((n, self.n_features or 0), dtype=np.float64)
        offset = 0
        for spec, (name, column) in zip(self.columns, given):
            categories = spec["categories"]
            if categories is None:
                values = np.asarray(column)
                if values.dtype.kind not in "biuf":
                    raise ValueError(f"x column {name!r}: expected numbers, received dtype "
                                     f"{values.dtype}")
                out[:, offset] = values
                offset += 1
                continue
            codes = encode_labels(np.asarray(column, dtype=object), categories,
                                  f"x column {name!r}")
            out[np.arange(n), offset + codes] = 1.0
            offset += len(categories)
        return out

    def fit_transform(self, x: Any) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(x).transform(x)

    def get_config(self) -> dict[str, Any]:
        """JSON-ready description, categories included: ``{"type": "OneHotEncoder",
        "columns": [...], "n_features": k}``."""
        return {"type": self.type_name, "columns": self.columns, "n_features": self.n_features}

    def state(self) -> dict[str, np.ndarray]:
        """No arrays: the categories are in :meth:`get_config`."""
        return {}

    def load_state(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        """Restore the columns of :meth:`get_config`, validating them."""
        columns = config.get("columns")
        if columns is None:
            return
        if not isinstance(columns, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str) and (
                    c.get("categories") is None or (isinstance(c["categories"], list)
                                                    and c["categories"]))
                for c in columns):
            raise ValueError("OneHotEncoder config: expected columns as a list of "
                             "{'name': str, 'categories': non-empty list or None}")
        self.columns = [{"name": c["name"], "categories": c["categories"]} for c in columns]

    def __repr__(self) -> str:
        return f"OneHotEncoder(n_features={self.n_features})"


PREPROCESSORS: dict[str, Any] = {"StandardScaler": StandardScaler,
                                 "OneHotEncoder": OneHotEncoder}


def from_config(config: dict[str, Any], tensors: dict[str, np.ndarray]) -> Any:
    """Rebuild a preprocessor from ``get_config()`` output and its ``state()`` arrays.

    Parameters
    ----------
    config : dict
        As returned by ``get_config()``; ``config["type"]`` selects the class.
    tensors : dict of str to ndarray
        As returned by ``state()`` (keys without the ``preprocessing.`` prefix).

    Raises
    ------
    ValueError
        For an unknown type, or arrays of the wrong shape or with invalid values.
    """
    if not isinstance(config, dict):
        raise ValueError(f"preprocessing config: expected a dict, received "
                         f"{type(config).__name__}")
    name = config.get("type")
    if not isinstance(name, str) or name not in PREPROCESSORS:
        raise ValueError(f"preprocessing type: expected one of {', '.join(sorted(PREPROCESSORS))}"
                         f", received: {name!r}")
    preprocessor = PREPROCESSORS[name]()
    preprocessor.load_state(config, tensors)
    return preprocessor
