r"""Pooling: :class:`MaxPool2D`, :class:`AvgPool2D` and :class:`GlobalAveragePooling2D`.

A pooling layer summarises each ``ph x pw`` window of every channel by one number and has
no parameters. For window :math:`R_{ij}` (the pixels of output position ``(i, j)``):

.. math::
    \text{max:}\ y_{cij} = \max_{(p,q) \in R_{ij}} x_{cpq}, \qquad
    \text{average:}\ y_{cij} = \frac{1}{|R_{ij}|} \sum_{(p,q) \in R_{ij}} x_{cpq}

Both are a few whole-array operations on the ``ph * pw`` strided slices that hold pixel
``(u, v)`` of every window (:func:`~neuroflow.layers.windows.offsets`), never a loop over
positions. Backpropagation: max-pooling routes each :math:`\partial C/\partial y_{cij}` to the
arg-max of its window (the first one on a tie) and gives the other pixels nothing;
average pooling shares it equally, :math:`1/|R_{ij}|` to each pixel of the window. Where
windows overlap (stride < window) a pixel receives the sum over its windows.

``"same"`` padding pads with :math:`-\infty` for max and leaves the padding out of
:math:`|R_{ij}|` for the average (ONNX's ``count_include_pad=0``, Keras, TensorFlow), so
a padded border is never pulled towards 0. :mod:`neuroflow.layers.conv_reference` writes
both as loops over positions, and the tests hold the layers to it.

Where the kernels are numba's, max-pooling is one compiled loop each way
(:mod:`neuroflow.layers.window_loops`): the forward pass keeps, with each maximum, the
place of its pixel, and the backward pass adds each gradient onto that pixel; the
whole-array code below runs under ``NEUROFLOW_KERNELS=numpy`` (a NaN in a window is its
maximum either way; the compiled backward routes the window's gradient to it, as the
reference loops do, where the NumPy code routes it nowhere).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow.layers import window_loops
from neuroflow.layers.reshape import ImageLayer
from neuroflow.layers.windows import (
    empty_images,
    offsets,
    output_size,
    pad,
    padding_amounts,
    padding_name,
    pair,
    windows,
)

__all__ = ["MaxPool2D", "AvgPool2D", "GlobalAveragePooling2D"]


class _Pool2D(ImageLayer):
    """Shared geometry of the windowed pooling layers."""

    def __init__(self, pool_size: int | tuple[int, int] = 2,
                 stride: int | tuple[int, int] | None = None, padding: str = "valid",
                 input_shape: Any = None) -> None:
        self.pool_size = pair(pool_size, "pool_size")
        self.stride = self.pool_size if stride is None else pair(stride, "stride")
        self.padding = padding_name(padding)
        self._cache: dict[str, Any] = {}
        super().__init__(input_shape)

    def shape_after(self, image: tuple[int, int, int]) -> tuple[int, ...]:
        channels, h, w = image
        return (channels,
                output_size(h, self.pool_size[0], self.stride[0], self.padding),
                output_size(w, self.pool_size[1], self.stride[1], self.padding))

    def _describe(self) -> str:
        return f"a {self.pool_size[0]}x{self.pool_size[1]} window with padding {self.padding!r}"

    @property
    def pads(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Pixels added ``((top, bottom), (left, right))``."""
        assert self.image is not None
        _, h, w = self.image
        return (padding_amounts(h, self.pool_size[0], self.stride[0], self.padding),
                padding_amounts(w, self.pool_size[1], self.stride[1], self.padding))

    def _work(self, name: str, shape: tuple[int, ...], dtype: np.dtype,
              training: bool) -> np.ndarray:
        """Images ``shape (n, c, h, w)``, channels last in memory: during fit the work
        array kept from the last batch of this size, else a new one."""
        n, c, h, w = shape
        kept = self.buffer(name, (n, h, w, c), dtype) if training else None
        return (empty_images(shape, dtype) if kept is None else kept.transpose(0, 3, 1, 2))

    def _crop(self, padded: np.ndarray) -> np.ndarray:
        """The input gradient: the padded image's gradient without its border."""
        (top, _), (left, _) = self.pads
        assert self.image is not None
        _, h, w = self.image
        return self.as_given(padded[:, :, top:top + h, left:left + w])

    def get_config(self) -> dict[str, Any]:
        return {"type": self.type_name, "pool_size": list(self.pool_size),
                "stride": list(self.stride), "padding": self.padding,
                "input_shape": None if self.image is None else list(self.image)}


