"""Gradient clipping by global norm: :func:`global_norm`, :func:`clip_gradients`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from neuroflow import kernels

__all__ = ["global_norm", "clip_gradients"]


def global_norm(gradients: Iterable[Any]) -> float:
    r"""The norm of all gradients seen as one vector: :math:`\sqrt{\sum_p \lVert g_p \rVert^2}`."""
    return math.sqrt(sum(kernels.squared_norm(g) for g in gradients))


def clip_gradients(pairs: Sequence[tuple[Any, Any]], clip_norm: float) -> float:
    """Scale every gradient in place so their global norm is at most ``clip_norm``.

    ``pairs`` are ``(parameter, gradient)`` pairs, e.g. a
    :class:`~neuroflow.optimizers.ParameterBuffer`. Returns the global norm before
    clipping.
    """
    norm = global_norm([grad for _, grad in pairs])
    if norm > clip_norm:
        scale = clip_norm / norm
        for _, grad in pairs:
            grad *= scale
    return norm
