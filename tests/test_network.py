import numpy as np
import pytest

import neuroflow as nf
from neuroflow.preprocessing import StandardScaler


@pytest.fixture
def net():
    return nf.Network.from_sizes([4, 6, 3], hidden="relu", output="softmax", seed=0)


def test_from_sizes_builds_layers(net):
    assert net.sizes == [4, 6, 3]
    assert [layer.activation.name for layer in net.layers] == ["relu", "softmax"]
    assert net.loss.name == "cross_entropy"
    assert net.parameter_count == 4 * 6 + 6 + 6 * 3 + 3
    assert net.dtype == np.float32


def test_default_loss_follows_output_activation():
    assert nf.Network.from_sizes([2, 1], output="sigmoid").loss.name == "binary_cross_entropy"
    assert nf.Network.from_sizes([2, 1], output="linear").loss.name == "mse"


def test_same_seed_same_weights_different_seed_different():
    a = nf.Network.from_sizes([4, 6, 3], seed=5)
    b = nf.Network.from_sizes([4, 6, 3], seed=5)
    c = nf.Network.from_sizes([4, 6, 3], seed=6)
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.parameters()[0], c.parameters()[0])


def test_predict_shapes_and_probabilities(net, rng):
    probs = net.predict(rng.normal(size=(9, 4)))
    assert probs.shape == (9, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    assert net.predict_classes(rng.normal(size=(9, 4))).shape == (9,)


def test_predict_single_row_and_chunking(net, rng):
    x = rng.normal(size=(20, 4)).astype(np.float32)
    assert net.predict(x[0]).shape == (1, 3)
    np.testing.assert_allclose(net.predict(x, batch_size=7), net.predict(x), rtol=1e-6)


def test_predict_classes_binary_thresholds_each_sample():
    net = nf.Network.from_sizes([1, 1], output="sigmoid", seed=0)
    net.layers[0].params["W"][...] = 1.0
    labels = net.predict_classes(np.array([[-3.0], [-0.1], [0.1], [3.0]]))
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])


def test_evaluate(net, rng):
    x, y = rng.normal(size=(10, 4)), rng.integers(0, 3, size=10)
    scores = net.evaluate(x, y)
    assert set(scores) == {"loss", "accuracy"}
    assert 0 <= scores["accuracy"] <= 1
    expected = -np.mean(np.log(net.predict(x)[np.arange(10), y]))
    assert scores["loss"] == pytest.approx(expected, rel=1e-5)


def test_summary_mentions_layers_and_counts(net):
    text = net.summary()
    assert "4 -> 6 -> 3" in text and "softmax" in text and "trainable parameters: 51" in text


def test_copy_is_independent_and_converts_dtype(net):
    clone = net.copy(dtype="float64")
    assert clone.dtype == np.float64
    clone.layers[0].params["W"][...] = 0
    assert not np.all(net.layers[0].params["W"] == 0)


def test_named_parameters(net):
    names = [name for name, _, _ in net.named_parameters()]
    assert names == ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]


