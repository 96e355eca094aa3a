"""The playground's settings, read from and written to the page's URL, and its toy data.

A :class:`Config` is everything that decides the network's weights: the data set and its
noise, the layers, the activation, the optimiser, the learning rate, the batch size and
the seed. :meth:`Config.parse` reads it from the URL's ``key=value`` pairs (the page
keeps its state in its address, so that a link reproduces a demo) and refuses a bad value
with a :class:`ValueError` that names the key and what it accepts.

:func:`toy_data` names the four 2-D classification sets of :mod:`neuroflow.datasets`:
two moons, two circles, the XOR square and two interleaved spirals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from neuroflow.datasets import (
    make_circles,
    make_gaussian,
    make_gaussians,
    make_moons,
    make_plane,
    make_spiral,
    make_xor,
)

__all__ = ["Config", "toy_data", "features", "DATA_SETS", "REGRESSION_SETS", "FEATURES",
           "PROBLEMS", "REGULARIZERS", "ACTIVATIONS", "OPTIMIZERS", "MAX_LAYERS",
           "MAX_NEURONS", "MAX_POINTS", "MAX_RATE", "MAX_SEED"]

#: The 2-D classification sets of :func:`toy_data`.
DATA_SETS = ("moons", "circles", "xor", "spiral", "gauss")
#: The 2-D regression sets of :func:`toy_data` (a real target per point).
REGRESSION_SETS = ("plane", "multigauss")
#: Problem types: two classes (sigmoid output, cross-entropy) or a real target (linear
#: output, mean squared error).
PROBLEMS = ("classification", "regression")
#: The input features the network may be given, each a function of the point (x0, x1).
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x0": lambda a, b: a, "x1": lambda a, b: b,
    "x0^2": lambda a, b: a * a, "x1^2": lambda a, b: b * b, "x0x1": lambda a, b: a * b,
    "sin_x0": lambda a, b: np.sin(a), "sin_x1": lambda a, b: np.sin(b)}
#: Penalties on the weights: L1 (``l1`` of the optimiser) or L2 (its ``weight_decay``).
REGULARIZERS = ("none", "l1", "l2")
#: Activations offered for the hidden layers (the output is one sigmoid unit).
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "linear")
#: Optimisers offered; plain SGD, as in the textbook, is the default.
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adamw")
MAX_LAYERS = 6
MAX_NEURONS = 8
MAX_POINTS = 2000
MAX_SEED = 2**31 - 1
#: Largest learning rate accepted: absurd rates are allowed, to be seen diverging.
MAX_RATE = 1e6


def toy_data(name: str, points: int = 400, noise: float = 0.1,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D data set of :data:`DATA_SETS` (two classes) or :data:`REGRESSION_SETS`.

    Parameters
    ----------
    name : {"moons", "circles", "xor", "spiral", "gauss", "plane", "multigauss"}
        ``moons`` and ``circles`` are :func:`neuroflow.datasets.make_moons` and
        :func:`~neuroflow.datasets.make_circles`, ``xor``
        :func:`~neuroflow.datasets.make_xor` (the sign of ``x1 * x2``), ``spiral``
        :func:`~neuroflow.datasets.make_spiral` (two arms) and ``gauss``
        :func:`~neuroflow.datasets.make_gaussian` (two clouds); the regression sets
        ``plane`` and ``multigauss`` are :func:`~neuroflow.datasets.make_plane` and
        :func:`~neuroflow.datasets.make_gaussians`.
    points : int
        Number of points.
    noise : float
        Standard deviation of the Gaussian noise added to the coordinates.
    seed : int
        Seed of the generator.

    Returns
    -------
    x : float32 (points, 2)
    y : int64 (points,) for a classification set, float32 (points,) for a regression set
    """
    makers: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
        "moons": make_moons, "circles": make_circles, "xor": make_xor, "spiral": make_spiral,
        "gauss": make_gaussian, "plane": make_plane, "multigauss": make_gaussians}
    if name not in makers:
        raise ValueError(f"data: expected one of {', '.join(DATA_SETS + REGRESSION_SETS)}, "
                         f"received {name!r}")
    return makers[name](points, noise=noise, seed=seed)


def features(names: tuple[str, ...], points: np.ndarray) -> np.ndarray:
    """The input features ``names`` (keys of :data:`FEATURES`) of 2-D ``points``, one
    column each: what the network is given instead of the raw ``(x0, x1)``."""
    a, b = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([FEATURES[name](a, b) for name in names], axis=1)


def _number(query: Mapping[str, str], key: str, default: float, lo: float, hi: float,
            integer: bool = False, open_low: bool = False) -> Any:
    text = query.get(key)
    if text is None or text == "":
        return default
    kind = "an integer" if integer else "a number"
    try:
        if not text.isascii() or "_" in text:  # int() and float() read other digits, 1_000
            raise ValueError(text)
        value: float = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(f"{key}: expected {kind}, received {text!r}") from None
    below = value <= lo if open_low else value < lo
    if not math.isfinite(value) or below or value > hi:
        low = f"> {lo:g}" if open_low else f">= {lo:g}"
        raise ValueError(f"{key}: expected {kind} {low} and <= {hi:g}, received {text!r}")
    return value


def _choice(query: Mapping[str, str], key: str, default: str, allowed: tuple[str, ...]) -> str:
    text = query.get(key) or default
    if text not in allowed:
        raise ValueError(f"{key}: expected one of {', '.join(allowed)}, received {text!r}")
    return text


