"""The playground engine's additions of issue 24, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
import neuroflow.playground
from neuroflow.playground import Config, Engine


def test_reset_draws_fresh_weights_with_a_new_seed():
    engine = Engine(Config(layers=(4,), seed=0))
    engine.step(2)
    before = engine.network.layers[0].params["W"].copy()
    engine.reset()
    assert engine.epoch == 0 and engine.config.seed != 0
    assert not np.array_equal(engine.network.layers[0].params["W"], before)
    engine.reset(seed=0)  # a given seed: that very start again
    assert np.array_equal(engine.network.layers[0].params["W"],
                          Engine(Config(layers=(4,), seed=0)).network.layers[0].params["W"])


def test_absurd_rates_are_allowed_and_seen_diverging():
    config = Config.parse({"lr": "1e6", "layers": "4"})
    assert config.learning_rate == 1e6
    with pytest.raises(ValueError, match=r"lr: expected a number > 0 and <= 1e\+06"):
        Config.parse({"lr": "0"})
    engine = Engine(config)
    assert engine.frame()["behaviour"] is None
    engine.step(2)
    assert engine.frame()["behaviour"] == "diverges"
    assert engine.losses[-1] > engine.losses[0]


def reproduce(engine, tmp_path):
    """Run the engine's Python and check it rebuilds the weights bit for bit."""
    namespace: dict = {}
    exec(engine.code(str(tmp_path / "m.safetensors"))["python"], namespace)
    for ours, theirs in zip(engine.network.parameters(), namespace["net"].parameters()):
        assert np.array_equal(ours, theirs)


def test_a_train_test_ratio_gives_a_test_loss_curve_on_the_held_out_points(tmp_path):
    engine = Engine(Config(ratio=60, layers=(4,), data="gauss", noise=0.3))
    x, y = nf.playground.toy_data("gauss", 400, 0.3, 0)
    assert len(engine.x) == 240 and len(engine.x_test) == 160
    assert np.array_equal(np.concatenate([engine.x, engine.x_test]), x)
    engine.step(3)
    assert len(engine.test_losses) == len(engine.losses) == 4
    expected = engine.network.evaluate(x[240:], y[240:])["loss"]
    assert engine.frame()["test_loss"] == pytest.approx(expected, rel=1e-12)
    state = engine.state()
    assert len(state["test_points"]) == 160 and len(state["test_labels"]) == 160
    assert Engine(Config()).frame()["test_loss"] is None  # all points trained on
    reproduce(engine, tmp_path)


def test_feature_crosses_are_the_networks_inputs(tmp_path):
    names = ("x0", "x1", "x0^2", "x1^2", "x0x1", "sin_x0", "sin_x1")
    engine = Engine(Config(features=names, layers=(3,), data="circles"))
    assert engine.network.sizes == [7, 3, 1]
    a, b = engine.x[:, 0].astype(np.float64), engine.x[:, 1].astype(np.float64)
    expected = np.stack([a, b, a * a, b * b, a * b, np.sin(a), np.sin(b)], axis=1)
    assert np.array_equal(engine.inputs, expected)
    state = engine.state()
    assert state["features"] == list(names) and len(state["input_maps"]) == 7
    engine.step(2)
    reproduce(engine, tmp_path)
    # circles with x0^2 and x1^2 alone: one neuron (no hidden layer) separates them
    alone = Engine(Config(features=("x0^2", "x1^2"), layers=(), data="circles",
                          learning_rate=1.0))
    alone.step(30)
    assert alone.accuracies[-1] > 0.95
    with pytest.raises(ValueError, match="features: expected distinct names among x0, x1"):
        Config.parse({"features": "x0,x9"})


