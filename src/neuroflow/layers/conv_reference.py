r"""The reference convolution and pooling, written from their equations with loops over
positions: what the fast layers (:mod:`neuroflow.layers.conv`,
:mod:`neuroflow.layers.pooling`) are tested against, as :mod:`neuroflow.backprop` is for
the dense network.

Nothing here shares code with the fast path beyond the padding geometry: no im2col, no
strided views, no scatter. Images are ``(n, c, h, w)``; ``pads = ((top, bottom), (left,
right))``. Slow by design (one Python step per output position); meant for small
images.

Convolution (cross-correlation) with stride ``s``, for the padded input :math:`x`:

.. math::
    z_{n f i j} = b_f + \sum_{c,u,v} x_{n, c, is+u, js+v} K_{f c u v}

    \partial C/\partial K_{fcuv} = \sum_{n,i,j} \delta_{nfij}\, x_{n, c, is+u, js+v},
    \qquad \partial C/\partial b_f = \sum_{n,i,j} \delta_{nfij}

and :math:`\partial C/\partial x` is the **full correlation of** :math:`\delta` **with
the flipped kernel**: spread :math:`\delta` out by the stride (``s - 1`` zeros between
neighbours), pad it with ``k - 1`` zeros on every side, and correlate it with
:math:`K` rotated by 180 degrees, channels and filters swapped:

.. math::
    \partial C/\partial x_{n c p q} = \sum_{f,u,v} \delta^{\text{full}}_{n, f, p+u, q+v}\,
        K_{f, c, k_h-1-u, k_w-1-v}

Max-pooling routes :math:`\delta` to the arg-max of each window (the first on a tie);
average pooling shares it equally among the window's pixels of the image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pad_images", "conv2d_forward", "conv2d_backward", "pool2d_forward",
           "pool2d_backward"]

Pads = tuple[tuple[int, int], tuple[int, int]]


def pad_images(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """``x (n, c, h, w)`` surrounded by ``pads`` pixels of ``value``."""
    return np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=value)


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None,
                   stride: tuple[int, int], pads: Pads) -> np.ndarray:
    """``z (n, filters, oh, ow)`` for ``x (n, c, h, w)``, ``kernel (filters, c, kh, kw)``."""
    xp = pad_images(x, pads)
    n = x.shape[0]
    filters, _, kh, kw = kernel.shape
    sh, sw = stride
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    z = np.zeros((n, filters, oh, ow), dtype=x.dtype)
    for s in range(n):
        for f in range(filters):
            for i in range(oh):
                for j in range(ow):
                    window = xp[s, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    z[s, f, i, j] = np.sum(window * kernel[f]) + (0 if bias is None else bias[f])
    return z


def conv2d_backward(x: np.ndarray, kernel: np.ndarray, delta: np.ndarray,
                    stride: tuple[int, int], pads: Pads
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dC/dkernel, dC/dbias, dC/dx)`` from ``delta = dC/dz (n, filters, oh, ow)``."""
    xp = pad_images(x, pads)
    n, filters, oh, ow = delta.shape
    _, channels, kh, kw = kernel.shape
    sh, sw = stride
    grad_kernel = np.zeros_like(kernel)
    for s in range(n):
        for i in range(oh):
            for j in range(ow):
                window = xp[s, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                for f in range(filters):
                    grad_kernel[f] += delta[s, f, i, j] * window
    grad_bias = delta.sum(axis=(0, 2, 3))

    # full correlation of the spread-out delta with the flipped kernel
    spread = np.zeros((n, filters, (oh - 1) * sh + 1, (ow - 1) * sw + 1), dtype=delta.dtype)
    spread[:, :, ::sh, ::sw] = delta
    full = pad_images(spread, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = kernel[:, :, ::-1, ::-1]
    grad_padded = np.zeros(xp.shape, dtype=delta.dtype)  # pixels no window reached stay 0
    for s in range(n):
        for c in range(channels):
            for p in range(full.shape[2] - kh + 1):
                for q in range(full.shape[3] - kw + 1):
                    grad_padded[s, c, p, q] = np.sum(full[s, :, p:p + kh, q:q + kw]
                                                     * flipped[:, c])
    (top, _), (left, _) = pads
    grad_x = grad_padded[:, :, top:top + x.shape[2], left:left + x.shape[3]]
    return grad_kernel, grad_bias, grad_x


def pool2d_forward(x: np.ndarray, kind: str, size: tuple[int, int], stride: tuple[int, int],
                   pads: Pads) -> np.ndarray:
    """Max (``kind="max"``) or average (``"avg"``, padding not counted) of each window."""
    inside = pad_images(np.ones(x.shape, dtype=bool), pads, False)
    xp = pad_images(x, pads)
    n, c = x.shape[:2]
    (ph, pw), (sh, sw) = size, stride
    oh, ow = (xp.shape[2] - ph) // sh + 1, (xp.shape[3] - pw) // sw + 1
    y = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for s in range(n):
        for k in range(c):
            for i in range(oh):
                for j in range(ow):
                    rows, cols = slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw)
                    values = xp[s, k, rows, cols][inside[s, k, rows, cols]]
                    y[s, k, i, j] = values.max() if kind == "max" else values.mean()
    return y


def pool2d_backward(x: np.ndarray, kind: str, size: tuple[int, int], stride: tuple[int, int],
                    pads: Pads, grad_output: np.ndarray) -> np.ndarray:
    """``dC/dx`` from ``grad_output = dC/dy (n, c, oh, ow)``."""
    inside = pad_images(np.ones(x.shape, dtype=bool), pads, False)
    xp = pad_images(x, pads, -np.inf if kind == "max" else 0.0)
    grad_padded = np.zeros(xp.shape, dtype=grad_output.dtype)
    n, c, oh, ow = grad_output.shape
    (ph, pw), (sh, sw) = size, stride
    for s in range(n):
        for k in range(c):
            for i in range(oh):
                for j in range(ow):
                    g = grad_output[s, k, i, j]
                    if kind == "max":  # all of it to the (first) largest pixel
                        window = xp[s, k, i * sh:i * sh + ph, j * sw:j * sw + pw]
                        row, col = np.unravel_index(np.argmax(window), window.shape)
                        grad_padded[s, k, i * sh + row, j * sw + col] += g
                    else:  # an equal share to every pixel of the image in the window
                        for u in range(ph):
                            for v in range(pw):
                                if inside[s, k, i * sh + u, j * sw + v]:
                                    count = inside[s, k, i * sh:i * sh + ph,
                                                   j * sw:j * sw + pw].sum()
                                    grad_padded[s, k, i * sh + u, j * sw + v] += g / count
    (top, _), (left, _) = pads
    return grad_padded[:, :, top:top + x.shape[2], left:left + x.shape[3]]
