"""Tests for neuroflow.backprop, the reference pass: it equals Network.backward; and for its
rendering, neuroflow.explain."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.backprop import LayerTrace, Trace
from neuroflow.explain import format_trace


def _backward_grads(net, x, y):
    net.forward(np.asarray(x, dtype=np.float64))
    net.backward(net.prepare_targets(y))
    return {name: grad.copy() for name, _, grad in net.named_parameters()}


CASES = [
    # sizes, hidden, output, loss, targets
    ([3, 5, 4, 3], "tanh", "softmax", "cross_entropy", np.array([0, 2, 1, 2])),
    ([3, 4, 1], "relu", "sigmoid", "binary_cross_entropy", np.array([1.0, 0.0, 1.0, 0.0])),
    ([3, 4, 2], "gelu", "linear", "mse", np.linspace(-1, 1, 8).reshape(4, 2)),
    ([3, 4, 3], "sigmoid", "softmax", "mse", np.eye(3)[[0, 1, 2, 0]]),      # Jacobian product
    ([3, 4, 2], "elu", "sigmoid", "mse", np.array([[0.0, 1], [1, 0], [1, 1], [0, 0]])),
    ([3, 6, 5, 2], "leaky_relu", "tanh", "mse", np.full((4, 2), 0.5)),
]


@pytest.mark.parametrize(("sizes", "hidden", "output", "loss", "y"), CASES)
def test_trace_equals_backward_to_1e12(sizes, hidden, output, loss, y):
    net = nf.Network.from_sizes(sizes, hidden=hidden, output=output, loss=loss, seed=1,
                                dtype="float64")
    x = np.random.default_rng(2).normal(size=(4, sizes[0]))
    result = nf.trace(net, x, y, learning_rate=0.3)
    expected = _backward_grads(net, x, y)
    got = result.gradients()
    assert got.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12)
    # forward quantities equal the layers' caches of the same forward pass
    for layer, record in zip(net.layers, result.layers):
        np.testing.assert_allclose(record.z, layer.cache["z"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(record.a, layer.cache["a"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(record.weight_change, -0.3 * record.weight_gradient, atol=1e-15)
        np.testing.assert_allclose(record.bias_change, -0.3 * record.bias_gradient, atol=1e-15)
    assert result.cost == pytest.approx(net.loss.value(net.forward(x), net.prepare_targets(y)))


def test_hidden_delta_is_textbook_rule():
    net = nf.Network.from_sizes([2, 3, 2], hidden="tanh", output="softmax", seed=0,
                                dtype="float64")
    result = nf.trace(net, [[0.5, -1.0], [0.2, 0.3]], [1, 0])
    hidden, out = result.layers
    expected = (out.delta @ net.layers[1].params["W"].T) * (1 - hidden.a**2)
    np.testing.assert_allclose(hidden.delta, expected, atol=1e-15)
    # softmax + cross-entropy: fused output delta (a - y) / n, no dC/da
    assert out.activation_gradient is None
    np.testing.assert_allclose(out.delta, (out.a - np.eye(2)[[1, 0]]) / 2, atol=1e-15)
    np.testing.assert_allclose(result.output_error, out.a - np.eye(2)[[1, 0]], atol=1e-15)


def test_trace_matches_float64_finite_differences():
    net = nf.Network.from_sizes([2, 3, 1], hidden="tanh", output="linear", seed=3,
                                dtype="float64")
    x, y = np.array([[0.3, -0.7]]), np.array([[0.25]])
    check = nf.check_gradients(net, x, y, max_entries=None)
    result = nf.trace(net, x, y)
    for name, grad in result.gradients().items():
        np.testing.assert_allclose(grad.reshape(-1), check.numerical[name], rtol=1e-6,
                                   atol=1e-9)


def test_trace_leaves_network_untouched_and_accepts_one_sample():
    net = nf.Network.from_sizes([2, 3, 2], seed=0, dtype="float64")
    before = [p.copy() for p in net.parameters()]
    result = nf.trace(net, [0.1, 0.2], [1])
    assert isinstance(result, Trace) and isinstance(result.layers[0], LayerTrace)
    assert result.layers[0].x.shape == (1, 2)
    for old, new in zip(before, net.parameters()):
        np.testing.assert_array_equal(old, new)


def test_format_shows_equations_and_aligned_tables():
    net = nf.Network.from_sizes([2, 3, 2], hidden="relu", seed=0, dtype="float64")
    result = nf.trace(net, [[0.5, -1.0]], [1], learning_rate=0.5)
    text = str(result)
    for piece in ["z = x W + b", "a = relu(z)", "δ = (a - y) / n", "∂C/∂W = xᵀ δ",
                  "ΔW = -η ∂C/∂W", "δ = (δ_2 W_2ᵀ) ⊙ relu'(z)", "e = a - y", "η = 0.5"]:
        assert piece in text, piece
    plain = result.format(unicode=False)
    assert "dC/dW = x^T delta" in plain and plain.isascii()
    # every row of one table has the same width (right-aligned columns)
    lines = plain.splitlines()
    start = lines.index(next(line for line in lines if "dC/dW = x^T delta" in line))
    table = lines[start + 1:start + 5]
    assert len({len(line) for line in table}) == 1


def test_text_form_is_rendered_by_explain():
    # backprop does not import its rendering; neuroflow.explain installs it
    assert Trace.renderer is format_trace
    net = nf.Network.from_sizes([2, 3, 2], seed=0, dtype="float64")
    result = nf.trace(net, [[0.5, -1.0]], [1])
    assert str(result) == format_trace(result)
    assert result.format(precision=3, unicode=False) == format_trace(result, precision=3,
                                                                     unicode=False)


def test_format_elides_large_arrays():
    net = nf.Network.from_sizes([20, 12, 3], seed=0, dtype="float64")
    text = nf.trace(net, np.ones((10, 20)), np.zeros(10, dtype=int)).format(max_rows=3,
                                                                            max_columns=4)
    assert "+8" in text and "more in rows" in text and "more sample rows" in text


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda net: nf.trace(net, [[1.0, 2.0]], [0], learning_rate=-1),
         "learning_rate: expected a finite number >= 0"),
        (lambda net: nf.trace("net", [[1.0, 2.0]], [0]), "network: expected a neuroflow Network"),
        (lambda net: nf.trace(net, [[1.0, 2.0, 3.0]], [0]), r"x: expected shape \(n_samples, 2\)"),
        (lambda net: nf.trace(net, [[1.0, 2.0]], [0, 1]), "y: expected 1 targets"),
        (lambda net: nf.trace(net, [[1.0, 2.0]], [0]).format(precision=0),
         "precision: expected a positive integer"),
    ],
)
def test_bad_arguments_raise(call, match):
    net = nf.Network.from_sizes([2, 3, 2], seed=0, dtype="float64")
    with pytest.raises(ValueError, match=match):
        call(net)
