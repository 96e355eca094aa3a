"""``sweep``, the cost-curve figures and the playground (its live frames and its
learning-rate race) name behaviours with the one function,
``neuroflow.experiments.behaviour.classify``, so a learning rate too small to move the
loss "stalls" in each of them (D11: the sweep and the race called it "converges")."""

from __future__ import annotations

import importlib

import numpy as np

import neuroflow as nf
from neuroflow.experiments import behaviour, cost_curve, sweep

# the package exports functions of the same names as these modules
sweep_module = importlib.import_module("neuroflow.experiments.sweep")
cost_curve_module = importlib.import_module("neuroflow.experiments.cost_curve")


def test_every_face_imports_the_one_classify():
    from neuroflow.playground import engine, explore

    assert sweep_module.classify is behaviour.classify
    assert cost_curve_module.classify is behaviour.classify
    assert engine.classify is behaviour.classify
    assert explore.sweep_rows is sweep_module.sweep_rows  # the race's rows are sweep's


def test_sweep_calls_a_rate_too_small_to_learn_stalls():
    x, y = nf.datasets.make_moons(n_samples=80, seed=0)
    net = nf.Network.from_sizes([2, 8, 2], hidden="tanh", output="softmax", seed=0,
                                dtype="float64")
    rows = sweep(net, x, y, [1e-12, 1e-30], ["sgd"], epochs=3, batch_size=16, seed=0)
    assert [row.behaviour for row in rows] == ["stalls", "stalls"]


def test_the_race_calls_a_rate_too_small_to_learn_stalls():
    from neuroflow.playground.config import Config
    from neuroflow.playground.explore import race

    events = list(race(Config(points=60), [1e-12, 1.0], epochs=4, report_every=2))
    rows = events[-1]["rows"]
    assert rows[0]["behaviour"] == "stalls" and rows[1]["behaviour"] != "stalls"


def test_the_cost_curve_calls_a_rate_too_small_to_move_stalls():
    x, y = nf.datasets.make_moons(n_samples=40, seed=0)
    net = nf.Network.from_sizes([2, 4, 2], hidden="tanh", output="softmax", seed=0,
                                dtype="float64")
    curve = cost_curve(net, x, y, learning_rates=[1e-12], steps=5)
    assert [path.behaviour for path in curve.paths] == ["stalls"]
    assert np.ptp(curve.paths[0].costs) <= behaviour.FLAT * curve.paths[0].costs[0]
