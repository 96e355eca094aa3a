"""Small generated data sets for demonstrations, tests and plots (no downloads).

Every generator is seeded (an ``int`` or an ``np.random.Generator``), so the same seed
always gives the same points. Inputs are ``float32`` arrays of shape ``(n_samples, 2)``
(or ``(n_samples, n_features)`` for :func:`make_regression`); class labels are ``int64``.
"""

from __future__ import annotations

import numpy as np

from neuroflow._constraints import Constraints, InstanceOf, Interval, validate

__all__ = ["make_moons", "make_circles", "make_xor", "make_spiral", "make_regression",
           "make_gaussian", "make_plane", "make_gaussians"]

#: What the arguments every generator takes accept (see :mod:`neuroflow._constraints`).
_COMMON: Constraints = {
    "n_samples": [Interval(int, 2, None, closed="left")],
    "noise": [Interval(float, 0, None, closed="left")],
    "seed": [Interval(int, 0, None, closed="left"),
             InstanceOf(np.random.Generator, "a numpy Generator"), None],
}
#: What each generator's arguments accept, by function name.
_parameter_constraints: dict[str, Constraints] = {
    "make_moons": _COMMON,
    "make_circles": {**_COMMON, "factor": [Interval(float, 0, 1, closed="neither")]},
    "make_xor": _COMMON,
    "make_spiral": _COMMON,
    "make_regression": {**_COMMON, "n_features": [Interval(int, 1, None, closed="left")],
                        "n_targets": [Interval(int, 1, None, closed="left")]},
    "make_gaussian": _COMMON,
    "make_plane": _COMMON,
    "make_gaussians": _COMMON,
}


def _samples(name: str, n_samples: int, noise: float, seed: int | np.random.Generator | None,
             **more: object) -> tuple[int, float, np.random.Generator]:
    """Check the arguments of generator ``name``: ``(n_samples, noise, generator)``."""
    validate(name, {"n_samples": n_samples, "noise": noise, "seed": seed, **more},
             _parameter_constraints[name])
    return int(n_samples), float(noise), _generator(seed)


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _shuffle(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order], y[order]


