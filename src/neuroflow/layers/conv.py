r"""The convolution: :class:`Conv2D`, the artificial neuron with its weights shared across
the positions of an image.

A filter is one neuron that looks at a ``kh x kw`` window of every input channel. It is
applied at every position of the image, with the same weights each time, and its outputs
form one *feature map*. For input images ``x (n, C, H, W)``, filter ``f`` at output
position ``(i, j)`` with stride ``s`` (and ``x`` padded first for ``"same"``):

.. math::
    z_{f i j} = b_f + \sum_{c} \sum_{u < k_h} \sum_{v < k_w}
        x_{c,\, i s + u,\, j s + v}\; K_{f c u v}, \qquad a = f(z)

(a *cross-correlation*, as every deep-learning library computes it). Backpropagation,
with :math:`\delta = \partial C / \partial z = f'(z) \odot g`:

.. math::
    \frac{\partial C}{\partial K_{fcuv}} = \sum_{i j} \delta_{f i j}\, x_{c,\, is+u,\, js+v},
    \qquad \frac{\partial C}{\partial b_f} = \sum_{i j} \delta_{f i j},

    \frac{\partial C}{\partial x_{c p q}} = \sum_{f u v} \delta_{f, (p-u)/s, (q-v)/s}\,
        K_{fcuv} \quad\text{(terms with whole, in-range indices)}

which for stride 1 is the *full* correlation of :math:`\delta` with the kernel flipped
in both axes. :mod:`neuroflow.layers.conv_reference` writes these sums as loops; the
layer computes them as matrix products (below), tested equal to the loops.

**Channel order: NCHW** (channels first), as PyTorch and ONNX. The kernel ``K (filters,
channels, kh, kw)`` and every image are then laid out exactly as ONNX's ``Conv``,
``MaxPool`` and ``Flatten`` expect, so the exporter writes them without a transpose and
a flattened feature map feeds a ``Dense`` layer in the same order in neuroflow, PyTorch
and ONNX; weights move between them unchanged. Channels-last inputs (Keras, image
files) are converted once, at the network's input (:func:`neuroflow.layers.reshape.
images_to_rows`), not inside the layers.

**Fast path (im2col).** Every window of the padded input is gathered as one row of a
matrix ``X (n * oh * ow, C * kh * kw)`` (a strided view of the input, copied once into
rows), so the whole layer is one product with the kernel as a matrix ``K (F, C kh kw)``:

.. math:: Z = X K^\top + b, \qquad \partial C/\partial K = \Delta^\top X, \qquad
          \partial C/\partial X = \Delta K

and the input gradient adds the rows of :math:`\partial C/\partial X` back onto the
image (:func:`~neuroflow.layers.windows.scatter_windows`, col2im). Three BLAS products
per layer and batch, no Python loop over positions.

The gathering and the adding back are one compiled loop each where the kernels are
numba's (:mod:`neuroflow.layers.window_loops`, writing straight into the work arrays,
the padding skipped instead of copied), and the strided NumPy copies above under
``NEUROFLOW_KERNELS=numpy``; both are tested equal to the loops of
:mod:`~neuroflow.layers.conv_reference`. On the benchmark's CNN (28x28 MNIST, batch 128,
2 cores) the compiled col2im of the second convolution took about 4-5 ms per batch
against 14 ms for the NumPy one; the first layer's im2col (one channel) gained little,
about 3 ms either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import initializers as _initializers
from neuroflow._validation import positive_int
from neuroflow.layers import window_loops
from neuroflow.layers.reshape import ImageLayer
from neuroflow.layers.windows import (
    output_size,
    pad,
    padding_amounts,
    padding_name,
    pair,
    scatter_windows,
    windows,
)

__all__ = ["Conv2D"]


class Conv2D(ImageLayer):
    r"""A 2-D convolution of ``filters`` filters, then an activation (module notes).

    ``params``: ``W (filters, channels, kh, kw)`` (ONNX's and PyTorch's layout) and
    ``b (filters,)``. Input ``(n, channels, height, width)`` or rows of it; output
    ``(n, filters, oh, ow)``.

    Parameters
    ----------
    filters : int
        Number of filters (output channels).
    kernel_size : int or (int, int)
        Window of each filter, ``kh x kw``.
    stride : int or (int, int)
        Step between windows.
    padding : {"valid", "same"}
        ``"valid"``: windows inside the image only; ``"same"``: zero padding so that the
        output has ``ceil(size / stride)`` positions per axis (the input's size for
        stride 1).
    activation : str or Activation
        Applied to every output.
    use_bias : bool
        Whether each filter has a bias.
    initializer : str, Initializer or None
        Of the kernel, with fan-in ``channels * kh * kw``; ``None``: He for ReLU-like
        activations, else Glorot.
    input_shape : (channels, height, width), optional
        Required for a first layer; otherwise taken from the previous layer.
    """

    type_name = "Conv2D"

    def __init__(self, filters: int, kernel_size: int | tuple[int, int] = 3,
                 stride: int | tuple[int, int] = 1, padding: str = "valid",
                 activation: str | _activations.Activation = "linear",
                 use_bias: bool = True,
                 initializer: str | _initializers.Initializer | None = None,
                 input_shape: Any = None) -> None:
        self.filters = positive_int(filters, "filters")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = padding_name(padding)
        self.activation = _activations.get(activation)
        self.initializer = (_initializers.default_for(self.activation.name)
                            if initializer is None else _initializers.get(initializer))
        self.use_bias = bool(use_bias)
        self._cache: dict[str, Any] = {}
        super().__init__(input_shape)

    def shape_after(self, image: tuple[int, int, int]) -> tuple[int, ...]:
        _, h, w = image
        return (self.filters,
                output_size(h, self.kernel_size[0], self.stride[0], self.padding),
                output_size(w, self.kernel_size[1], self.stride[1], self.padding))

    def _describe(self) -> str:
        return f"a {self.kernel_size[0]}x{self.kernel_size[1]} kernel with padding {self.padding!r}"

    @property
    def pads(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Zero pixels added ``((top, bottom), (left, right))``."""
        assert self.image is not None
        _, h, w = self.image
        return (padding_amounts(h, self.kernel_size[0], self.stride[0], self.padding),
                padding_amounts(w, self.kernel_size[1], self.stride[1], self.padding))

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        assert self.image is not None
        kh, kw = self.kernel_size
        fan_in = self.image[0] * kh * kw
        # drawn as the (fan_in, filters) matrix of a Dense layer, so the fans are right
        matrix = self.initializer((fan_in, self.filters), rng, dtype)
        self.params["W"] = np.ascontiguousarray(
            matrix.T.reshape(self.filters, self.image[0], kh, kw))
        if self.use_bias:
            self.params["b"] = np.zeros(self.filters, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.built = True

    def _kernel_matrix(self) -> np.ndarray:
        """The kernel as ``(filters, kh * kw * channels)``, matching the columns' order."""
        W = self.params["W"]
        return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)

    def _columns(self, images: np.ndarray, out: np.ndarray | None
                 ) -> tuple[np.ndarray, tuple[int, ...]]:
        """im2col: one row per (sample, position) holding the window's kh*kw*C pixels
        (channels last, so the copy reads runs of neighbouring numbers), written into
        ``out`` when given (the work array kept from the last batch of this size); and
        the shape of the padded images."""
        n, (_, oh, ow) = images.shape[0], self._output_shape
        dtype = self.params["W"].dtype
        (top, bottom), (left, right) = self.pads
        c, h, w = images.shape[1:]
        padded_shape = (n, c, h + top + bottom, w + left + right)
        compiled = window_loops.loops()
        if compiled is not None and images.dtype == dtype and window_loops.eligible(images):
            columns = np.empty((n * oh * ow, self.in_window), dtype) if out is None else out
            if window_loops.run(compiled, "gather_windows", images.transpose(0, 2, 3, 1),
                                *self.kernel_size, *self.stride, top, left, oh, ow, columns):
                return columns, padded_shape
        padded = pad(images, self.pads)
        view = windows(padded, self.kernel_size, self.stride).transpose(0, 2, 3, 4, 5, 1)
        if out is None:
            return view.reshape(n * oh * ow, -1), padded_shape
        np.copyto(out.reshape(view.shape), view)
        return out, padded_shape

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        images = self.as_images(x)
        n, (filters, oh, ow) = images.shape[0], self._output_shape
        dtype, rows = self.params["W"].dtype, n * oh * ow
        columns, padded_shape = self._columns(
            images, self.buffer("columns", (rows, self.in_window), dtype) if training else None)
        out = self.buffer("a", (rows, filters), dtype) if training else None
        z = np.matmul(columns, self._kernel_matrix().T,  # (n*oh*ow, filters): one GEMM
                      out=None if out is None else self.buffer("z", (rows, filters), dtype))
        if out is None:
            if self.use_bias:
                z += self.params["b"]
            a = self.activation.forward(z)
        else:  # z += b and a = f(z) in one epilogue
            a = (self.activation.forward_bias_into(z, self.params["b"], out) if self.use_bias
                 else self.activation.forward_into(z, out))
        self._cache = {"columns": columns, "z": z, "a": a, "padded_shape": padded_shape}
        # rows of (sample, position) are (n, oh, ow, filters) in memory: the output
        # (n, filters, oh, ow) is a transposed view, channels last in memory
        return a.reshape(n, oh, ow, filters).transpose(0, 3, 1, 2)

    def infer(self, x: np.ndarray) -> np.ndarray:
        # no cache, and f(z) overwrites z where the activation has a NumPy kernel (as
        # Dense.infer): predict's large batches hold the columns and one output array
        images = self.as_images(x)
        n, (filters, oh, ow) = images.shape[0], self._output_shape
        z = self._columns(images, None)[0] @ self._kernel_matrix().T
        a = (self.activation.forward_bias_into(z, self.params["b"], z) if self.use_bias
             else self.activation.forward_into(z, z))
        return a.reshape(n, oh, ow, filters).transpose(0, 3, 1, 2)

    @property
    def in_window(self) -> int:
        """Inputs of one filter at one position: ``channels * kh * kw``."""
        assert self.image is not None
        return self.image[0] * self.kernel_size[0] * self.kernel_size[1]

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        cache = self._cache
        if not cache:
            raise RuntimeError("Conv2D.backward() needs a forward() first")
        filters, (kh, kw) = self.filters, self.kernel_size
        g = self.as_outputs(grad_output).transpose(0, 2, 3, 1).reshape(-1, filters)
        out = self.buffer("delta", g.shape, g.dtype)
        z, a = cache["z"], cache["a"]
        if out is None:  # delta = dC/dz, (n*oh*ow, F); dC/db = its column sums
            delta = self.activation.backward(g, z, a)
            if self.use_bias:
                self.grads["b"][...] = delta.sum(axis=0)
        elif self.use_bias:  # both in one epilogue
            delta = self.activation.backward_bias_into(g, z, a, out, self.grads["b"])
        else:
            delta = self.activation.backward_into(g, z, a, out)
        W = self.params["W"]
        channels = W.shape[1]
        # dC/dK = delta^T X, computed as its transpose X^T delta (OpenBLAS is faster with
        # the long axis inner to both operands), back from the columns' (kh, kw, C) order
        self.grads["W"][...] = (cache["columns"].T @ delta).reshape(
            kh, kw, channels, filters).transpose(3, 2, 0, 1)
        if not need_input_grad:
            return None
        n, (_, oh, ow) = grad_output.shape[0], self._output_shape
        # dC/dX = delta K, each row a window's gradient, added back onto the image
        patches = np.matmul(delta, self._kernel_matrix(),
                            out=self.buffer("patches", cache["columns"].shape, delta.dtype))
        (top, _), (left, _) = self.pads
        assert self.image is not None
        _, h, w = self.image
        compiled = window_loops.loops()
        if compiled is not None and window_loops.eligible(patches):
            # col2im straight into the (unpadded) image, channels last
            grad = self.buffer("grad_input", (n, h, w, channels), delta.dtype)
            grad = np.empty((n, h, w, channels), delta.dtype) if grad is None else grad
            if window_loops.run(compiled, "scatter_windows", patches, kh, kw, *self.stride,
                                top, left, oh, ow, grad):
                return self.as_given(grad.transpose(0, 3, 1, 2))
        patches = patches.reshape(n, oh, ow, kh, kw, channels).transpose(0, 5, 1, 2, 3, 4)
        n, c, hp, wp = cache["padded_shape"]
        padded = scatter_windows(patches, cache["padded_shape"], self.stride,
                                 self.buffer("grad_padded", (n, hp, wp, c), delta.dtype))
        return self.as_given(padded[:, :, top:top + h, left:left + w])

    @property
    def cache(self) -> dict[str, Any]:
        """The last forward pass: ``z`` and ``a`` as rows ``(n * oh * ow, filters)`` (one
        row per sample and position) and the im2col matrix ``columns``."""
        return dict(self._cache)

    def get_config(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding,
            "activation": self.activation.get_config(),
            "use_bias": self.use_bias,
            "initializer": self.initializer.get_config(),
            "input_shape": None if self.image is None else list(self.image),
        }