class MaxPool2D(_Pool2D):
    """The largest value of each window (module notes).

    The compiled path (numba kernels) is one loop each way, the forward one keeping the
    place of each maximum (the first one on a tie). The NumPy path visits the ``ph * pw``
    offsets inside a window, each a strided slice of the whole batch, keeping the running
    maximum of every window; backpropagation finds the offset equal to it (the first one
    on a tie) the same way.

    Parameters
    ----------
    pool_size : int or (int, int)
        Window ``ph x pw``.
    stride : int, (int, int) or None
        Step between windows; ``None``: the window size (windows side by side).
    padding : {"valid", "same"}
        ``"same"`` pads with -inf, so the output has ``ceil(size / stride)`` positions.
    input_shape : (channels, height, width), optional
        Required for a first layer; otherwise taken from the previous layer.
    """

    type_name = "MaxPool2D"

    def _maxima(self, images: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray]:
        """The padded images and the maximum of each of their windows."""
        padded = pad(images, self.pads, -np.inf)
        best = self._work("best", (images.shape[0], *self._output_shape), padded.dtype,
                          training)
        for k, rows, columns in offsets(self.pool_size, self.stride, self._output_shape[1:]):
            if k == 0:
                np.copyto(best, padded[:, :, rows, columns])
            else:
                np.maximum(best, padded[:, :, rows, columns], out=best)
        return padded, best

    def _compiled(self, images: np.ndarray, training: bool
                  ) -> tuple[np.ndarray, np.ndarray] | None:
        """The maximum of each window and its pixel's place (``p * w + q`` in its image),
        channels last, by the compiled loop; ``None`` where it does not run."""
        compiled = window_loops.loops()
        if compiled is None or not window_loops.eligible(images):
            return None
        n, (c, oh, ow) = images.shape[0], self._output_shape
        best = self._work("best", (n, c, oh, ow), images.dtype, training)
        index = self.buffer("index", (n, oh, ow, c), np.dtype(np.int32)) if training else None
        index = np.empty((n, oh, ow, c), np.int32) if index is None else index
        (top, _), (left, _) = self.pads
        if not window_loops.run(compiled, "max_pool", images.transpose(0, 2, 3, 1),
                                *self.pool_size, *self.stride, top, left,
                                best.transpose(0, 2, 3, 1), index):
            return None
        return best, index

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        images = self.as_images(x)
        found = self._compiled(images, training)
        if found is not None:
            self._cache = {"best": found[0], "index": found[1]}
            return found[0]
        padded, best = self._maxima(images, training)
        self._cache = {"padded": padded, "best": best}
        return best

    def infer(self, x: np.ndarray) -> np.ndarray:
        # no cache: predict's batches are large
        images = self.as_images(x)
        found = self._compiled(images, training=False)
        return self._maxima(images, training=False)[1] if found is None else found[0]

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        if not self._cache:
            raise RuntimeError("MaxPool2D.backward() needs a forward() first")
        g = self.as_outputs(grad_output)
        if "index" in self._cache:  # the compiled forward: the gradient goes by index
            compiled = window_loops.loops()
            assert self.image is not None
            grad = self._work("grad_input", (g.shape[0], *self.image), g.dtype, True)
            if compiled is not None and window_loops.run(
                    compiled, "max_pool_backward", g.transpose(0, 2, 3, 1),
                    self._cache["index"], grad.transpose(0, 2, 3, 1)):
                return self.as_given(grad)
            return self.as_given(self._scatter_by_index(g, self._cache["index"]))
        source, best = self._cache["padded"], self._cache["best"]
        padded = self._work("grad_padded", source.shape, g.dtype, True)
        padded.fill(0)
        claimed = np.zeros_like(best, dtype=bool)  # windows whose maximum got the gradient
        apart = all(s >= p for s, p in zip(self.stride, self.pool_size))  # no pixel shared
        for _, rows, columns in offsets(self.pool_size, self.stride, self._output_shape[1:]):
            first = source[:, :, rows, columns] == best  # this offset holds the maximum...
            first &= ~claimed  # ...and no earlier offset did (ties: the first one wins)
            claimed |= first
            target = padded[:, :, rows, columns]  # a view: writes land in ``padded``
            if apart:
                np.multiply(g, first, out=target)
            else:
                target += g * first
        return self._crop(padded)

    def _scatter_by_index(self, g: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The compiled backward's NumPy twin, for a forward made by the compiled loop
        whose backward cannot run: ``g`` added onto the pixels ``index`` names."""
        assert self.image is not None
        n, (c, h, w) = g.shape[0], self.image
        grad = np.zeros((n, h * w, c), g.dtype)
        samples = np.arange(n)[:, None, None, None]
        channels = np.arange(c)
        np.add.at(grad, (samples, index, channels), g.transpose(0, 2, 3, 1))
        return grad.reshape(n, h, w, c).transpose(0, 3, 1, 2)


class AvgPool2D(_Pool2D):
    """The mean of each window (module notes); padding is not counted in the mean.

    Parameters are those of :class:`MaxPool2D`.
    """

    type_name = "AvgPool2D"

    def _counts(self, dtype: np.dtype) -> np.ndarray:
        """Pixels of the image inside each window ``(oh, ow)``."""
        assert self.image is not None
        ones = pad(np.ones((1, 1, *self.image[1:]), dtype=dtype), self.pads)
        return windows(ones, self.pool_size, self.stride).sum(axis=(4, 5))[0, 0]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        padded = pad(self.as_images(x), self.pads)
        counts = self._counts(padded.dtype)
        self._cache = {"counts": counts, "padded_shape": padded.shape}
        total: np.ndarray | None = None
        for _, rows, columns in offsets(self.pool_size, self.stride, self._output_shape[1:]):
            if total is None:
                total = padded[:, :, rows, columns].copy(order="K")
            else:
                total += padded[:, :, rows, columns]
        assert total is not None
        total /= counts
        return total

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        if not self._cache:
            raise RuntimeError("AvgPool2D.backward() needs a forward() first")
        share = self.as_outputs(grad_output) / self._cache["counts"]
        padded = empty_images(self._cache["padded_shape"], share.dtype, zero=True)
        for _, rows, columns in offsets(self.pool_size, self.stride, self._output_shape[1:]):
            padded[:, :, rows, columns] += share
        return self._crop(padded)


class GlobalAveragePooling2D(ImageLayer):
    r"""The mean of each whole channel: ``(n, c, h, w)`` to ``(n, c)``,
    :math:`y_c = \frac{1}{hw} \sum_{pq} x_{cpq}`; backpropagation gives every pixel
    :math:`\frac{1}{hw} \partial C/\partial y_c`.

    Parameters
    ----------
    input_shape : (channels, height, width), optional
        Required for a first layer; otherwise taken from the previous layer.
    """

    type_name = "GlobalAveragePooling2D"

    def shape_after(self, image: tuple[int, int, int]) -> tuple[int, ...]:
        return (image[0],)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.as_images(x).mean(axis=(2, 3))

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        assert self.image is not None
        channels, h, w = self.image
        share = grad_output / grad_output.dtype.type(h * w)
        return self.as_given(np.broadcast_to(share[:, :, None, None],
                                             (grad_output.shape[0], channels, h, w)).copy())