def test_the_optimisers_l1_penalty_adds_lambda_sign_w():
    param, grad = np.array([0.5, -2.0, 0.0]), np.array([0.1, 0.1, 0.1])
    nf.optimizers.SGD(learning_rate=0.1, l1=0.2).step([(param, grad)])
    assert np.allclose(param, [0.5 - 0.1 * (0.1 + 0.2), -2.0 - 0.1 * (0.1 - 0.2), -0.01])
    assert nf.optimizers.Adam(l1=0.3).get_config()["l1"] == 0.3
    with pytest.raises(ValueError, match="l1"):
        nf.optimizers.SGD(l1=-1.0)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_l1_and_l2_shrink_the_weights(kind, tmp_path):
    plain = Engine(Config(layers=(8,), learning_rate=0.3))
    penalised = Engine(Config(layers=(8,), learning_rate=0.3, regularization=kind,
                              regularization_rate=0.05))
    for engine in (plain, penalised):
        engine.step(20)
    size = [sum(float(np.abs(layer.params["W"]).sum()) for layer in e.network.layers)
            for e in (plain, penalised)]
    assert size[1] < 0.8 * size[0]
    key = "l1" if kind == "l1" else "weight_decay"
    assert getattr(penalised.network.optimizer, key) == 0.05
    # a new rate continues training with a new optimiser; the code says so
    assert not penalised.configure(penalised.config.with_changes(regularization_rate=0.01))
    penalised.step(2)
    assert f"{key}=0.01" in penalised.code()["python"]
    reproduce(penalised, tmp_path)


@pytest.mark.parametrize("data", ["plane", "multigauss"])
def test_regression_fits_a_real_target(data, tmp_path):
    engine = Engine(Config(problem="regression", data=data, layers=(8, 8), noise=0.0,
                           learning_rate=0.03))
    assert engine.network.layers[-1].activation.name == "linear"
    first = engine.losses[0]
    engine.step(15)
    assert engine.losses[-1] < 0.5 * first
    frame = engine.frame()
    assert frame["accuracy"] is None and frame["centre"] == 0.0
    assert engine.inspect(0)["label"] == pytest.approx(float(engine.y[0]))
    reproduce(engine, tmp_path)
    with pytest.raises(ValueError, match="data: expected one of plane, multigauss"):
        Config.parse({"problem": "regression", "data": "moons"})


def test_the_new_data_sets_are_seeded_and_shaped():
    for make in (nf.datasets.make_gaussian, nf.datasets.make_plane,
                 nf.datasets.make_gaussians):
        x, y = make(50, noise=0.1, seed=3)
        again = make(50, noise=0.1, seed=3)
        assert x.shape == (50, 2) and x.dtype == np.float32 and y.shape == (50,)
        assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])
    x, y = nf.datasets.make_gaussian(200, noise=0.0)
    assert y.dtype == np.int64 and np.mean((x.sum(axis=1) > 0) == (y == 1)) > 0.97
    x, y = nf.datasets.make_plane(100, noise=0.0)
    assert np.allclose(y, (x[:, 0] + x[:, 1]) / 2, atol=1e-6)
    x, y = nf.datasets.make_gaussians(300, noise=0.0)
    assert y.min() >= -1 and y.max() <= 1 and y.min() < -0.5 and y.max() > 0.5


def test_a_weight_set_by_hand_changes_the_map_at_once_and_the_code_replays_it(tmp_path):
    engine = Engine(Config(layers=(3,)))
    engine.step(2)
    before = engine.frame()
    frame = engine.set_weight(0, 1, 2, 4.5)
    assert engine.network.layers[0].params["W"][1, 2] == 4.5
    assert frame["epoch"] == 2 and frame["weights"][0][1][2] == 4.5
    assert frame["neurons"][0][2] != before["neurons"][0][2]
    assert frame["loss"] == engine.network.evaluate(engine.x, engine.y)["loss"]
    assert len(engine.losses) == 3
    engine.step(1)
    assert "params['W'][1, 2] = 4.5" in engine.code()["python"]
    reproduce(engine, tmp_path)
    with pytest.raises(ValueError, match="weight: expected layer.i.j of the 2-3-1 network"):
        engine.set_weight(1, 3, 0, 1.0)
