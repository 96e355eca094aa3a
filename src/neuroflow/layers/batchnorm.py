"""Batch normalisation for dense layers: :class:`BatchNorm`."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow import kernels
from neuroflow._validation import positive_int
from neuroflow.backend import namespace, to_backend, to_numpy
from neuroflow.layers.base import Layer
from neuroflow.layers.dropout import features_or_none

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
        self.in_features = self.out_features = features_or_none(features)
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
        kernels.sum_rows(delta * x_hat, out=self.grads["gamma"])
        kernels.sum_rows(delta, out=self.grads["beta"])
        if not need_input_grad:
            return None
        d = delta * self.params["gamma"]
        if not cache["training"]:
            return d * cache["inverse_std"]
        n = d.shape[0]
        xp = namespace(d, x_hat)
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
