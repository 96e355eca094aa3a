"""Training as taught: the quadratic cost on class labels (Nielsen's setup) with accuracy
reported, the ``nielsen`` preset and its learning-rate conversion, and the hint a run that
ends badly prints."""

from __future__ import annotations

import re

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import presets
from neuroflow.callbacks.diagnostics import Finding
from neuroflow.cli import _hints, main
from neuroflow.cli import _sources as cli_sources
from neuroflow.cli import train as cli_train


@pytest.fixture
def digits(monkeypatch):
    """A small learnable stand-in for MNIST (784 features, 10 classes), patched into the
    commands that load ``--data mnist``."""
    rng = np.random.default_rng(0)
    x = rng.random((300, 784), dtype=np.float32) * 0.1
    y = np.arange(300) % 10
    for shift in range(20):                                   # a block of pixels per class
        x[np.arange(300), y * 78 + shift] = 1.0
    data = (x[:250], y[:250], x[250:], y[250:])
    monkeypatch.setattr(cli_train, "load_data", lambda spec: data)
    monkeypatch.setattr(cli_sources, "load_data", lambda spec: data)
    return data


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


NIELSEN_LIKE = ["--layers", "784,30,10", "--activation", "sigmoid", "--output-activation",
                "sigmoid", "--loss", "mse", "--optimizer", "sgd", "--batch-size", "10"]


# ---------------------------------------------------------------------------- mse on labels
def test_mse_on_class_labels_trains_and_reports_accuracy(capsys, digits, tmp_path):
    """It exited 2 (``y: expected targets of shape (n_samples, 10)``)."""
    model = tmp_path / "m.safetensors"
    code, out, err = _run(capsys, "train", *NIELSEN_LIKE, "--learning-rate", "15",
                          "--epochs", "3", "--out", model)
    assert code == 0, err
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 3 and all(" accuracy=" in line for line in epochs)
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0]) / 100
    assert accuracy > 0.5
    net = nf.load(str(model))
    assert net.loss.name == "mse" and net.sizes == [784, 30, 10]
    code, out, err = _run(capsys, "evaluate", model)
    assert code == 0, err
    assert f"accuracy: {accuracy:.4f}" in out


def test_mse_needs_one_output_per_class(capsys, digits, tmp_path):
    code, _, err = _run(capsys, "train", "--loss", "mse", "--layers", "784,16,5", "--quiet",
                        "--out", tmp_path / "m.safetensors")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--layers: the last size must be 10, one output per class" in err


