"""Each diagnostic fires on a case built to show it and stays silent on a healthy run."""

import io

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import History
from neuroflow.callbacks.diagnostics import Diagnostics, Finding
from neuroflow.datasets import make_moons, make_regression


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.15, seed=0)


def _fit(net, x, y, **options):
    diagnostics = Diagnostics(every=1, stream=io.StringIO())
    net.fit(x, y, verbose=0, callbacks=[diagnostics], **options)
    return diagnostics


def _kinds(diagnostics):
    return {(finding.kind, finding.layer) for finding in diagnostics.findings}


def test_exposed_as_nf_callbacks_diagnostics():
    assert nf.callbacks.Diagnostics is Diagnostics
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        nf.callbacks.Nope  # noqa: B018


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
def test_healthy_run_is_silent_and_history_has_an_empty_list_per_epoch(moons, hidden):
    x, y = moons
    net = nf.Network.from_sizes([2, 16, 16, 2], hidden=hidden, seed=0)
    diagnostics = _fit(net, x, y, epochs=6, batch_size=32, learning_rate=0.01,
                       validation_split=0.25)
    assert diagnostics.findings == []
    assert net.history.history["diagnostics"] == [[]] * 6
    ratios = diagnostics.statistics[-1]["gradient_ratio"]
    assert set(ratios) == {1, 2, 3} and all(0 < r < 1 for r in ratios.values())
    if hidden == "relu":
        assert diagnostics.statistics[-1]["dead_fraction"][1] < 0.5


def test_dead_relu_fires(moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 16, 16, 2], hidden="relu", seed=0)
    net.layers[1].params["b"][...] = -50.0          # layer 2 can never fire
    diagnostics = _fit(net, x, y, epochs=2, batch_size=32)
    assert ("dead_relu", 2) in _kinds(diagnostics)
    assert ("dead_relu", 1) not in _kinds(diagnostics)
    finding = next(f for f in diagnostics.findings if f.kind == "dead_relu")
    assert finding.value == 1.0
    assert str(finding).startswith("layer 2: 100% of ReLUs never fire — try He initialisation")
    assert net.history.history["diagnostics"][0][0]["kind"] == "dead_relu"


def test_saturation_fires(moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 16, 2], hidden="sigmoid", seed=0)
    net.layers[0].params["W"] *= 100.0
    diagnostics = _fit(net, x, y, epochs=1, batch_size=32)
    assert ("saturation", 1) in _kinds(diagnostics)
    assert "saturated" in next(str(f) for f in diagnostics.findings if f.kind == "saturation")


def test_vanishing_gradient_fires_in_a_deep_sigmoid_stack(moons):
    x, y = moons
    net = nf.Network.from_sizes([2] + [16] * 8 + [2], hidden="sigmoid", seed=0)
    diagnostics = _fit(net, x, y, epochs=1, batch_size=32, optimizer="sgd",
                       learning_rate=0.1)
    kinds = _kinds(diagnostics)
    assert ("vanishing_gradient", 1) in kinds
    assert ("vanishing_gradient", 9) not in kinds


def test_exploding_gradient_fires(moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 16, 16, 16, 1], hidden="linear", output="linear",
                                loss="mse", seed=0)
    for layer in net.layers:
        layer.params["W"] *= 4.0
    diagnostics = _fit(net, x, y.astype(np.float32), epochs=1, batch_size=32,
                       optimizer="sgd", learning_rate=1e-9)
    assert ("exploding_gradient", 1) in _kinds(diagnostics)


def test_divergence_fires_on_a_too_large_learning_rate():
    x, y = make_regression(64, n_features=2, seed=0)
    net = nf.Network([nf.Dense(2, 1)], loss="mse", seed=0)
    diagnostics = _fit(net, x, y, epochs=3, batch_size=64, optimizer="sgd", learning_rate=1.5)
    assert [f.epoch for f in diagnostics.findings if f.kind == "divergence"] == [1, 2]
    assert "learning rate is probably too high" in str(diagnostics.findings[0])


def test_a_wobble_near_the_minimum_is_not_divergence():
    """0.0038 -> 0.0058 is 1.5 times the best loss, yet after a drop from 0.69 it is noise
    near the minimum: it was reported as "training diverges" (the playground showed it
    on a converged moons run)."""
    diagnostics = nf.callbacks.Diagnostics(verbose=False)
    diagnostics.set_params({"verbose": 0})
    found = []
    for epoch, loss in enumerate([0.69, 0.2, 0.01, 0.0038, 0.0058]):
        found += diagnostics._loss_findings(epoch, {"loss": loss})
    assert [f.kind for f in found] == []
    diagnostics = nf.callbacks.Diagnostics(verbose=False)
    found = []
    for epoch, loss in enumerate([0.69, 0.3, 0.6]):  # gives back most of the gain
        found += diagnostics._loss_findings(epoch, {"loss": loss})
    assert [(f.kind, f.epoch) for f in found] == [("divergence", 2)]


