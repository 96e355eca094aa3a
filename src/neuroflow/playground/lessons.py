r"""The playground's two lessons, computed by neuroflow and sent as JSON.

:func:`depth_lesson`: does depth help? Two interleaved spirals learnt by one hidden layer
of 44 tanh neurons and by three hidden layers of 8, **the same budget**: the same number
of parameters (177 each), the same epochs, optimiser, learning rate and batch size, the
same seed and mini-batches. Each run's loss after every epoch and its output over the
plane (the decision map) come from :meth:`Network.fit` and :meth:`Network.layer_outputs`.

:func:`minima_lesson`: local minima. :func:`neuroflow.experiments.basins.basins` on
:func:`~neuroflow.experiments.basins.two_basin_problem`: the cost of a one-weight
neuron with two basins, and gradient descent from the start drawn by each seed, each run
named by the basin it ends in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroflow.experiments.basins import basins, two_basin_problem
from neuroflow.experiments.sweep import reseeded_copy
from neuroflow.network import Network
from neuroflow.playground.config import toy_data
from neuroflow.playground.frames import BOUNDARY_SIZE, grid, quantise

__all__ = ["DEPTH_RUNS", "DEPTH_TRAINING", "depth_lesson", "minima_lesson",
           "MAX_LESSON_EPOCHS", "MAX_LESSON_SEEDS"]

#: The two networks of the depth lesson: their name and hidden layer sizes (177
#: parameters each: 2·44 + 44 + 44 + 1 and 2·8 + 8 + 2·(8·8 + 8) + 8 + 1).
DEPTH_RUNS = (("1 hidden layer of 44", (44,)), ("3 hidden layers of 8", (8, 8, 8)))
#: The training both get: the same budget.
DEPTH_TRAINING: dict[str, Any] = {"optimizer": "adam", "learning_rate": 0.02,
                                  "batch_size": 50}
#: Most epochs the depth lesson trains.
MAX_LESSON_EPOCHS = 1000
#: Most seeds (runs) of the local-minima lesson.
MAX_LESSON_SEEDS = 32


def _depth_run(sizes: Sequence[int], x: np.ndarray, y: np.ndarray, epochs: int, seed: int,
               plane: np.ndarray) -> dict[str, Any]:
    network = Network.from_sizes([2, *sizes, 1], hidden="tanh", output="sigmoid",
                                 seed=seed, dtype="float64")
    network = reseeded_copy(network, seed)  # both runs draw the same mini-batches
    first = network.evaluate(x, y)
    history = network.fit(x, y, epochs=epochs, verbose=0, **DEPTH_TRAINING)
    output = network.layer_outputs(plane)[-1][:, 0]
    return {"sizes": [2, *sizes, 1],
            "parameters": int(sum(p.size for p in network.parameters())),
            "losses": [float(first["loss"]), *map(float, history.history["loss"])],
            "accuracies": [float(first["accuracy"]),
                           *map(float, history.history["accuracy"])],
            "boundary": quantise(output.reshape(BOUNDARY_SIZE, BOUNDARY_SIZE), 0.0, 1.0)}


def depth_lesson(epochs: int = 200, seed: int = 0, points: int = 400,
                 noise: float = 0.1) -> dict[str, Any]:
    """Spirals learnt by one and by three hidden layers with the same budget.

    Parameters
    ----------
    epochs : int
        Epochs each network trains (1 to :data:`MAX_LESSON_EPOCHS`).
    seed : int
        Seed of the data, of both networks' weights and of their mini-batches.
    points : int
        Points of the spiral data set.
    noise : float
        Its noise.

    Returns
    -------
    dict
        ``budget`` (what both runs share: ``parameters``, ``epochs`` and
        :data:`DEPTH_TRAINING`), ``extent`` (the plane's ``[x0 min, x0 max, x1 min, x1
        max]``), ``points`` and ``labels`` (the data), and ``runs``: per network, ``name``,
        ``sizes``, ``parameters``, ``losses`` and ``accuracies`` (on the data, before
        training and after each epoch) and ``boundary`` (its output over the plane, a
        quantised :data:`~neuroflow.playground.frames.BOUNDARY_SIZE` square map).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or \
            not 1 <= epochs <= MAX_LESSON_EPOCHS:
        raise ValueError(f"epochs: expected an integer from 1 to {MAX_LESSON_EPOCHS}, "
                         f"received {epochs!r}")
    x, y = toy_data("spiral", points, noise, seed)
    low, high = x.min(axis=0), x.max(axis=0)
    centre, half = (low + high) / 2, float((high - low).max()) / 2 * 1.1 + 0.1
    extent = (float(centre[0] - half), float(centre[0] + half),
              float(centre[1] - half), float(centre[1] + half))
    plane = grid(extent, BOUNDARY_SIZE)
    inputs = x.astype(np.float64)
    runs = [{"name": name, **_depth_run(sizes, inputs, y, epochs, seed, plane)}
            for name, sizes in DEPTH_RUNS]
    return {"budget": {"parameters": runs[0]["parameters"], "epochs": epochs,
                       **DEPTH_TRAINING},
            "extent": list(extent), "points": inputs.tolist(), "labels": y.tolist(),
            "runs": runs}


def minima_lesson(seeds: int = 8) -> dict[str, Any]:
    """Gradient descent on a cost with two basins from ``seeds`` starts.

    Returns
    -------
    dict
        ``weights`` and ``costs`` (the scanned curve), ``minima`` (``w`` and ``cost`` of
        each, ``best`` true for the lowest), ``ridges``, ``learning_rate``, ``steps`` and
        ``runs``: per seed, ``seed``, ``path`` (every tenth position and the last),
        ``start``, ``end``, ``cost`` (the last cost) and ``basin`` (an index into
        ``minima``).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or \
            not 1 <= seeds <= MAX_LESSON_SEEDS:
        raise ValueError(f"seeds: expected an integer from 1 to {MAX_LESSON_SEEDS}, "
                         f"received {seeds!r}")
    found = basins(*two_basin_problem(), seeds=range(seeds))
    best = found.best
    steps = len(found.runs[0].positions) - 1
    return {"weights": found.weights.tolist(), "costs": found.costs.tolist(),
            "minima": [{"w": float(w), "cost": float(c), "best": k == best}
                       for k, (w, c) in enumerate(zip(found.minima, found.minimum_costs))],
            "ridges": found.ridges.tolist(), "learning_rate": found.learning_rate,
            "steps": steps, "model": "tanh(w x), mean squared error on 4 points",
            "runs": [{"seed": run.seed, "start": float(run.positions[0]),
                      "end": float(run.positions[-1]), "cost": float(run.costs[-1]),
                      "basin": run.basin,
                      "path": [float(w) for w in run.positions[::10]]
                      + [float(run.positions[-1])]}
                     for run in found.runs]}
