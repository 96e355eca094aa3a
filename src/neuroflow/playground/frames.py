"""Compact pictures for the page: maps quantised to bytes, and the grids they are drawn on.

A map of ``G x G`` float values travels as ``G * G`` bytes in base64 with its range
``(lo, hi)``: value ``lo + q (hi - lo) / 255`` for byte ``q``. A frame of a 2-8-8-1
network (the output map at 64 x 64 and each of the 16 hidden neurons at 32 x 32) is then
about 28 KB of JSON instead of over a megabyte of floats.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

__all__ = ["quantise", "dequantise", "grid", "BOUNDARY_SIZE", "NEURON_SIZE"]

#: Side of the output (decision boundary) map.
BOUNDARY_SIZE = 64
#: Side of each hidden neuron's map.
NEURON_SIZE = 32


def quantise(values: Any, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """``values`` as bytes: ``{"lo", "hi", "shape", "data"}`` (``data`` base64).

    Parameters
    ----------
    values : array
        Any shape; non-finite values count as ``lo``.
    lo, hi : float, optional
        The range mapped to 0 and 255; by default the values' own minimum and maximum
        (the values clipped to the range given).
    """
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    low = float(finite.min()) if lo is None and finite.size else float(lo or 0.0)
    high = float(finite.max()) if hi is None and finite.size else float(hi or 0.0)
    span = high - low
    if span > 0:
        scaled = np.clip((np.nan_to_num(array, nan=low, posinf=high, neginf=low) - low) / span,
                         0.0, 1.0)
        codes = np.rint(scaled * 255).astype(np.uint8)
    else:
        codes = np.zeros(array.shape, dtype=np.uint8)
    return {"lo": low, "hi": high, "shape": list(array.shape),
            "data": base64.b64encode(codes.tobytes()).decode("ascii")}


def dequantise(encoded: dict[str, Any]) -> np.ndarray:
    """The values :func:`quantise` encoded, to within ``(hi - lo) / 510``."""
    codes = np.frombuffer(base64.b64decode(encoded["data"]), dtype=np.uint8)
    values = encoded["lo"] + codes.astype(np.float64) * (encoded["hi"] - encoded["lo"]) / 255
    return values.reshape(encoded["shape"])


def grid(extent: tuple[float, float, float, float], size: int) -> np.ndarray:
    """``size * size`` points ``(x1, x2)`` covering ``extent = (x1_min, x1_max, x2_min,
    x2_max)``, row by row from the top (largest ``x2``) as an image is drawn."""
    x1 = np.linspace(extent[0], extent[1], size)
    x2 = np.linspace(extent[3], extent[2], size)
    a, b = np.meshgrid(x1, x2)
    return np.stack([a.ravel(), b.ravel()], axis=1)


