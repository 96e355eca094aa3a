import numpy as np
import pytest

import neuroflow as nf
from neuroflow.layers import Dense, layer_from_config


def _built(layer, dtype=np.float64, seed=0):
    layer.build(np.random.default_rng(seed), np.dtype(dtype))
    return layer


def test_dense_forward_is_weighted_sum_plus_bias_then_activation(rng):
    layer = _built(Dense(3, 2, activation="sigmoid"))
    layer.params["b"][...] = [0.5, -0.5]
    x = rng.normal(size=(4, 3))
    z = x @ layer.params["W"] + layer.params["b"]
    np.testing.assert_allclose(layer.forward(x), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(layer.cache["z"], z)


def test_dense_backward_formulas(rng):
    layer = _built(Dense(3, 2, activation="tanh"))
    x = rng.normal(size=(4, 3))
    a = layer.forward(x)
    g = rng.normal(size=(4, 2))
    grad_x = layer.backward(g)
    delta = g * (1 - a**2)
    np.testing.assert_allclose(layer.grads["W"], x.T @ delta)
    np.testing.assert_allclose(layer.grads["b"], delta.sum(axis=0))
    np.testing.assert_allclose(grad_x, delta @ layer.params["W"].T)
    assert layer.backward(g, need_input_grad=False) is None


def test_params_and_grads_share_keys_and_shapes():
    layer = _built(Dense(5, 7))
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    assert layer.params["W"].shape == (5, 7) and layer.params["b"].shape == (7,)
    assert layer.parameter_count == 5 * 7 + 7
    assert "b" not in _built(Dense(5, 7, use_bias=False)).params


def test_config_round_trip():
    layer = Dense(4, 3, activation=nf.activations.LeakyReLU(0.2), initializer="he_uniform")
    clone = layer_from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize(("args", "message"), [
    ((0, 3), r"in_features: expected a positive integer, received: 0"),
    ((3, -1), r"out_features: expected a positive integer, received: -1"),
    ((2.5, 3), r"in_features: expected a positive integer, received: 2.5"),
])
def test_bad_sizes(args, message):
    with pytest.raises(ValueError, match=message):
        Dense(*args)


def test_unknown_activation_and_initializer():
    with pytest.raises(ValueError, match=r"activation: expected one of .*received: 'sigmod'"):
        Dense(2, 2, activation="sigmod")
    with pytest.raises(ValueError, match=r"initializer: expected one of .*received: 'big'"):
        Dense(2, 2, initializer="big")


def test_unknown_layer_type():
    with pytest.raises(ValueError, match=r"layer type: expected one of .*Dense.*received: 'Conv'"):
        layer_from_config({"type": "Conv"})
