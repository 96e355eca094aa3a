"""Fused kernels compiled with numba: the optional fast path of :mod:`neuroflow.kernels`.

:mod:`neuroflow.kernels` is the reference: each optimiser rule there is a dozen NumPy
calls, each one pass over the whole parameter buffer. The loops below compute the very
same expressions in one pass, element by element, in the same order of operations and in
the arrays' own precision (the scalars are passed in the arrays' dtype, as NumPy casts a
Python float), so on NumPy float32/float64 they give the reference's numbers (the tests,
``tests/kernels/test_kernels_fast.py``, hold them to 4 ulp in float64 and 1e-6 relative in
float32; measured: equal). They are compiled with ``fastmath=False`` (no reassociation,
no fused multiply-add) and ``error_model="numpy"`` (a division by zero gives inf/nan as in
NumPy, and the loop can vectorise).

numba is a dependency of neuroflow, imported by :func:`load` at the first kernel call
that could use it, never by ``import neuroflow`` (its import takes half a second); where
it cannot be imported, the NumPy reference runs.
The loops are compiled at their first call for each dtype, or loaded from numba's
on-disk cache (``cache=True``; without a writable cache folder they are compiled in every
process, see :func:`load`); the first call in a process costs about a second. Should
compiling or caching fail at a call, :mod:`neuroflow.kernels` runs the NumPy reference
from then on.

Every loop takes C-contiguous arrays of one dtype (1-D of one length; the epilogues:
``(n, k)`` matrices and a ``(k,)`` bias) and checks nothing: :mod:`neuroflow.kernels`
makes sure of that before calling.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

__all__ = ["load", "LOOPS"]


# ---------------------------------------------------------------- optimiser rules
# One line of each NumPy kernel per line here; ``work`` is not needed (registers).
def sgd(p, g, lr):  # pragma: no cover - compiled
    for i in range(p.shape[0]):
        p[i] -= g[i] * lr


def sgd_momentum(p, g, velocity, mu, lr):  # pragma: no cover - compiled
    for i in range(p.shape[0]):
        vi = velocity[i] * mu + g[i]
        velocity[i] = vi
        p[i] -= vi * lr


def sgd_nesterov(p, g, velocity, mu, lr):  # pragma: no cover - compiled
    for i in range(p.shape[0]):
        gi = g[i]
        vi = velocity[i] * mu + gi
        velocity[i] = vi
        p[i] -= (vi * mu + gi) * lr


def adam(p, g, m, v, b1, one_minus_b1, b2, one_minus_b2, eps, step):  # pragma: no cover
    for i in range(p.shape[0]):
        gi = g[i]
        mi = m[i] * b1 + gi * one_minus_b1
        vi = v[i] * b2 + (gi * gi) * one_minus_b2
        m[i] = mi
        v[i] = vi
        p[i] -= (mi / (np.sqrt(vi) + eps)) * step


def rmsprop(p, g, v, rho, one_minus_rho, eps, lr):  # pragma: no cover - compiled
    for i in range(p.shape[0]):
        gi = g[i]
        vi = v[i] * rho + (gi * gi) * one_minus_rho
        v[i] = vi
        p[i] -= (gi / (np.sqrt(vi) + eps)) * lr


# ---------------------------------------------------------------- ReLU epilogues
# A layer's element-wise work after its matrix product: the bias and the activation
# going forward, the activation's derivative and the bias gradient coming back.
def relu(z, out, zero):  # pragma: no cover - compiled
    # np.maximum(z, 0): NaN stays NaN, -0.0 becomes +0.0
    for i in range(z.shape[0]):
        zi = z[i]
        out[i] = zi if (zi > zero or zi != zi) else zero


def relu_backward(grad_a, z, out, zero, one):  # pragma: no cover - compiled
    # grad_a * (z > 0): the mask is 1 or 0 in grad_a's dtype, so 0 * inf is nan as in NumPy
    for i in range(z.shape[0]):
        out[i] = grad_a[i] * (one if z[i] > zero else zero)


def bias_relu(z, bias, out, zero):  # pragma: no cover - compiled
    # z += bias (row by row), then relu(z) into out; z (n, k), bias (k,)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            zi = z[i, j] + bias[j]
            z[i, j] = zi
            out[i, j] = zi if (zi > zero or zi != zi) else zero


def relu_backward_bias(grad_a, z, out, bias_gradient, zero, one):  # pragma: no cover
    # out = grad_a * (z > 0); bias_gradient = out summed over rows, in row order (as
    # NumPy's sum over axis 0 of a C-contiguous array: the first row, then each next one)
    for j in range(z.shape[1]):
        bias_gradient[j] = zero
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            d = grad_a[i, j] * (one if z[i, j] > zero else zero)
            out[i, j] = d
            bias_gradient[j] += d


#: The plain loops, by name; :func:`load` compiles them.
LOOPS: dict[str, Callable[..., None]] = {
    "sgd": sgd, "sgd_momentum": sgd_momentum, "sgd_nesterov": sgd_nesterov, "adam": adam,
    "rmsprop": rmsprop, "relu": relu, "relu_backward": relu_backward, "bias_relu": bias_relu,
    "relu_backward_bias": relu_backward_bias,
}


def compile_loops(loops: dict[str, Callable[..., Any]]) -> dict[str, Any] | None:
    """``loops`` compiled by numba (each lazily, at its first call per signature), or
    ``None`` when numba cannot be imported.

    The loops are cached on disk (``cache=True``) where numba finds a writable cache
    folder (beside their module, under ``NUMBA_CACHE_DIR``, or in the user's cache
    folder); where it finds none (a read-only install used with an unwritable ``HOME``),
    numba refuses ``cache=True`` at once, and the loops are compiled without a cache
    instead: the same loops, compiled again in each process."""
    try:
        import numba  # a dependency, imported at first use: its import takes half a second
    except ImportError:
        return None

    def compile_all(cached: bool) -> dict[str, Any]:
        jit = numba.njit(cache=cached, fastmath=False, error_model="numpy", nogil=True)
        return {name: jit(loop) for name, loop in loops.items()}

    try:
        return compile_all(cached=True)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return compile_all(cached=False)


@cache
def load() -> dict[str, Any] | None:
    """This module's compiled loops by name (:func:`compile_loops`), or ``None`` when
    numba cannot be imported. Made once per process."""
    return compile_loops(LOOPS)
