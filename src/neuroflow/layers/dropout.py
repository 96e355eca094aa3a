"""Inverted dropout: :class:`Dropout`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow import kernels
from neuroflow._validation import positive_int
from neuroflow.backend import device_of, namespace, to_backend, to_numpy
from neuroflow.layers.base import Layer

__all__ = ["Dropout"]


def sample_shape(value: object, argument: str = "input_shape") -> tuple[int, ...]:
    """``value`` as the shape of one sample: a non-empty sequence of positive integers."""
    if not isinstance(value, (tuple, list)) or not value:
        raise ValueError(f"{argument}: expected a tuple of positive integers, received: "
                         f"{value!r}")
    return tuple(positive_int(v, f"{argument}[{i}]") for i, v in enumerate(value))


def features_or_none(value: object, argument: str = "features") -> int:
    """The width of a size-preserving layer; 0 (taken from the previous layer) for None."""
    return 0 if value is None else positive_int(value, argument)


class Dropout(Layer):
    r"""Inverted dropout: during training each input is zeroed with probability ``rate``
    and the survivors are scaled by :math:`1 / (1 - \text{rate})`.

    .. math::
        m_{ij} \sim \text{Bernoulli}(1 - p) / (1 - p), \qquad y = x \odot m, \qquad
        \partial C / \partial x = \partial C / \partial y \odot m

    The scaling keeps the expected activation unchanged, so at inference
    (``training=False``: :meth:`Network.predict`, :meth:`Network.evaluate`) the layer is
    the identity. Masks are drawn from the generator the network passes to :meth:`build`
    (the network's ``rng``), so a seeded run stays bit-for-bit reproducible; they are
    drawn with NumPy whatever the back-end, so every back-end sees the same masks.

    Parameters
    ----------
    rate : float
        Probability ``p`` in ``[0, 1)`` of dropping each input.
    features : int, optional
        Width of the input (and output). Taken from the previous layer when omitted;
        required when the dropout is the network's first layer.
    input_shape : tuple of int, optional
        The shape of one sample when it is not a vector (images ``(channels, height,
        width)`` after a convolution), taken from the previous layer when omitted; the
        mask has the input's shape, so every pixel is dropped on its own.

    Attributes
    ----------
    fixed_mask : ndarray or None
        When set (shape ``(n, features)``, already scaled), training uses this mask
        instead of drawing one: this makes the layer deterministic for finite-difference
        gradient checks.
    """

    type_name = "Dropout"

    def __init__(self, rate: float = 0.5, features: int | None = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if (isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating))
                or not 0 <= rate < 1):
            raise ValueError(f"rate: expected a number in [0, 1), received: {rate!r}")
        self.rate = float(rate)
        self.in_features = self.out_features = features_or_none(features)
        self.rng: np.random.Generator | None = None
        self.dtype: np.dtype = np.dtype(np.float32)
        self.fixed_mask: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self.shape: tuple[int, ...] | None = None
        if input_shape is not None:
            self.set_input_shape(input_shape)

    def set_features(self, features: int) -> None:
        self.in_features = self.out_features = positive_int(features, "features")

    def set_input_shape(self, shape: tuple[int, ...]) -> None:
        self.shape = sample_shape(shape)
        self.set_features(math.prod(self.shape))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape if self.shape is not None else (self.in_features,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.input_shape

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
        if self.fixed_mask is not None:
            mask = self.fixed_mask.reshape(x.shape)
        elif self.rng is None:
            raise RuntimeError("Dropout needs build(rng, dtype) (done by Network) before "
                               "a training forward pass")
        else:
            # drawn in x's dtype when x is NumPy, else in the layer's (the network's)
            dtype = x.dtype if isinstance(x, np.ndarray) else self.dtype
            mask = kernels.dropout_mask(self.rng, tuple(x.shape), dtype, self.rate)
        xp = namespace(x)
        mask = xp.astype(to_backend(mask, xp, device_of(x)), x.dtype, copy=False)
        self._mask = mask
        return x * mask

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
            if mask.ndim < 2 or math.prod(mask.shape[1:]) != self.in_features:
                raise ValueError(f"fixed_mask: expected shape (n, {self.in_features}), "
                                 f"received {mask.shape}")
        self.fixed_mask = mask

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": self.type_name, "rate": self.rate,
                  "features": self.in_features or None}
        if self.shape is not None and len(self.shape) > 1:
            config["input_shape"] = list(self.shape)
        return config