@dataclass(frozen=True)
class Config:
    """What decides the playground network's weights (and the page's URL).

    Attributes
    ----------
    data : str
        One of :data:`DATA_SETS`.
    noise : float
        Noise of the data, 0 to 1.
    points : int
        Number of data points, 20 to :data:`MAX_POINTS`.
    layers : tuple of int
        Width of each hidden layer (0 to :data:`MAX_LAYERS` layers of 1 to
        :data:`MAX_NEURONS`); the network is ``2 - layers - 1``.
    activation : str
        Hidden activation, one of :data:`ACTIVATIONS`.
    optimizer : str
        One of :data:`OPTIMIZERS`.
    learning_rate : float
        Greater than 0, at most :data:`MAX_RATE` (a million: a learner may watch an
        absurd rate diverge).
    batch_size : int
        1 to ``points``.
    seed : int
        Seed of the data and of the network.
    problem : str
        One of :data:`PROBLEMS`; ``data`` is then one of :data:`DATA_SETS` or of
        :data:`REGRESSION_SETS`.
    ratio : int
        Percentage of the points trained on (10 to 100); the others are the test data.
    features : tuple of str
        The network's inputs, keys of :data:`FEATURES` (default the coordinates).
    regularization : str
        One of :data:`REGULARIZERS`.
    regularization_rate : float
        Its coefficient, 0 to 10.
    """

    data: str = "moons"
    noise: float = 0.1
    points: int = 400
    layers: tuple[int, ...] = field(default=(8, 8))
    activation: str = "tanh"
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    batch_size: int = 10
    seed: int = 0
    problem: str = "classification"
    ratio: int = 100
    features: tuple[str, ...] = ("x0", "x1")
    regularization: str = "none"
    regularization_rate: float = 0.0

    @property
    def sizes(self) -> list[int]:
        """``[number of features, *layers, 1]``."""
        return [len(self.features), *self.layers, 1]

    @property
    def penalties(self) -> dict[str, float]:
        """The optimiser's options for the regularisation: ``{"l1": rate}`` or
        ``{"weight_decay": rate}`` (empty without one)."""
        if self.regularization == "none" or self.regularization_rate == 0:
            return {}
        key = "l1" if self.regularization == "l1" else "weight_decay"
        return {key: self.regularization_rate}

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> Config:
        """Read a config from URL pairs (``data``, ``noise``, ``points``, ``layers``
        such as ``"8,8"``, ``act``, ``opt``, ``lr``, ``bs``, ``seed``); missing keys take
        the defaults, unknown keys are refused.

        Raises
        ------
        ValueError
            A message naming the key, what it accepts and what was received.
        """
        known = {"data", "noise", "points", "layers", "act", "opt", "lr", "bs", "seed",
                 "problem", "ratio", "features", "reg", "rr"}
        unknown = sorted(set(query) - known)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown setting; expected one of "
                             f"{', '.join(sorted(known))}")
        default = cls()
        layers_text = query.get("layers")
        layers = default.layers
        if layers_text is not None:
            parts = [p for p in layers_text.split(",") if p.strip()]
            try:
                if not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
                    raise ValueError(layers_text)
                layers = tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"layers: expected widths separated by commas such as "
                                 f"'8,8', received {layers_text!r}") from None
            if len(layers) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in layers):
                raise ValueError(f"layers: expected at most {MAX_LAYERS} hidden layers of 1 "
                                 f"to {MAX_NEURONS} neurons, received {layers_text!r}")
        points = _number(query, "points", default.points, 20, MAX_POINTS, integer=True)
        problem = _choice(query, "problem", default.problem, PROBLEMS)
        sets = DATA_SETS if problem == "classification" else REGRESSION_SETS
        names = tuple(p.strip() for p in (query.get("features") or "x0,x1").split(",")
                      if p.strip())
        if not names or len(set(names)) != len(names) or \
                any(name not in FEATURES for name in names):
            raise ValueError(f"features: expected distinct names among "
                             f"{', '.join(FEATURES)}, received {query.get('features')!r}")
        return cls(
            data=_choice(query, "data", sets[0], sets),
            problem=problem, features=names,
            ratio=_number(query, "ratio", default.ratio, 10, 100, integer=True),
            regularization=_choice(query, "reg", default.regularization, REGULARIZERS),
            regularization_rate=_number(query, "rr", default.regularization_rate, 0.0, 10.0),
            noise=_number(query, "noise", default.noise, 0.0, 1.0),
            points=points, layers=layers,
            activation=_choice(query, "act", default.activation, ACTIVATIONS),
            optimizer=_choice(query, "opt", default.optimizer, OPTIMIZERS),
            learning_rate=_number(query, "lr", default.learning_rate, 0.0, MAX_RATE,
                                  open_low=True),
            batch_size=_number(query, "bs", default.batch_size, 1, points, integer=True),
            seed=_number(query, "seed", default.seed, 0, MAX_SEED, integer=True),
        )

    def query(self) -> dict[str, str]:
        """The URL pairs :meth:`parse` reads back to this config."""
        return {"data": self.data, "noise": repr(self.noise), "points": str(self.points),
                "layers": ",".join(map(str, self.layers)), "act": self.activation,
                "opt": self.optimizer, "lr": repr(self.learning_rate),
                "bs": str(self.batch_size), "seed": str(self.seed), "problem": self.problem,
                "ratio": str(self.ratio), "features": ",".join(self.features),
                "reg": self.regularization, "rr": repr(self.regularization_rate)}

    def with_changes(self, **changes: Any) -> Config:
        """A copy with some attributes replaced."""
        return replace(self, **changes)

    def same_network(self, other: Config) -> bool:
        """Whether ``other`` keeps the data and the initial network (only the optimiser,
        learning rate, batch size or regularisation differ), so training can continue."""
        keep = ("data", "noise", "points", "layers", "activation", "seed", "problem",
                "ratio", "features")
        return all(getattr(self, k) == getattr(other, k) for k in keep)
