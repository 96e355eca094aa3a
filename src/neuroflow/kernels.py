"""In-place kernels: the few computations that write into arrays they are given.

Everything else in the math (activations, losses, layers, optimiser rules) is written
once, against the array API (``xp = namespace(...)``), and runs on NumPy as it does on
any other back-end. What the array API cannot express is writing a result into an
existing array (NumPy's ``out=``), and the training hot path needs exactly that to
allocate nothing per batch: the network's parameters and gradients are views of one
flat buffer (:class:`neuroflow.optimizers.ParameterBuffer`), and the layers reuse their
work arrays from batch to batch. Those kernels are here, each computing the very same
numbers, bit for bit, as the array-API expression named in its docstring.

Two kinds:

* ``matmul`` and ``sum_rows`` take any back-end's arrays and an optional ``out``: NumPy
  arrays are written through ``out=``; another library's ``out`` gets the expression
  assigned (``out[...] = a @ b``), so references to it stay valid; ``out=None``
  allocates. ``squared_norm`` (for gradient clipping) also takes any back-end's array.
* Every other function takes NumPy arrays only, and a ``work`` (or ``out``) array of
  the right shape and dtype: fused activations for the reused batch arrays, and the
  optimiser rules over a whole parameter buffer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow.backend import namespace

__all__ = ["matmul", "sum_rows", "squared_norm", "relu", "relu_backward", "copy", "softmax",
           "dropout_mask", "sgd", "sgd_momentum", "adam", "rmsprop"]


# ---------------------------------------------------------------- any back-end
def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b``, written into ``out`` when given."""
    if out is None:
        return a @ b
    if isinstance(out, np.ndarray):
        return np.matmul(a, b, out=out)
    out[...] = a @ b  # the array API has no out=
    return out


def sum_rows(a: Any, out: Any = None) -> Any:
    """``xp.sum(a, axis=0)``, written into ``out`` when given."""
    if isinstance(a, np.ndarray):
        return np.sum(a, axis=0, out=out)
    total = namespace(a).sum(a, axis=0)
    if out is None:
        return total
    out[...] = total
    return out


def squared_norm(a: Any) -> float:
    r""":math:`\lVert a \rVert^2` as a Python float: one BLAS dot product on NumPy,
    ``xp.sum(a * a)`` elsewhere."""
    if isinstance(a, np.ndarray):
        return float(np.vdot(a, a))
    return float(namespace(a).sum(a * a))


# ---------------------------------------------------------------- activations (NumPy)
def relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``ReLU.forward``: ``xp.maximum(z, 0)``."""
    return np.maximum(z, 0, out=out)


def relu_backward(grad_a: np.ndarray, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``ReLU.backward``: ``grad_a * xp.astype(z > 0, grad_a.dtype)``, with the boolean
    mask multiplied in directly (several times faster than ``np.where``)."""
    return np.multiply(grad_a, z > 0, out=out)


def copy(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``Linear.forward``: a copy of ``z``."""
    np.copyto(out, z)
    return out


def softmax(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``Softmax.forward``: ``e / sum(e)`` row by row, ``e = exp(z - max(z))``."""
    np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def dropout_mask(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype,
                 rate: float) -> np.ndarray:
    """A dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``. The uniform
    draws are overwritten in place by the 0/1 comparison (no temporaries)."""
    mask = rng.random(shape, dtype=dtype)
    np.greater_equal(mask, mask.dtype.type(rate), out=mask, casting="unsafe")
    mask *= mask.dtype.type(1 / (1 - rate))
    return mask


# ---------------------------------------------------------------- optimiser rules (NumPy)
# Each is the update of the optimiser class named, written with one work array so that
# a step over the whole flat parameter buffer allocates nothing.
def sgd(param: np.ndarray, grad: np.ndarray, learning_rate: float, work: np.ndarray) -> None:
    """``SGD.update`` without momentum: ``param -= grad * learning_rate``."""
    np.multiply(grad, learning_rate, out=work)
    param -= work


def sgd_momentum(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, momentum: float,
                 nesterov: bool, learning_rate: float, work: np.ndarray) -> None:
    """``SGD.update`` with (Nesterov) momentum."""
    velocity *= momentum
    velocity += grad
    if nesterov:
        np.multiply(velocity, momentum, out=work)
        work += grad
        work *= learning_rate
    else:
        np.multiply(velocity, learning_rate, out=work)
    param -= work


def adam(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, beta_1: float,
         beta_2: float, epsilon: float, learning_rate: float, t: int,
         work: np.ndarray) -> None:
    """``Adam.update`` at step ``t`` (bias corrections folded into two scalars)."""
    m *= beta_1
    np.multiply(grad, 1 - beta_1, out=work)
    m += work
    v *= beta_2
    np.multiply(grad, grad, out=work)
    work *= 1 - beta_2
    v += work
    c2 = math.sqrt(1 - beta_2**t)
    np.sqrt(v, out=work)
    work += epsilon * c2
    np.divide(m, work, out=work)
    work *= learning_rate * c2 / (1 - beta_1**t)
    param -= work


def rmsprop(param: np.ndarray, grad: np.ndarray, v: np.ndarray, rho: float, epsilon: float,
            learning_rate: float, work: np.ndarray) -> None:
    """``RMSProp.update``."""
    v *= rho
    np.multiply(grad, grad, out=work)
    work *= 1 - rho
    v += work
    np.sqrt(v, out=work)
    work += epsilon
    np.divide(grad, work, out=work)
    work *= learning_rate
    param -= work
