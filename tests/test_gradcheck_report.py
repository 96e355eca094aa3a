"""The gradient-check report and the ``neuroflow gradcheck`` command."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations
from neuroflow.cli import _keys as cli_keys
from neuroflow.cli import gradcheck as cli_gradcheck
from neuroflow.cli import main


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def _data(rng):
    return rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)


def test_report_lists_layer_parameter_shape_error_and_threshold(rng):
    net = nf.Network.from_sizes([4, 5, 3], hidden="tanh", seed=0, dtype="float64")
    result = nf.check_gradients(net, *_data(rng), threshold=1e-7)
    text = str(result)
    assert result.passed and result.failures == []
    assert "threshold 1e-07" in text and "PASSED" in text
    assert "0: Dense 4 -> 5, tanh" in text and "1: Dense 5 -> 3, softmax" in text
    assert "(4, 5)" in text and "(3,)" in text
    rows = [line for line in text.splitlines() if line.startswith(("0:", "1:"))]
    assert len(rows) == 4 and all(row.endswith("ok") for row in rows)
    assert result.layers["layers.1.b"] == "1: Dense 5 -> 3, softmax"
    assert result.shapes["layers.0.W"] == (4, 5)


def test_broken_activation_derivative_fails_loudly(rng, monkeypatch):
    monkeypatch.setattr(activations.Tanh, "derivative", lambda self, z, a: 1 - a)  # wrong
    net = nf.Network.from_sizes([4, 5, 3], hidden="tanh", seed=0, dtype="float64")
    result = nf.check_gradients(net, *_data(rng))
    text = str(result)
    assert not result.passed
    assert result.failures == ["layers.0.W", "layers.0.b"]
    assert "FAILED: 2 of 4 parameters disagree" in text
    assert "layers.0.W: relative error" in text and "finite difference" in text
    fail_rows = [line for line in text.splitlines() if line.endswith("FAIL")]
    assert len(fail_rows) == 2 and all(row.startswith("0: Dense 4 -> 5, tanh") for row in
                                       fail_rows)


def test_cli_gradcheck_passes_with_exit_0(capsys):
    assert main(["gradcheck", "--samples", "3", "--max-entries", "5"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "layers.1.b" in out


def test_cli_gradcheck_exits_1_on_broken_derivative(monkeypatch, capsys):
    monkeypatch.setattr(activations.Tanh, "derivative", lambda self, z, a: 1 - a)
    assert main(["gradcheck", "--samples", "3", "--max-entries", "5"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "FAIL" in out.splitlines()[3]


@pytest.mark.parametrize(("output", "loss"), [("linear", "mse"), ("sigmoid",
                                                                    "binary_cross_entropy"),
                                               ("softmax", "cross_entropy")])
def test_cli_gradcheck_on_a_model_uses_targets_with_nonzero_gradients(
        monkeypatch, capsys, output, loss):
    net = nf.Network.from_sizes([3, 4, 2], hidden="tanh", output=output, loss=loss, seed=1)
    seen = {}
    original = nf.check_gradients

    def spy(network, x, y, **options):
        seen["result"] = original(network, x, y, **options)
        return seen["result"]

    monkeypatch.setattr(cli_keys, "load", lambda path, **options: net)
    monkeypatch.setattr(cli_gradcheck, "check_gradients", spy)
    assert main(["gradcheck", "model.safetensors", "--samples", "4"]) == 0
    analytical = seen["result"].analytical
    # targets differ from the outputs, so the check compares non-zero gradients
    assert all(np.abs(values).max() > 1e-6 for values in analytical.values())
    assert "PASSED" in capsys.readouterr().out


def test_cli_gradcheck_rejects_bad_threshold(capsys):
    try:
        code = main(["gradcheck", "--threshold", "-1"])
    except SystemExit as exit_:  # argparse usage error
        code = exit_.code
    assert code == 2
    assert "expected a positive float" in capsys.readouterr().err


def test_report_counts_the_entries_skipped_at_a_kink():
    rng = np.random.default_rng(0)
    net = nf.Network.from_sizes([4, 16, 3], hidden="relu", seed=1, dtype="float64")
    x, y = rng.normal(size=(5000, 4)), rng.integers(0, 3, size=5000)
    result = nf.check_gradients(net, x, y, max_entries=None)
    text = str(result).splitlines()
    assert text[1].split() == ["layer", "parameter", "shape", "entries", "skipped",
                               "rel.", "error", "result"]
    w_row = next(line for line in text if " layers.0.W " in line)
    assert w_row.split()[-4:-2] == [str(result.checked["layers.0.W"]),
                                   str(result.skipped["layers.0.W"])]
    assert result.skipped["layers.0.W"] > 0 and w_row.endswith("ok")
    assert text[-2] == (f"{result.total_skipped} of 131 entries skipped: the step +-1e-05 moves "
                        "a pre-activation across a kink (relu), where a central difference is "
                        "no derivative")
    assert text[-1].startswith("PASSED: all 4 parameters agree")


def test_cli_gradcheck_passes_a_relu_model_on_1000_mnist_samples(monkeypatch, capsys):
    """Reliability review B.13 as reported: ``neuroflow gradcheck MODEL --samples N`` on a
    correct 784-32-10 ReLU model. Fails on 0.1's code (exit 1, "FAILED: 2 of 4 parameters
    disagree", layers.0.W relative error 2.1e-4 on 5,000 samples); 1,000 samples hold
    entries across the kink too."""
    net = nf.Network.from_sizes([784, 32, 10], hidden="relu", seed=0)
    monkeypatch.setattr(cli_keys, "load", lambda path, **options: net)
    assert main(["gradcheck", "model.safetensors", "--samples", "1000"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "entries skipped: the step +-1e-05" in out


def test_b13_samples_beyond_the_test_set_are_refused_not_capped(capsys):
    """reliability.md B.13: --samples 100000 was silently cut to the 10,000 MNIST test
    images; it is now refused with the bound."""
    from neuroflow.cli import main

    assert main(["gradcheck", "--samples", "100000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--samples" in err[0] and "10000" in err[0].replace(",", "")
