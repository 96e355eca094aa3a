"""The training hot path: float32 throughout, reused batch and work arrays, in-place
optimiser arithmetic, and the same numbers as the plain (allocating) computation."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations, optimizers
from neuroflow.training.batching import BatchGatherer


def _data(n=50, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    return x, y


def _net(seed=0, dtype="float32", sizes=(6, 8, 5, 3)):
    return nf.Network.from_sizes(list(sizes), hidden="relu", output="softmax", seed=seed,
                                 dtype=dtype)


@pytest.mark.parametrize("optimizer", [optimizers.Adam(), optimizers.SGD(momentum=0.9),
                                       optimizers.SGD(), optimizers.RMSProp()],
                         ids=["adam", "sgd-momentum", "sgd", "rmsprop"])
def test_float32_stays_float32_through_forward_backward_and_step(optimizer):
    x, y = _data()
    net = _net()
    seen = []

    class Inspect(nf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            for layer in self.network.layers:
                seen.extend(array.dtype for array in layer.cache.values())
                seen.extend(array.dtype for array in layer.grads.values())

    net.fit(x, y, epochs=2, batch_size=16, optimizer=optimizer, verbose=0,
            callbacks=[Inspect()])
    assert seen and all(dtype == np.float32 for dtype in seen)
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert all(s.dtype == np.float32 for slots in optimizer.state.values()
               for s in slots.values())
    # direct calls outside fit as well
    output = net.forward(x, training=True)
    assert output.dtype == np.float32
    net.backward(net.prepare_targets(y))
    assert all(g.dtype == np.float32 for g in net.gradients())
    assert net.predict(x).dtype == np.float32


def _reference_fit(net, x, y, epochs, batch_size, optimizer):
    """The textbook loop: fancy-indexed batches, fresh arrays everywhere."""
    target = net.prepare_targets(y)
    pairs = list(zip(net.parameters(), net.gradients()))
    for _ in range(epochs):
        order = net.rng.permutation(x.shape[0])
        for start in range(0, x.shape[0], batch_size):
            index = order[start:start + batch_size]
            net.forward(x[index], training=True)
            net.backward(target[index], input_gradient=False)
            optimizer.step(pairs)


@pytest.mark.parametrize("batch_size", [16, 50, 7])
def test_fit_matches_reference_loop_bit_for_bit(batch_size):
    # 50 samples: batches of 16 leave a partial batch of 2, 7 one of 1, 50 none.
    x, y = _data()
    fast, slow = _net(seed=3), _net(seed=3)
    fast.fit(x, y, epochs=3, batch_size=batch_size, optimizer=optimizers.Adam(), verbose=0)
    _reference_fit(slow, x, y, 3, batch_size, optimizers.Adam())
    for a, b in zip(fast.parameters(), slow.parameters()):
        np.testing.assert_array_equal(a, b)


def test_fit_with_sample_weights_matches_reference():
    x, y = _data()
    weights = np.linspace(0.5, 2.0, x.shape[0])
    fast, slow = _net(seed=1), _net(seed=1)
    fast.fit(x, y, epochs=2, batch_size=16, optimizer="sgd", sample_weight=weights, verbose=0)
    target = slow.prepare_targets(y)
    w = weights.astype(np.float32)
    pairs = list(zip(slow.parameters(), slow.gradients()))
    opt = optimizers.SGD()
    for _ in range(2):
        order = slow.rng.permutation(x.shape[0])
        for start in range(0, x.shape[0], 16):
            index = order[start:start + 16]
            slow.forward(x[index], training=True)
            slow.backward(target[index], w[index], input_gradient=False)
            opt.step(pairs)
    for a, b in zip(fast.parameters(), slow.parameters()):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_weights():
    x, y = _data()
    nets = [_net(seed=5) for _ in range(2)]
    for net in nets:
        net.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_array_equal(a, b)


def test_cache_during_fit_holds_the_current_batch_including_the_partial_one():
    x, y = _data()
    net = _net()
    shapes = []

    class Inspect(nf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            first = self.network.layers[0]
            cache = first.cache
            shapes.append(cache["x"].shape[0])
            # a = f(z) for the batch just trained on
            np.testing.assert_array_equal(cache["a"], np.maximum(cache["z"], 0))
            assert cache["z"].shape == (logs["size"], first.out_features)

    net.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Inspect()])
    assert shapes == [16, 16, 16, 2]
    # training over: no layer keeps reusing (or holding) work arrays
    assert not any(layer.reuse_buffers for layer in net.layers)
    assert all(not layer.buffers for layer in net.layers)


def test_outputs_outside_fit_are_fresh_arrays():
    x, _ = _data()
    net = _net()
    first = net.predict(x[:10])
    kept = first.copy()
    net.predict(x[10:20])
    np.testing.assert_array_equal(first, kept)
    a = net.forward(x[:10], training=True)
    kept = a.copy()
    net.forward(x[10:20], training=True)
    np.testing.assert_array_equal(a, kept)


def test_reused_buffers_are_the_same_arrays_per_batch_size():
    x, _ = _data()
    layer = _net().layers[0]
    layer.reuse_buffers = True
    a1 = layer.forward(x[:16], training=True)
    a2 = layer.forward(x[16:32], training=True)
    assert a1 is a2
    partial = layer.forward(x[:2], training=True)
    assert partial is not a1 and partial.shape == (2, layer.out_features)
    inference = layer.forward(x[:16], training=False)
    assert inference is not a1
    layer.release_buffers()
    assert layer.forward(x[:16], training=True) is not a1


def test_batch_gatherer_matches_fancy_indexing_and_reuses_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3)).astype(np.float32)
    target = rng.normal(size=(20, 2)).astype(np.float32)
    weights = rng.random(20).astype(np.float32)
    gatherer = BatchGatherer(x, target, weights)
    order = rng.permutation(20)
    xb, yb, wb = gatherer.take(order[:8])
    np.testing.assert_array_equal(xb, x[order[:8]])
    np.testing.assert_array_equal(yb, target[order[:8]])
    np.testing.assert_array_equal(wb, weights[order[:8]])
    again = gatherer.take(order[8:16])
    assert again[0] is xb and again[1] is yb and again[2] is wb
    np.testing.assert_array_equal(again[0], x[order[8:16]])
    last = gatherer.take(order[16:])
    assert last[0].shape == (4, 3) and last[0] is not xb
    no_weights = BatchGatherer(x, np.arange(20), None).take(order[:5])
    assert no_weights[2] is None
    np.testing.assert_array_equal(no_weights[1], order[:5])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


#: f(z) for every registered activation, written out again from the textbook formulas in
#: float64, sharing no code with neuroflow.activations.
_REFERENCE_FORWARD = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: z * (z > 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "gelu": lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3))),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "linear": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
}


def _reference_backward(name, grad, z):
    """dC/dz for dC/da = grad: element-wise, grad times a central difference of the
    reference f; softmax, the Jacobian J_il = a_i (delta_il - a_l) applied row by row."""
    f = _REFERENCE_FORWARD[name]
    if name == "softmax":
        a = f(z)
        jacobian = np.einsum("ni,il->nil", a, np.eye(z.shape[1])) - np.einsum("ni,nl->nil", a, a)
        return np.einsum("nil,ni->nl", jacobian, grad)
    h = 1e-6
    return grad * (f(z + h) - f(z - h)) / (2 * h)


def test_every_activation_has_a_reference():
    assert sorted(_REFERENCE_FORWARD) == activations.names()


@pytest.mark.parametrize("name", activations.names())
def test_into_variants_match_an_independent_reference(name):
    """Code review §3 row 1: comparing forward_into with forward was a tautology for the
    activations that inherit the default forward_into (it calls forward). Both variants
    are now checked against formulas written out independently, in float64."""
    activation = activations.get(name)
    rng = np.random.default_rng(1)
    z64 = rng.normal(scale=2, size=(5, 4))
    z64[np.abs(z64) < 0.05] = 0.3  # keep the reference's central difference off the kinks
    z = z64.astype(np.float32)
    grad = rng.normal(size=(5, 4)).astype(np.float32)
    expected_a = _REFERENCE_FORWARD[name](z.astype(np.float64))
    expected_delta = _reference_backward(name, grad.astype(np.float64), z.astype(np.float64))
    a = activation.forward(z)
    a_into = activation.forward_into(z, np.empty_like(z))
    delta = activation.backward(grad, z, a)
    delta_into = activation.backward_into(grad, z, a, np.empty_like(z))
    for value, expected in ((a, expected_a), (a_into, expected_a), (delta, expected_delta),
                            (delta_into, expected_delta)):
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, expected, rtol=2e-5, atol=2e-6)
    # and the reused-buffer variants give the very same numbers as the allocating ones
    np.testing.assert_array_equal(a_into, a)
    np.testing.assert_array_equal(delta_into, delta)


@pytest.mark.parametrize("name", ["relu", "softmax", "linear"])
def test_into_variants_finite_differences(name):
    # C = sum(G * f(z)) for a fixed G, so dC/dz = backward_into(G, z, f(z)).
    activation = activations.get(name)
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, 4))
    z[np.abs(z) < 0.05] = 0.3  # keep away from ReLU's kink
    weights = rng.normal(size=z.shape)
    a = activation.forward_into(z, np.empty_like(z))
    analytic = activation.backward_into(weights, z, a.copy(), np.empty_like(z))
    numeric = np.empty_like(z)
    eps = 1e-6
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (np.sum(weights * activation.forward(plus))
                          - np.sum(weights * activation.forward(minus))) / (2 * eps)
    assert np.max(np.abs(analytic - numeric)) / np.max(np.abs(numeric)) < 1e-6


def test_forward_into_does_not_touch_its_input():
    z = np.array([[-1.0, 2.0, 0.5]], dtype=np.float32)
    kept = z.copy()
    for name in ("relu", "softmax", "linear"):
        activations.get(name).forward_into(z, np.empty_like(z))
        np.testing.assert_array_equal(z, kept)


def test_adam_in_place_update_matches_the_textbook_rule():
    rng = np.random.default_rng(0)
    param = rng.normal(size=(4, 3))
    expected = param.copy()
    m = np.zeros_like(param)
    v = np.zeros_like(param)
    opt = optimizers.Adam(learning_rate=0.01)
    for t in range(1, 4):
        grad = rng.normal(size=param.shape)
        opt.step([(param, grad)])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        expected -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(param, expected, rtol=1e-12)
    # the work array is not optimiser state: nothing extra is saved
    assert set(opt.state_dict()) == {"0.m", "0.v"}


def test_sgd_nesterov_in_place_update_matches_the_rule():
    param = np.array([1.0, -2.0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.5, nesterov=True)
    velocity = np.zeros(2)
    expected = param.copy()
    for grad in (np.array([0.5, 1.0]), np.array([-1.0, 0.25])):
        opt.step([(param, grad)])
        velocity = 0.5 * velocity + grad
        expected -= 0.1 * (grad + 0.5 * velocity)
    np.testing.assert_allclose(param, expected, rtol=1e-12)


def test_dense_backward_before_forward_is_an_error():
    layer = nf.Dense(3, 2)
    layer.build(np.random.default_rng(0), np.dtype(np.float32))
    with pytest.raises(RuntimeError, match=r"Dense.backward\(\) needs a forward\(\) first"):
        layer.backward(np.ones((1, 2), dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"needs a forward\(\) first"):
        layer.backward_pre_activation(np.ones((1, 2), dtype=np.float32))