def test_plateau_fires_on_a_too_small_learning_rate():
    x, y = make_regression(64, n_features=2, seed=0)
    net = nf.Network([nf.Dense(2, 1)], loss="mse", seed=0)
    diagnostics = _fit(net, x, y, epochs=5, batch_size=64, optimizer="sgd",
                       learning_rate=1e-5)
    assert [f.epoch for f in diagnostics.findings if f.kind == "plateau"] == [3, 4]


def _replay(diagnostics, logs_per_epoch):
    net = nf.Network.from_sizes([2, 2], seed=0)
    net.history = History()
    diagnostics.set_network(net)
    diagnostics.set_params({"verbose": 0})
    diagnostics.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        diagnostics.on_epoch_begin(epoch)
        diagnostics.on_epoch_end(epoch, logs)
    diagnostics.on_train_end()
    return net.history.history["diagnostics"]


def test_overfitting_fires_on_loss_gap_and_accuracy_gap():
    diagnostics = Diagnostics()
    recorded = _replay(diagnostics, [
        {"loss": 0.5, "val_loss": 0.55, "accuracy": 0.8, "val_accuracy": 0.78},
        {"loss": 0.2, "val_loss": 0.6, "accuracy": 0.9, "val_accuracy": 0.8},
        {"loss": 0.18, "val_loss": 0.25, "accuracy": 0.99, "val_accuracy": 0.8},
    ])
    assert recorded[0] == []
    assert [f["kind"] for f in recorded[1]] == ["overfitting"]
    assert recorded[1][0]["value"] == pytest.approx(3.0)
    assert "memorises" in recorded[2][0]["message"]
    assert recorded[2][0]["value"] == pytest.approx(0.19)


def test_overfitting_fires_in_real_training():
    x, y = make_moons(240, noise=0.45, seed=1)
    net = nf.Network.from_sizes([2, 64, 64, 2], hidden="relu", seed=0)
    diagnostics = _fit(net, x[:24], y[:24], epochs=200, batch_size=24, learning_rate=0.02,
                       validation_data=(x[24:], y[24:]))
    assert "overfitting" in {f.kind for f in diagnostics.findings}


def test_loss_checks_stay_silent_on_steady_progress():
    recorded = _replay(Diagnostics(), [{"loss": 1.0 / (epoch + 1), "val_loss": 1.1 / (epoch + 1)}
                                       for epoch in range(8)])
    assert recorded == [[]] * 8


def test_verbose_writes_after_the_epoch_line(moons, capsys):
    x, y = moons
    net = nf.Network.from_sizes([2, 8, 2], hidden="relu", seed=0)
    net.layers[0].params["b"][...] = -50.0
    net.fit(x, y, epochs=2, batch_size=64, verbose=2, callbacks=[Diagnostics()])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2")
    assert lines[1] == ("  diagnostics (epoch 1): layer 1: 100% of ReLUs never fire — try He "
                        "initialisation, a lower learning rate or leaky_relu")
    assert lines[2].startswith("epoch 2/2") and "diagnostics (epoch 2)" in lines[3]


def test_silent_when_not_verbose_but_still_recorded(moons, capsys):
    x, y = moons
    net = nf.Network.from_sizes([2, 8, 2], hidden="relu", seed=0)
    net.layers[0].params["b"][...] = -50.0
    net.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[Diagnostics()])
    assert capsys.readouterr().out == ""
    assert net.history.history["diagnostics"][0][0]["kind"] == "dead_relu"


def test_samples_every_k_batches(moons):
    x, y = moons
    net = nf.Network.from_sizes([2, 8, 2], seed=0)
    diagnostics = Diagnostics(every=3, verbose=False)
    net.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[diagnostics])
    assert diagnostics._layers[1].samples == 4       # batches 0, 3, 6, 9 of 10


def test_finding_round_trips_to_dict():
    finding = Finding(2, "plateau", 0.0, "the loss stalled", "raise the learning rate")
    assert finding.to_dict() == {"epoch": 2, "kind": "plateau", "value": 0.0,
                                 "message": "the loss stalled",
                                 "hint": "raise the learning rate", "layer": None}


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"every": 0}, "every: expected a positive integer, received: 0"),
        ({"dead_fraction": 1.5}, r"dead_fraction: expected a number in \(0, 1\)"),
        ({"exploding_ratio": -1}, "exploding_ratio: expected a finite number > 0"),
        ({"divergence_factor": 1.0}, "divergence_factor: expected a finite number > 1"),
        ({"plateau_patience": 0}, "plateau_patience: expected a positive integer"),
        ({"verbose": 2}, "verbose: expected True, False or None"),
    ],
)
def test_bad_arguments_raise(options, match):
    with pytest.raises(ValueError, match=match):
        Diagnostics(**options)
