"""Validators shared across neuroflow: checks of user-given arguments and arrays.

Each raises :class:`ValueError` whose message names the argument, what was expected and
what was received (see :mod:`neuroflow.errors`). Constructors of optimisers, callbacks,
schedules and data sets declare their arguments' constraints instead
(:mod:`neuroflow._constraints`). This module sits at the bottom of the
layering: it imports nothing of neuroflow, so every layer may use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["as_dtype", "numeric_matrix", "all_finite", "check_inputs", "check_sample_weight",
           "parameters_diverged", "positive_int"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


# ---------------------------------------------------------------------------- scalars
def positive_int(value: object, argument: str) -> int:
    """``value`` as an ``int`` when it is a positive integer (Python or NumPy)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument}: expected a positive integer, received: {value!r}")
    return int(value)


def as_dtype(dtype: object) -> np.dtype:
    """Validate a float dtype name or object (float32 or float64)."""
    key = np.dtype(dtype).name if isinstance(dtype, (type, np.dtype)) else dtype
    if key not in _DTYPES:
        raise ValueError(f"dtype: expected 'float32' or 'float64', received: {dtype!r}")
    return np.dtype(_DTYPES[key])  # type: ignore[index]


# ---------------------------------------------------------------------------- arrays
def numeric_matrix(x: object, argument: str = "x", n_features: int | None = None) -> np.ndarray:
    """``x`` as a numeric 2-D array ``(n, n_features)`` (any width when ``n_features`` is
    None); one row given flat is accepted. Raises ``ValueError`` naming ``argument``."""
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{argument}: expected a numeric array, received {type(x).__name__}"
                         ) from error
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{argument}: expected a numeric array, received dtype {array.dtype}")
    if array.ndim == 1 and n_features is not None and array.shape[0] == n_features:
        array = array.reshape(1, -1)
    if array.ndim != 2 or (n_features is not None and array.shape[1] != n_features):
        expected = "n_features" if n_features is None else str(n_features)
        raise ValueError(f"{argument}: expected shape (n_samples, {expected}), received shape "
                         f"{array.shape}")
    return array


def all_finite(array: np.ndarray) -> bool:
    r"""Whether every entry of a float array is finite.

    The sum of squares :math:`\sum_i x_i^2` is NaN or infinite whenever an entry is (NaN
    and infinities propagate; squares are never negative, so no ``inf - inf``), and one
    BLAS dot product costs about half an ``isfinite`` mask. Only a non-finite sum, which
    may also be the overflow of large finite entries, needs the exact mask.
    """
    flat = array.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.dot(flat, flat))):
            return True
    return bool(np.isfinite(array).all())


def check_inputs(x: object, n_features: int, dtype: np.dtype, argument: str = "x") -> np.ndarray:
    """Validate an input batch: numeric, 2-D ``(n, n_features)``, finite; return it in ``dtype``.

    No copy is made when ``x`` already has the right dtype and layout.
    """
    array = numeric_matrix(x, argument, n_features)
    if array.shape[0] == 0:
        raise ValueError(f"{argument}: expected at least one sample, received 0")
    source = array
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.ascontiguousarray(array, dtype=dtype)
    if not all_finite(array):
        row, column = np.argwhere(~np.isfinite(array))[0]
        where = f"row {row + 1}, column {column + 1}"  # 1-based, as a spreadsheet counts
        if np.isfinite(source[row, column]):
            raise ValueError(
                f"{argument}: the value {float(source[row, column]):g} at {where} is beyond the "
                f"range of {np.dtype(dtype).name}; use dtype='float64' (--dtype float64)")
        raise ValueError(f"{argument}: expected finite values, received NaN or infinity at "
                         f"{where}")
    return array


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype,
                        argument: str = "sample_weight") -> np.ndarray:
    """Validate per-sample weights: shape ``(n,)``, finite, non-negative."""
    weights = np.asarray(sample_weight)
    if weights.dtype.kind not in "biuf" or weights.shape != (n_samples,):
        raise ValueError(f"{argument}: expected a numeric array of shape ({n_samples},), "
                         f"received shape {weights.shape} and dtype {weights.dtype}")
    weights = weights.astype(dtype)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"{argument}: expected finite non-negative weights, received "
                         f"values in [{weights.min()}, {weights.max()}]")
    return weights


def parameters_diverged(parameters: Sequence[Any]) -> bool:
    r"""Whether training has diverged, judged from the parameters alone.

    True when an entry is NaN or infinite, or when :math:`\sum_i \theta_i^2` overflows,
    i.e. the parameters' norm exceeds :math:`\sqrt{\text{largest float}}` (1.8e19 in
    float32, 1.3e154 in float64): such weights can no longer be multiplied without
    overflow, even while a clipped loss still looks finite. One dot product per array.
    """
    for array in parameters:
        with np.errstate(over="ignore", invalid="ignore"):
            if isinstance(array, np.ndarray):
                flat = array.reshape(-1)
                total = float(np.dot(flat, flat))
            else:  # another array back-end
                total = float(_namespace(array).sum(array * array))
        if not math.isfinite(total):
            return True
    return False


def _namespace(array: Any) -> Any:
    """The array-API namespace of a non-NumPy array (as :func:`neuroflow.backend.namespace`,
    which this bottom-layer module does not import)."""
    # optional extra (array-api-compat, with the gpu/dev extras): only non-NumPy arrays
    # reach here, and a network holds those only after the back-end imported it
    import array_api_compat

    return array_api_compat.array_namespace(array)
