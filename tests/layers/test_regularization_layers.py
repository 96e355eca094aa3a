"""Dropout and BatchNorm: behaviour, finite-difference gradients, saving state."""

import numpy as np
import pytest

import neuroflow as nf


def _data(n=8, features=4, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)), np.arange(n) % classes


def _numerical_gradients(net, x, target, epsilon=1e-6):
    """Central differences of the training-mode cost for every parameter (float64)."""
    def cost():
        return net.loss.value(net.forward(x, training=True), target)

    result = {}
    for name, param, _ in net.named_parameters():
        flat = param.reshape(-1)
        numerical = np.empty(flat.size)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + epsilon
            plus = cost()
            flat[j] = original - epsilon
            minus = cost()
            flat[j] = original
            numerical[j] = (plus - minus) / (2 * epsilon)
        result[name] = numerical.reshape(param.shape)
    return result


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


def test_dropout_gradients_with_a_fixed_mask():
    x, y = _data()
    dropout = nf.Dropout(0.4)
    net = nf.Network([nf.Dense(4, 6, activation="tanh"), dropout,
                      nf.Dense(6, 3, activation="softmax")], dtype="float64", seed=0)
    target = net.prepare_targets(y)
    net.forward(x, training=True)
    dropout.fixed_mask = dropout.mask.copy()          # draw once, then reuse
    assert (dropout.fixed_mask == 0).any() and (dropout.fixed_mask > 1).any()
    net.forward(x, training=True)
    input_gradient = net.backward(target)
    analytical = {name: grad.copy() for name, _, grad in net.named_parameters()}
    numerical = _numerical_gradients(net, x, target)
    for name in analytical:
        assert _relative_error(numerical[name], analytical[name]) < 1e-6, name
    # the gradient flowing back through the dropout is masked: zero where dropped
    hidden_grad = dropout.backward(np.ones((8, 6)))
    np.testing.assert_array_equal(hidden_grad, dropout.fixed_mask)
    assert input_gradient.shape == x.shape


def test_dropout_is_inactive_at_inference_and_scales_in_training():
    x = np.ones((2000, 50), dtype=np.float32)
    net = nf.Network([nf.Dropout(0.25, features=50)], seed=0)
    np.testing.assert_array_equal(net.predict(x), x)
    out = net.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    dense_net = nf.Network([nf.Dense(50, 3), nf.Dropout(0.5)], seed=0)
    np.testing.assert_array_equal(dense_net.predict(x[:5]), dense_net.predict(x[:5]))
    scores = dense_net.evaluate(x[:5], np.zeros((5, 3)))
    assert scores["loss"] == dense_net.evaluate(x[:5], np.zeros((5, 3)))["loss"]


def test_dropout_masks_are_reproducible_from_the_seed():
    x, y = _data(32)

    def train(seed):
        net = nf.Network([nf.Dense(4, 8, activation="relu"), nf.Dropout(0.5),
                          nf.Dense(8, 3, activation="softmax")], seed=seed)
        net.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return net.parameters()

    for a, b in zip(train(3), train(3)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(train(3), train(4)))


def test_dropout_and_batchnorm_take_their_width_from_the_previous_layer():
    net = nf.Network([nf.Dense(4, 7), nf.BatchNorm(activation="relu"), nf.Dropout(0.1),
                      nf.Dense(7, 2, activation="softmax")], seed=0)
    assert net.sizes == [4, 7, 7, 7, 2]
    assert net.layers[1].params["gamma"].shape == (7,)
    config = net.get_config()
    assert config["layers"][2] == {"type": "Dropout", "rate": 0.1, "features": 7}
    rebuilt = nf.Network.from_config(config, seed=0)
    assert [type(layer).__name__ for layer in rebuilt.layers] == \
        ["Dense", "BatchNorm", "Dropout", "Dense"]
    assert nf.layers.LAYERS["Dropout"] is nf.Dropout
    assert nf.layers.LAYERS["BatchNorm"] is nf.BatchNorm


