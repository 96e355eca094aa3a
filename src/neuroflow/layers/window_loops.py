r"""Compiled loops of the image layers (numba): the window gathering of :class:`~neuroflow.
layers.Conv2D` (im2col) and its transpose (col2im), and max-pooling with its arg-max.

The NumPy fast paths of :mod:`neuroflow.layers.conv` and :mod:`neuroflow.layers.pooling`
move whole strided arrays, a handful of passes over memory per layer; each loop here
makes one pass, writing straight into the array it is given, with the zero padding
handled by skipping the pixels outside the image (no padded copy). They compute the
same sums (col2im may add a pixel's window contributions in another order), and the
tests hold both paths to the loops of :mod:`neuroflow.layers.conv_reference`.

Images are passed channels last, ``(n, h, w, c)`` (the memory order of the layers' work
arrays, see :func:`~neuroflow.layers.windows.empty_images`), of any strides; windows
``kh x kw`` move by ``(sh, sw)`` over the image padded with ``top`` rows and ``left``
columns before it.

Which implementation runs is :mod:`neuroflow.kernels`' choice (``NEUROFLOW_KERNELS``,
:func:`neuroflow.kernels.use`): the loops when it is ``"numba"`` (:func:`loops` returns
them), the NumPy code otherwise. As there, numba is imported at the first call that could
use it, the loops are compiled at their first call per dtype and array layout and cached
on disk where numba finds a writable cache folder, and should a loop fail to compile the
layers run their NumPy code for the rest of the process after one note on the
``neuroflow.kernels`` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from neuroflow import kernels, kernels_fast

__all__ = ["LOOPS", "load", "loops", "run", "eligible"]

_log = logging.getLogger("neuroflow.kernels")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
#: Set once a loop failed to compile: the NumPy code runs from then on.
_broken = False


# ---------------------------------------------------------------- convolution
def gather_windows(x, kh, kw, sh, sw, top, left, oh, ow, out):  # pragma: no cover
    # im2col: out[(s, i, j), (u, v, ch)] = x[s, i*sh + u - top, j*sw + v - left, ch], zero
    # outside the image; out (n * oh * ow, kh * kw * c), rows in (s, i, j) order
    n, h, w, c = x.shape
    for s in range(n):
        for i in range(oh):
            for j in range(ow):
                r = (s * oh + i) * ow + j
                for u in range(kh):
                    p = i * sh + u - top
                    for v in range(kw):
                        q = j * sw + v - left
                        base = (u * kw + v) * c
                        if 0 <= p < h and 0 <= q < w:
                            for ch in range(c):
                                out[r, base + ch] = x[s, p, q, ch]
                        else:
                            for ch in range(c):
                                out[r, base + ch] = 0


def scatter_windows(patches, kh, kw, sh, sw, top, left, oh, ow, out):  # pragma: no cover
    # col2im, the transpose of gather_windows: out (n, h, w, c) = 0, then each row of
    # patches (n * oh * ow, kh * kw * c) added onto the pixels its window covers (those
    # inside the image: the padding's share is dropped); one sample at a time, so its
    # image stays in cache while its rows are added
    n, h, w, c = out.shape
    for s in range(n):
        for p in range(h):
            for q in range(w):
                for ch in range(c):
                    out[s, p, q, ch] = 0
        for i in range(oh):
            for u in range(kh):
                p = i * sh + u - top
                if p < 0 or p >= h:
                    continue
                for j in range(ow):
                    r = (s * oh + i) * ow + j
                    for v in range(kw):
                        q = j * sw + v - left
                        if q < 0 or q >= w:
                            continue
                        base = (u * kw + v) * c
                        for ch in range(c):
                            out[s, p, q, ch] += patches[r, base + ch]


# ---------------------------------------------------------------- max-pooling
def max_pool(x, ph, pw, sh, sw, top, left, out, index):  # pragma: no cover - compiled
    # out (n, oh, ow, c): the largest pixel of each window inside the image (the padding
    # is -inf, never chosen; a NaN wins, as in np.maximum); index: that pixel's p * w + q
    # in its image, the first one on a tie (offsets visited row by row). The channel
    # loop is branch-free (selects), so that it vectorises.
    n, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    for s in range(n):
        for i in range(oh):
            p0 = max(i * sh - top, 0)
            p1 = min(i * sh - top + ph, h)
            for j in range(ow):
                q0 = max(j * sw - left, 0)
                q1 = min(j * sw - left + pw, w)
                largest = out[s, i, j]
                where = index[s, i, j]
                first = x[s, p0, q0]
                for ch in range(c):
                    largest[ch] = first[ch]
                    where[ch] = p0 * w + q0
                for p in range(p0, p1):
                    for q in range(q0, q1):
                        pixels = x[s, p, q]
                        pixel = p * w + q
                        for ch in range(c):
                            value = pixels[ch]
                            kept = largest[ch]
                            wins = (value > kept) | ((value != value) & (kept == kept))
                            largest[ch] = value if wins else kept
                            where[ch] = pixel if wins else where[ch]


def max_pool_backward(grad, index, out):  # pragma: no cover - compiled
    # out (n, h, w, c), C-contiguous, = 0, then each grad (n, oh, ow, c) added onto the
    # pixel its index names (pixels of overlapping windows receive the sum)
    n, h, w, c = out.shape
    _, oh, ow, _ = grad.shape
    for s in range(n):
        image = out[s].reshape(h * w * c)
        image[:] = 0
        for i in range(oh):
            for j in range(ow):
                g = grad[s, i, j]
                where = index[s, i, j]
                for ch in range(c):
                    image[where[ch] * c + ch] += g[ch]


#: The plain loops, by name; :func:`load` compiles them.
LOOPS: dict[str, Callable[..., None]] = {
    "gather_windows": gather_windows, "scatter_windows": scatter_windows,
    "max_pool": max_pool, "max_pool_backward": max_pool_backward,
}


@cache
def load() -> dict[str, Any] | None:
    """The compiled loops by name (each compiled at its first call per signature), or
    ``None`` when numba cannot be imported; made once per process, with numba's on-disk
    cache where it finds a writable folder and without one elsewhere
    (:func:`neuroflow.kernels_fast.compile_loops`)."""
    return kernels_fast.compile_loops(LOOPS)


def loops() -> dict[str, Any] | None:
    """The compiled loops when :mod:`neuroflow.kernels` runs its compiled kernels (and no
    loop here failed to compile), else ``None``: the layers run their NumPy code."""
    if _broken or kernels.active() != "numba":
        return None
    return load()


def eligible(*arrays: Any) -> bool:
    """Whether ``arrays`` are NumPy arrays of one float dtype (float32 or float64), which
    the loops take; any strides."""
    first = arrays[0]
    return all(type(a) is np.ndarray and a.dtype == first.dtype for a in arrays) and \
        first.dtype in _FLOATS


def run(compiled: dict[str, Any], name: str, *args: Any) -> bool:
    """Run the compiled loop ``name``; ``False`` (the caller runs its NumPy code) when it
    cannot be compiled, after which :func:`loops` returns ``None`` for good."""
    global _broken
    try:
        compiled[name](*args)
    except Exception as error:  # noqa: BLE001 - numba's errors have no common base
        # compiling happens before the loop touches an array: nothing was changed
        if _broken:
            return False
        _broken = True
        reason = " ".join(str(error).split()) or type(error).__name__
        _log.warning("neuroflow: note: the compiled image-layer loops cannot be used "
                     "(%s: %.200s); running the NumPy code instead (the same numbers, slower)",
                     type(error).__name__, reason)
        return False
    return True
