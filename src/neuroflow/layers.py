"""Layers: the building blocks of a network.

A layer owns its parameters ``params`` and their gradients ``grads`` (same keys, same
shapes). ``forward(x, training)`` computes the layer's output and caches what
``backward`` needs; ``backward(grad_output)`` stores the parameter gradients in
``grads`` and returns the gradient with respect to the layer's input.

Shapes follow one convention: ``x (n_samples, in_features)``, ``W (in_features,
out_features)``, ``b (out_features,)``.

Parameters are NumPy arrays, or arrays of another array-API library after
:meth:`Layer.to_backend` (see :mod:`neuroflow.backend`): ``forward`` and ``backward`` then
take and return arrays of that library. Work-array reuse (``reuse_buffers``) and the
``out=`` products are NumPy only; the generic path writes gradients into the existing
``grads`` arrays with ``g[...] = value``, so references to them stay valid.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from neuroflow import activations as _activations
from neuroflow import initializers as _initializers
from neuroflow.backend import namespace, to_backend, to_numpy

__all__ = ["Layer", "Dense", "Dropout", "BatchNorm", "get_layer_class", "layer_from_config",
           "LAYERS"]


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
        #: While ``True`` (``fit`` turns it on for the duration of training), training
        #: passes write into work arrays kept from the previous batch of the same size
        #: instead of allocating new ones: the arrays a training pass returns or caches
        #: stay valid until the next training pass. Inference never reuses arrays.
        self.reuse_buffers = False
        self._buffers: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    def buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A work array ``name`` of ``shape``: kept and handed out again while
        :attr:`reuse_buffers` is on (one per batch size, so the last partial batch gets
        its own), a new uninitialised array otherwise."""
        if not self.reuse_buffers:
            return np.empty(shape, dtype)
        key = (name, shape)
        array = self._buffers.get(key)
        if array is None or array.dtype != dtype:
            array = self._buffers[key] = np.empty(shape, dtype)
        return array

    def release_buffers(self) -> None:
        """Stop reusing work arrays and drop the ones kept."""
        self.reuse_buffers = False
        self._buffers = {}

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Create the parameters (drawn from ``rng``) in ``dtype``; called by the network."""
        self.built = True

    def set_features(self, features: int) -> None:
        """Adopt the previous layer's width; only size-preserving layers (``Dropout``,
        ``BatchNorm``) accept being built without ``in_features``."""
        raise ValueError(f"{type(self).__name__}: expected in_features to be given, "
                         "received none")

    def to_backend(self, xp: Any, device: Any = None) -> None:
        """Move parameters, gradients and any state to array namespace ``xp`` (see
        :func:`neuroflow.backend.get_backend`); drops cached passes and work arrays."""
        self.release_buffers()
        self.params = {k: to_backend(v, xp, device) for k, v in self.params.items()}
        self.grads = {k: to_backend(v, xp, device) for k, v in self.grads.items()}

    def cast(self, dtype: np.dtype) -> None:
        """Convert parameters (and gradients) to ``dtype``."""
        for key in self.params:
            self.params[key] = self.params[key].astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Output for a batch ``x`` of shape ``(n, in_features)``."""
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode output for ``x``, as ``forward(x, training=False)``, but free to
        skip the cache and reuse its own temporaries (``predict`` and ``evaluate`` use it)."""
        return self.forward(x, training=False)

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
        """Restore arrays produced by :meth:`state` (shapes already validated), onto the
        back-end the parameters are on."""
        xp = namespace(*self.params.values())
        for key, value in state.items():
            if xp is np:
                self.params[key] = np.array(to_numpy(value), copy=True)
                self.grads[key] = np.zeros_like(self.params[key])
            else:
                self.params[key] = to_backend(np.array(to_numpy(value), copy=True), xp)
                self.grads[key] = xp.zeros_like(self.params[key])
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

    def pre_activation(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The weighted sums ``z = x W + b``, shape ``(n, out_features)`` (into ``out`` if
        given)."""
        W = self.params["W"]
        if not isinstance(W, np.ndarray):  # array-API path
            z = x @ W
            return z + self.params["b"] if self.use_bias else z
        z = np.matmul(x, W, out=out)
        if self.use_bias:
            z += self.params["b"]
        return z

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if training and self.reuse_buffers:
            shape, dtype = (x.shape[0], self.out_features), self.params["W"].dtype
            z = self.pre_activation(x, out=self.buffer("z", shape, dtype))
            a = self.activation.forward_into(z, self.buffer("a", shape, dtype))
        else:
            z = self.pre_activation(x)
            a = self.activation.forward(z)
        self._x, self._z, self._a = x, z, a
        return a

    def infer(self, x: np.ndarray) -> np.ndarray:
        # f(z) overwrites z: one array per layer instead of two, and one pass fewer.
        z = self.pre_activation(x)
        if not isinstance(z, np.ndarray):  # array-API path: no out= writes
            return self.activation.forward(z)
        return self.activation.forward_into(z, z)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        z, a = self._z, self._a
        if z is None or a is None:
            raise RuntimeError("Dense.backward() needs a forward() first")
        if self.reuse_buffers:
            delta = self.activation.backward_into(
                grad_output, z, a, self.buffer("delta", grad_output.shape, grad_output.dtype))
        else:
            delta = self.activation.backward(grad_output, z, a)
        return self.backward_pre_activation(delta, need_input_grad)

    def backward_pre_activation(self, delta: np.ndarray,
                                need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``delta = dC/dz`` (used directly by fused output gradients)."""
        x = self._x
        if x is None:
            raise RuntimeError("Dense.backward() needs a forward() first")
        if not isinstance(delta, np.ndarray):  # array-API path
            xp = namespace(x, delta)
            self.grads["W"][...] = x.T @ delta
            if self.use_bias:
                self.grads["b"][...] = xp.sum(delta, axis=0)
            return delta @ self.params["W"].T if need_input_grad else None
        np.matmul(x.T, delta, out=self.grads["W"])
        if self.use_bias:
            np.sum(delta, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        return np.matmul(delta, self.params["W"].T,
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


def _features_or_none(value: object, argument: str = "features") -> int:
    return 0 if value is None else _positive_int(value, argument)


class Dropout(Layer):
    r"""Inverted dropout: during training each input is zeroed with probability ``rate``
    and the survivors are scaled by :math:`1 / (1 - \text{rate})`.

    .. math::
        m_{ij} \sim \text{Bernoulli}(1 - p) / (1 - p), \qquad y = x \odot m, \qquad
        \partial C / \partial x = \partial C / \partial y \odot m

    The scaling keeps the expected activation unchanged, so at inference
    (``training=False``: :meth:`Network.predict`, :meth:`Network.evaluate`) the layer is
    the identity. Masks are drawn from the generator the network passes to :meth:`build`
    (the network's ``rng``), so a seeded run stays bit-for-bit reproducible.

    Parameters
    ----------
    rate : float
        Probability ``p`` in ``[0, 1)`` of dropping each input.
    features : int, optional
        Width of the input (and output). Taken from the previous layer when omitted;
        required when the dropout is the network's first layer.

    Attributes
    ----------
    fixed_mask : ndarray or None
        When set (shape ``(n, features)``, already scaled), training uses this mask
        instead of drawing one: this makes the layer deterministic for finite-difference
        gradient checks.
    """

    type_name = "Dropout"

    def __init__(self, rate: float = 0.5, features: int | None = None) -> None:
        super().__init__()
        if (isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating))
                or not 0 <= rate < 1):
            raise ValueError(f"rate: expected a number in [0, 1), received: {rate!r}")
        self.rate = float(rate)
        self.in_features = self.out_features = _features_or_none(features)
        self.rng: np.random.Generator | None = None
        self.dtype: np.dtype = np.dtype(np.float32)
        self.fixed_mask: np.ndarray | None = None
        self._mask: np.ndarray | None = None

    def set_features(self, features: int) -> None:
        self.in_features = self.out_features = _positive_int(features, "features")

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self.built = True

    def cast(self, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0:
            self._mask = None
            return x
        if not isinstance(x, np.ndarray):
            mask = self._generic_mask(x)
        elif self.fixed_mask is not None:
            mask = self.fixed_mask.astype(x.dtype, copy=False)
        else:
            if self.rng is None:
                raise RuntimeError("Dropout needs build(rng, dtype) (done by Network) before "
                                   "a training forward pass")
            # keep with probability 1 - rate; survivors scaled by 1 / (1 - rate). The
            # uniform draws are overwritten in place by the 0/1 comparison (no temporaries).
            mask = self.rng.random(x.shape, dtype=x.dtype)
            np.greater_equal(mask, x.dtype.type(self.rate), out=mask, casting="unsafe")
            mask *= x.dtype.type(1 / (1 - self.rate))
        self._mask = mask
        return x * mask

    def _generic_mask(self, x: Any) -> Any:
        """The mask for an array-API batch ``x``: drawn (or taken from ``fixed_mask``) in
        NumPy exactly as for a NumPy batch, then moved to ``x``'s back-end, so every
        back-end sees the same masks from the same seed."""
        xp = namespace(x)
        if self.fixed_mask is not None:
            return xp.astype(to_backend(self.fixed_mask, xp, x.device), x.dtype)
        if self.rng is None:
            raise RuntimeError("Dropout needs build(rng, dtype) (done by Network) before "
                               "a training forward pass")
        mask = self.rng.random(tuple(x.shape), dtype=self.dtype)
        np.greater_equal(mask, self.dtype.type(self.rate), out=mask, casting="unsafe")
        mask *= self.dtype.type(1 / (1 - self.rate))
        return to_backend(mask, xp, x.device)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        if self._mask is None:
            return grad_output
        return grad_output * self._mask

    @property
    def mask(self) -> np.ndarray | None:
        """The (scaled) mask of the last training forward pass; ``None`` after inference."""
        return self._mask

    #: State saved only when present: ``fixed_mask`` (any number of rows).
    optional_state = ("fixed_mask",)

    def state(self) -> dict[str, np.ndarray]:
        """``fixed_mask`` when one is set (so copies and saved models keep it), else
        nothing: dropout has no parameters."""
        return {} if self.fixed_mask is None else {"fixed_mask": self.fixed_mask}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        mask = state.get("fixed_mask")
        if mask is not None:
            mask = np.array(to_numpy(mask), copy=True)
            if mask.ndim != 2 or mask.shape[1] != self.in_features:
                raise ValueError(f"fixed_mask: expected shape (n, {self.in_features}), "
                                 f"received {mask.shape}")
        self.fixed_mask = mask

    def get_config(self) -> dict[str, Any]:
        return {"type": self.type_name, "rate": self.rate, "features": self.in_features or None}


class BatchNorm(Layer):
    r"""Batch normalisation for dense layers (Ioffe & Szegedy, 2015), then an activation.

    For a batch ``x (n, features)``, in training mode, with batch mean :math:`\mu` and
    (biased) batch variance :math:`\sigma^2` per feature:

    .. math::
        \hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}, \qquad
        z = \gamma \odot \hat x + \beta, \qquad a = f(z)

    and the running statistics move towards the batch's
    (:math:`m` is ``momentum``; the running variance uses the unbiased estimate
    :math:`\tfrac{n}{n-1}\sigma^2`):

    .. math::
        \mu_{run} \leftarrow m \mu_{run} + (1 - m) \mu, \qquad
        \sigma^2_{run} \leftarrow m \sigma^2_{run} + (1 - m) \tfrac{n}{n-1} \sigma^2

    In inference mode :math:`\mu_{run}, \sigma^2_{run}` replace the batch statistics, so
    each sample's output depends on that sample alone. Training needs at least 2 samples
    per batch (one sample has no variance), as in PyTorch: choose a ``batch_size`` that
    does not leave a last batch of 1 sample. Backpropagation, with
    :math:`\delta = \partial C / \partial z` and :math:`d = \delta \odot \gamma`:

    .. math::
        \partial C/\partial \gamma = \textstyle\sum_\text{rows} \delta \odot \hat x, \quad
        \partial C/\partial \beta = \textstyle\sum_\text{rows} \delta

        \partial C/\partial x = \frac{1}{n \sqrt{\sigma^2 + \epsilon}}
            \Big(n d - \textstyle\sum_\text{rows} d
                 - \hat x \odot \textstyle\sum_\text{rows} (d \odot \hat x)\Big)
            \quad\text{(training)}, \qquad
        \frac{d}{\sqrt{\sigma^2_{run} + \epsilon}} \quad\text{(inference)}

    ``params`` holds the trained ``gamma`` and ``beta`` (shape ``(features,)``);
    :meth:`state` adds ``running_mean`` and ``running_var``, so they are saved with the
    model.

    Parameters
    ----------
    features : int, optional
        Width of the input (and output); taken from the previous layer when omitted.
    momentum : float
        Weight of the old running statistics, in ``[0, 1)``.
    epsilon : float
        Added to the variance before the square root (> 0).
    activation : str or Activation
        Applied after the affine transform, e.g. ``Dense(784, 256)`` then
        ``BatchNorm(activation="relu")``.
    """

    type_name = "BatchNorm"

    def __init__(self, features: int | None = None, momentum: float = 0.9,
                 epsilon: float = 1e-5,
                 activation: str | _activations.Activation = "linear") -> None:
        super().__init__()
        self.in_features = self.out_features = _features_or_none(features)
        if (isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating))
                or not 0 <= momentum < 1):
            raise ValueError(f"momentum: expected a number in [0, 1), received: {momentum!r}")
        if (isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.floating))
                or not 0 < epsilon < float("inf")):
            raise ValueError(f"epsilon: expected a finite number > 0, received: {epsilon!r}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.activation = _activations.get(activation)
        self.running_mean = np.zeros(0)
        self.running_var = np.zeros(0)
        self._cache: dict[str, Any] = {}

    def set_features(self, features: int) -> None:
        self.in_features = self.out_features = _positive_int(features, "features")

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        self.params = {"gamma": np.ones(self.in_features, dtype=dtype),
                       "beta": np.zeros(self.in_features, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean = np.zeros(self.in_features, dtype=dtype)
        self.running_var = np.ones(self.in_features, dtype=dtype)
        self.built = True

    def cast(self, dtype: np.dtype) -> None:
        super().cast(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)

    def to_backend(self, xp: Any, device: Any = None) -> None:
        super().to_backend(xp, device)
        self.running_mean = to_backend(self.running_mean, xp, device)
        self.running_var = to_backend(self.running_var, xp, device)
        self._cache = {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Normalise ``x (n, features)`` and apply the activation.

        Raises
        ------
        ValueError
            In training mode for a batch of one sample: its variance is 0, so it would
            normalise to 0 and drive the running variance towards 0 (the unbiased
            estimate is undefined), silently ruining inference.
        """
        xp = namespace(x)
        if training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"BatchNorm: expected more than 1 sample per batch in training mode, "
                    f"received {n}; if it is the last batch of an epoch, choose a batch_size "
                    "that does not leave 1 sample over (n_samples % batch_size != 1)")
            mean = xp.mean(x, axis=0)
            centred = x - mean
            variance = xp.mean(centred * centred, axis=0)
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mean
            self.running_var *= m
            self.running_var += (1 - m) * (n / (n - 1)) * variance
        else:
            centred = x - self.running_mean
            variance = self.running_var
        inverse_std = 1 / xp.sqrt(variance + self.epsilon)
        x_hat = centred * inverse_std
        z = x_hat * self.params["gamma"] + self.params["beta"]
        a = self.activation.forward(z)
        self._cache = {"x_hat": x_hat, "inverse_std": inverse_std, "z": z, "a": a,
                       "training": training}
        return a

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        cache = self._cache
        delta = self.activation.backward(grad_output, cache["z"], cache["a"])
        x_hat = cache["x_hat"]
        xp = namespace(delta, x_hat)
        if xp is np:
            np.sum(delta * x_hat, axis=0, out=self.grads["gamma"])
            np.sum(delta, axis=0, out=self.grads["beta"])
        else:
            self.grads["gamma"][...] = xp.sum(delta * x_hat, axis=0)
            self.grads["beta"][...] = xp.sum(delta, axis=0)
        if not need_input_grad:
            return None
        d = delta * self.params["gamma"]
        if not cache["training"]:
            return d * cache["inverse_std"]
        n = d.shape[0]
        return (cache["inverse_std"] / n) * (
            n * d - xp.sum(d, axis=0) - x_hat * xp.sum(d * x_hat, axis=0))

    @property
    def cache(self) -> dict[str, Any]:
        """The last forward pass: normalised inputs ``x_hat``, the affine outputs ``z``
        (the activation's input) and activations ``a``; empty before the first pass."""
        return dict(self._cache)

    def state(self) -> dict[str, np.ndarray]:
        return {**self.params, "running_mean": self.running_mean,
                "running_var": self.running_var}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        state = dict(state)
        xp = namespace(*self.params.values())
        self.running_mean = to_backend(np.array(to_numpy(state.pop("running_mean")),
                                                copy=True), xp)
        self.running_var = to_backend(np.array(to_numpy(state.pop("running_var")),
                                               copy=True), xp)
        super().load_state(state)

    def get_config(self) -> dict[str, Any]:
        return {"type": self.type_name, "features": self.in_features or None,
                "momentum": self.momentum, "epsilon": self.epsilon,
                "activation": self.activation.get_config()}


LAYERS.update({"Dropout": Dropout, "BatchNorm": BatchNorm})
