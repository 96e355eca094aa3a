"""Mini-batches gathered by index into arrays reused from step to step.

The training loop shuffles by drawing one index permutation per epoch; it never copies
the training set. Each step gathers its rows with ``np.take(..., out=...)`` into arrays
kept for that batch size (the last, partial batch of an epoch has its own), so a step
allocates nothing for its inputs, targets or sample weights.

On another array back-end (see :mod:`neuroflow.backend`) the data are moved there once,
and each step gathers with the array API's ``take`` into new arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.backend import get_backend, to_backend

__all__ = ["BatchGatherer"]


class BatchGatherer:
    """Gather the rows ``index`` of ``x``, ``target`` and ``weights`` into reused arrays.

    Parameters
    ----------
    x : array (n, in_features)
        Inputs.
    target : array (n,) or (n, k)
        Targets, already prepared by the loss.
    weights : array (n,) or None
        Per-sample weights.
    backend : str
        Array back-end of the network (``"numpy"``, ``"cupy"``, ``"array_api_strict"``):
        the arrays are moved there once, here.

    Notes
    -----
    The arrays returned by :meth:`take` are overwritten by the next call with a batch
    of the same size: use them before asking for the next batch.
    """

    def __init__(self, x: np.ndarray, target: np.ndarray, weights: np.ndarray | None,
                 backend: str = "numpy") -> None:
        self._xp: Any = np if backend == "numpy" else get_backend(backend)
        if self._xp is not np:
            x, target, weights = (to_backend(a, self._xp) for a in (x, target, weights))
        self.x = x
        self.target = target
        self.weights = weights
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}

    def take(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(x[index], target[index], weights[index])`` (weights ``None`` without weights).

        ``index`` is a NumPy integer array (on another back-end it is moved there)."""
        xp = self._xp
        if xp is not np:
            where = to_backend(index, xp, self.x.device)
            return (xp.take(self.x, where, axis=0), xp.take(self.target, where, axis=0),
                    None if self.weights is None else xp.take(self.weights, where, axis=0))
        size = index.shape[0]
        buffers = self._buffers.get(size)
        if buffers is None:
            buffers = self._buffers[size] = (
                np.empty((size,) + self.x.shape[1:], self.x.dtype),
                np.empty((size,) + self.target.shape[1:], self.target.dtype),
                None if self.weights is None else np.empty(size, self.weights.dtype),
            )
        xb, yb, wb = buffers
        # mode="clip" lets take write straight into ``out`` (mode="raise" buffers it);
        # the indices come from a permutation of range(n), so none is out of range.
        np.take(self.x, index, axis=0, out=xb, mode="clip")
        np.take(self.target, index, axis=0, out=yb, mode="clip")
        if wb is not None and self.weights is not None:
            np.take(self.weights, index, axis=0, out=wb, mode="clip")
        return xb, yb, wb
