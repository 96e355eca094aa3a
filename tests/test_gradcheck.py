"""Backpropagation against finite differences for every activation, loss and depth."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations

OUTPUT_FOR_LOSS = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def _data(loss, n_out, rng):
    x = rng.normal(size=(7, 4))
    if loss == "cross_entropy":
        return x, rng.integers(0, n_out, size=7)
    if loss == "binary_cross_entropy":
        return x, rng.integers(0, 2, size=(7, n_out)).astype(float)
    return x, rng.normal(size=(7, n_out))


@pytest.mark.parametrize("hidden_layers", [1, 2, 3])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("activation", activations.names())
def test_backprop_matches_finite_differences(activation, loss, hidden_layers, rng):
    # MSE uses the activation at the output too, so every activation is checked both as a
    # hidden and as an output unit; the classification losses use their natural outputs.
    output = OUTPUT_FOR_LOSS.get(loss, activation)
    sizes = [4] + [5] * hidden_layers + [3]
    net = nf.Network.from_sizes(sizes, hidden=activation, output=output, loss=loss,
                                seed=int(rng.integers(1000)), dtype="float64")
    for layer in net.layers:
        # Non-zero biases: with zero biases a unit fed only by dead ReLUs sits exactly on
        # the kink z = 0, where the derivative is undefined and finite differences disagree.
        layer.params["b"][...] = rng.normal(scale=0.5, size=layer.params["b"].shape)
    x, y = _data(loss, 3, rng)
    result = nf.check_gradients(net, x, y, max_entries=None)
    assert result.passed, str(result)
    assert result.max_error < 1e-6
    assert set(result.errors) == {f"layers.{i}.{p}" for i in range(hidden_layers + 1)
                                  for p in "Wb"}


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
def test_unfused_output_path(loss, rng):
    # softmax with binary cross-entropy and sigmoid with cross-entropy take the generic
    # dC/da -> dC/dz path instead of the fused delta.
    output = {"cross_entropy": "sigmoid", "binary_cross_entropy": "softmax"}[loss]
    net = nf.Network.from_sizes([4, 5, 3], hidden="tanh", output=output, loss=loss, seed=3,
                                dtype="float64")
    y = rng.integers(0, 2, size=(7, 3)).astype(float)
    if loss == "cross_entropy":
        y = y / np.maximum(y.sum(axis=1, keepdims=True), 1)
    assert nf.check_gradients(net, rng.normal(size=(7, 4)), y, max_entries=None).passed


def test_check_runs_on_float64_copy_and_leaves_network_untouched(rng):
    net = nf.Network.from_sizes([4, 6, 3], seed=1)  # float32
    before = [p.copy() for p in net.parameters()]
    result = nf.check_gradients(net, rng.normal(size=(5, 4)), rng.integers(0, 3, size=5))
    assert result.passed
    assert all(np.array_equal(a, b) for a, b in zip(before, net.parameters()))
    assert net.dtype == np.float32


def test_broken_derivative_is_caught(rng, monkeypatch):
    monkeypatch.setattr(activations.Tanh, "derivative", lambda self, z, a: 1 - a)  # wrong
    net = nf.Network.from_sizes([4, 5, 3], hidden="tanh", seed=0, dtype="float64")
    result = nf.check_gradients(net, rng.normal(size=(6, 4)), rng.integers(0, 3, size=6))
    assert not result.passed
    assert result["layers.0.W"] > 1e-3
    assert "FAIL" in str(result)


def test_sampling_limits_entries(rng):
    net = nf.Network.from_sizes([20, 30, 3], seed=0)
    result = nf.check_gradients(net, rng.normal(size=(4, 20)), rng.integers(0, 3, size=4),
                                max_entries=10)
    assert result.checked == {"layers.0.W": 10, "layers.0.b": 10, "layers.1.W": 10,
                              "layers.1.b": 3}
    assert result.passed


def test_bad_arguments(rng):
    net = nf.Network.from_sizes([2, 2], output="softmax", seed=0)
    with pytest.raises(ValueError, match=r"epsilon: expected a float in \(0, 1\), received: 0"):
        nf.check_gradients(net, np.zeros((1, 2)), [0], epsilon=0)
    with pytest.raises(ValueError, match="max_entries: expected a positive integer or None"):
        nf.check_gradients(net, np.zeros((1, 2)), [0], max_entries=0)
    with pytest.raises(ValueError, match=r"y: expected 1 targets, received 2"):
        nf.check_gradients(net, np.zeros((1, 2)), [0, 1])
