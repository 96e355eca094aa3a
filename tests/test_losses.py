import numpy as np
import pytest

from neuroflow import activations, losses


def _numeric_gradient(loss, output, target, weights=None, eps=1e-6):
    grad = np.zeros_like(output)
    for index in np.ndindex(*output.shape):
        plus, minus = output.copy(), output.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (loss.value(plus, target, weights) - loss.value(minus, target, weights)) / (
            2 * eps)
    return grad


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


@pytest.fixture
def probabilities(rng):
    return activations.Softmax().forward(rng.normal(size=(6, 4)))


@pytest.mark.parametrize("weighted", [False, True])
def test_mse_gradient(rng, weighted):
    output, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    weights = rng.uniform(0.5, 2, size=5) if weighted else None
    loss = losses.MeanSquaredError()
    assert _rel(loss.gradient(output, target, weights),
                _numeric_gradient(loss, output, target, weights)) < 1e-6


def test_mse_value():
    loss = losses.MeanSquaredError()
    assert loss.value(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == pytest.approx(2.5)


@pytest.mark.parametrize("labels", ["int", "one_hot"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_gradient(rng, probabilities, labels, weighted):
    classes = rng.integers(0, 4, size=6)
    target = classes if labels == "int" else np.eye(4)[classes]
    weights = rng.uniform(0.5, 2, size=6) if weighted else None
    loss = losses.CrossEntropy()
    assert _rel(loss.gradient(probabilities, target, weights),
                _numeric_gradient(loss, probabilities, target, weights)) < 1e-6


def test_cross_entropy_value_int_equals_one_hot(rng, probabilities):
    classes = rng.integers(0, 4, size=6)
    loss = losses.CrossEntropy()
    assert loss.value(probabilities, classes) == pytest.approx(
        loss.value(probabilities, np.eye(4)[classes]))
    assert loss.value(probabilities, classes) == pytest.approx(
        -np.mean(np.log(probabilities[np.arange(6), classes])))


def test_binary_cross_entropy_gradient(rng):
    output = rng.uniform(0.05, 0.95, size=(5, 2))
    target = rng.integers(0, 2, size=(5, 2)).astype(float)
    loss = losses.BinaryCrossEntropy()
    assert _rel(loss.gradient(output, target), _numeric_gradient(loss, output, target)) < 1e-6


def test_fused_softmax_cross_entropy_equals_chain_rule(rng):
    z = rng.normal(size=(6, 4))
    softmax = activations.Softmax()
    a = softmax.forward(z)
    target = rng.integers(0, 4, size=6)
    loss = losses.CrossEntropy()
    fused = loss.fused_delta(softmax, a, target)
    chain = softmax.backward(loss.gradient(a, target), z, a)
    np.testing.assert_allclose(fused, chain, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_delta_from_labels_equals_the_one_hot_rows_bit_for_bit(rng, dtype):
    """Labels skip building one-hot rows; (a - y) / n must not change by a bit."""
    a = activations.Softmax().forward(rng.normal(size=(7, 5)).astype(dtype))
    before = a.copy()
    labels = rng.integers(0, 5, size=7)
    weights = rng.uniform(0.5, 2.0, size=7).astype(dtype)
    loss = losses.CrossEntropy()
    for sample_weight in (None, weights):
        from_labels = loss.fused_delta(activations.Softmax(), a, labels, sample_weight)
        from_rows = loss.fused_delta(activations.Softmax(), a, np.eye(5, dtype=dtype)[labels],
                                     sample_weight)
        assert from_labels.dtype == dtype
        np.testing.assert_array_equal(from_labels, from_rows)
    np.testing.assert_array_equal(a, before)  # the output itself is not written


def test_fused_sigmoid_bce_equals_chain_rule(rng):
    z = rng.normal(size=(6, 3))
    sigmoid = activations.Sigmoid()
    a = sigmoid.forward(z)
    target = rng.integers(0, 2, size=(6, 3)).astype(float)
    loss = losses.BinaryCrossEntropy()
    fused = loss.fused_delta(sigmoid, a, target)
    chain = sigmoid.backward(loss.gradient(a, target), z, a)
    np.testing.assert_allclose(fused, chain, atol=1e-12)


def test_no_fusion_for_other_pairs():
    a = np.full((2, 2), 0.5)
    assert losses.CrossEntropy().fused_delta(activations.Sigmoid(), a, np.array([0, 1])) is None
    assert losses.MeanSquaredError().fused_delta(activations.Softmax(), a, a) is None


def test_cross_entropy_of_zero_probability_is_finite():
    output = np.array([[0.0, 1.0]], dtype=np.float32)
    assert np.isfinite(losses.CrossEntropy().value(output, np.array([0])))
    assert np.isfinite(losses.BinaryCrossEntropy().value(output, np.array([[1.0, 0.0]])))


def test_unknown_loss_name():
    with pytest.raises(ValueError, match=r"loss: expected one of binary_cross_entropy, "
                                         r"cross_entropy, mse .*received: 'hinge'"):
        losses.get("hinge")


def test_aliases():
    assert isinstance(losses.get("mean_squared_error"), losses.MeanSquaredError)
    assert isinstance(losses.get("categorical_crossentropy"), losses.CrossEntropy)


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"y: expected class labels in \[0, 9\], received "
                                         r"values in \[0, 10\]"):
        losses.CrossEntropy().prepare_targets(np.array([0, 10]), 10, np.dtype("float32"))
    with pytest.raises(ValueError, match=r"received values in \[-1, 3\]"):
        losses.CrossEntropy().prepare_targets(np.array([-1, 3]), 10, np.dtype("float32"))


def test_non_integer_labels():
    with pytest.raises(ValueError, match="expected integer class labels, received non-integer"):
        losses.CrossEntropy().prepare_targets(np.array([0.5, 1.0]), 3, np.dtype("float32"))
    with pytest.raises(ValueError, match="expected integer class labels, received dtype <U1"):
        losses.CrossEntropy().prepare_targets(np.array(["a"]), 3, np.dtype("float32"))


def test_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"y: expected targets of shape \(n_samples, 2\), "
                                         r"received shape \(4, 3\)"):
        losses.MeanSquaredError().prepare_targets(np.zeros((4, 3)), 2, np.dtype("float32"))


def test_nan_targets():
    with pytest.raises(ValueError, match="y: expected finite targets, received NaN"):
        losses.MeanSquaredError().prepare_targets(np.array([[np.nan]]), 1, np.dtype("float32"))


def test_bce_targets_out_of_range():
    with pytest.raises(ValueError, match=r"binary_cross_entropy expects targets in \[0, 1\]"):
        losses.BinaryCrossEntropy().prepare_targets(np.array([0.0, 2.0]), 1, np.dtype("float64"))


def test_integer_labels_need_two_outputs():
    with pytest.raises(ValueError, match="needs at least 2 outputs"):
        losses.CrossEntropy().prepare_targets(np.array([0, 1]), 1, np.dtype("float32"))


# ------------------------------------------------ pinned by mutation testing (docs/testing.md)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradient_at_a_zero_probability_is_finite_and_keeps_the_dtype(dtype):
    """A probability of exactly 0 for the true class is clipped to the dtype's epsilon."""
    loss = losses.get("cross_entropy")
    output = np.array([[0.0, 1.0], [0.5, 0.5]], dtype=dtype)
    grad = loss.gradient(output, np.array([0, 1]))
    assert grad.dtype == dtype
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(grad, np.array([[-1 / (eps * 2), 0], [0, -1 / (0.5 * 2)]]),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_gradient_at_saturated_outputs_is_finite(dtype):
    loss = losses.get("binary_cross_entropy")
    output = np.array([[0.0], [1.0]], dtype=dtype)
    target = np.array([[1.0], [0.0]], dtype=dtype)
    grad = loss.gradient(output, target)
    eps = float(np.finfo(dtype).eps)
    assert np.all(np.isfinite(grad))
    # (a - y) / (a (1 - a) n k) at a = eps (y = 1) and a = 1 - eps (y = 0), n k = 2
    np.testing.assert_allclose(grad[:, 0], [(eps - 1) / (eps * (1 - eps) * 2),
                                            (1 - eps) / ((1 - eps) * eps * 2)], rtol=1e-5)


def test_target_shape_errors_name_the_accepted_shapes() -> None:
    mse = losses.get("mse")
    with pytest.raises(ValueError, match=r"^y: expected targets of shape \(n_samples, 1\) or "
                                        r"\(n_samples,\), received shape \(2, 3\)$"):
        mse.prepare_targets(np.zeros((2, 3)), 1, np.float32)
    with pytest.raises(ValueError, match=r"^t: expected targets of shape \(n_samples, 2\), "
                                        r"received shape \(2, 3\)$"):
        mse.prepare_targets(np.zeros((2, 3)), 2, np.float32, "t")
    with pytest.raises(ValueError, match=r"^y: expected numeric targets, received dtype <U1$"):
        mse.prepare_targets(np.array([["a"], ["b"]]), 1, np.float32)
    prepared = mse.prepare_targets(np.array([[True], [False]]), 1, np.float32)
    assert prepared.dtype == np.float32 and prepared[:, 0].tolist() == [1.0, 0.0]


def test_cross_entropy_labels_with_one_output_point_to_binary_cross_entropy() -> None:
    with pytest.raises(ValueError, match=r"use loss='binary_cross_entropy' with one sigmoid "
                                        r"output$"):
        losses.get("cross_entropy").prepare_targets(np.array([0, 1]), 1, np.float32)


def test_mse_one_hot_encodes_whole_number_labels_only_with_several_outputs() -> None:
    mse = losses.get("mse")
    labels = mse.prepare_targets(np.array([2, 0, 1.0]), 3, np.float32)
    assert mse.is_classification is True and labels.dtype == np.float32
    np.testing.assert_array_equal(labels, np.eye(3, dtype=np.float32)[[2, 0, 1]])
    with pytest.raises(ValueError, match="expected targets of shape"):  # fractions: not labels
        mse.prepare_targets(np.array([0.5, 1.0, 2.0]), 3, np.float32)
    with pytest.raises(ValueError, match="expected targets of shape"):  # not finite: not labels
        mse.prepare_targets(np.array([np.inf, 1.0, 2.0]), 3, np.float32)
    values = mse.prepare_targets(np.array([2, 0, 1]), 1, np.float64)  # one output: regression
    assert mse.is_classification is False and values.shape == (3, 1)
    assert values.dtype == np.float64
    with pytest.raises(ValueError, match="labels"):
        mse.prepare_targets(np.array([0, 3]), 3, np.float32)  # a label beyond the outputs


def test_binary_cross_entropy_names_the_first_row_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"received values in \[0\.0, 1\.5\] \(first outside "
                                        r"at row 3\)$"):
        losses.get("binary_cross_entropy").prepare_targets(np.array([[0.0], [1.0], [1.5]]), 1,
                                                           np.float32)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
def test_sample_weights_scale_the_fused_delta_the_gradient_and_the_value(name) -> None:
    loss = losses.get(name)
    output = np.array([[0.2, 0.8], [0.6, 0.4]])
    target = np.array([[0.0, 1.0], [1.0, 0.0]])
    weights = np.array([3.0, 0.0])
    activation = activations.get("softmax" if name == "cross_entropy" else "sigmoid")
    plain = loss.fused_delta(activation, output, target)
    weighted = loss.fused_delta(activation, output, target, weights)
    np.testing.assert_allclose(weighted[0], plain[0] * 3)
    np.testing.assert_array_equal(weighted[1], 0)
    assert loss.value(output, target, weights) != loss.value(output, target)
    assert not np.allclose(loss.gradient(output, target, weights), loss.gradient(output, target))