def test_layer_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"rate: expected a number in \[0, 1\), received: 1"):
        nf.Dropout(1)
    with pytest.raises(ValueError, match="features: expected a positive integer"):
        nf.Dropout(0.5, features=0)
    with pytest.raises(ValueError, match=r"momentum: expected a number in \[0, 1\)"):
        nf.BatchNorm(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon: expected a finite number > 0"):
        nf.BatchNorm(epsilon=0)
    with pytest.raises(ValueError, match=r"layers\[0\]: Dropout is the first layer, so it "
                                         r"needs its width: expected features=<int>"):
        nf.Network([nf.Dropout(0.5), nf.Dense(4, 2)])
    with pytest.raises(ValueError, match=r"layers\[1\]: expected in_features=3"):
        nf.Network([nf.Dense(4, 3), nf.Dropout(0.5, features=5)])


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_batchnorm_gradients_in_training_mode(activation):
    x, y = _data(10)
    net = nf.Network([nf.Dense(4, 6, use_bias=False), nf.BatchNorm(activation=activation),
                      nf.Dense(6, 3, activation="softmax")], dtype="float64", seed=0)
    result = nf.check_gradients(net, x, y, training=True, max_entries=None)
    assert result.passed, str(result)
    assert set(result.errors) >= {"layers.1.gamma", "layers.1.beta", "layers.0.W"}


def test_batchnorm_gradients_in_inference_mode():
    x, y = _data(10)
    net = nf.Network([nf.Dense(4, 6), nf.BatchNorm(activation="tanh"),
                      nf.Dense(6, 3, activation="softmax")], dtype="float64", seed=0)
    net.fit(x, y, epochs=2, batch_size=5, verbose=0)           # non-trivial running stats
    assert not np.allclose(net.layers[1].running_var, 1)
    result = nf.check_gradients(net, x, y, training=False, max_entries=None)
    assert result.passed, str(result)


def test_batchnorm_bias_before_it_gets_zero_gradient_in_training_mode():
    # the batch mean absorbs any bias: its true gradient is exactly zero
    x, y = _data(10)
    net = nf.Network([nf.Dense(4, 6), nf.BatchNorm(), nf.Dense(6, 3, activation="softmax")],
                     dtype="float64", seed=0)
    net.forward(x, training=True)
    net.backward(net.prepare_targets(y))
    assert np.abs(net.layers[0].grads["b"]).max() < 1e-12


def test_batchnorm_normalises_and_tracks_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(256, 5))
    layer = nf.BatchNorm(5, momentum=0.5)
    nf.Network([layer], dtype="float64", seed=0)
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    inference = layer.forward(x, training=False)
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.epsilon)
    np.testing.assert_allclose(inference, expected)


def test_batchnorm_state_holds_running_statistics_and_round_trips(tmp_path):
    x, y = _data(40)
    net = nf.Network([nf.Dense(4, 6), nf.BatchNorm(activation="relu"),
                      nf.Dense(6, 3, activation="softmax")], seed=0)
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    state = net.layers[1].state()
    assert set(state) == {"gamma", "beta", "running_mean", "running_var"}
    assert set(net.layers[1].params) == {"gamma", "beta"}
    copy = net.copy()
    np.testing.assert_array_equal(copy.layers[1].running_var, net.layers[1].running_var)
    np.testing.assert_array_equal(copy.predict(x), net.predict(x))
    path = tmp_path / "bn.safetensors"
    net.save(str(path))
    loaded = nf.load(str(path))
    np.testing.assert_array_equal(loaded.layers[1].running_mean, net.layers[1].running_mean)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_batchnorm_refuses_a_training_batch_of_one_sample():
    """Regression test for reliability review B.16 (BatchNorm with batch_size=1). Fails on
    0.1's code: a batch of one has variance 0, so the running variance decayed to 0 and
    the trained model evaluated to garbage (loss 7.6 instead of 0.75) without an error."""
    layer = nf.BatchNorm(3)
    nf.Network([layer], dtype="float64", seed=0)
    message = (r"^BatchNorm: expected more than 1 sample per batch in training mode, "
               r"received 1; .*choose a batch_size")
    with pytest.raises(ValueError, match=message):
        layer.forward(np.ones((1, 3)), training=True)
    np.testing.assert_array_equal(layer.running_var, 1)  # nothing was updated
    np.testing.assert_array_equal(layer.running_mean, 0)
    assert layer.forward(np.ones((1, 3))).shape == (1, 3)  # inference on one sample is fine
    assert layer.forward(np.ones((2, 3)), training=True).shape == (2, 3)


def test_batchnorm_training_with_a_last_batch_of_one_sample_says_to_change_batch_size():
    x, y = _data(9)
    net = nf.Network([nf.Dense(4, 6), nf.BatchNorm(activation="relu"),
                      nf.Dense(6, 3, activation="softmax")], seed=0)
    with pytest.raises(ValueError, match=r"n_samples % batch_size != 1"):
        net.fit(x, y, epochs=1, batch_size=4, verbose=0)          # batches of 4, 4 and 1
    net.fit(x, y, epochs=1, batch_size=3, verbose=0)              # batches of 3: fine
    np.testing.assert_allclose(net.predict(x[:1]), net.predict(x)[:1], rtol=1e-6)
