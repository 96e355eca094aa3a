"""One-hot encoding of a table's categorical columns (:class:`OneHotEncoder`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.preprocessing._labels import (
    _is_category,
    _label_values,
    encode_labels,
    learn_classes,
)

__all__ = ["OneHotEncoder", "has_categorical_columns"]


def has_categorical_columns(x: Any) -> bool:
    """Whether ``x`` is a table (a pandas DataFrame) with a column of strings, objects or
    categories, which :class:`OneHotEncoder` turns into numbers."""
    if not (hasattr(x, "columns") and hasattr(x, "dtypes")):
        return False
    return any(_is_category(x[name]) or np.asarray(x[name]).dtype.kind not in "biuf"
               for name in x.columns)


def _table_columns(x: Any) -> list[tuple[str, Any]]:
    """``(name, column)`` pairs of a DataFrame, of a dict of name to 1-D values, or of a
    2-D array (named ``"0"``, ``"1"``...)."""
    if isinstance(x, dict):
        return [(str(name), np.asarray(column)) for name, column in x.items()]
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
    :meth:`fit` is an error at :meth:`transform` naming the column and the value. A table
    is a DataFrame, a dict of column name to 1-D values, or a 2-D array (columns by
    position; :meth:`transform` takes an object array whose numeric columns hold numbers).

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
        named = isinstance(x, dict) or hasattr(x, "columns")
        if len(given) != len(expected) or (named and names != expected
                                           and not all(n.isdigit() for n in expected)):
            raise ValueError(f"x: expected the columns {expected}, received {names}")
        n = len(np.asarray(given[0][1]))
        out = np.zeros((n, self.n_features or 0), dtype=np.float64)
        offset = 0
        for spec, (_, column) in zip(self.columns, given):
            categories = spec["categories"]
            if categories is None:
                out[:, offset] = _numbers(column, spec["name"])
                offset += 1
                continue
            out[np.arange(n), offset + _codes(column, categories, spec["name"])] = 1.0
            offset += len(categories)
        return out

    def get_config(self) -> dict[str, Any]:
        """JSON-ready description, categories included: ``{"type": "OneHotEncoder",
        "columns": [...], "n_features": k}``."""
        return {"type": self.type_name, "columns": self.columns, "n_features": self.n_features}

    def state(self) -> dict[str, np.ndarray]:
        """No arrays: the categories are in :meth:`get_config`."""
        return {}

    def fit_transform(self, x: Any) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(x).transform(x)

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


def _numbers(column: Any, name: str) -> np.ndarray:
    """A numeric column as float64; an object column is accepted when it holds numbers."""
    values = np.asarray(column)
    if values.dtype.kind == "O" and {type(v) for v in values} <= {int, float}:
        values = values.astype(np.float64)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"x column {name!r}: expected numbers, received dtype {values.dtype}")
    return values


def _codes(column: Any, categories: list[Any], name: str) -> np.ndarray:
    """Category index ``(n,)`` of every value; an unseen value is named in the error."""
    values = _label_values(np.asarray(column, dtype=object), f"x column {name!r}")
    unknown = sorted(set(values.tolist()) - set(categories), key=str)
    if unknown:
        raise ValueError(f"x column {name!r}: unknown class labels {unknown[:5]!r}, "
                         "categories not seen in training (known: "
                         f"{', '.join(map(repr, categories[:20]))})")
    return encode_labels(values, categories, f"x column {name!r}")