def test_backward_returns_input_gradient(rng):
    net = nf.Network.from_sizes([3, 4, 2], hidden="tanh", output="linear", seed=0,
                                dtype="float64")
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net.forward(x)
    grad_x = net.backward(y)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (net.loss.value(net.forward(plus), y) -
                          net.loss.value(net.forward(minus), y)) / (2 * eps)
    np.testing.assert_allclose(grad_x, numeric, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------ validation errors
def test_mismatched_layer_sizes():
    with pytest.raises(ValueError, match=r"layers\[1\]: expected in_features=5 \(the previous "
                                         r"layer's out_features\), received in_features=4"):
        nf.Network([nf.Dense(3, 5), nf.Dense(4, 2)])


def test_empty_and_non_layers():
    with pytest.raises(ValueError, match="layers: expected at least one layer"):
        nf.Network([])
    with pytest.raises(ValueError, match=r"layers\[0\]: expected a Layer, received int"):
        nf.Network([3])


def test_bad_sizes_and_seed_and_dtype():
    with pytest.raises(ValueError, match=r"sizes\[1\]: expected a positive integer, received: 0"):
        nf.Network.from_sizes([4, 0, 3])
    with pytest.raises(ValueError, match=r"sizes: expected at least 2 sizes"):
        nf.Network.from_sizes([4])
    with pytest.raises(ValueError, match=r"seed: expected a non-negative integer.*received: -1"):
        nf.Network.from_sizes([2, 2], seed=-1)
    with pytest.raises(ValueError, match=r"dtype: expected 'float32' or 'float64', received: "
                                         r"'float16'"):
        nf.Network.from_sizes([2, 2], dtype="float16")


def test_unknown_loss_name():
    with pytest.raises(ValueError, match=r"loss: expected one of .*received: 'hinge'"):
        nf.Network.from_sizes([2, 2], loss="hinge")


def test_unknown_activation_name():
    with pytest.raises(ValueError, match=r"activation: expected one of .*received: 'swish'"):
        nf.Network.from_sizes([2, 3, 2], hidden="swish")


def test_predict_wrong_width(net):
    with pytest.raises(ValueError, match=r"x: expected shape \(n_samples, 4\), received shape "
                                         r"\(2, 5\)"):
        net.predict(np.zeros((2, 5)))


def test_predict_nan_and_inf(net):
    x = np.zeros((3, 4))
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"x: expected finite values, received NaN or infinity "
                                         r"at row 2, column 3"):  # 1-based
        net.predict(x)
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match="x: expected finite values"):
        net.predict(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_matches_the_isfinite_mask(dtype):
    from neuroflow.network import all_finite

    info = np.finfo(dtype)
    x = np.ones((5, 7), dtype)
    assert all_finite(x)
    x[4, 6] = info.max  # its square overflows: the exact mask decides, and finds it finite
    x[0, 0] = -info.max
    assert all_finite(x)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[2, 3] = bad
        assert not all_finite(y)
    y = x.copy()
    y[1, 1], y[3, 3] = np.inf, -np.inf  # opposite infinities: the sum of squares is still inf
    assert not all_finite(y)


def test_predict_non_numeric(net):
    with pytest.raises(ValueError, match=r"x: expected a numeric array, received dtype <U1"):
        net.predict(np.array([["a", "b", "c", "d"]]))


def test_predict_empty(net):
    with pytest.raises(ValueError, match="x: expected at least one sample, received 0"):
        net.predict(np.zeros((0, 4)))


def test_evaluate_mismatched_lengths(net):
    with pytest.raises(ValueError, match=r"y: expected 3 targets \(one per row of x\), "
                                         r"received 2"):
        net.evaluate(np.zeros((3, 4)), [0, 1])


def test_evaluate_labels_out_of_range(net):
    with pytest.raises(ValueError, match=r"y: expected class labels in \[0, 2\], received "
                                         r"values in \[0, 3\]"):
        net.evaluate(np.zeros((2, 4)), [0, 3])


def test_a_finite_value_beyond_float32_is_named_as_such():
    """reliability.md D.23: 1e300 in float32 was reported as 'NaN or infinity' (plus NumPy
    warnings); the message now names the value, where it is and the remedy."""
    net = nf.Network.from_sizes([2, 2], seed=0)
    with pytest.raises(ValueError, match=r"x: the value 1e\+300 at row 1, column 2 is beyond "
                                         r"the range of float32; use dtype='float64'"):
        net.predict([[0.0, 1e300]])


def test_layer_outputs_are_the_inference_pass_layer_by_layer():
    """``layer_outputs`` (used by the neuron figures and the playground's maps): each
    layer's output with preprocessing applied; the last is ``predict``'s output."""
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(7, 4))
    net = nf.Network([nf.Dense(4, 5, "relu"), nf.Dropout(0.5), nf.Dense(5, 3, "softmax")],
                     seed=0, dtype="float64")
    net.preprocessing = StandardScaler().fit(x)
    outputs = net.layer_outputs(x)
    assert [o.shape for o in outputs] == [(7, 5), (7, 5), (7, 3)]
    signal = net.preprocessing.transform(x)
    for layer, output in zip(net.layers, outputs):
        signal = layer.forward(signal, training=False)
        np.testing.assert_array_equal(output, signal)
    np.testing.assert_array_equal(outputs[-1], net.predict(x))
