r"""The cost over two weights, and the path training takes across it.

:func:`cost_surface` evaluates :math:`C(w_1, w_2)` on a grid of values of two weights
while every other parameter stays frozen: an exact slice of the cost landscape.
:func:`training_path` trains a copy of the network through :meth:`Network.fit` and
records the two weights after every batch, so that the path can be drawn on the slice.

No plotting library is needed; everything runs on float64 copies and the network passed
in is never modified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroflow.errors import TrainingDivergedError
from neuroflow.experiments.weights import WeightIndex, WeightProbe, rank_weights
from neuroflow.hooks import Callback, Logs
from neuroflow.network import Network

__all__ = ["CostSurface", "TrainingPath", "cost_surface", "training_path"]


@dataclass(frozen=True)
class CostSurface:
    r"""The cost over a grid of two weights, all other parameters frozen.

    Attributes
    ----------
    first, second : (int, int, int)
        ``(layer, i, j)`` of the two weights :math:`w_1` and :math:`w_2`.
    centre : (float, float)
        The grid's centre.
    first_values : ndarray (resolution,)
        The values of :math:`w_1`, increasing.
    second_values : ndarray (resolution,)
        The values of :math:`w_2`, increasing.
    costs : ndarray (resolution, resolution)
        ``costs[r, c]`` is :math:`C(w_1 = \text{first\_values}[c], w_2 =
        \text{second\_values}[r])`: rows follow :math:`w_2`, columns :math:`w_1`, as
        ``matplotlib``'s ``contour(first_values, second_values, costs)`` expects.
    loss : str
        The loss's name.
    """

    first: WeightIndex
    second: WeightIndex
    centre: tuple[float, float]
    first_values: np.ndarray
    second_values: np.ndarray
    costs: np.ndarray
    loss: str


@dataclass(frozen=True)
class TrainingPath:
    """Where training took two weights.

    Attributes
    ----------
    first, second : (int, int, int)
        ``(layer, i, j)`` of the two weights.
    positions : ndarray (m + 1, 2)
        :math:`(w_1, w_2)` before training (row 0) and after each of the ``m`` batches.
    costs : ndarray (m + 1,)
        :math:`C` on the ``(x, y)`` given, at each row of ``positions``.
    epochs : ndarray (m + 1,)
        The epoch (from 1) each batch belonged to; 0 for the starting point.
    optimizer : str
        The optimiser's name.
    learning_rate : float
    isolated : bool
        ``True`` when only the two weights moved (every other parameter was put back
        after each step): the path then lies exactly on the :class:`CostSurface`.
    diverged : bool
        ``True`` when training stopped because the loss or the weights became NaN or
        infinite; the path holds the steps before that.
    """

    first: WeightIndex
    second: WeightIndex
    positions: np.ndarray
    costs: np.ndarray
    epochs: np.ndarray
    optimizer: str
    learning_rate: float
    isolated: bool
    diverged: bool


def _two_weights(probe: WeightProbe, network: Network, x: Any, y: Any, first: Any,
                 second: Any) -> tuple[WeightIndex, WeightIndex]:
    """Check ``first`` and ``second`` (each ``(layer, i, j)``); fill the missing ones with
    the most informative weights (:func:`rank_weights`)."""
    chosen: list[WeightIndex | None] = []
    for name, value in (("first", first), ("second", second)):
        if value is None:
            chosen.append(None)
            continue
        if not (isinstance(value, (tuple, list)) and len(value) == 3):
            raise ValueError(f"{name}: expected (layer, i, j), received: {value!r}")
        chosen.append(probe.check(value[0], tuple(value[1:]), name))
    if None in chosen:
        ranked = [w for w in rank_weights(network, x, y, probe=probe) if w not in chosen]
        if len(ranked) < chosen.count(None):
            raise ValueError("x, y: expected a batch on which at least two weights have a "
                             "non-zero gradient and a non-constant input")
        chosen = [w if w is not None else ranked.pop(0) for w in chosen]
    one, two = chosen
    assert one is not None and two is not None  # both filled above
    if one == two:
        raise ValueError(f"second: expected a weight other than first {one}, received the "
                         "same")
    return one, two


def _half_widths(span: Any) -> tuple[float, float]:
    values = span if isinstance(span, (tuple, list)) else (span, span)
    if len(values) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                   and math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"span: expected a positive number or two (half-widths along w1 "
                         f"and w2), received: {span!r}")
    return float(values[0]), float(values[1])


def cost_surface(network: Network, x: Any, y: Any, first: WeightIndex | None = None,
                 second: WeightIndex | None = None,
                 span: float | tuple[float, float] = 1.0, resolution: int = 41,
                 centre: tuple[float, float] | None = None) -> CostSurface:
    r"""The cost :math:`C(w_1, w_2)` on ``(x, y)`` over a square grid of two weights.

    Parameters
    ----------
    network : Network
        Not modified: the grid is computed on a float64 copy.
    x, y : arrays
        The batch the cost is measured on.
    first, second : (int, int, int), optional
        ``(layer, i, j)``: :math:`W_{ij}` of ``network.layers[layer]``. Default: the two
        weights with the largest :math:`|\partial C/\partial w|` that are not wired to a
        constant input (:func:`neuroflow.experiments.weights.rank_weights`).
    span : float or (float, float)
        Half-width of the grid along :math:`w_1` (and :math:`w_2`).
    resolution : int
        Grid points per axis (>= 3). With an odd number the centre is a grid point.
    centre : (float, float), optional
        Default: the two weights' current values, so the centre's cost is the
        network's current cost.

    Returns
    -------
    CostSurface
        ``costs`` has shape ``(resolution, resolution)``, rows along :math:`w_2`.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 3:
        raise ValueError(f"resolution: expected an integer >= 3, received: {resolution!r}")
    widths = _half_widths(span)
    probe = WeightProbe(network, x, y)
    first, second = _two_weights(probe, network, x, y, first, second)
    if centre is None:
        centre = (probe.get(first), probe.get(second))
    elif not (isinstance(centre, (tuple, list)) and len(centre) == 2 and
              all(isinstance(v, (int, float)) and math.isfinite(v) for v in centre)):
        raise ValueError(f"centre: expected two finite numbers (w1, w2), received: "
                         f"{centre!r}")
    offsets = np.linspace(-1.0, 1.0, resolution)
    if resolution % 2:
        offsets[resolution // 2] = 0.0
    first_values = float(centre[0]) + widths[0] * offsets
    second_values = float(centre[1]) + widths[1] * offsets
    costs = np.empty((resolution, resolution))
    for row, value2 in enumerate(second_values):
        probe.set(second, float(value2))
        for column, value1 in enumerate(first_values):
            probe.set(first, float(value1))
            costs[row, column] = probe.cost()
    return CostSurface(first, second, (float(centre[0]), float(centre[1])), first_values,
                       second_values, costs, probe.network.loss.name)


class _Recorder(Callback):
    """Records two weights and the cost on a fixed batch after every batch of ``fit``;
    with ``isolate``, puts every other parameter back first."""

    def __init__(self, probe: WeightProbe, first: WeightIndex, second: WeightIndex,
                 isolate: bool) -> None:
        super().__init__()
        self.probe, self.first, self.second, self.isolate = probe, first, second, isolate
        self.frozen: list[np.ndarray] = []
        self.positions: list[tuple[float, float]] = []
        self.costs: list[float] = []
        self.epochs: list[int] = []
        self.epoch = 0

    def record(self) -> None:
        self.positions.append((self.probe.get(self.first), self.probe.get(self.second)))
        self.costs.append(self.probe.cost())
        self.epochs.append(self.epoch)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.frozen = [p.copy() for p in self.probe.network.parameters()]
        self.record()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch = epoch + 1

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.isolate:
            moved = (self.probe.get(self.first), self.probe.get(self.second))
            for parameter, saved in zip(self.probe.network.parameters(), self.frozen):
                parameter[...] = saved
            self.probe.set(self.first, moved[0])
            self.probe.set(self.second, moved[1])
        self.record()


def training_path(network: Network, x: Any, y: Any, first: WeightIndex | None = None,
                  second: WeightIndex | None = None, epochs: int = 5, learning_rate: float = 0.1,
                  optimizer: str = "sgd", batch_size: int = 32, seed: int = 0,
                  isolate: bool = True) -> TrainingPath:
    r"""Train a copy of ``network`` on ``(x, y)`` and record two weights after every batch.

    The copy (``network.copy(dtype="float64")``) is trained by :meth:`Network.fit` with
    ``optimizer`` and ``learning_rate``, its shuffling drawn from ``seed``; a
    :class:`neuroflow.hooks.Callback` records :math:`(w_1, w_2)` and the cost on the whole
    of ``(x, y)`` before training and after each batch. For plain SGD each step is
    :math:`w \leftarrow w - \eta\, \partial C_B/\partial w` on the batch :math:`B`.

    Parameters
    ----------
    network : Network
        Not modified.
    x, y : arrays
        Training data; the recorded cost is measured on all of it.
    first, second : (int, int, int), optional
        ``(layer, i, j)`` of the two weights to follow; default: as for
        :func:`cost_surface`.
    epochs, learning_rate, optimizer, batch_size
        As for :meth:`Network.fit`.
    seed : int
        Seeds the order in which the copy visits the samples.
    isolate : bool
        Train the two weights only: after each step every other parameter is put back,
        so the path lies on :func:`cost_surface`'s slice (same frozen parameters). With
        ``False`` all parameters learn and the slice under the path moves while it is
        drawn on the fixed one.

    Returns
    -------
    TrainingPath
        ``positions[0]`` is the two weights' starting values.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, received: {seed!r}")
    probe = WeightProbe(network, x, y)
    first, second = _two_weights(probe, network, x, y, first, second)
    copy = probe.network
    copy.rng = np.random.default_rng(seed)
    copy.rebind_random_generator()
    recorder = _Recorder(probe, first, second, bool(isolate))
    diverged = False
    try:
        copy.fit(x, y, epochs=epochs, learning_rate=learning_rate, optimizer=optimizer,
                 batch_size=batch_size, callbacks=[recorder], verbose=0)
    except TrainingDivergedError:
        diverged = True
    name = copy.optimizer.name if copy.optimizer is not None else str(optimizer)
    return TrainingPath(first, second, np.asarray(recorder.positions),
                        np.asarray(recorder.costs), np.asarray(recorder.epochs), name,
                        float(learning_rate), bool(isolate), diverged)
