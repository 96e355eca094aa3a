"""Class labels given by name (strings, objects, pandas categories) and their numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["is_label_array", "learn_classes", "encode_labels"]


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
