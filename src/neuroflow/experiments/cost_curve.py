r"""The cost along one weight, and gradient descent on that weight alone.

Every other weight and bias is frozen; one weight :math:`w = W^{(l)}_{ij}` (from input
``i`` to neuron ``j`` of layer ``l``) moves. The cost :math:`C(w)` on a batch ``(x, y)``
is scanned over a window around the current value, and gradient descent

.. math:: w_{t+1} = w_t - \eta\, \frac{\partial C}{\partial w}(w_t)

is simulated for each learning rate :math:`\eta`. What each path did (``crawls``,
``converges``, ``oscillates``, ``diverges``) is measured by
:func:`neuroflow.experiments.behaviour.classify`, never assumed from :math:`\eta`.

Everything is computed on a float64 copy of the network: the network passed in is never
modified. No plotting library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroflow.experiments.behaviour import classify
from neuroflow.experiments.weights import (
    WeightIndex,
    WeightProbe,
    informative_weight,
    rank_weights,
)
from neuroflow.network import Network

__all__ = ["DescentPath", "CostCurve", "WeightProbe", "rank_weights", "informative_weight",
           "cost_curve"]

@dataclass(frozen=True)
class DescentPath:
    """Gradient descent on one weight with one learning rate.

    Attributes
    ----------
    learning_rate : float
        :math:`\\eta`.
    positions : ndarray (T + 1,)
        :math:`w_0, \\dots, w_T`; shorter when a cost became NaN or infinite (the last
        entry is then that step's position).
    costs : ndarray (T + 1,)
        :math:`C(w_t)`.
    behaviour : str
        ``classify(costs, floor, positions, minimum)``: stalls, crawls, converges,
        oscillates or diverges.
    """

    learning_rate: float
    positions: np.ndarray
    costs: np.ndarray
    behaviour: str


@dataclass(frozen=True)
class CostCurve:
    """The cost along one weight and gradient-descent paths on it.

    Attributes
    ----------
    layer, i, j : int
        The weight :math:`W_{ij}` of ``network.layers[layer]``.
    start : float
        Its current value :math:`w_0`.
    gradient : float
        :math:`\\partial C/\\partial w` at :math:`w_0`.
    weights : ndarray (m,)
        The scanned values of the weight, increasing: evenly spaced over the window the
        paths visit, and again (denser) over the part the non-diverging paths visit.
    costs : ndarray (m,)
        :math:`C` at each of them (all other parameters frozen).
    paths : tuple of DescentPath
        One per learning rate, in increasing :math:`\\eta`.
    loss : str
        The loss's name.
    """

    layer: int
    i: int
    j: int
    start: float
    gradient: float
    weights: np.ndarray
    costs: np.ndarray
    paths: tuple[DescentPath, ...]
    loss: str

    @property
    def floor(self) -> float:
        """The lowest scanned cost, :math:`C^\\star` of the classification."""
        return float(np.min(self.costs))

    @property
    def lowest(self) -> float:
        """:math:`w^\\star`, the scanned weight of the lowest cost (the first, on a tie)."""
        return float(self.weights[int(np.argmin(self.costs))])

    @property
    def learning_rates(self) -> list[float]:
        """:math:`\\eta` of each path."""
        return [path.learning_rate for path in self.paths]


def _descend(probe: WeightProbe, index: WeightIndex, start: float, rate: float,
             steps: int) -> tuple[np.ndarray, np.ndarray]:
    positions, costs = [start], []
    for _ in range(steps):
        probe.set(index, positions[-1])
        cost, slope = probe.gradient(index)
        costs.append(cost)
        if not math.isfinite(cost):
            break
        positions.append(positions[-1] - rate * slope)
    if len(costs) < len(positions):
        probe.set(index, positions[-1])
        costs.append(probe.cost() if math.isfinite(positions[-1]) else math.inf)
    probe.set(index, start)
    return np.asarray(positions[:len(costs)]), np.asarray(costs)


def _scan(probe: WeightProbe, index: WeightIndex,
          values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    costs = []
    for value in values:
        probe.set(index, float(value))
        costs.append(probe.cost())
    return values, np.asarray(costs)


def _window(start: float, paths: Sequence[np.ndarray], limit: float) -> tuple[float, float]:
    """From the lowest to the highest finite position of ``paths`` (each no further than
    ``limit`` from ``start``), with a margin."""
    reach = [p[np.isfinite(p) & (np.abs(p - start) <= limit)] for p in paths]
    values = np.concatenate([[start], *reach])
    low, high = float(values.min()), float(values.max())
    margin = max(0.15 * (high - low), 0.05 * max(abs(start), 1.0))
    return low - margin, high + margin


def _default_rates(probe: WeightProbe, index: WeightIndex, start: float, slope: float,
                   steps: int) -> list[float]:
    """Learning rates whose simulated paths behave differently, by a search on a
    geometric grid around :math:`1/|C''(w_0)|` (the one-step rate of a parabola)."""
    h = 1e-4 * max(abs(start), 1.0)
    values = [start - h, start, start + h]
    side = []
    for value in values:
        probe.set(index, value)
        side.append(probe.cost())
    probe.set(index, start)
    curvature = (side[0] - 2 * side[1] + side[2]) / h**2
    guess = 1.0 / abs(curvature) if abs(curvature) > 1e-12 else 0.5 / max(abs(slope), 1e-12)
    grid = [guess * 2.0 ** (k / 2) for k in range(-12, 13)]
    simulated = [(rate, *_descend(probe, index, start, rate, steps)) for rate in grid]
    calm = [p for _, p, c in simulated if np.all(np.isfinite(c)) and c[-1] <= c[0]]
    low, high = _window(start, calm or [np.array([start])], math.inf)
    scanned_weights, scanned = _scan(probe, index, np.linspace(low, high, 41))
    floor, lowest = float(scanned.min()), float(scanned_weights[int(np.argmin(scanned))])
    probe.set(index, start)
    labelled = [(rate, classify(c, floor=floor, positions=p, minimum=lowest), p, c)
                for rate, p, c in simulated]

    def first_reach(costs: np.ndarray) -> int:
        near = np.flatnonzero(costs - floor <= 0.05 * (costs[0] - floor))
        return int(near[0]) if near.size else len(costs)

    converging = [item for item in labelled if item[1] == "converges"]
    chosen: list[float] = []
    if converging:
        good = min(converging, key=lambda item: (first_reach(item[3]), item[0]))[0]
        chosen.append(good)
        crawling = [r for r, b, _, _ in labelled if b == "crawls" and r <= good / 4]
        if crawling:
            chosen.append(max(crawling))
        wild = [r for r, b, _, _ in labelled if b == "oscillates" and r > good]
        if wild:
            chosen.append(min(wild))
        bad = [(r, p) for r, b, p, c in labelled if b == "diverges" and r > good and
               not c[-1] <= c[0]]
        if bad:
            # the clearest divergence: the path that moves away from w* on the most
            # steps (each overshoot larger than the last), then the smallest such rate
            chosen.append(max(bad, key=lambda item: (_growth(item[1], lowest), -item[0]))[0])
    else:
        for name in ("crawls", "oscillates", "diverges"):
            rates = [r for r, b, _, _ in labelled if b == name]
            if rates:
                chosen.append(rates[len(rates) // 2])
    if len(chosen) < 2:
        chosen = [guess / 16, guess, guess * 4]
    return _fill(sorted(set(chosen)), RATES)


def _growth(positions: np.ndarray, lowest: float) -> int:
    """On how many steps a path moves further from ``lowest`` (:math:`w^\\star`)."""
    size = np.abs(positions - lowest)
    return int(np.count_nonzero(size[1:] > size[:-1]))


#: Learning rates :func:`cost_curve` draws when it chooses them.
RATES = 4


def _fill(rates: list[float], count: int) -> list[float]:
    """``rates`` and, up to ``count``, the geometric middle of the widest gap between
    neighbours (``rates``: at least two, increasing)."""
    rates = list(rates)
    while len(rates) < count:
        gaps = [math.log(high / low) for low, high in zip(rates, rates[1:])]
        widest = int(np.argmax(gaps))
        rates.insert(widest + 1, math.sqrt(rates[widest] * rates[widest + 1]))
    return rates[:count]


def cost_curve(network: Network, x: Any, y: Any, layer: int | None = None,
               weight: tuple[int, int] | None = None,
               learning_rates: Sequence[float] | None = None, steps: int = 10,
               span: float | None = None, points: int = 121) -> CostCurve:
    r"""Scan :math:`C(w)` along one weight and simulate gradient descent on it.

    Parameters
    ----------
    network : Network
        Not modified: everything runs on a float64 copy.
    x, y : arrays
        The batch the cost is measured on (a few dozen rows are enough).
    layer : int, optional
        Index into ``network.layers`` of the layer holding the weight; with ``weight``
        omitted, restricts the automatic choice to that layer. Default with ``weight``
        given: 0.
    weight : (int, int), optional
        ``(i, j)``: the weight from input ``i`` to neuron ``j``. Default: the most
        informative weight, :func:`informative_weight`.
    learning_rates : sequence of float, optional
        :math:`\eta` of each path. Default: found by simulation, starting from
        :math:`1/|C''(w_0)|` and searching a geometric grid (factors of 2) for rates
        that crawl, converge, oscillate and diverge: always ``RATES`` (four), the widest
        gaps between those found filled by their geometric middle.
    steps : int
        Gradient-descent steps :math:`T` per path.
    span : float, optional
        Half-width of the scanned window around :math:`w_0`. Default: wide enough for
        every path (positions more than 50 window-widths away are left outside).
    points : int
        Scanned values of the weight per window (at least 3).

    Returns
    -------
    CostCurve
        Each path's ``behaviour`` is ``classify(costs, floor=min(curve), positions,
        minimum=w*)``, :math:`w^\\star` the scanned weight of the lowest cost
        (:attr:`CostCurve.lowest`).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected a positive integer, received: {steps!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise ValueError(f"points: expected an integer >= 3, received: {points!r}")
    if span is not None and not (isinstance(span, (int, float)) and not isinstance(span, bool)
                                 and math.isfinite(span) and span > 0):
        raise ValueError(f"span: expected a positive number, received: {span!r}")
    given = None
    if learning_rates is not None:
        given = list(learning_rates)
        if not given or not all(isinstance(r, (int, float)) and not isinstance(r, bool) and
                                math.isfinite(r) and r > 0 for r in given):
            raise ValueError(f"learning_rates: expected positive numbers, received: "
                             f"{learning_rates!r}")
        given = sorted(float(r) for r in given)
    probe = WeightProbe(network, x, y)
    if weight is None:
        index = rank_weights(network, x, y, layer, probe=probe)[:1]
        if not index:
            informative_weight(network, x, y, layer)  # raises, naming the reason
        chosen = index[0]
    else:
        chosen = probe.check(0 if layer is None else layer, weight)
    start = probe.get(chosen)
    _, slope = probe.gradient(chosen)
    rates = _default_rates(probe, chosen, start, slope, steps) if given is None else given
    runs = [_descend(probe, chosen, start, rate, steps) for rate in rates]
    if span is None:
        calm = [p for p, c in runs if np.all(np.isfinite(c)) and c[-1] <= c[0]] or \
            [np.array([start])]
        near = _window(start, calm, math.inf)
        limit = 50 * max(near[1] - near[0], 1e-3)
        low, high = _window(start, [p for p, _ in runs], limit)
        values = np.unique(np.concatenate([np.linspace(*near, points),
                                           np.linspace(low, high, points)]))
    else:
        values = np.linspace(start - span, start + span, points)
    values, costs = _scan(probe, chosen, values)
    floor, lowest = float(costs.min()), float(values[int(np.argmin(costs))])
    paths = tuple(DescentPath(rate, positions, path_costs,
                              classify(path_costs, floor=floor, positions=positions,
                                       minimum=lowest))
                  for rate, (positions, path_costs) in zip(rates, runs))
    return CostCurve(chosen[0], chosen[1], chosen[2], start, slope, values, costs, paths,
                     probe.network.loss.name)
