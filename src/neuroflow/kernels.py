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

The functions below are the reference, written with NumPy. The optimiser rules and the
ReLU kernels (with the layer's bias folded in) also have a fast path, one compiled loop
each in :mod:`neuroflow.kernels_fast` (numba, a dependency), computing the same numbers
in one pass instead of one pass per operation. It is taken when numba can be imported
and every array is a C-contiguous NumPy float32/float64 array of the same shape and
dtype (a bias: of the same dtype and the row length); anything else runs the NumPy
code. The environment variable ``NEUROFLOW_KERNELS`` (read once, at import) or
:func:`use` chooses: ``"numpy"`` (the reference only), ``"numba"`` (an error at first
use if numba cannot be imported) or ``"auto"`` (the default: numba when it imports).
Any other value, or ``"numba"`` without numba, raises :class:`KernelsError` (a
``ValueError``, and an ``ImportError`` for the latter) naming the accepted values.
numba is imported at the first kernel call that could use it, never by
``import neuroflow`` (its import takes half a second).

Installed anywhere: where numba finds no writable cache folder the loops are compiled
without one (:func:`neuroflow.kernels_fast.load`). Should a compiled loop still fail to
compile or to be cached at its first call (the cache's disk full, no executable memory),
the kernels fall back to the NumPy reference for the rest of the process, before any
array was changed, and say so once: one ``neuroflow: note: ...`` line, logged as a
warning on the ``neuroflow.kernels`` logger (on standard error where logging is not
configured).
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np

from neuroflow import kernels_fast
from neuroflow.backend import namespace

__all__ = ["matmul", "sum_rows", "squared_norm", "relu", "relu_backward", "bias_relu",
           "relu_backward_bias", "copy", "softmax", "dropout_mask", "sgd", "sgd_momentum",
           "adam", "rmsprop", "use", "active", "KernelsError", "CHOICES"]

_log = logging.getLogger(__name__)

# ---------------------------------------------------------------- choice of implementation
CHOICES = ("auto", "numba", "numpy")
_choice = os.environ.get("NEUROFLOW_KERNELS", "auto").strip().lower() or "auto"
_source = "NEUROFLOW_KERNELS"  # what set _choice, for messages
#: The compiled loops once resolved (None: the NumPy reference); unset until first use.
_loops: dict[str, Any] | None = None
_resolved = False
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class KernelsError(ImportError, ValueError):
    """An unknown kernels choice, or ``"numba"`` where numba cannot be imported. A
    ``ValueError`` (a bad setting) and an ``ImportError`` (what ``use("numba")`` always
    raised without numba)."""


def use(name: str) -> None:
    """Choose the kernels' implementation: ``"numpy"`` (the reference), ``"numba"`` (the
    compiled loops; :class:`KernelsError` if numba cannot be imported) or ``"auto"``
    (numba when installed). Overrides ``NEUROFLOW_KERNELS``."""
    global _choice, _resolved, _source
    if name not in CHOICES:
        raise KernelsError(f"name: expected one of {', '.join(CHOICES)}, received: {name!r}")
    _choice, _resolved, _source = name, False, "name"
    if name == "numba":
        _resolve()


def active() -> str:
    """``"numba"`` or ``"numpy"``: the implementation eligible arrays get now (imports
    numba if the choice is ``"auto"`` or ``"numba"``)."""
    return "numpy" if _resolve() is None else "numba"


def _resolve() -> dict[str, Any] | None:
    global _loops, _resolved
    if not _resolved:
        accepted = ", ".join(CHOICES)
        if _choice not in CHOICES:
            raise KernelsError(f"{_source}: expected one of {accepted}, received: {_choice!r}")
        _loops = None if _choice == "numpy" else kernels_fast.load()
        if _loops is None and _choice == "numba":
            raise KernelsError(f"{_source}: 'numba' needs numba, which cannot be imported "
                               f"(pip install numba); accepted values: {accepted} "
                               "('auto' or 'numpy' run without it)")
        _resolved = True
    return _loops


def _ran(loops: dict[str, Any], name: str, *args: Any) -> bool:
    """Run the compiled loop ``name``; ``False`` (the caller runs the NumPy code) when it
    cannot be compiled or cached, after which every kernel runs the NumPy reference."""
    global _loops
    try:
        loops[name](*args)
    except Exception as error:  # noqa: BLE001 - numba's errors have no common base
        # Compiling and caching happen before the loop touches an array: nothing changed.
        if _loops is not loops:
            return False  # another thread gave up on them already and said so
        _loops = None
        reason = " ".join(str(error).split()) or type(error).__name__
        _log.warning("neuroflow: note: the compiled kernels cannot be used (%s: %.200s); "
                     "running the NumPy reference kernels instead (the same numbers, slower)",
                     type(error).__name__, reason)
        return False
    return True


def _fast(*arrays: Any) -> dict[str, Any] | None:
    """The compiled loops when they are in use and ``arrays`` are writeable C-contiguous
    NumPy arrays of one float dtype and one shape; else ``None`` (the NumPy code runs)."""
    loops = _loops if _resolved else _resolve()
    if loops is None:
        return None
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype not in _FLOATS:
        return None
    for array in arrays:
        if (type(array) is not np.ndarray or array.dtype != first.dtype
                or array.shape != first.shape or not array.flags.c_contiguous
                or not array.flags.writeable):
            return None
    return loops


def _fast_rows(matrices: tuple[np.ndarray, ...], vector: np.ndarray) -> dict[str, Any] | None:
    """:func:`_fast` for ``(n, k)`` matrices of one shape and a ``(k,)`` vector of their
    dtype (a layer's batch arrays and its bias)."""
    loops = _fast(*matrices)
    first = matrices[0]
    if (loops is None or first.ndim != 2 or type(vector) is not np.ndarray
            or vector.dtype != first.dtype or vector.shape != first.shape[1:]
            or not vector.flags.c_contiguous or not vector.flags.writeable):
        return None
    return loops


def _flat(array: np.ndarray) -> np.ndarray:
    return array if array.ndim == 1 else array.reshape(-1)


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
    fast = _fast(z, out)
    if fast is not None and _ran(fast, "relu", _flat(z), _flat(out), z.dtype.type(0)):
        return out
    return np.maximum(z, 0, out=out)


def relu_backward(grad_a: np.ndarray, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``ReLU.backward``: ``grad_a * xp.astype(z > 0, grad_a.dtype)``, with the boolean
    mask multiplied in directly (several times faster than ``np.where``)."""
    kind = grad_a.dtype.type
    fast = _fast(grad_a, z, out)
    if fast is not None and _ran(fast, "relu_backward", _flat(grad_a), _flat(z), _flat(out),
                                 kind(0), kind(1)):
        return out
    return np.multiply(grad_a, z > 0, out=out)


def bias_relu(z: np.ndarray, bias: np.ndarray, out: np.ndarray) -> np.ndarray:
    """A ReLU layer's epilogue: ``z += bias`` (in place, row by row), then
    :func:`relu` of ``z`` into ``out``; one pass over memory on the fast path."""
    fast = _fast_rows((z, out), bias)
    if fast is not None and _ran(fast, "bias_relu", z, bias, out, z.dtype.type(0)):
        return out
    z += bias
    return relu(z, out)


def relu_backward_bias(grad_a: np.ndarray, z: np.ndarray, out: np.ndarray,
                       bias_gradient: np.ndarray) -> np.ndarray:
    """:func:`relu_backward` into ``out`` (``delta = dC/dz``), then the bias gradient
    ``sum_rows(delta)`` into ``bias_gradient``; one pass over memory on the fast path
    (rows added in order, as NumPy's sum over axis 0 does)."""
    kind = grad_a.dtype.type
    fast = _fast_rows((grad_a, z, out), bias_gradient)
    if fast is not None and _ran(fast, "relu_backward_bias", grad_a, z, out, bias_gradient,
                                 kind(0), kind(1)):
        return out
    relu_backward(grad_a, z, out)
    sum_rows(out, out=bias_gradient)
    return out


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
    fast = _fast(param, grad)
    if fast is not None and _ran(fast, "sgd", _flat(param), _flat(grad),
                                 param.dtype.type(learning_rate)):
        return
    np.multiply(grad, learning_rate, out=work)
    param -= work


def sgd_momentum(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, momentum: float,
                 nesterov: bool, learning_rate: float, work: np.ndarray) -> None:
    """``SGD.update`` with (Nesterov) momentum."""
    kind = param.dtype.type
    fast = _fast(param, grad, velocity)
    if fast is not None and _ran(fast, "sgd_nesterov" if nesterov else "sgd_momentum",
                                 _flat(param), _flat(grad), _flat(velocity), kind(momentum),
                                 kind(learning_rate)):
        return
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
    c2 = math.sqrt(1 - beta_2**t)
    kind = param.dtype.type
    fast = _fast(param, grad, m, v)
    if fast is not None and _ran(fast, "adam", _flat(param), _flat(grad), _flat(m), _flat(v),
                                 kind(beta_1), kind(1 - beta_1), kind(beta_2),
                                 kind(1 - beta_2), kind(epsilon * c2),
                                 kind(learning_rate * c2 / (1 - beta_1**t))):
        return
    m *= beta_1
    np.multiply(grad, 1 - beta_1, out=work)
    m += work
    v *= beta_2
    np.multiply(grad, grad, out=work)
    work *= 1 - beta_2
    v += work
    np.sqrt(v, out=work)
    work += epsilon * c2
    np.divide(m, work, out=work)
    work *= learning_rate * c2 / (1 - beta_1**t)
    param -= work


def rmsprop(param: np.ndarray, grad: np.ndarray, v: np.ndarray, rho: float, epsilon: float,
            learning_rate: float, work: np.ndarray) -> None:
    """``RMSProp.update``."""
    kind = param.dtype.type
    fast = _fast(param, grad, v)
    if fast is not None and _ran(fast, "rmsprop", _flat(param), _flat(grad), _flat(v),
                                 kind(rho), kind(1 - rho), kind(epsilon),
                                 kind(learning_rate)):
        return
    v *= rho
    np.multiply(grad, grad, out=work)
    work *= 1 - rho
    v += work
    np.sqrt(v, out=work)
    work += epsilon
    np.divide(grad, work, out=work)
    work *= learning_rate
    param -= work
