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
    # An output activation inside a BatchNorm (the last layer is not Dense) takes the
    # generic dC/da -> dC/dz path instead of the fused delta. (0.1 reached this path with
    # mismatched pairs such as sigmoid + cross-entropy, which are refused now.)
    output = OUTPUT_FOR_LOSS[loss]
    net = nf.Network([nf.Dense(4, 5, activation="tanh"), nf.Dense(5, 3, use_bias=False),
                      nf.BatchNorm(activation=output)], loss=loss, seed=3, dtype="float64")
    net.layers[2].params["gamma"][...] = rng.uniform(0.5, 2, size=3)
    net.layers[2].params["beta"][...] = rng.normal(size=3)
    y = rng.integers(0, 2, size=(7, 3)).astype(float)
    if loss == "cross_entropy":
        y = rng.dirichlet(np.ones(3), size=7)  # probability rows
    for training in (False, True):
        result = nf.check_gradients(net, rng.normal(size=(7, 4)), y, max_entries=None,
                                    training=training)
        assert result.passed, str(result)
        assert result.max_error < 1e-6


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


def _dropout_net():
    return nf.Network([nf.Dense(4, 6, activation="tanh"), nf.Dropout(0.4),
                       nf.Dense(6, 3, activation="softmax")], seed=0, dtype="float64")


def test_training_mode_check_with_dropout(rng):
    """Regression test for code review §4 D / §3 row 14. Fails on 0.1's code: the float64
    copy drew a new dropout mask on every forward pass, so check_gradients(training=True)
    reported a relative error near 1 for a correct network."""
    net = _dropout_net()
    x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    result = nf.check_gradients(net, x, y, max_entries=None, training=True)
    assert result.passed, str(result)
    assert result.max_error < 1e-6
    assert net.layers[1].fixed_mask is None  # the network checked is left untouched


def test_check_runs_on_network_copy_and_keeps_a_fixed_dropout_mask(rng, monkeypatch):
    net = _dropout_net()
    x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    mask = np.where(rng.random((8, 6)) < 0.4, 0.0, 1 / 0.6)
    net.layers[1].fixed_mask = mask
    copies = []
    original_copy = nf.Network.copy

    def spy(self, dtype=None):
        copies.append((dtype, original_copy(self, dtype=dtype)))
        return copies[-1][1]

    monkeypatch.setattr(nf.Network, "copy", spy)
    result = nf.check_gradients(net, x, y, max_entries=None, training=True)
    assert result.passed, str(result)
    assert [dtype for dtype, _ in copies] == ["float64"]
    np.testing.assert_array_equal(copies[0][1].layers[1].mask, mask)
