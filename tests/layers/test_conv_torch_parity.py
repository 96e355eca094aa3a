"""The image layers against PyTorch in float64: the same weights copied across (NCHW in
both), the same input and upstream gradient; the outputs, the input gradients and the
parameter gradients agree to a relative error of 1e-10.

Relative error here is ``max |neuroflow - torch| / max |torch|`` over the whole array.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf

# torch comes with the [bench] extra (CI installs it before the suite); `make test`'s own
# install does not pull it (its default wheel is a multi-GB CUDA build)
torch = pytest.importorskip("torch", reason="the [bench] extra (torch)")
functional = torch.nn.functional

TOLERANCE = 1e-10


def relative_error(mine: np.ndarray, theirs: torch.Tensor) -> float:
    reference = theirs.detach().numpy()
    assert mine.shape == reference.shape
    return float(np.max(np.abs(mine - reference)) / np.max(np.abs(reference)))


def tensor(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def through_torch(function, x: np.ndarray, upstream: np.ndarray, *params: np.ndarray
                  ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """``function(x, *params)`` in torch and the gradients of ``sum(output * upstream)``."""
    x_t = tensor(x, grad=True)
    params_t = [tensor(p, grad=True) for p in params]
    out = function(x_t, *params_t)
    (out * tensor(upstream)).sum().backward()
    return out, x_t.grad, [p.grad for p in params_t]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_matches_torch(stride, padding, use_bias):
    rng = np.random.default_rng(stride * 10 + (padding == "same") * 2 + use_bias)
    layer = nf.Conv2D(4, (3, 2), stride=stride, padding=padding, use_bias=use_bias,
                      input_shape=(3, 7, 6))
    layer.build(rng, np.dtype(np.float64))
    if use_bias:
        layer.params["b"][...] = rng.normal(size=4)
    x = rng.normal(size=(2, 3, 7, 6))
    out = layer.forward(x, training=True)
    upstream = rng.normal(size=out.shape)
    grad_x = layer.backward(upstream.copy())
    (top, bottom), (left, right) = layer.pads

    def conv(x_t, kernel, *bias):
        # neuroflow's "same" may pad one more at the bottom/right (stride 2): functional.pad takes
        # the exact amounts, (left, right, top, bottom)
        padded = functional.pad(x_t, (left, right, top, bottom))
        return functional.conv2d(padded, kernel, bias[0] if bias else None, stride=stride)

    params = [layer.params["W"]] + ([layer.params["b"]] if use_bias else [])
    expected, expected_x, expected_params = through_torch(conv, x, upstream, *params)
    assert relative_error(out, expected) <= TOLERANCE
    assert relative_error(grad_x, expected_x) <= TOLERANCE
    assert relative_error(layer.grads["W"], expected_params[0]) <= TOLERANCE
    if use_bias:
        assert relative_error(layer.grads["b"], expected_params[1]) <= TOLERANCE
    if padding == "same" and stride == 1:  # torch's own "same" pads the same amounts
        same = functional.conv2d(tensor(x), tensor(layer.params["W"]), padding="same")
        bias = layer.params["b"].reshape(1, -1, 1, 1) if use_bias else 0.0
        assert relative_error(out - bias, same) <= TOLERANCE


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size, stride", [(2, None), (3, 2), (2, 1)])
def test_pooling_matches_torch(kind, size, stride):
    rng = np.random.default_rng(size + (stride or 0))
    layer = (nf.MaxPool2D if kind == "max" else nf.AvgPool2D)(size, stride=stride,
                                                              input_shape=(3, 7, 8))
    x = rng.normal(size=(2, 3, 7, 8))  # continuous values: no ties for the maximum
    out = layer.forward(x, training=True)
    upstream = rng.normal(size=out.shape)
    grad_x = layer.backward(upstream.copy())
    pool = functional.max_pool2d if kind == "max" else functional.avg_pool2d
    expected, expected_x, _ = through_torch(
        lambda x_t: pool(x_t, size, stride=stride or size), x, upstream)
    assert relative_error(out, expected) <= TOLERANCE
    assert relative_error(grad_x, expected_x) <= TOLERANCE


def test_global_average_pooling_matches_torch():
    rng = np.random.default_rng(7)
    layer = nf.GlobalAveragePooling2D(input_shape=(4, 5, 3))
    x = rng.normal(size=(3, 4, 5, 3))
    out = layer.forward(x, training=True)
    upstream = rng.normal(size=out.shape)
    grad_x = layer.backward(upstream.copy())
    expected, expected_x, _ = through_torch(lambda x_t: x_t.mean(dim=(2, 3)), x, upstream)
    assert relative_error(out, expected) <= TOLERANCE
    assert relative_error(grad_x, expected_x) <= TOLERANCE


def test_conv_pool_flatten_dense_network_matches_torch():
    """A whole network, cost and backward pass included: softmax + cross-entropy (mean
    over the batch) against torch's log-softmax + NLL."""
    net = nf.Network([nf.Conv2D(4, 3, activation="relu", input_shape=(2, 8, 8)),
                      nf.MaxPool2D(2), nf.Flatten(), nf.Dense(36, 5, activation="softmax")],
                     loss="cross_entropy", seed=3, dtype="float64")
    rng = np.random.default_rng(11)
    net.layers[0].params["b"][...] = rng.normal(scale=0.1, size=4)
    net.layers[3].params["b"][...] = rng.normal(scale=0.1, size=5)
    x = rng.normal(size=(6, 2, 8, 8))
    labels = np.array([0, 1, 2, 3, 4, 0])
    inputs = net.prepare_inputs(x)
    probabilities = net.forward(inputs)
    cost = net.loss.value(probabilities, net.prepare_targets(labels))
    grad_x = net.backward(net.prepare_targets(labels))

    conv, dense = net.layers[0], net.layers[3]
    x_t = tensor(x, grad=True)
    kernel, conv_bias = tensor(conv.params["W"], True), tensor(conv.params["b"], True)
    weight, bias = tensor(dense.params["W"].T.copy(), True), tensor(dense.params["b"], True)
    feature_maps = functional.relu(functional.conv2d(x_t, kernel, conv_bias))
    hidden = functional.max_pool2d(feature_maps, 2).flatten(1)
    logits = functional.linear(hidden, weight, bias)
    expected_cost = functional.nll_loss(functional.log_softmax(logits, dim=1), torch.tensor(labels))
    expected_cost.backward()
    assert relative_error(probabilities, functional.softmax(logits, dim=1)) <= TOLERANCE
    assert abs(cost - expected_cost.item()) <= TOLERANCE * abs(expected_cost.item())
    assert relative_error(grad_x.reshape(x.shape), x_t.grad) <= TOLERANCE
    assert relative_error(conv.grads["W"], kernel.grad) <= TOLERANCE
    assert relative_error(conv.grads["b"], conv_bias.grad) <= TOLERANCE
    assert relative_error(dense.grads["W"], weight.grad.T) <= TOLERANCE
    assert relative_error(dense.grads["b"], bias.grad) <= TOLERANCE
