"""Loss and output layer agree; cross-entropy targets are probability rows.

Reliability review B.12 ("cross-entropy with a non-softmax output trains garbage without
a word; soft targets are not validated") and code review §4 E ("CE accepts 2-D targets
with row sums != 1 or negative entries; the fused delta assumes a sum of 1").
"""

import re

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import losses


@pytest.mark.parametrize(("output", "suggested"), [
    ("sigmoid", "binary_cross_entropy"), ("linear", "mse"), ("relu", "mse"), ("tanh", "mse"),
])
def test_cross_entropy_needs_a_softmax_output(output, suggested):
    """Regression test for B.12. Fails on 0.1's code, which built the network and then
    trained it to 17% (sigmoid), 6.8% (linear) or 15% (relu) MNIST accuracy without a
    word."""
    message = (f"loss: 'cross_entropy' expects a softmax output layer, received activation "
               f"'{output}'; use output='softmax' or loss='{suggested}'")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nf.Network.from_sizes([4, 8, 3], output=output, loss="cross_entropy")
    with pytest.raises(ValueError, match=re.escape(message)):
        nf.Network([nf.Dense(4, 3, activation=output)], loss=losses.CrossEntropy())


@pytest.mark.parametrize(("output", "suggested"), [
    ("softmax", "cross_entropy"), ("linear", "mse"), ("relu", "mse"),
])
def test_binary_cross_entropy_needs_a_sigmoid_output(output, suggested):
    """Regression test for B.12. Fails on 0.1's code, which accepted the pair."""
    message = (f"loss: 'binary_cross_entropy' expects a sigmoid output layer, received "
               f"activation '{output}'; use output='sigmoid' or loss='{suggested}'")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nf.Network.from_sizes([4, 8, 2], output=output, loss="bce")


@pytest.mark.parametrize("output", ["linear", "sigmoid", "softmax", "relu", "tanh"])
def test_mse_accepts_any_output_and_default_losses_always_agree(output):
    assert nf.Network.from_sizes([4, 3], output=output, loss="mse").loss.name == "mse"
    nf.Network.from_sizes([4, 3], output=output)  # the default loss never clashes


def test_the_last_layer_with_an_activation_is_the_output():
    # Dropout has no activation: the softmax before it is the output activation
    nf.Network([nf.Dense(4, 3, activation="softmax"), nf.Dropout(0.2)], loss="cross_entropy")
    # a BatchNorm's activation is the output activation
    nf.Network([nf.Dense(4, 3), nf.BatchNorm(activation="softmax")], loss="cross_entropy")
    nf.Network([nf.Dense(4, 3), nf.BatchNorm(activation="sigmoid"), nf.Dropout(0.1)],
               loss="binary_cross_entropy")
    # ... and a linear BatchNorm after a softmax undoes the probabilities
    with pytest.raises(ValueError, match="received activation 'linear'"):
        nf.Network([nf.Dense(4, 3, activation="softmax"), nf.BatchNorm()],
                   loss="cross_entropy")
    with pytest.raises(ValueError, match=r"^loss: 'cross_entropy' expects a softmax output "
                                         r"layer, received no activation \(no layer has one\); "
                                         r"use output='softmax' or loss='mse'$"):
        nf.Network([nf.Dropout(0.5, features=3)], loss="cross_entropy")


def test_presets_and_mnist_default_agree():
    from neuroflow import presets

    net = presets.build_network(presets.resolve("mnist-best"))
    assert net.loss.name == "cross_entropy"


