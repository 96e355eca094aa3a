"""Gradient checks around the kinks of ReLU-like activations (reliability review B.13)."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations
from neuroflow.gradcheck import kinks_of


@pytest.fixture(scope="module")
def mnist_1000():
    """1,000 test images: enough for a few of them to sit within the step of a ReLU's kink
    (three entries of layer 0 for this network), as the 5,000 of the original report did."""
    _, _, x_test, y_test = nf.datasets.mnist()
    return x_test[:1000], y_test[:1000]


def _relu_784_32_10():
    return nf.Network.from_sizes([784, 32, 10], hidden="relu", output="softmax", seed=0)


def test_correct_relu_network_on_1000_mnist_samples_passes(mnist_1000):
    """Regression test for reliability review B.13 ("gradcheck wrongly reports that
    backprop is wrong for ReLU models with many samples"). Fails on 0.1's code: there
    layers.0.W and layers.0.b of this very network and data disagree (relative errors
    2.1e-4 and 1.5e-4 on 5,000 samples), because some samples sit within epsilon of the
    kink.
    """
    result = nf.check_gradients(_relu_784_32_10(), *mnist_1000)
    text = str(result)
    assert result.passed, text
    assert result.max_error < 1e-8
    assert result.total_skipped > 0
    assert result.skipped["layers.1.W"] == 0 and result.skipped["layers.1.b"] == 0
    assert result.kinks == ["relu"]
    sampled = sum(result.checked.values()) + result.total_skipped
    assert sampled == 100 + 32 + 100 + 10
    assert (f"{result.total_skipped} of {sampled} entries skipped: the step +-1e-05 moves a "
            "pre-activation across a kink (relu)") in text
    assert "PASSED" in text


@pytest.mark.parametrize("wrong", [
    lambda self, g, z, a: g * np.where(z > 0, 1.0, 0.1),  # a leaky slope that is not there
    lambda self, g, z, a: g,                               # the mask forgotten
])
def test_wrong_relu_derivative_still_fails_loudly(mnist_1000, monkeypatch, wrong):
    """Skipping the kink-crossing entries must not hide a wrong derivative."""
    monkeypatch.setattr(activations.ReLU, "backward", wrong)
    result = nf.check_gradients(_relu_784_32_10(), *(part[:300] for part in mnist_1000))
    assert not result.passed
    assert result.failures == ["layers.0.W", "layers.0.b"]
    assert result["layers.0.W"] > 1e-2
    assert sum(result.checked.values()) > 200  # nearly everything was still compared
    assert "FAILED: 2 of 4 parameters disagree" in str(result)


def _small(hidden, n=5000, seed=0):
    rng = np.random.default_rng(seed)
    net = nf.Network.from_sizes([4, 16, 3], hidden=hidden, seed=1, dtype="float64")
    return net, rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("hidden", ["relu", activations.LeakyReLU(0.1), activations.ELU(0.5)])
def test_steps_across_a_kink_are_skipped_not_averaged(hidden):
    """Regression test for B.13 on a small network, for every activation with a kink.
    Fails on 0.1's code: with 5000 samples two steps of layers.0.W cross the kink, the
    central difference averages the two slopes there, and layers.0.W reported relative
    errors of 1.3e-5 (relu), 9.6e-6 (leaky_relu 0.1) and 4.1e-6 (elu 0.5)."""
    net, x, y = _small(hidden)
    result = nf.check_gradients(net, x, y, max_entries=None)
    assert result.passed, str(result)
    assert result.max_error < 1e-8
    assert result.skipped["layers.0.W"] > 0
    assert result.checked["layers.0.W"] + result.skipped["layers.0.W"] == 64
    assert result.kinks == [activations.get(hidden).name]


def test_a_smooth_network_skips_nothing():
    net, x, y = _small("tanh")
    result = nf.check_gradients(net, x, y, max_entries=None)
    assert result.passed and result.total_skipped == 0 and result.kinks == []
    assert "skipped:" not in str(result)


def test_which_activations_have_kinks():
    assert kinks_of(activations.ReLU()) == (0.0,)
    assert kinks_of(activations.LeakyReLU(0.01)) == (0.0,)
    assert kinks_of(activations.LeakyReLU(1.0)) == ()      # the identity
    assert kinks_of(activations.ELU(0.5)) == (0.0,)
    assert kinks_of(activations.ELU(1.0)) == ()            # slope 1 on both sides
    for name in ("sigmoid", "tanh", "gelu", "softplus", "linear", "softmax"):
        assert kinks_of(activations.get(name)) == ()


def test_an_activation_can_declare_its_own_kinks(monkeypatch):
    class ReLU6(activations.Activation):
        name = "relu6"
        kinks = (0.0, 6.0)

        def forward(self, z):
            return np.clip(z, 0, 6)

        def derivative(self, z, a):
            return ((z > 0) & (z < 6)).astype(z.dtype)

    monkeypatch.setitem(activations.ACTIVATIONS, "relu6", ReLU6)  # the check copies the net
    assert kinks_of(ReLU6()) == (0.0, 6.0)
    rng = np.random.default_rng(3)
    net = nf.Network([nf.Dense(3, 8, activation="relu6"),
                      nf.Dense(8, 2, activation="softmax")], seed=0, dtype="float64")
    W, b = net.layers[0].params["W"], net.layers[0].params["b"]
    W[...] *= 10
    x, y = rng.normal(size=(50, 3)), rng.integers(0, 2, size=50)
    # move sample 0 so that unit 0 sits 1e-7 below the kink at 6: every step of W[:, 0]
    # and b[0] then crosses it, and nothing else comes near a kink
    z = x[0] @ W[:, 0] + b[0]
    x[0] += (6 - 1e-7 - z) * W[:, 0] / (W[:, 0] @ W[:, 0])
    result = nf.check_gradients(net, x, y, max_entries=None)
    assert result.passed, str(result)
    assert result.kinks == ["relu6"]
    assert result.skipped == {"layers.0.W": 3, "layers.0.b": 1, "layers.1.W": 0,
                              "layers.1.b": 0}


def test_a_parameter_with_every_step_across_a_kink_is_inconclusive_not_passed():
    rng = np.random.default_rng(4)
    net = nf.Network([nf.Dense(2, 1, activation="relu"), nf.Dense(1, 2, activation="softmax")],
                     seed=0, dtype="float64")
    x, y = rng.normal(size=(2000, 2)), rng.integers(0, 2, size=2000)
    result = nf.check_gradients(net, x, y, epsilon=0.5)
    assert result.unchecked == ["layers.0.W", "layers.0.b"]
    assert np.isnan(result["layers.0.W"]) and result.checked["layers.0.W"] == 0
    assert not result.passed
    text = str(result)
    assert "no entry of layers.0.W, layers.0.b could be compared" in text
    assert "n/a" in text


def test_batchnorm_relu_kinks_are_watched_too():
    rng = np.random.default_rng(5)
    # no bias before the BatchNorm: its exact gradient is 0 in training mode, and the
    # relative error of two round-off-sized numbers means nothing
    net = nf.Network([nf.Dense(4, 16, use_bias=False), nf.BatchNorm(activation="relu"),
                      nf.Dense(16, 3, activation="softmax")], seed=0, dtype="float64")
    x, y = rng.normal(size=(5000, 4)), rng.integers(0, 3, size=5000)
    for training in (False, True):
        result = nf.check_gradients(net, x, y, max_entries=None, training=training)
        assert result.passed, str(result)
        assert result.max_error < 1e-7
        assert result.kinks == (["relu"] if result.total_skipped else [])
