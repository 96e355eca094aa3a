"""Activation functions and their derivatives, behind a name registry.

An activation maps a layer's weighted sums ``z`` (shape ``(n_samples, n_units)``) to its
outputs ``a = f(z)`` of the same shape. Backpropagation needs the gradient of the cost
with respect to ``z`` given the gradient with respect to ``a``::

    dC/dz = dC/da * f'(z)                      (element-wise activations)
    dC/dz = a * (dC/da - sum(dC/da * a))       (softmax, whose Jacobian is not diagonal)

No function here mutates its input. Every class is registered under its ``name``;
:func:`get` turns a name or an instance into an instance.

Each formula is written once, against the array API: ``forward``, ``derivative`` and
``backward`` accept NumPy arrays or arrays of any array-API library (see
:mod:`neuroflow.backend`) and return arrays of the same library. The ``*_into`` methods,
which the training loop calls with the work arrays it reuses, run the activation's NumPy
kernel (:mod:`neuroflow.kernels`) when it has one and the array is NumPy, and fall back
to the formula otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from neuroflow import kernels
from neuroflow.backend import namespace

__all__ = [
    "Activation", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus",
    "Linear", "Softmax", "get", "names", "ACTIVATIONS",
]


class Activation:
    """Base class: ``forward`` computes ``a = f(z)``, ``backward`` maps dC/da to dC/dz."""

    name: ClassVar[str] = ""
    #: ``True`` when ``f`` acts on each element alone (all but softmax).
    elementwise: ClassVar[bool] = True
    #: In-place NumPy versions of :meth:`forward` (``kernel(z, out)``) and of
    #: :meth:`backward` (``kernel(grad_a, z, out)``) from :mod:`neuroflow.kernels`, used
    #: by :meth:`forward_into` and :meth:`backward_into`; ``None``: none.
    forward_kernel: ClassVar[Callable[..., np.ndarray] | None] = None
    backward_kernel: ClassVar[Callable[..., np.ndarray] | None] = None
    #: The same with a layer's bias folded in, one pass each where it has a fused loop:
    #: ``kernel(z, bias, out)`` (``z += bias``, then ``f(z)`` into ``out``) and
    #: ``kernel(grad_a, z, out, bias_gradient)`` (``dC/dz`` into ``out``, its sum over
    #: rows into ``bias_gradient``); ``None``: the two steps are made one after the other.
    bias_forward_kernel: ClassVar[Callable[..., np.ndarray] | None] = None
    bias_backward_kernel: ClassVar[Callable[..., np.ndarray] | None] = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``f(z)`` as a new array of ``z``'s shape and dtype."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return ``f'(z)`` element-wise; ``a = f(z)`` is passed to save recomputation."""
        raise NotImplementedError

    def backward(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return dC/dz = dC/da * f'(z) for the upstream gradient ``grad_a``."""
        return grad_a * self.derivative(z, a)

    def forward_into(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Like :meth:`forward`, writing into ``out`` (same shape and dtype as ``z``)
        where the activation knows how; returns the array holding ``f(z)``.

        The training loop calls this with arrays it reuses from batch to batch, so the
        hot path allocates nothing. Without a :attr:`forward_kernel`, or for arrays of
        another back-end, it returns :meth:`forward`'s new array instead.
        """
        kernel = type(self).forward_kernel
        if kernel is None or not isinstance(out, np.ndarray):
            return self.forward(z)
        return kernel(z, out)

    def backward_into(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray,
                      out: np.ndarray) -> np.ndarray:
        """Like :meth:`backward`, writing dC/dz into ``out`` where the activation has a
        :attr:`backward_kernel`; returns the array holding dC/dz."""
        kernel = type(self).backward_kernel
        if kernel is None or not isinstance(out, np.ndarray):
            return self.backward(grad_a, z, a)
        return kernel(grad_a, z, out)

    def forward_bias_into(self, z: np.ndarray, bias: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``z += bias`` (in place), then :meth:`forward_into`: a layer's forward epilogue
        on the reused arrays of the training loop."""
        kernel = type(self).bias_forward_kernel
        if kernel is None or not isinstance(out, np.ndarray):
            z += bias
            return self.forward_into(z, out)
        return kernel(z, bias, out)

    def backward_bias_into(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray,
                           out: np.ndarray, bias_gradient: np.ndarray) -> np.ndarray:
        """:meth:`backward_into`, then ``dC/db``, the sum over rows of ``dC/dz``, into
        ``bias_gradient``: a layer's backward epilogue; returns the array holding dC/dz."""
        kernel = type(self).bias_backward_kernel
        if kernel is None or not isinstance(out, np.ndarray):
            delta = self.backward_into(grad_a, z, a, out)
            kernels.sum_rows(delta, out=bias_gradient)
            return delta
        return kernel(grad_a, z, out, bias_gradient)

    def get_config(self) -> dict[str, Any]:
        """Describe this activation for saving: its name and parameters."""
        return {"name": self.name}

    def __repr__(self) -> str:
        params = {k: v for k, v in self.get_config().items() if k != "name"}
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Activation) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.get_config().items())))


