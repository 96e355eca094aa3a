r"""Sliding windows over images: the geometry shared by :class:`Conv2D` and the pooling
layers, and the two array tricks of their fast paths.

Images are ``(n, channels, height, width)`` (NCHW; see :mod:`neuroflow.layers.conv`
for why). A window of ``kernel`` rows by columns moves over the (padded) image by
``stride``; along one axis of ``size`` pixels:

* ``"valid"``: no padding, :math:`o = \lfloor (size - k) / s \rfloor + 1` windows;
* ``"same"``: :math:`o = \lceil size / s \rceil` windows; the image is padded with
  :math:`p = \max((o - 1) s + k - size, 0)` pixels, :math:`\lfloor p/2 \rfloor` before and
  the rest after (TensorFlow's and ONNX's ``SAME_UPPER``), so with stride 1 the output
  has the input's size.

:func:`windows` (*im2col*) gathers every window as one row of a matrix, so that a
convolution is one matrix product; :func:`scatter_windows` (*col2im*) adds such rows back
onto the image, the transpose of the gathering, which backpropagation needs. Both move
whole arrays: their only Python loop is over the ``kh * kw`` offsets inside a window
(9 for a 3x3 kernel), never over positions or samples.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from neuroflow._validation import positive_int

__all__ = ["PADDINGS", "pair", "padding_name", "output_size", "padding_amounts", "pad",
           "empty_images", "windows", "offsets", "scatter_windows"]

PADDINGS = ("valid", "same")


def pair(value: object, argument: str) -> tuple[int, int]:
    """``value`` (a positive int, or a pair of them) as ``(rows, columns)``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return (positive_int(value[0], f"{argument}[0]"), positive_int(value[1], f"{argument}[1]"))
    if isinstance(value, (tuple, list)):
        raise ValueError(f"{argument}: expected a positive integer or a pair of them, "
                         f"received: {value!r}")
    size = positive_int(value, argument)
    return (size, size)


def padding_name(value: object) -> str:
    """``value`` when it is ``"valid"`` or ``"same"``."""
    if value not in PADDINGS:
        raise ValueError(f"padding: expected one of {', '.join(PADDINGS)}, received: {value!r}")
    return str(value)


def output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Number of window positions along an axis of ``size`` pixels (module notes)."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1 if size >= kernel else 0


def padding_amounts(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """Pixels added ``(before, after)`` along an axis (zero for ``"valid"``)."""
    if padding == "valid":
        return (0, 0)
    total = max((output_size(size, kernel, stride, padding) - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2)


def pad(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]],
        value: float = 0.0) -> np.ndarray:
    """``x (n, c, h, w)`` with ``pads = ((top, bottom), (left, right))`` pixels of ``value``
    around each image (``x`` itself when there is nothing to add). The new array keeps
    the channels last in memory (see :func:`empty_images`)."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = empty_images((n, c, h + top + bottom, w + left + right), x.dtype)
    out.fill(value)
    out[:, :, top:top + h, left:left + w] = x
    return out


def empty_images(shape: tuple[int, ...], dtype: np.dtype, zero: bool = False) -> np.ndarray:
    """An array of images ``(n, c, h, w)`` whose memory holds the channels last
    (``(n, h, w, c)``, a transposed view): a window's pixels are then runs of ``c``
    neighbouring numbers, which is what the im2col copy reads and the GEMM writes."""
    n, c, h, w = shape
    make = np.zeros if zero else np.empty
    return make((n, h, w, c), dtype=dtype).transpose(0, 3, 1, 2)


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Every window of the (already padded) ``x (n, c, h, w)``, as a strided view (no copy)
    of shape ``(n, c, oh, ow, kh, kw)``: ``[s, c, i, j]`` is the window whose top-left
    pixel is ``(i * sh, j * sw)``."""
    view = sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def offsets(kernel: tuple[int, int], stride: tuple[int, int], output: tuple[int, ...]
            ) -> list[tuple[int, slice, slice]]:
    """For each offset ``(u, v)`` inside a window, numbered ``k = u * kw + v``: ``(k,
    rows, columns)``, the slices of the padded image holding pixel ``(u, v)`` of every
    window (shape ``output``). A pooling layer is a handful of whole-array operations
    on these slices."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, output
    return [(u * kw + v, slice(u, u + sh * (oh - 1) + 1, sh), slice(v, v + sw * (ow - 1) + 1, sw))
            for u in range(kh) for v in range(kw)]


def scatter_windows(patches: np.ndarray, shape: tuple[int, ...], stride: tuple[int, int],
                    work: np.ndarray | None = None) -> np.ndarray:
    """The transpose of :func:`windows`: add ``patches (n, c, oh, ow, kh, kw)`` back onto a
    zero image of ``shape (n, c, h, w)`` (the padded one), each at the place it was taken
    from; pixels shared by several windows receive the sum. ``work``, when given, is an
    array ``(n, h, w, c)`` to write into (zeroed first)."""
    if work is None:
        out = empty_images(shape, patches.dtype, zero=True)
    else:
        work.fill(0)
        out = work.transpose(0, 3, 1, 2)
    _, _, oh, ow, kh, kw = patches.shape
    for k, rows, columns in offsets((kh, kw), stride, (oh, ow)):
        out[:, :, rows, columns] += patches[:, :, :, :, k // kw, k % kw]
    return out
