r"""The artificial neuron, a whole layer of them at once: :class:`Dense`.

Neuron :math:`j` of a layer forms the weighted sum of its inputs plus its bias and passes
it through the activation :math:`f`. For a batch ``x (n, in_features)``, every neuron of
the layer and every sample at once:

.. math:: z = x W + b, \qquad a = f(z)

with ``W (in_features, out_features)`` (column :math:`j` holds neuron :math:`j`'s
weights) and ``b (out_features,)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import initializers as _initializers
from neuroflow import kernels
from neuroflow._validation import positive_int
from neuroflow.layers.base import Layer

__all__ = ["Dense"]


class Dense(Layer):
    r"""Fully connected layer of artificial neurons.

    Each of the ``out_features`` neurons forms the weighted sum of all inputs plus its
    bias and passes it through the activation:

    .. math:: z = x W + b, \qquad a = f(z)

    with ``x (n, in_features)``, ``W (in_features, out_features)``, ``b (out_features,)``.
    Backpropagation, given :math:`g = \partial C / \partial a`:

    .. math::
        \delta = \partial C/\partial z = f'(z) \odot g, \quad
        \partial C/\partial W = x^\top \delta, \quad
        \partial C/\partial b = \textstyle\sum_{\text{rows}} \delta, \quad
        \partial C/\partial x = \delta W^\top

    Every product is written into an existing array where there is one: the gradients
    into ``grads`` and, during ``fit``, ``z``, ``a``, :math:`\delta` and
    :math:`\partial C/\partial x` into the layer's reused work arrays
    (:meth:`Layer.buffer`); see :mod:`neuroflow.kernels`.

    Parameters
    ----------
    in_features, out_features : int
        Number of inputs and of neurons.
    activation : str or Activation
        Registered name (``"relu"``, ``"sigmoid"``, ``"softmax"``, ...) or instance.
    initializer : str, Initializer or None
        Weight initialiser; ``None`` picks He for ReLU-like activations, else Glorot.
    use_bias : bool
        Whether the neurons have a bias (initialised to zero).
    """

    type_name = "Dense"

    def __init__(self, in_features: int, out_features: int,
                 activation: str | _activations.Activation = "linear",
                 initializer: str | _initializers.Initializer | None = None,
                 use_bias: bool = True) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.activation = _activations.get(activation)
        self.initializer = (_initializers.default_for(self.activation.name)
                            if initializer is None else _initializers.get(initializer))
        self.use_bias = bool(use_bias)
        self._x: np.ndarray | None = None
        self._z: np.ndarray | None = None
        self._a: np.ndarray | None = None

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        self.params["W"] = self.initializer((self.in_features, self.out_features), rng, dtype)
        if self.use_bias:
            self.params["b"] = np.zeros(self.out_features, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.built = True

    def pre_activation(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The weighted sums ``z = x W + b``, shape ``(n, out_features)`` (into ``out`` if
        given)."""
        z = kernels.matmul(x, self.params["W"], out=out)
        if self.use_bias:
            z += self.params["b"]
        return z

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        # During fit (training, reuse_buffers) z and a go into reused work arrays.
        shape, dtype = (x.shape[0], self.out_features), self.params["W"].dtype
        out = self.buffer("a", shape, dtype) if training else None
        if out is None:
            z = self.pre_activation(x)
            a = self.activation.forward(z)
        else:  # z = x W, then z += b and a = f(z) in one epilogue
            z = kernels.matmul(x, self.params["W"], out=self.buffer("z", shape, dtype))
            a = (self.activation.forward_bias_into(z, self.params["b"], out) if self.use_bias
                 else self.activation.forward_into(z, out))
        self._x, self._z, self._a = x, z, a
        return a

    def infer(self, x: np.ndarray) -> np.ndarray:
        # f(z) overwrites z where the activation has a NumPy kernel: one array per layer
        # instead of two, and one pass fewer (with the bias folded in where it has a
        # fused loop).
        z = kernels.matmul(x, self.params["W"])
        if not self.use_bias:
            return self.activation.forward_into(z, z)
        return self.activation.forward_bias_into(z, self.params["b"], z)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        z, a = self._z, self._a
        if z is None or a is None:
            raise RuntimeError("Dense.backward() needs a forward() first")
        out = self.buffer("delta", grad_output.shape, grad_output.dtype)
        if out is None:
            delta = self.activation.backward(grad_output, z, a)
        elif self.use_bias:  # delta = f'(z) * g and dC/db = sum of its rows, one epilogue
            delta = self.activation.backward_bias_into(grad_output, z, a, out, self.grads["b"])
            return self._backward_products(delta, need_input_grad)
        else:
            delta = self.activation.backward_into(grad_output, z, a, out)
        return self.backward_pre_activation(delta, need_input_grad)

    def backward_pre_activation(self, delta: np.ndarray,
                                need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``delta = dC/dz`` (used directly by fused output gradients)."""
        if self.use_bias:
            kernels.sum_rows(delta, out=self.grads["b"])  # dC/db = sum over rows of delta
        return self._backward_products(delta, need_input_grad)

    def _backward_products(self, delta: np.ndarray, need_input_grad: bool) -> np.ndarray | None:
        """dC/dW and dC/dx from ``delta`` (dC/db is already in place)."""
        x = self._x
        if x is None:
            raise RuntimeError("Dense.backward() needs a forward() first")
        kernels.matmul(x.T, delta, out=self.grads["W"])  # dC/dW = x^T delta
        if not need_input_grad:
            return None
        # dC/dx = delta W^T
        return kernels.matmul(delta, self.params["W"].T,
                              out=self.buffer("input_gradient", x.shape, delta.dtype))

    @property
    def cache(self) -> dict[str, np.ndarray | None]:
        """The last forward pass: input ``x``, weighted sums ``z`` and activations ``a``."""
        return {"x": self._x, "z": self._z, "a": self._a}

    def get_config(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "in_features": self.in_features,
            "out_features": self.out_features,
            "activation": self.activation.get_config(),
            "initializer": self.initializer.get_config(),
            "use_bias": self.use_bias,
        }
