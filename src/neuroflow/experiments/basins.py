r"""Local minima: a cost with two basins, and gradient descent from several starts.

The smallest network with a local minimum that is not the best one: a single
:math:`\tanh` neuron without bias, :math:`\hat y = \tanh(w x)`, fitted by mean squared
error to four points (:func:`two_basin_problem`),

.. math:: (x, y) = (0.5, 0.9),\ (0.5, 0.9),\ (0.5, 0.9),\ (4, -0.3).

The three points at :math:`x = 0.5` want :math:`\tanh(0.5 w) = 0.9`, a large
:math:`w \approx 2.9`; the point at :math:`x = 4` wants :math:`\tanh(4 w) = -0.3`, a
small negative one. Near :math:`w = 0` the neuron is a compromise that fits neither well,
yet every small move makes the point at :math:`x = 4` worse faster than it helps the
others: a local minimum. For large :math:`w` the point at :math:`x = 4` is saturated (its
error no longer changes), the other three fit: the global minimum. A ridge separates the
two basins, and plain gradient descent ends in the basin it starts in.

:func:`basins` scans :math:`C(w)`, finds its minima and the ridges between them, and runs
gradient descent on the one weight from one start per seed, naming the basin each run
ends in. The network passed in is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroflow.experiments.cost_curve import _descend, _scan
from neuroflow.experiments.weights import WeightProbe
from neuroflow.layers import Dense
from neuroflow.network import Network

__all__ = ["BasinRun", "Basins", "basins", "two_basin_problem"]


def two_basin_problem() -> tuple[Network, np.ndarray, np.ndarray]:
    r"""The network and data of the module's docstring: a float64 1-1 :math:`\tanh`
    network (bias 0; :func:`basins` moves only the weight) and four points.

    Returns
    -------
    network : Network
    x : float64 (4, 1)
    y : float64 (4, 1)
    """
    network = Network([Dense(1, 1, activation="tanh")], loss="mse", seed=0, dtype="float64")
    network.layers[0].params["b"][:] = 0.0
    x = np.array([[0.5], [0.5], [0.5], [4.0]])
    y = np.array([[0.9], [0.9], [0.9], [-0.3]])
    return network, x, y


@dataclass(frozen=True)
class BasinRun:
    """Gradient descent on the one weight from the start drawn by one seed.

    Attributes
    ----------
    seed : int
        The start is ``np.random.default_rng(seed).uniform(low, high)``.
    positions, costs : ndarray (steps + 1,)
        :math:`w_t` and :math:`C(w_t)`.
    basin : int
        Index into :attr:`Basins.minima` of the basin the last position lies in.
    """

    seed: int
    positions: np.ndarray
    costs: np.ndarray
    basin: int


@dataclass(frozen=True)
class Basins:
    """The cost along one weight, its basins and gradient-descent runs into them.

    Attributes
    ----------
    weights, costs : ndarray (m,)
        The scanned :math:`w` (increasing) and :math:`C(w)`.
    minima : ndarray (k,)
        The :math:`w` of each local minimum of the scan, increasing.
    ridges : ndarray (k - 1,)
        The :math:`w` of the highest cost between neighbouring minima: the borders of the
        basins.
    runs : tuple of BasinRun
    learning_rate : float
    """

    weights: np.ndarray
    costs: np.ndarray
    minima: np.ndarray
    ridges: np.ndarray
    runs: tuple[BasinRun, ...]
    learning_rate: float

    @property
    def minimum_costs(self) -> np.ndarray:
        """:math:`C` at each minimum, shape (k,)."""
        return np.interp(self.minima, self.weights, self.costs)

    @property
    def best(self) -> int:
        """Index of the lowest minimum (the global one, within the scan)."""
        return int(np.argmin(self.minimum_costs))

    def basin_of(self, weight: float) -> int:
        """Index of the basin holding ``weight``: how many ridges lie below it."""
        return int(np.searchsorted(self.ridges, weight))


def _minima_and_ridges(weights: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    inner = np.arange(1, len(costs) - 1)
    low = inner[(costs[inner] < costs[inner - 1]) & (costs[inner] <= costs[inner + 1])]
    if costs[0] < costs[1]:
        low = np.concatenate([[0], low])
    if costs[-1] < costs[-2]:
        low = np.concatenate([low, [len(costs) - 1]])
    ridges = [left + int(np.argmax(costs[left:right + 1]))
              for left, right in zip(low, low[1:])]
    return weights[low], weights[np.asarray(ridges, dtype=int)]


def basins(network: Network, x: Any, y: Any, layer: int = 0,
           weight: tuple[int, int] = (0, 0), seeds: Sequence[int] = tuple(range(8)),
           low: float = -2.0, high: float = 4.0, learning_rate: float = 0.2,
           steps: int = 300, points: int = 241) -> Basins:
    r"""Scan :math:`C(w)` over ``[low, high]`` and descend from one start per seed.

    Parameters
    ----------
    network : Network
        Not modified: everything runs on a float64 copy.
    x, y : arrays
        The data the cost is measured on.
    layer : int
        Index into ``network.layers`` of the layer holding the weight.
    weight : (int, int)
        ``(i, j)``: the weight from input ``i`` to neuron ``j``; every other parameter is
        frozen.
    seeds : sequence of int
        One run per seed, from ``w_0 = default_rng(seed).uniform(low, high)``.
    low, high : float
        The scanned window, which also holds every start.
    learning_rate : float
        :math:`\eta` of :math:`w \leftarrow w - \eta\, \partial C/\partial w`.
    steps : int
        Steps per run.
    points : int
        Scanned values of :math:`w`.

    Returns
    -------
    Basins
        Each run's ``basin`` is the basin (between the ridges) of its last position.
    """
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"low, high: expected finite numbers with low < high, received "
                         f"{low!r}, {high!r}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate: expected a positive number, received "
                         f"{learning_rate!r}")
    for name, value, least in (("steps", steps, 1), ("points", points, 3)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name}: expected an integer >= {least}, received {value!r}")
    if not seeds:
        raise ValueError("seeds: expected at least one seed, received none")
    probe = WeightProbe(network, x, y)
    index = probe.check(layer, weight)
    start = probe.get(index)
    weights, costs = _scan(probe, index, np.linspace(low, high, points))
    probe.set(index, start)
    minima, ridges = _minima_and_ridges(weights, costs)
    runs = []
    for seed in seeds:
        begin = float(np.random.default_rng(seed).uniform(low, high))
        positions, path = _descend(probe, index, begin, learning_rate, steps)
        end = float(positions[-1])
        runs.append(BasinRun(int(seed), positions, path,
                             int(np.searchsorted(ridges, end)) if np.isfinite(end) else -1))
    return Basins(weights, costs, minima, ridges, tuple(runs), float(learning_rate))