class Sigmoid(Activation):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, :math:`\sigma' = \sigma(1-\sigma)`.

    Computed as ``exp(-|z|)`` based branches, so no exponential ever overflows:
    for ``z >= 0`` it is ``1 / (1 + e^{-z})``, for ``z < 0`` it is ``e^{z} / (1 + e^{z})``.
    """

    name = "sigmoid"

    def forward(self, z: np.ndarray) -> np.ndarray:
        xp = namespace(z)
        e = xp.exp(-xp.abs(z))
        numerator = xp.where(z >= 0, xp.ones_like(e), e)
        return numerator / (1 + e)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1 - a)


class Tanh(Activation):
    r"""Hyperbolic tangent, :math:`\tanh' = 1 - \tanh^2`."""

    name = "tanh"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return namespace(z).tanh(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1 - a * a


class ReLU(Activation):
    r"""Rectified linear unit :math:`\max(0, z)`; derivative 1 for ``z > 0``, else 0."""

    name = "relu"
    forward_kernel = staticmethod(kernels.relu)
    backward_kernel = staticmethod(kernels.relu_backward)
    bias_forward_kernel = staticmethod(kernels.bias_relu)
    bias_backward_kernel = staticmethod(kernels.relu_backward_bias)

    def forward(self, z: np.ndarray) -> np.ndarray:
        return namespace(z).maximum(z, 0)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return namespace(z).astype(z > 0, z.dtype)

    def backward(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        # the array API defines no arithmetic between booleans and floats: the mask
        # becomes 0.0/1.0 first (grad * 0.0 keeps a NaN or an infinity visible)
        return grad_a * namespace(grad_a, z).astype(z > 0, grad_a.dtype)


class LeakyReLU(Activation):
    r"""Leaky ReLU: ``z`` for ``z > 0``, ``alpha * z`` otherwise."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"alpha: expected a finite number >= 0, received: {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, z: np.ndarray) -> np.ndarray:
        return namespace(z).where(z > 0, z, z * self.alpha)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        xp = namespace(z)
        return xp.where(z > 0, xp.ones_like(z), xp.full_like(z, self.alpha))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}


class ELU(Activation):
    r"""Exponential linear unit: ``z`` for ``z > 0``, ``alpha (e^z - 1)`` otherwise.

    Derivative: 1 for ``z > 0``, ``alpha e^z = a + alpha`` otherwise.
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha: expected a finite number > 0, received: {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, z: np.ndarray) -> np.ndarray:
        xp = namespace(z)
        return xp.where(z > 0, z, self.alpha * xp.expm1(xp.minimum(z, 0)))

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        xp = namespace(z, a)
        return xp.where(z > 0, xp.ones_like(z), a + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


class GELU(Activation):
    r"""Gaussian error linear unit, tanh approximation (Hendrycks & Gimpel, 2016).

    .. math::
        f(z) = \tfrac12 z (1 + \tanh u),\quad u = \sqrt{2/\pi}\,(z + 0.044715 z^3)

        f'(z) = \tfrac12 (1 + \tanh u)
                + \tfrac12 z (1 - \tanh^2 u)\,\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715 z^2)
    """

    name = "gelu"

    # Python floats never promote an array's dtype (NumPy 2, the array API): float32 in,
    # float32 out.
    def forward(self, z: np.ndarray) -> np.ndarray:
        t = namespace(z).tanh(_SQRT_2_OVER_PI * (z + _GELU_C * z**3))
        return 0.5 * z * (1 + t)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        t = namespace(z).tanh(_SQRT_2_OVER_PI * (z + _GELU_C * z**3))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_C * z * z)
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du


class Softplus(Activation):
    r"""Softplus :math:`\log(1 + e^z)`, a smooth ReLU; its derivative is :math:`\sigma(z)`."""

    name = "softplus"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return namespace(z).logaddexp(z, 0)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return Sigmoid().forward(z)


class Linear(Activation):
    """Identity ``f(z) = z``, derivative 1: the output of a regression network."""

    name = "linear"
    forward_kernel = staticmethod(kernels.copy)

    def forward(self, z: np.ndarray) -> np.ndarray:
        return namespace(z).asarray(z, copy=True)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return namespace(z).ones_like(z)

    def backward(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return grad_a


class Softmax(Activation):
    r"""Softmax over each row: :math:`a_j = e^{z_j - m} / \sum_k e^{z_k - m}`, ``m = max_k z_k``.

    Subtracting the row maximum changes nothing mathematically and keeps every
    exponent ``<= 0``, so nothing overflows. Its Jacobian is
    :math:`\partial a_j / \partial z_i = a_j(\delta_{ij} - a_i)`, hence
    :math:`\partial C/\partial z = a \odot (g - \langle g, a\rangle)` for ``g = dC/da``.
    """

    name = "softmax"
    elementwise = False
    forward_kernel = staticmethod(kernels.softmax)

    def forward(self, z: np.ndarray) -> np.ndarray:
        xp = namespace(z)
        e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        raise TypeError("softmax has no element-wise derivative; use Softmax.backward")

    def backward(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        xp = namespace(grad_a, a)
        return a * (grad_a - xp.sum(grad_a * a, axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, Linear, Softmax)
}


def names() -> list[str]:
    """The registered activation names, sorted."""
    return sorted(ACTIVATIONS)


def get(activation: str | Activation | dict[str, Any], argument: str = "activation") -> Activation:
    """Return an :class:`Activation` for a registered name, a config dict or an instance.

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, dict):
        config = dict(activation)
        name = config.pop("name", None)
        return _lookup(name, argument)(**config)
    return _lookup(activation, argument)()


def _lookup(name: object, argument: str) -> type[Activation]:
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise ValueError(
        f"{argument}: expected one of {', '.join(names())} or an Activation instance, "
        f"received: {name!r}"
    )
