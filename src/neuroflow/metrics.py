"""Metrics computed from network outputs and targets (arrays in, numbers out)."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "labels_from_targets"]


def labels_from_targets(target: np.ndarray) -> np.ndarray:
    """Integer labels from class labels ``(n,)``, one-hot rows ``(n, k)`` or binary ``(n, 1)``."""
    if target.ndim == 1:
        return target.astype(np.int64, copy=False)
    if target.shape[1] == 1:
        return (target[:, 0] > 0.5).astype(np.int64)
    return target.argmax(axis=1)


def _labels_from_output(output: np.ndarray) -> np.ndarray:
    if output.ndim == 1:
        return output.astype(np.int64, copy=False)
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5).astype(np.int64)
    return output.argmax(axis=1)


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of samples whose predicted class equals the true class.

    ``output`` is the network output ``(n, k)`` (argmax per row; threshold 0.5 for a
    single output) or predicted labels ``(n,)``; ``target`` as in :func:`labels_from_targets`.
    For several independent sigmoid outputs every output must be right.
    """
    if output.ndim == 2 and output.shape[1] > 1 and target.ndim == 2 and \
            not np.allclose(target.sum(axis=1), 1):
        # multi-label: each output thresholded on its own
        return float(((output > 0.5) == (target > 0.5)).all(axis=1).mean())
    return float((_labels_from_output(output) == labels_from_targets(target)).mean())
