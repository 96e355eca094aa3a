"""Layers: the building blocks of a network.

A layer owns its parameters ``params`` and their gradients ``grads`` (same keys, same
shapes). ``forward(x, training)`` computes the layer's output and caches what
``backward`` needs; ``backward(grad_output)`` stores the parameter gradients in
``grads`` and returns the gradient with respect to the layer's input.

Shapes follow one convention: ``x (n_samples, in_features)``, ``W (in_features,
out_features)``, ``b (out_features,)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from neuroflow import activations as _activations
from neuroflow import initializers as _initializers

__all__ = ["Layer", "Dense", "get_layer_class", "layer_from_config", "LAYERS"]


def _positive_int(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument}: expected a positive integer, received: {value!r}")
    return int(value)


class Layer:
    """Base class of layers.

    Subclasses set ``in_features``/``out_features``, create their parameters in
    :meth:`build` and implement :meth:`forward` and :meth:`backward`.
    """

    type_name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.in_features: int = 0
        self.out_features: int = 0
        self.built = False

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Create the parameters (drawn from ``rng``) in ``dtype``; called by the network."""
        self.built = True

    def cast(self, dtype: np.dtype) -> None:
        """Convert parameters (and gradients) to ``dtype``."""
        for key in self.params:
            self.params[key] = self.params[key].astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Output for a batch ``x`` of shape ``(n, in_features)``."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Store dC/dparams in ``grads``; return dC/dx (``None`` when not needed)."""
        raise NotImplementedError

    @property
    def parameter_count(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict[str, Any]:
        """Describe the layer (no weights) so :func:`layer_from_config` rebuilds it."""
        return {"type": self.type_name}

    def state(self) -> dict[str, np.ndarray]:
        """Arrays saved with the model: the parameters plus any non-trained state."""
        return dict(self.params)

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore arrays produced by :meth:`state` (shapes already validated)."""
        for key, value in state.items():
            self.params[key] = np.array(value, copy=True)
            self.grads[key] = np.zeros_like(self.params[key])
        self.built = True

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("type")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


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
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
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

    def pre_activation(self, x: np.ndarray) -> np.ndarray:
        """The weighted sums ``z = x W + b``."""
        z = x @ self.params["W"]
        if self.use_bias:
            z += self.params["b"]
        return z

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        z = self.pre_activation(x)
        a = self.activation.forward(z)
        self._x, self._z, self._a = x, z, a
        return a

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        delta = self.activation.backward(grad_output, self._z, self._a)
        return self.backward_pre_activation(delta, need_input_grad)

    def backward_pre_activation(self, delta: np.ndarray,
                                need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``delta = dC/dz`` (used directly by fused output gradients)."""
        x = self._x
        np.matmul(x.T, delta, out=self.grads["W"])
        if self.use_bias:
            np.sum(delta, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        return delta @ self.params["W"].T

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


LAYERS: dict[str, type[Layer]] = {"Dense": Dense}


def get_layer_class(type_name: object) -> type[Layer]:
    """The layer class registered under ``type_name``."""
    if isinstance(type_name, str) and type_name in LAYERS:
        return LAYERS[type_name]
    raise ValueError(
        f"layer type: expected one of {', '.join(sorted(LAYERS))}, received: {type_name!r}"
    )


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Build an (unbuilt) layer from :meth:`Layer.get_config` output."""
    config = dict(config)
    cls = get_layer_class(config.pop("type", None))
    return cls(**config)
