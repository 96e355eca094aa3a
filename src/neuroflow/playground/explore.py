"""The playground's two experiments: the cost landscape over two weights, and the
learning-rate race.

:func:`landscape` is :func:`neuroflow.experiments.landscape.cost_surface` around the
engine's current weights, with the path the engine's own training took (one point per
epoch), or, in ``isolate`` mode, :func:`~neuroflow.experiments.landscape.training_path`
moving the two weights alone, so that the path lies exactly on the slice.

:func:`race` is :func:`neuroflow.experiments.sweep.sweep` played live: copies of one
network (same weights, same mini-batches) train side by side with several learning
rates, and each is named by :func:`neuroflow.experiments.behaviour.classify` from its
measured losses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from neuroflow.errors import TrainingDivergedError
from neuroflow.experiments.landscape import cost_surface, training_path
from neuroflow.experiments.sweep import reseeded_copy, sweep_rows, to_csv
from neuroflow.network import Network
from neuroflow.playground.build import build_network, network_inputs, training_data
from neuroflow.playground.config import Config
from neuroflow.playground.engine import Engine

__all__ = ["landscape", "race", "parse_weight"]

Weight = tuple[int, int, int]


def parse_weight(text: str, sizes: Sequence[int], key: str = "w") -> Weight:
    """``"layer.i.j"`` (``W[i, j]`` of ``network.layers[layer]``), checked against the
    layer ``sizes``."""
    try:
        layer, i, j = (int(part) for part in str(text).split("."))
    except ValueError:
        raise ValueError(f"{key}: expected layer.i.j such as 0.1.2, received {text!r}") \
            from None
    if not (0 <= layer < len(sizes) - 1 and 0 <= i < sizes[layer] and
            0 <= j < sizes[layer + 1]):
        raise ValueError(f"{key}: expected a weight of the {'-'.join(map(str, sizes))} "
                         f"network (layer 0 to {len(sizes) - 2}), received {text!r}")
    return layer, i, j


def _offset(network: Network, weight: Weight) -> int:
    """Where ``W[i, j]`` of layer ``weight[0]`` sits in the parameters laid end to end."""
    layer, i, j = weight
    start = 0
    for index, candidate in enumerate(network.layers):
        for key, value in candidate.params.items():
            if index == layer and key == "W":
                return start + i * value.shape[1] + j
            start += value.size
    raise ValueError(f"w: no weight {weight}")


def landscape(engine: Engine, first: Weight, second: Weight, span: float = 2.0,
              resolution: int = 31, mode: str = "live") -> dict[str, Any]:
    """The cost over two weights around the engine's current values, and a path on it.

    Parameters
    ----------
    engine : Engine
    first, second : (layer, i, j)
    span : float
        Half-width of the grid along each weight (widened to hold the whole path).
    resolution : int
        Grid points per axis.
    mode : {"live", "isolate"}
        ``live``: the engine's training path, one point per epoch, while every weight
        learned (the slice under it moved); ``isolate``: a fresh path from the current
        weights with the two weights alone learning (20 epochs, the engine's optimiser,
        learning rate and batch size), which lies exactly on the slice.

    Returns
    -------
    dict
        ``first``, ``second``, ``w1``, ``w2`` (grid values), ``costs`` (rows along w2),
        ``path`` (``[[w1, w2], ...]``), ``path_costs``, ``mode``.
    """
    if first == second:
        raise ValueError("w2: expected a weight other than w1")
    if mode not in ("live", "isolate"):
        raise ValueError(f"mode: expected live or isolate, received {mode!r}")
    net, c = engine.network, engine.config
    if mode == "live":
        path = np.array([[p[_offset(net, first)], p[_offset(net, second)]]
                         for p in engine.path])
        path_costs = list(engine.losses)
    else:
        walk = training_path(net, engine.inputs, engine.y, first, second, epochs=20,
                             learning_rate=c.learning_rate, optimizer=c.optimizer,
                             batch_size=c.batch_size, seed=c.seed, isolate=True)
        path, path_costs = walk.positions, walk.costs.tolist()
    finite = path[np.all(np.isfinite(path), axis=1)]
    centre = (float(path[-1, 0]), float(path[-1, 1])) if mode == "live" else None
    if centre is not None and finite.size:
        reach = float(np.abs(finite - np.array(centre)).max())
        span = max(span, min(reach * 1.15, 50.0))
    surface = cost_surface(net, engine.inputs, engine.y, first, second, span=span,
                           resolution=resolution, centre=centre)
    return {"first": list(first), "second": list(second), "mode": mode,
            "w1": surface.first_values.tolist(), "w2": surface.second_values.tolist(),
            "costs": surface.costs.tolist(), "path": path.tolist(), "path_costs": path_costs,
            "centre": list(surface.centre), "loss": surface.loss}


def _accuracy(net: Network, x: np.ndarray, y: np.ndarray) -> float | None:
    accuracy = net.evaluate(x, y).get("accuracy")
    return None if accuracy is None else float(accuracy)


def race(config: Config, learning_rates: Sequence[float], epochs: int = 40,
         report_every: int = 2) -> Iterator[dict[str, Any]]:
    """:func:`neuroflow.experiments.sweep.sweep` over ``learning_rates``, played live.

    As in ``sweep``, every copy starts from the same network (``config``'s, freshly
    initialised) with its generator reseeded with the config's seed, so the copies draw
    the same mini-batches and differ in the learning rate alone; the cost on the whole data
    is recorded before training and after each epoch, and each run is named by
    :func:`~neuroflow.experiments.behaviour.classify` with the lowest finite final cost
    as the floor. Here the copies train side by side, one epoch each in turn, so their
    curves grow together: after every ``report_every`` epochs an event ``{"event":
    "progress", "epoch", "losses": [[C_0, C_1, ...] per rate]}`` is yielded, and at the
    end ``{"event": "result", "rows": [...], "csv": ...}``: the rows ``sweep`` returns
    for the same arguments (as dicts with ``losses`` and ``epochs``), and their
    :func:`~neuroflow.experiments.sweep.to_csv`.
    """
    points, y, _, _ = training_data(config)
    x = network_inputs(config, points)
    start = build_network(config)
    first = float(start.evaluate(x, y)["loss"])
    networks = [reseeded_copy(start, config.seed) for _ in learning_rates]
    losses: list[list[float]] = [[first] for _ in networks]
    running = [True] * len(networks)
    for epoch in range(1, epochs + 1):
        for k, (net, rate) in enumerate(zip(networks, learning_rates)):
            if not running[k]:
                continue
            options: dict[str, Any] = ({"optimizer": config.optimizer}
                                       if net.optimizer is None else {})
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    net.fit(x, y, epochs=1, batch_size=config.batch_size,
                            learning_rate=rate, verbose=0, **options)
                    losses[k].append(float(net.evaluate(x, y)["loss"]))
            except TrainingDivergedError:
                losses[k].append(math.inf)
                running[k] = False
        if epoch % report_every == 0 or epoch == epochs:
            yield {"event": "progress", "epoch": epoch, "losses": losses}
    rows = sweep_rows([(net.optimizer.name if net.optimizer is not None else config.optimizer,
                        rate, path, _accuracy(net, x, y) if ran else None)
                       for net, rate, path, ran in zip(networks, learning_rates, losses,
                                                       running)])
    yield {"event": "result", "csv": to_csv(rows),
           "rows": [{**asdict(row), "losses": list(row.losses), "epochs": epochs}
                    for row in rows]}
