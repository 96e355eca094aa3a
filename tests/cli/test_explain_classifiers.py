"""``neuroflow explain`` on every kind of classifier: the label, the prediction and the
probabilities (the outputs, for a quadratic cost on class labels), and the step traced with
the model's own learning rate and optimiser unless ``--learning-rate`` is given."""

import re

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.cli._sources import labelled_data


def _explain(argv, capsys):
    assert main(["explain", *argv]) == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def nielsen(tmp_path_factory):
    """``train --preset nielsen`` (784-30-10, sigmoid, mse, SGD) for 1 epoch on 300 images."""
    path = tmp_path_factory.mktemp("nielsen") / "nielsen.safetensors"
    assert main(["train", "--preset", "nielsen", "--epochs", "1", "--limit", "300",
                 "--out", str(path), "--quiet"]) == 0
    return path


def _moons_model(tmp_path, sizes, output, loss, **fit):
    x, y = nf.datasets.make_moons(100, seed=0)
    net = nf.Network.from_sizes(sizes, hidden="tanh", output=output, loss=loss, seed=0)
    net.fit(x, y, epochs=2, batch_size=20, verbose=0, **fit)
    path = tmp_path / "model.safetensors"
    net.save(str(path))
    return path, net


def test_nielsen_model_shows_label_prediction_outputs_and_its_own_rate(nielsen, capsys):
    out = _explain([str(nielsen), "--sample", "0"], capsys)
    rate = nf.load(str(nielsen)).optimizer.current_learning_rate()
    assert rate != 0.1  # the model's own, not the old default
    assert f"learning rate η = {rate:g}, the model's own" in out.splitlines()[0]
    assert "PREDICTION  (the outputs a, not probabilities; the prediction is the largest " \
           "output)" in out
    line = re.search(r"sample 0: label 7, prediction (\d) \(a = ([0-9.e-]+)\), (correct|wrong)",
                     out)
    assert line is not None
    assert f"ΔW = -η ∂C/∂W  (η = {rate:g})" in out and f"η = {rate:g}, on a float64" in out


def test_nielsen_model_with_a_given_rate(nielsen, capsys):
    out = _explain([str(nielsen), "--sample", "0", "--learning-rate", "0.25"], capsys)
    assert "learning rate η = 0.25, given" in out.splitlines()[0]


def test_binary_cross_entropy_model(tmp_path, capsys):
    path, net = _moons_model(tmp_path, [2, 4, 1], "sigmoid", "binary_cross_entropy",
                             optimizer="sgd", learning_rate=0.3)
    out = _explain([str(path), "--data", "moons", "--sample", "2", "--ascii"], capsys)
    assert "learning rate eta = 0.3, the model's own" in out.splitlines()[0]
    assert "PREDICTION  (the probability of every class; they add up to 1)" in out
    assert re.search(r"sample 2: label [01], prediction [01] \(p = [0-9.e-]+\), "
                     r"(correct|wrong)", out)
    p = re.search(r"sample 2 +([0-9.e-]+) +([0-9.e-]+)\n", out)
    assert p is not None and abs(float(p[1]) + float(p[2]) - 1) < 1e-3


def test_multi_label_sigmoid_model(tmp_path, capsys):
    x, y = nf.datasets.make_moons(60, seed=1)
    labels = np.stack([y, 1 - y, (x[:, 0] > 0).astype(int)], axis=1).astype(float)
    net = nf.Network.from_sizes([2, 4, 3], hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", seed=0)
    out = nf.explain.format_trace(nf.trace(net, x[:1], labels[:1]), unicode=False)
    assert "PREDICTION  (multi-label: output j is the probability that label j is on" in out
    assert re.search(r"sample 0: labels on \{[0-9, ]*\}, prediction \{[0-9, ]*\}, "
                     r"(correct|wrong)", out)


def test_softmax_model_with_adam_shows_the_optimisers_step(tmp_path, capsys):
    path, net = _moons_model(tmp_path, [2, 4, 2], "softmax", "cross_entropy",
                             optimizer="adam", learning_rate=0.02)
    out = _explain([str(path), "--data", "moons", "--sample", "1", "--ascii"], capsys)
    assert "learning rate eta = 0.02, the model's own" in out.splitlines()[0]
    assert "PREDICTION  (the probability of every class; they add up to 1)" in out
    assert re.search(r"sample 1: label [01], prediction [01] \(p = [0-9.e-]+\)", out)
    assert "Delta W = the adam optimiser's step from its saved state" in out
    # the change shown is the one the model's next fit step makes
    loaded = nf.load(str(path)).copy("float64")
    x, y = labelled_data("moons", loaded)
    before = loaded.layers[-1].params["W"].copy()
    loaded.fit(x[1:2], y[1:2], epochs=1, batch_size=1, shuffle=False, verbose=0)
    change = loaded.layers[-1].params["W"] - before
    shown = re.search(r"Delta W = the adam.*?\n.*?\n +in 0 +([0-9.e-]+) +([0-9.e-]+)", out)
    assert shown is not None
    assert np.allclose([float(shown[1]), float(shown[2])], change[0], rtol=2e-3, atol=1e-9)


def test_a_schedule_uses_its_rate_at_the_models_step(tmp_path, capsys):
    schedule = nf.schedules.StepDecay(0.5, step_size=3, factor=0.5)
    path, net = _moons_model(tmp_path, [2, 4, 2], "softmax", "cross_entropy",
                             optimizer=nf.optimizers.SGD(learning_rate=schedule))
    out = _explain([str(path), "--data", "moons", "--sample", "0"], capsys)
    loaded = nf.load(str(path))
    rate = loaded.optimizer.current_learning_rate()
    assert f"η = {rate:g}, the model's own: its" in out.splitlines()[0]
    assert f"step schedule at step {loaded.optimizer.iterations}" in out.splitlines()[0]
    assert loaded.optimizer.iterations == 10 and rate == 0.5 * 0.5 ** 3


def test_quadratic_cost_on_labels_for_a_batch_and_none_for_regression():
    x, y = nf.datasets.make_moons(30, seed=2)
    net = nf.Network.from_sizes([2, 4, 2], hidden="tanh", output="sigmoid", loss="mse",
                                seed=0)
    out = nf.trace(net, x[:3], y[:3]).format(unicode=False)
    assert "PREDICTION  (the outputs a, not probabilities" in out
    assert all(f"sample {i}: label {y[i]}, prediction" in out for i in range(3))
    regression = nf.Network.from_sizes([2, 4, 2], hidden="tanh", output="linear", loss="mse",
                                       seed=0)
    assert "PREDICTION" not in str(nf.trace(regression, x[:3], np.full((3, 2), 0.3)))