def test_mse_on_csv_classes_one_hot_encodes(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    labels = np.arange(60) % 3
    points = rng.normal(size=(60, 2)) * 0.3 + np.array([[0, 0], [3, 0], [0, 3]])[labels]
    (tmp_path / "three.csv").write_text(
        "a,b,kind\n" + "".join(f"{p:.4f},{q:.4f},{k}\n" for (p, q), k in zip(points, labels)))
    code, out, err = _run(capsys, "train", "--data", "three.csv", "--loss", "mse",
                          "--optimizer", "sgd", "--learning-rate", "2", "--batch-size", "4",
                          "--epochs", "20", "--out", "m.safetensors")
    assert code == 0, err
    assert "test accuracy:" in out and " accuracy=" in out
    net = nf.load("m.safetensors")
    assert net.sizes == [2, 64, 3] and net.layers[-1].activation.name == "sigmoid"
    code, out, err = _run(capsys, "evaluate", "m.safetensors", "--data", "three.csv")
    assert code == 0, err
    assert float(out.split("accuracy: ")[1].split()[0]) > 0.9
    # predict names the class of an mse classifier too (it printed raw outputs only)
    (tmp_path / "points.csv").write_text("a,b\n3.0,0.0\n0.0,3.0\n")
    code, out, err = _run(capsys, "predict", "m.safetensors", "points.csv")
    assert code == 0, err
    header, first, second = out.strip().splitlines()
    assert header.split(",")[:2] == ["input", "class"]
    assert first.split(",")[1] == "1" and second.split(",")[1] == "2"


def test_library_mse_one_hot_encodes_labels_and_keeps_regression_a_regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    labels = rng.integers(0, 3, 40)
    net = nf.Network.from_sizes([4, 5, 3], hidden="sigmoid", output="sigmoid", loss="mse",
                                seed=0)
    one_hot = np.eye(3)[labels]
    assert net.evaluate(x, labels)["loss"] == net.evaluate(x, one_hot)["loss"]
    history = net.fit(x, labels, epochs=2, verbose=0, validation_data=(x, labels))
    assert {"accuracy", "val_accuracy"} <= set(history.history)
    scores = net.evaluate(x, labels)
    assert scores["accuracy"] == np.mean(net.predict(x).argmax(axis=1) == labels)
    assert "accuracy" not in net.evaluate(x, one_hot)      # real-valued rows: no accuracy
    continued = net.fit(x, one_hot * 0.9, epochs=1, verbose=0).history  # history goes on
    assert len(continued["loss"]) == 3 and len(continued["accuracy"]) == 2
    regression = nf.Network.from_sizes([4, 1], output="linear", loss="mse", seed=0)
    assert "accuracy" not in regression.fit(x, labels, epochs=1, verbose=0).history
    with pytest.raises(ValueError, match=r"y: expected class labels in \[0, 2\], received "
                                         r"values in \[1, 3\]"):
        net.fit(x, labels + 1, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"y: expected targets of shape \(n_samples, 3\)"):
        net.fit(x, labels + 0.5, epochs=1, verbose=0)


# ---------------------------------------------------------------------------- nielsen
def test_nielsen_preset_is_chapter_one():
    preset = presets.resolve("nielsen")
    net = presets.build_network(preset, seed=0)
    assert net.sizes == [784, 30, 10] and net.loss.name == "mse"
    assert [layer.activation.name for layer in net.layers] == ["sigmoid", "sigmoid"]
    assert [(layer.initializer.name, layer.initializer.std) for layer in net.layers] == \
        [("normal", 1.0)] * 2
    assert np.std(net.layers[0].params["W"]) == pytest.approx(1.0, rel=0.02)
    options = presets.fit_options(preset, 60000)
    optimizer = options["optimizer"]
    assert isinstance(optimizer, nf.optimizers.SGD) and optimizer.momentum == 0
    assert optimizer.learning_rate == 15.0 and optimizer.weight_decay == 0
    assert (options["epochs"], options["batch_size"], options["callbacks"]) == (30, 10, [])
    held_out = int(np.floor(60000 * options["validation_split"]))
    assert held_out == 10000                                  # trains on Nielsen's 50,000


def test_one_step_equals_nielsens_update_with_eta_3():
    """neuroflow's mse with eta = 15 takes exactly the step of Nielsen's network.py with
    eta = 3 (cost 1/(2n) sum ||y - a||^2, update w -= eta/m sum grad C_x)."""
    preset = presets.resolve("nielsen")
    net = presets.build_network(preset, seed=3, dtype="float64")
    rng = np.random.default_rng(1)
    x, labels = rng.random((10, 784)), rng.integers(0, 10, 10)
    w = [layer.params["W"].copy() for layer in net.layers]
    b = [layer.params["b"].copy() for layer in net.layers]

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    # Nielsen's backprop, written for row vectors: delta_L = (a - y) * sigma'(z)
    a1 = sigmoid(x @ w[0] + b[0])
    a2 = sigmoid(a1 @ w[1] + b[1])
    delta2 = (a2 - np.eye(10)[labels]) * a2 * (1 - a2)
    delta1 = (delta2 @ w[1].T) * a1 * (1 - a1)
    eta, m = 3.0, 10
    expected = [w[0] - eta / m * x.T @ delta1, b[0] - eta / m * delta1.sum(axis=0),
                w[1] - eta / m * a1.T @ delta2, b[1] - eta / m * delta2.sum(axis=0)]
    options = presets.fit_options(preset, 10)
    options.pop("validation_split", None)
    net.fit(x, labels, **{**options, "epochs": 1}, shuffle=False, verbose=0)
    got = [net.layers[0].params["W"], net.layers[0].params["b"],
           net.layers[1].params["W"], net.layers[1].params["b"]]
    for after, want, before in zip(got, expected, [w[0], b[0], w[1], b[1]]):
        assert np.abs(want - before).max() > 1e-4            # the step is not negligible
        np.testing.assert_allclose(after, want, rtol=0, atol=1e-12)


def test_cli_preset_nielsen_runs_and_reports_accuracy(capsys, digits, tmp_path):
    code, out, err = _run(capsys, "train", "--preset", "nielsen", "--epochs", "2",
                          "--out", tmp_path / "n.safetensors")
    assert code == 0, err
    assert "loss: mse" in out and "val_accuracy=" in out and "test accuracy:" in out
    assert nf.load(str(tmp_path / "n.safetensors")).sizes == [784, 30, 10]


# ---------------------------------------------------------------------------- hints
def test_a_preset_run_resumes_without_repeating_the_preset(capsys, digits, tmp_path):
    """``train --resume`` takes the checkpoint's batch size and validation split when they
    are not given, so 2 + 1 epochs equal 3 in one go. Without ``--preset nielsen`` again
    the resume was refused (batch_size 10 -> 128, validation samples 41 -> 0)."""
    whole, part = tmp_path / "whole.safetensors", tmp_path / "part.safetensors"
    assert _run(capsys, "train", "--preset", "nielsen", "--epochs", "3", "--quiet",
                "--out", whole)[0] == 0
    assert _run(capsys, "train", "--preset", "nielsen", "--epochs", "2", "--quiet",
                "--out", part)[0] == 0
    code, out, err = _run(capsys, "train", "--resume", part, "--epochs", "3", "--quiet")
    assert code == 0, err
    resumed, reference = nf.load(str(part)), nf.load(str(whole))
    assert resumed.training_run["batch_size"] == 10
    assert resumed.training_run["validation_samples"] == reference.training_run[
        "validation_samples"] > 0
    for got, want in zip(resumed.parameters(), reference.parameters()):
        np.testing.assert_array_equal(got, want)
    # given explicitly, another batch size is still refused by the run's check
    code, _, err = _run(capsys, "train", "--resume", part, "--epochs", "4", "--quiet",
                        "--batch-size", "32")
    assert code == 2 and "batch_size 10 -> 32" in err


def test_a_learning_rate_far_too_large_gets_a_hint(capsys, digits, tmp_path):
    """SGD with eta = 50 ended at chance or below and printed nothing."""
    code, out, err = _run(capsys, "train", "--optimizer", "sgd", "--learning-rate", "50",
                          "--layers", "784,32,10", "--batch-size", "10", "--epochs", "2",
                          "--quiet", "--out", tmp_path / "m.safetensors")
    assert code == 0
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert accuracy <= 12.0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuroflow train: hint: "), err
    assert "the learning rate 50 is probably too large; try --learning-rate 0.5" in lines[0]
    assert re.search(r"(below chance \(10\.0%\)|for every sample .* chance 10\.0%)",
                     lines[0])


def test_a_good_run_gets_no_hint(capsys, digits, tmp_path):
    code, out, err = _run(capsys, "train", "--layers", "784,32,10", "--batch-size", "10",
                          "--epochs", "2", "--quiet", "--out", tmp_path / "m.safetensors")
    assert code == 0 and err == ""
    assert float(out.split("test accuracy: ")[1].split("%")[0]) > 90


def test_divergence_exits_1_with_a_hint(capsys, digits, tmp_path):
    code, _, err = _run(capsys, "train", "--loss", "mse", "--output-activation", "linear",
                        "--optimizer", "sgd", "--learning-rate", "1e6", "--layers",
                        "784,32,10", "--batch-size", "10", "--epochs", "2", "--quiet",
                        "--out", tmp_path / "m.safetensors")
    assert code == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuroflow train: error: "), err
    assert "the learning rate (1e+06) is probably too high" in lines[0]
    assert lines[0].endswith("no epoch was completed, so no checkpoint was written; try "
                             "--learning-rate 1e+05 (ten times smaller; neuroflow sweep "
                             "compares several)")


def test_diagnostics_flag_prints_findings_and_the_hint_quotes_them(capsys, digits, tmp_path):
    code, out, err = _run(capsys, "train", "--optimizer", "sgd", "--learning-rate", "50",
                          "--layers", "784,32,10", "--batch-size", "10", "--epochs", "2",
                          "--diagnostics", "--out", tmp_path / "m.safetensors")
    assert code == 0
    assert "diagnostics (epoch" in out
    assert "ReLUs never fire" in err or "diverges" in err, err


def test_hint_wording():
    net = nf.Network.from_sizes([4, 3, 10], seed=0)
    assert _hints.chance_level(net) == 0.1
    regression = nf.Network.from_sizes([4, 1], output="linear", seed=0)
    assert _hints.chance_level(regression) is None
    binary = nf.Network.from_sizes([4, 3, 1], output="sigmoid", seed=0)
    assert _hints.chance_level(binary) == 0.5
    assert _hints.poor_accuracy(0.05, regression, 1.0, [1.0, 1.0], 3) is None
    assert _hints.poor_accuracy(0.5, net, 50.0, [9.0, 9.5], 3,
                                predicted=np.array([1, 2])) is None
    text = _hints.poor_accuracy(0.089, net, 50.0, [9.0, 9.5], 3)
    assert text == ("the accuracy 8.9% is below chance (10.0%): the learning rate 50 is "
                    "probably too large; try --learning-rate 0.5 (neuroflow sweep compares "
                    "several)")
    text = _hints.poor_accuracy(0.113, net, 0.001, [2.3, 2.0], 3,
                                predicted=np.array([1, 1, 1]))
    assert text == ("the network answers class 1 for every sample (accuracy 11.3%, chance "
                    "10.0%): the network has only started to learn (the learning rate "
                    "0.001 may be too small); try --epochs 6 or --learning-rate 0.01")
    dead = Finding(1, "dead_relu", 0.97, "layer 1: 97% of ReLUs never fire", "lower it", 1)
    plateau = Finding(1, "plateau", 0.0, "the loss stalled", "raise it")
    old = Finding(0, "divergence", 9.0, "the loss rose", "lower it")
    assert "layer 1: 97% of ReLUs never fire; the learning rate 50" in \
        _hints.poor_accuracy(0.05, net, 50.0, [9.0, 9.5], 3, [old, plateau, dead])
