"""Batch normalisation, of dense layers' features or of a convolution's channels:
:class:`BatchNorm`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import kernels
from neuroflow._validation import positive_int
from neuroflow.backend import namespace, to_backend, to_numpy
from neuroflow.layers.base import Layer
from neuroflow.layers.dropout import features_or_none
from neuroflow.layers.reshape import image_shape

__all__ = ["BatchNorm"]


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

    **After a convolution** (input images ``(n, C, H, W)``, the shape taken from the
    previous layer or given as ``input_shape``) the statistics and ``gamma``, ``beta``
    are per channel, shape ``(C,)``: every pixel of a channel is one more sample of it,
    so the sums above run over the ``n H W`` values of the channel (PyTorch's
    ``BatchNorm2d``, ONNX's ``BatchNormalization``).

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
    input_shape : (channels, height, width), optional
        Images to normalise per channel; taken from the previous layer when omitted.
    """

    type_name = "BatchNorm"

    def __init__(self, features: int | None = None, momentum: float = 0.9,
                 epsilon: float = 1e-5,
                 activation: str | _activations.Activation = "linear",
                 input_shape: tuple[int, int, int] | None = None) -> None:
        super().__init__()
        self.in_features = self.out_features = features_or_none(features)
        self.image: tuple[int, int, int] | None = None
        if input_shape is not None:
            self.set_input_shape(input_shape)
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
        self.in_features = self.out_features = positive_int(features, "features")

    def set_input_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) == 3:  # images: one mean and variance per channel
            self.image = image_shape(shape)
            self.in_features = self.out_features = math.prod(self.image)
        else:
            super().set_input_shape(shape)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.image if self.image is not None else (self.in_features,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.input_shape

    @property
    def features(self) -> int:
        """Number of normalised quantities: features, or channels after a convolution."""
        return self.image[0] if self.image is not None else self.in_features

    def _per_feature(self, values: Any) -> Any:
        """``values (features,)`` shaped to broadcast against the grouped input."""
        return values[:, None] if self.image is not None else values

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        self.params = {"gamma": np.ones(self.features, dtype=dtype),
                       "beta": np.zeros(self.features, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean = np.zeros(self.features, dtype=dtype)
        self.running_var = np.ones(self.features, dtype=dtype)
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
        """Normalise ``x (n, features)`` (or images ``(n, C, H, W)``, or their rows, per
        channel) and apply the activation; the output has ``x``'s shape.

        Raises
        ------
        ValueError
            In training mode for a batch of one value per feature: its variance is 0, so
            it would normalise to 0 and drive the running variance towards 0 (the
            unbiased estimate is undefined), silently ruining inference.
        """
        xp = namespace(x)
        shape = x.shape
        per = self._per_feature
        axes: Any = 0
        if self.image is not None:  # (n, C, H*W): the statistics run over axes 0 and 2
            x = xp.reshape(x, (shape[0], self.image[0], -1))
            axes = (0, 2)
        if training:
            n = x.shape[0] * (x.shape[2] if self.image is not None else 1)
            if n < 2:
                raise ValueError(
                    f"BatchNorm: expected more than 1 sample per batch in training mode, "
                    f"received {n}; if it is the last batch of an epoch, choose a batch_size "
                    "that does not leave 1 sample over (n_samples % batch_size != 1)")
            mean = xp.mean(x, axis=axes)
            centred = x - per(mean)
            variance = xp.mean(centred * centred, axis=axes)
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mean
            self.running_var *= m
            self.running_var += (1 - m) * (n / (n - 1)) * variance
        else:
            centred = x - per(self.running_mean)
            variance = self.running_var
        inverse_std = 1 / xp.sqrt(variance + self.epsilon)
        x_hat = centred * per(inverse_std)
        z = x_hat * per(self.params["gamma"]) + per(self.params["beta"])
        a = self.activation.forward(z)
        self._cache = {"x_hat": x_hat, "inverse_std": inverse_std, "z": z, "a": a,
                       "training": training, "axes": axes}
        return xp.reshape(a, shape) if self.image is not None else a

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        cache = self._cache
        xp = namespace(grad_output)
        shape, z = grad_output.shape, cache["z"]
        if self.image is not None:
            grad_output = xp.reshape(grad_output, z.shape)
        delta = self.activation.backward(grad_output, z, cache["a"])
        x_hat, axes, per = cache["x_hat"], cache["axes"], self._per_feature
        if self.image is None:
            kernels.sum_rows(delta * x_hat, out=self.grads["gamma"])
            kernels.sum_rows(delta, out=self.grads["beta"])
        else:
            self.grads["gamma"][...] = xp.sum(delta * x_hat, axis=axes)
            self.grads["beta"][...] = xp.sum(delta, axis=axes)
        if not need_input_grad:
            return None
        d = delta * per(self.params["gamma"])
        inverse_std = per(cache["inverse_std"])
        if not cache["training"]:
            grad = d * inverse_std
        else:
            n = d.shape[0] * (d.shape[2] if self.image is not None else 1)
            grad = (inverse_std / n) * (n * d - per(xp.sum(d, axis=axes))
                                        - x_hat * per(xp.sum(d * x_hat, axis=axes)))
        return xp.reshape(grad, shape) if self.image is not None else grad

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
        config: dict[str, Any] = {
            "type": self.type_name,
            "features": None if self.image is not None else self.in_features or None,
            "momentum": self.momentum, "epsilon": self.epsilon,
            "activation": self.activation.get_config()}
        if self.image is not None:
            config["input_shape"] = list(self.image)
        return config
