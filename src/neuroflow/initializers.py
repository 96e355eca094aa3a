"""Weight initialisers: random starting weights drawn from an explicit generator.

Each initialiser is called as ``init(shape, rng, dtype)`` with ``shape = (n_in, n_out)``
and returns a new array. The fan-in is ``n_in`` and the fan-out ``n_out``.

=================  ==========================================================
name               distribution
=================  ==========================================================
``normal``         N(0, std²), the classic "small random weights" (std=0.01)
``glorot_uniform`` U(-l, l), l = sqrt(6 / (n_in + n_out))     (alias ``xavier_uniform``)
``glorot_normal``  N(0, 2 / (n_in + n_out))                   (alias ``xavier_normal``)
``he_uniform``     U(-l, l), l = sqrt(6 / n_in)
``he_normal``      N(0, 2 / n_in)
``zeros``          all zeros (biases)
=================  ==========================================================

Glorot keeps the variance of activations and gradients constant through layers of
tanh/sigmoid/linear units; He doubles it to make up for ReLU zeroing half its inputs.
:func:`default_for` picks He for the ReLU family and Glorot otherwise.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Initializer", "Normal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "Zeros",
    "get", "names", "default_for",
]


class Initializer:
    """Base class: ``__call__(shape, rng, dtype)`` returns a new weight array."""

    name: ClassVar[str] = ""

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: np.dtype | type = np.float32) -> np.ndarray:
        return self.sample(shape, rng).astype(dtype)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        params = {k: v for k, v in self.get_config().items() if k != "name"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


class Normal(Initializer):
    """Independent N(0, std²) weights."""

    name = "normal"

    def __init__(self, std: float = 0.01) -> None:
        if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
            raise ValueError(f"std: expected a finite number > 0, received: {std!r}")
        self.std = float(std)

    def sample(self, shape, rng):
        return rng.normal(0.0, self.std, size=shape)

    def get_config(self):
        return {"name": self.name, "std": self.std}


class GlorotUniform(Initializer):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""

    name = "glorot_uniform"

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


class GlorotNormal(Initializer):
    """N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""

    name = "glorot_normal"

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


class HeUniform(Initializer):
    """U(-l, l) with l = sqrt(6 / fan_in) (He et al., 2015)."""

    name = "he_uniform"

    def sample(self, shape, rng):
        fan_in, _ = _fans(shape)
        limit = math.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)


class HeNormal(Initializer):
    """N(0, 2 / fan_in) (He et al., 2015)."""

    name = "he_normal"

    def sample(self, shape, rng):
        fan_in, _ = _fans(shape)
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


class Zeros(Initializer):
    """All zeros."""

    name = "zeros"

    def sample(self, shape, rng):
        return np.zeros(shape)


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls for cls in (Normal, GlorotUniform, GlorotNormal, HeUniform, HeNormal, Zeros)
}
_ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal"}
_RELU_FAMILY = {"relu", "leaky_relu", "elu", "gelu"}


def names() -> list[str]:
    """The registered initialiser names, sorted (aliases excluded)."""
    return sorted(INITIALIZERS)


def get(initializer: str | Initializer | dict[str, Any],
        argument: str = "initializer") -> Initializer:
    """Return an :class:`Initializer` for a name, alias, config dict or instance."""
    if isinstance(initializer, Initializer):
        return initializer
    config: dict[str, Any] = {}
    name: object = initializer
    if isinstance(initializer, dict):
        config = dict(initializer)
        name = config.pop("name", None)
    if isinstance(name, str):
        key = _ALIASES.get(name.lower(), name.lower())
        if key in INITIALIZERS:
            return INITIALIZERS[key](**config)
    raise ValueError(
        f"{argument}: expected one of {', '.join(names() + sorted(_ALIASES))} or an "
        f"Initializer instance, received: {name!r}"
    )


def default_for(activation_name: str) -> Initializer:
    """He-normal for ReLU-like activations, Glorot-uniform for the rest."""
    return HeNormal() if activation_name in _RELU_FAMILY else GlorotUniform()