# ---------------------------------------------------------------- soft targets
@pytest.mark.parametrize(("y", "message"), [
    (5 * np.eye(3)[[0, 1, 2, 0]], "received row 1 summing to 5"),
    (np.array([[0.5, 0.5, 0], [1, 1, 0], [0, 0, 1]]), "received row 2 summing to 2"),
    (np.array([[1, 0, 0], [0, 0, 0]]), "received row 2 summing to 0"),
    (np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 2]]), r"received a negative value \(-1\) in row 3"),
    (-np.eye(3), r"received a negative value \(-1\) in row 1"),
])
def test_cross_entropy_targets_must_be_probability_rows(y, message):
    """Regression test for B.12 and code review §4 E. Fails on 0.1's code: it trained on
    5 * one_hot (loss 2.81) and -one_hot (a negative cross-entropy, -0.56), and for
    multi-hot rows backprop was silently wrong (gradcheck relative error 0.83)."""
    net = nf.Network.from_sizes([2, 3], output="softmax", seed=0)
    expected = (r"^y: cross_entropy expects probability rows \(non-negative, each summing to 1 "
                r"within 0\.001\), " + message)
    with pytest.raises(ValueError, match=expected):
        net.prepare_targets(y)
    with pytest.raises(ValueError, match=expected):
        net.fit(np.zeros((y.shape[0], 2)), y, epochs=1, verbose=0)


def test_multi_hot_targets_are_pointed_to_binary_cross_entropy():
    net = nf.Network.from_sizes([2, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match="multi-hot targets need loss='binary_cross_entropy' "
                                         "with sigmoid outputs$"):
        net.prepare_targets(np.array([[1.0, 1.0, 0.0]]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rows_within_the_tolerance_are_accepted_and_rescaled(dtype):
    y = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8 + 9e-4], [0.0, 1.0, 0.0]])
    target = losses.CrossEntropy().prepare_targets(y, 3, np.dtype(dtype))
    assert target.dtype == dtype
    np.testing.assert_allclose(target.sum(axis=1), 1, rtol=0, atol=1e-7)
    np.testing.assert_allclose(target, y / y.sum(axis=1, keepdims=True), rtol=1e-6)
    assert y[1, 2] == 0.8 + 9e-4  # the caller's array is not modified
    one_hot = np.eye(3, dtype=dtype)[[0, 2]]
    assert losses.CrossEntropy().prepare_targets(one_hot, 3, np.dtype(dtype)) is one_hot
    with pytest.raises(ValueError, match="received row 1 summing to 1.0011"):
        losses.CrossEntropy().prepare_targets(np.array([[0.5, 0.5011]]), 2, np.dtype(dtype))


def test_backprop_matches_finite_differences_for_soft_targets():
    """Code review §4 E: with probability rows (here slightly off 1, within tolerance) the
    fused softmax delta is the gradient of the cost; float64 relative error < 1e-6."""
    rng = np.random.default_rng(0)
    net = nf.Network.from_sizes([4, 5, 3], hidden="tanh", output="softmax", seed=1,
                                dtype="float64")
    y = rng.dirichlet(np.ones(3), size=9) * (1 + rng.uniform(-5e-4, 5e-4, size=(9, 1)))
    result = nf.check_gradients(net, rng.normal(size=(9, 4)), y, max_entries=None)
    assert result.passed, str(result)
    assert result.max_error < 1e-6


def test_binary_cross_entropy_targets_name_the_first_row_outside():
    """B.12 (targets validated): BCE targets lie in [0, 1]; the message now names the
    first offending row (1-based)."""
    with pytest.raises(ValueError, match=r"^y: binary_cross_entropy expects targets in \[0, 1\], "
                                         r"received values in \[-0\.5, 1\.0\] \(first outside "
                                         r"at row 3\)$"):
        losses.BinaryCrossEntropy().prepare_targets(np.array([[0, 1], [1, 1], [1, -0.5]]), 2,
                                                    np.dtype("float64"))
    accepted = losses.BinaryCrossEntropy().prepare_targets(np.array([0.0, 0.3, 1.0]), 1,
                                                           np.dtype("float64"))
    assert accepted.shape == (3, 1)


def test_default_loss_follows_the_output_activation_past_dropout():
    """A softmax Dense followed by Dropout defaults to cross-entropy (it was mse)."""
    net = nf.Network([nf.Dense(3, 4, activation="softmax"), nf.layers.Dropout(0.2)])
    assert net.loss.name == "cross_entropy"
