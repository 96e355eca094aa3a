"""Details of the reference pass (neuroflow.backprop) that the comparison with
Network.backward leaves open: the split of a weighted sum, the costs before and after one
step, single-output targets, the dtype of the targets shown, a row-wise activation other
than softmax, the rendering hook, the convolution hand-off and whole error messages."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.activations import Activation
from neuroflow.backprop import Trace


def small_net(use_bias: bool = True, **options) -> nf.Network:
    net = nf.Network([nf.Dense(3, 4, activation="tanh", use_bias=use_bias),
                      nf.Dense(4, 2, activation="softmax", use_bias=use_bias)],
                     loss="cross_entropy", seed=4, dtype=options.get("dtype", "float64"))
    if use_bias:  # biases start at zero, where b and -b look alike
        for number, layer in enumerate(net.layers):
            layer.params["b"][...] = np.linspace(-0.5, 0.5 + number, layer.out_features)
    return net


X = np.array([[0.5, -1.0, 0.25], [0.1, 0.3, -0.7]])
Y = np.array([1, 0])


@pytest.mark.parametrize("use_bias", [True, False])
def test_weighted_sum_terms_split_z(use_bias):
    record = nf.trace(small_net(use_bias), X, Y).layers[0]
    terms = record.x[1][:, None] * record.weight
    shown, rest, bias = record.weighted_sum_terms([0, 2], sample=1)
    np.testing.assert_allclose(shown, terms[[0, 2]].sum(axis=0), atol=1e-15)
    np.testing.assert_allclose(rest, terms[1], atol=1e-15)
    np.testing.assert_allclose(bias, record.bias if use_bias else np.zeros(4), atol=0)
    np.testing.assert_allclose(shown + rest + bias, record.z[1], atol=1e-12)
    none, everything, _ = record.weighted_sum_terms([])
    np.testing.assert_array_equal(none, np.zeros(4))
    np.testing.assert_allclose(everything + bias, record.z[0], atol=1e-12)


def test_weighted_sum_terms_need_the_weights():
    record = nf.trace(small_net(), X, Y).layers[0]
    record.weight = None
    with pytest.raises(ValueError) as refused:
        record.weighted_sum_terms([0])
    assert str(refused.value) == ("weight: expected the layer's weights in the trace, "
                                  "received None")


@pytest.mark.parametrize("use_bias", [True, False])
def test_costs_before_and_after_one_step(use_bias):
    net = small_net(use_bias)
    result = nf.trace(net, X, Y, learning_rate=0.7)
    stepped = net.copy()
    for layer, record in zip(stepped.layers, result.layers):
        layer.params["W"] -= 0.7 * record.weight_gradient
        if use_bias:
            layer.params["b"] -= 0.7 * record.bias_gradient
    expected = net.loss.value(stepped.forward(X), net.prepare_targets(Y))
    assert result.cost_before_step == pytest.approx(result.cost, abs=1e-15)
    assert result.cost_after_step == pytest.approx(expected, abs=1e-14)
    assert result.cost_after_step < result.cost_before_step


def test_trace_records_the_whole_pass():
    net = small_net()
    result = nf.trace(net, X, Y)
    assert result.loss == "cross_entropy" and result.sizes == [3, 4, 2]
    hidden, out = result.layers
    assert out.activation_gradient is None
    assert out.delta_rule == "delta = (a - y) / n  (softmax + cross-entropy, fused)"
    np.testing.assert_allclose(hidden.activation_gradient,
                               out.delta @ net.layers[1].params["W"].T, atol=1e-15)
    np.testing.assert_allclose(hidden.z, X @ net.layers[0].params["W"] +
                               net.layers[0].params["b"], atol=1e-15)
    np.testing.assert_array_equal(out.bias, net.layers[1].params["b"])
    without = nf.trace(small_net(use_bias=False), X, Y)
    assert without.gradients().keys() == {"layers.0.W", "layers.1.W"}
    assert all(layer.bias is None and layer.bias_change is None for layer in without.layers)


def test_sigmoid_and_binary_cross_entropy_over_several_outputs():
    net = nf.Network.from_sizes([3, 4, 2], hidden="tanh", output="sigmoid",
                                loss="binary_cross_entropy", seed=3, dtype="float64")
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    out = nf.trace(net, X, y).layers[-1]
    assert out.activation_gradient is None
    assert out.delta_rule == ("delta = (a - y) / (n k)  (sigmoid + binary cross-entropy, "
                              "fused)")
    np.testing.assert_allclose(out.delta, (out.a - y) / 4, atol=1e-15)
    net.forward(X)
    net.backward(net.prepare_targets(y))
    np.testing.assert_allclose(out.weight_gradient, net.layers[-1].grads["W"], atol=1e-12)


def test_default_and_zero_learning_rates():
    assert nf.trace(small_net(), X, Y).learning_rate == 0.1
    still = nf.trace(small_net(), X, Y, learning_rate=0)
    assert still.cost_after_step == still.cost_before_step
    np.testing.assert_array_equal(still.layers[0].weight_change, 0.0)


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), True, "0.1"])
def test_learning_rates_that_are_refused(rate):
    with pytest.raises(ValueError) as refused:
        nf.trace(small_net(), X, Y, learning_rate=rate)
    assert str(refused.value) == ("learning_rate: expected a finite number >= 0, received: "
                                  f"{rate!r}")


def test_single_output_labels_become_a_column():
    net = nf.Network.from_sizes([3, 4, 1], hidden="relu", output="sigmoid",
                                loss="binary_cross_entropy", seed=2, dtype="float64")
    x = np.random.default_rng(0).normal(size=(4, 3))
    flat, column = nf.trace(net, x, [1, 0, 1, 1]), nf.trace(net, x, [[1], [0], [1], [1]])
    assert flat.target.shape == (4, 1)
    np.testing.assert_array_equal(flat.target, column.target)
    np.testing.assert_array_equal(flat.layers[-1].delta, column.layers[-1].delta)
    assert flat.cost_after_step == column.cost_after_step


def test_float32_targets_are_shown_in_the_network_dtype():
    net = nf.Network.from_sizes([3, 4, 2], output="linear", loss="mse", seed=0)
    result = nf.trace(net, X.astype(np.float32), np.ones((2, 2)))
    assert result.target.dtype == np.float32 and result.output_error.dtype == np.float32
    labels = nf.trace(small_net(dtype="float32"), X, Y)
    assert labels.target.dtype == np.float32


class RowTanh(Activation):
    """tanh marked as not element-wise: its delta comes from ``backward``."""

    name = "row_tanh"
    elementwise = False

    def forward(self, z):
        return np.tanh(z)

    def backward(self, grad_a, z, a):
        return grad_a / np.cosh(z) ** 2


def test_activation_that_is_not_elementwise_uses_its_backward():
    net = nf.Network([nf.Dense(3, 4, activation=RowTanh()), nf.Dense(4, 2, activation="linear")],
                     loss="mse", seed=1, dtype="float64")
    y = np.array([[0.5, -0.5], [1.0, 0.0]])
    result = nf.trace(net, X, y)
    hidden, out = result.layers
    assert hidden.delta_rule == "delta = row_tanh backward of dC/da".replace(
        "dC/da", "(delta_2 W_2^T)")
    expected = (out.delta @ net.layers[1].params["W"].T) * (1 - hidden.a ** 2)
    np.testing.assert_allclose(hidden.delta, expected, atol=1e-15)


def test_softmax_jacobian_rule_is_named():
    net = nf.Network.from_sizes([3, 4, 2], output="softmax", loss="mse", seed=0,
                                dtype="float64")
    out = nf.trace(net, X, np.eye(2)[[1, 0]]).layers[-1]
    assert out.delta_rule == "delta = a * (dC/da - sum(dC/da * a))  (softmax Jacobian)"


def test_format_passes_its_options_to_the_renderer(monkeypatch):
    result = nf.trace(small_net(), X, Y)
    calls = []
    monkeypatch.setattr(Trace, "renderer", lambda trace, **options: calls.append(options)
                        or "text")
    assert result.format(classes=[0]) == "text"
    assert calls == [{"precision": 4, "max_rows": 8, "max_columns": 8, "unicode": True,
                      "classes": [0]}]
    monkeypatch.setattr(Trace, "renderer", None)
    with pytest.raises(RuntimeError) as refused:
        result.format()
    assert str(refused.value) == "Trace.format: no renderer; import neuroflow.explain"


def test_a_first_convolution_is_handed_to_the_convolution_tracer(monkeypatch):
    net = nf.Network([nf.Conv2D(filters=2, kernel_size=3, input_shape=(1, 4, 4)), nf.Flatten(),
                      nf.Dense(8, 2, activation="softmax")], seed=0)
    calls = []
    monkeypatch.setattr(Trace, "convolution_tracer",
                        lambda *args: calls.append(args) or "convolution trace")
    assert nf.trace(net, "x", "y", learning_rate=0.5) == "convolution trace"
    assert calls == [(net, "x", "y", 0.5)]


def test_messages_name_the_argument_and_the_type():
    with pytest.raises(ValueError) as refused:
        nf.trace("net", X, Y)
    assert str(refused.value) == "network: expected a neuroflow Network, received str"
    net = nf.Network([nf.Dense(3, 4), nf.Dropout(0.5), nf.Dense(4, 2, activation="softmax")])
    with pytest.raises(ValueError) as refused:
        nf.trace(net, X, Y)
    assert str(refused.value) == ("network: trace supports Dense layers only, received "
                                  "layers[1] = Dropout (or a first layer Conv2D: one receptive "
                                  "field)")
    with pytest.raises(ValueError, match=r"^x: "):
        nf.trace(small_net(), [[1.0]], Y)
    with pytest.raises(ValueError, match=r"^y: "):
        nf.trace(small_net(), X, [0, 7])