def _two_classes(rng: np.random.Generator, first: np.ndarray, second: np.ndarray,
                 sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of class 0 and class 1 with N(0, sigma^2) noise, shuffled: float32 x, int64 y."""
    x = np.concatenate([first, second]) + rng.normal(0.0, sigma,
                                                     size=(len(first) + len(second), 2))
    y = np.concatenate([np.zeros(len(first), dtype=np.int64),
                        np.ones(len(second), dtype=np.int64)])
    x, y = _shuffle(rng, x, y)
    return x.astype(np.float32), y


def make_moons(
    n_samples: int = 200,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles ("two moons"), a classic non-linear 2-class problem.

    The upper moon is the arc ``(cos t, sin t)``, ``t in [0, pi]`` (class 0); the lower moon
    is ``(1 - cos t, 0.5 - sin t)`` (class 1). Gaussian noise with standard deviation
    ``noise`` is added to every coordinate, then the points are shuffled.

    Parameters
    ----------
    n_samples : int
        Total number of points (>= 2); class 0 gets ``ceil(n/2)``, class 1 the rest.
    noise : float
        Standard deviation of the Gaussian noise added to the points (>= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        Class labels 0 or 1.
    """
    n, sigma, rng = _samples("make_moons", n_samples, noise, seed)
    n0 = (n + 1) // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    return _two_classes(rng, upper, lower, sigma)


def make_circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: a 2-class problem no straight line can separate.

    The outer circle has radius 1 (class 0), the inner one radius ``factor`` (class 1).

    Parameters
    ----------
    n_samples : int
        Total number of points (>= 2); class 0 gets ``ceil(n/2)``, class 1 the rest.
    noise : float
        Standard deviation of the Gaussian noise added to the points (>= 0).
    factor : float
        Radius of the inner circle relative to the outer one, in the open interval (0, 1).
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        0 for the outer circle, 1 for the inner circle.
    """
    n, sigma, rng = _samples("make_circles", n_samples, noise, seed, factor=factor)
    n0 = (n + 1) // 2
    n1 = n - n0
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    return _two_classes(rng, outer, inner, sigma)


def make_xor(n_samples: int = 200, noise: float = 0.1,
             seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR square: points uniform in ``[-1, 1]^2``, class 1 where ``x1 x2 > 0`` (first
    and third quadrants), class 0 elsewhere; then Gaussian noise of standard deviation
    ``noise`` on every coordinate. No single straight line separates the classes.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n, sigma, rng = _samples("make_xor", n_samples, noise, seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    x = x + rng.normal(0.0, sigma, size=x.shape)
    return x.astype(np.float32), y


def make_spiral(n_samples: int = 200, noise: float = 0.1,
                seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaved spiral arms, the hardest of the 2-D sets: point ``i`` lies at
    radius :math:`r_i` from 0.05 to 1 and angle :math:`t_i = 3.5 \pi r_i + k \pi` for its
    class :math:`k = i \bmod 2`, plus Gaussian noise of standard deviation ``noise``;
    then the points are shuffled.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n, sigma, rng = _samples("make_spiral", n_samples, noise, seed)
    y = np.arange(n, dtype=np.int64) % 2
    r = np.linspace(0.05, 1.0, n)
    t = 1.75 * r * 2 * np.pi + y * np.pi
    x = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    x = x + rng.normal(0.0, sigma, size=x.shape)
    x, y = _shuffle(rng, x, y)
    return x.astype(np.float32), y


def make_regression(
    n_samples: int = 200,
    n_features: int = 1,
    n_targets: int = 1,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A smooth non-linear regression problem ``y = sin(x @ A) + 0.5 (x @ B) + noise``.

    Inputs are drawn uniformly from ``[-2, 2]``; ``A`` and ``B`` of shape
    ``(n_features, n_targets)`` are drawn from a standard normal with the same generator.

    Parameters
    ----------
    n_samples : int
        Number of points (>= 2).
    n_features : int
        Number of input features (>= 1).
    n_targets : int
        Number of real-valued targets (>= 1).
    noise : float
        Standard deviation of the Gaussian noise added to the targets (>= 0).
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, n_features)
    y : ndarray of float32, shape (n_samples, n_targets)
        Always 2-D, ready for ``loss="mse"`` with a linear output layer.
    """
    n, sigma, rng = _samples("make_regression", n_samples, noise, seed, n_features=n_features,
                             n_targets=n_targets)
    x = rng.uniform(-2.0, 2.0, size=(n, int(n_features)))
    a = rng.normal(size=(int(n_features), int(n_targets)))
    b = rng.normal(size=(int(n_features), int(n_targets)))
    y = np.sin(x @ a) + 0.5 * (x @ b) + rng.normal(0.0, sigma, size=(n, int(n_targets)))
    return x.astype(np.float32), y.astype(np.float32)


def make_gaussian(n_samples: int = 200, noise: float = 0.1,
                  seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds, TensorFlow Playground's easiest set: class 0 around
    ``(-1, -1)``, class 1 around ``(1, 1)``, each with standard deviation
    ``0.3 + noise``; one straight line separates them (nearly, with much noise).

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    n, sigma, rng = _samples("make_gaussian", n_samples, noise, seed)
    half = (n + 1) // 2
    first = np.full((half, 2), -1.0)
    second = np.full((n - half, 2), 1.0)
    return _two_classes(rng, first, second, 0.3 + sigma)


def make_plane(n_samples: int = 200, noise: float = 0.1,
               seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A regression set, TensorFlow Playground's "plane": points uniform in
    ``[-1, 1]^2`` with target ``(x1 + x2) / 2`` plus Gaussian noise of standard
    deviation ``noise``; a network without hidden layers fits it.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of float32, shape (n_samples,)
        Targets in about ``[-1, 1]``.
    """
    n, sigma, rng = _samples("make_plane", n_samples, noise, seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (x[:, 0] + x[:, 1]) / 2 + rng.normal(0.0, sigma, size=n)
    return x.astype(np.float32), y.astype(np.float32)


#: Centres and signs of the bumps of :func:`make_gaussians`.
_BUMPS = ((-0.6, 0.6, 1.0), (0.0, 0.6, -1.0), (0.6, 0.6, 1.0),
          (-0.6, -0.6, -1.0), (0.0, -0.6, 1.0), (0.6, -0.6, -1.0))


def make_gaussians(n_samples: int = 200, noise: float = 0.1,
                   seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""A regression set, TensorFlow Playground's "multi Gaussian": points uniform in
    ``[-1, 1]^2``; the target is a sum of six bumps of alternating sign,
    :math:`y = \sum_k s_k \exp(-\lVert x - c_k \rVert^2 / 0.08)` with centres
    :math:`c_k` on a 3 x 2 grid and :math:`s_k = \pm 1`, clipped to ``[-1, 1]``, plus
    Gaussian noise of standard deviation ``noise``.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, 2)
    y : ndarray of float32, shape (n_samples,)
    """
    n, sigma, rng = _samples("make_gaussians", n_samples, noise, seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / 0.08)
    y = np.clip(y, -1.0, 1.0) + rng.normal(0.0, sigma, size=n)
    return x.astype(np.float32), y.astype(np.float32)
