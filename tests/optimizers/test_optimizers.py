import math

import numpy as np
import pytest

from neuroflow import optimizers


def _pair():
    return np.array([1.0, 2.0]), np.array([0.5, -1.0])


def test_sgd_single_step_goes_down_the_gradient():
    param, grad = _pair()
    optimizers.SGD(learning_rate=0.1).step([(param, grad)])
    np.testing.assert_allclose(param, [1.0 - 0.05, 2.0 + 0.1])


def test_sgd_momentum_two_steps():
    param, grad = _pair()
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.step([(param, grad)])          # v = g;        p -= 0.1 g
    opt.step([(param, grad)])          # v = 0.9g + g; p -= 0.1 * 1.9 g
    np.testing.assert_allclose(param, [1.0 - 0.1 * 0.5 * 2.9, 2.0 + 0.1 * 2.9])


def test_sgd_nesterov_two_steps():
    param, grad = _pair()
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    opt.step([(param, grad)])          # v = g;     p -= 0.1 (g + 0.9 g)
    opt.step([(param, grad)])          # v = 1.9 g; p -= 0.1 (g + 0.9 * 1.9 g)
    total = 1.9 + (1 + 0.9 * 1.9)
    np.testing.assert_allclose(param, [1.0 - 0.1 * 0.5 * total, 2.0 + 0.1 * total])


def test_adam_single_step():
    param, grad = _pair()
    optimizers.Adam(learning_rate=0.01).step([(param, grad)])
    # t=1: m_hat = g, v_hat = g^2, so the step is eta * g / (|g| + eps)
    expected = np.array([1.0, 2.0]) - 0.01 * grad / (np.abs(grad) + 1e-8)
    np.testing.assert_allclose(param, expected, rtol=1e-12)


def test_adam_two_steps_hand_computed():
    param = np.array([0.0])
    opt = optimizers.Adam(learning_rate=0.1, beta_1=0.5, beta_2=0.75, epsilon=0.0 + 1e-12)
    opt.step([(param, np.array([1.0]))])
    opt.step([(param, np.array([3.0]))])
    m = 0.5 * 0.5 * 1.0 + 0.5 * 3.0            # 1.75
    v = 0.75 * 0.25 * 1.0 + 0.25 * 9.0         # 2.4375
    m_hat, v_hat = m / (1 - 0.25), v / (1 - 0.5625)
    expected = -0.1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-12)
    np.testing.assert_allclose(param, [expected], rtol=1e-12)


def test_rmsprop_single_step():
    param, grad = _pair()
    optimizers.RMSProp(learning_rate=0.01, rho=0.9).step([(param, grad)])
    expected = np.array([1.0, 2.0]) - 0.01 * grad / (np.sqrt(0.1 * grad**2) + 1e-8)
    np.testing.assert_allclose(param, expected, rtol=1e-12)


def test_callable_learning_rate_sees_step_count():
    seen = []
    opt = optimizers.SGD(learning_rate=lambda step: seen.append(step) or 0.1)
    param, grad = _pair()
    for _ in range(3):
        opt.step([(param, grad)])
    assert seen == [0, 1, 2]
    assert opt.iterations == 3


def test_state_round_trip_reproduces_trajectory():
    param_a, grad = _pair()
    opt_a = optimizers.Adam(learning_rate=0.1)
    opt_a.step([(param_a, grad)])
    param_b = param_a.copy()
    opt_b = optimizers.Adam(learning_rate=0.1)
    opt_b.load_state_dict(opt_a.state_dict(), opt_a.iterations)
    opt_a.step([(param_a, grad * 2)])
    opt_b.step([(param_b, grad * 2)])
    np.testing.assert_array_equal(param_a, param_b)


def test_float32_stays_float32():
    param = np.ones(3, dtype=np.float32)
    grad = np.full(3, 0.5, dtype=np.float32)
    for opt in (optimizers.SGD(momentum=0.9), optimizers.Adam(), optimizers.RMSProp()):
        opt.step([(param, grad)])
        assert param.dtype == np.float32
        assert all(s.dtype == np.float32 for slots in opt.state.values() for s in slots.values())


def test_get_by_name_and_config():
    assert isinstance(optimizers.get("adam", 0.5), optimizers.Adam)
    assert optimizers.get("adam", 0.5).learning_rate == 0.5
    opt = optimizers.get({"name": "sgd", "learning_rate": 0.2, "momentum": 0.5})
    assert opt.get_config() == {"name": "sgd", "learning_rate": 0.2, "momentum": 0.5,
                                "nesterov": False}


@pytest.mark.parametrize(("factory", "message"), [
    (lambda: optimizers.get("adamax"), r"optimizer: expected one of adam.*rmsprop, sgd.*"
                                       r"received: 'adamax'"),
    (lambda: optimizers.SGD(learning_rate=0), r"learning_rate: expected a finite number > 0, "
                                              r"received: 0"),
    (lambda: optimizers.SGD(learning_rate=-1.0), r"learning_rate: .*received: -1.0"),
    (lambda: optimizers.Adam(learning_rate=float("nan")), r"learning_rate: .*received: nan"),
    (lambda: optimizers.SGD(momentum=1.0), r"momentum: expected a number in \[0, 1\), "
                                             r"received: 1.0"),
    (lambda: optimizers.SGD(nesterov=True), r"nesterov: expected momentum > 0"),
    (lambda: optimizers.Adam(beta_1=1.5), r"beta_1: expected .*received: 1.5"),
    (lambda: optimizers.RMSProp(epsilon=0), r"epsilon: expected a finite number > 0"),
])
def test_bad_hyper_parameters(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def _unpack(net):
    for layer in net.layers:
        for key in layer.params:
            layer.params[key] = layer.params[key].copy()
            layer.grads[key] = layer.grads[key].copy()


@pytest.mark.parametrize("optimizer", [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.Adam(0.01, weight_decay=0.01, clip_norm=1.0),
    lambda: optimizers.RMSProp(0.01),
    lambda: optimizers.AdamW(0.01, weight_decay=0.1),
])
def test_packed_parameters_update_exactly_like_separate_ones(optimizer):
    import neuroflow as nf

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    packed = nf.Network.from_sizes([4, 6, 5, 3], seed=2)
    separate = nf.Network.from_sizes([4, 6, 5, 3], seed=2)
    opt_packed, opt_separate = optimizer(), optimizer()
    buffer = packed.parameter_buffer
    assert isinstance(buffer, optimizers.ParameterBuffer)
    assert buffer.holds(packed.parameters(), packed.gradients())
    _unpack(separate)
    pairs_separate = list(zip(separate.parameters(), separate.gradients()))
    assert not separate.parameter_buffer.holds(separate.parameters(), separate.gradients())
    pairs_packed = buffer  # one update over the flat arrays
    for _ in range(5):
        for net, opt, pairs in ((packed, opt_packed, pairs_packed),
                                (separate, opt_separate, pairs_separate)):
            net.forward(x, training=True)
            net.backward(y)
            opt.step(pairs)
    for a, b in zip(packed.parameters(), separate.parameters()):
        np.testing.assert_array_equal(a, b)
    state_a, state_b = opt_packed.state_dict(), opt_separate.state_dict()
    assert state_a.keys() == state_b.keys() and state_a
    for key in state_a:
        assert state_a[key].shape == state_b[key].shape
        np.testing.assert_array_equal(state_a[key], state_b[key])


def test_packed_state_restored_from_a_state_dict_continues_exactly():
    import neuroflow as nf

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    net = nf.Network.from_sizes([4, 5, 3], seed=0, dtype="float64")
    net.fit(x, y, epochs=2, batch_size=5, verbose=0, optimizer="adam")
    clone = net.copy()
    restored = optimizers.Adam()
    restored.load_state_dict(net.optimizer.state_dict(), net.optimizer.iterations)
    net.fit(x, y, epochs=1, batch_size=5, verbose=0, shuffle=False)
    clone.fit(x, y, epochs=1, batch_size=5, verbose=0, shuffle=False, optimizer=restored)
    for a, b in zip(net.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.1, momentum=0.9, weight_decay=0.01),
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, clip_norm=0.5),
    lambda: optimizers.Adam(0.01),
    lambda: optimizers.RMSProp(0.01, weight_decay=0.001),
    lambda: optimizers.AdamW(0.01, weight_decay=0.1),
], ids=["sgd", "momentum", "nesterov", "adam", "rmsprop", "adamw"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_kernel_equals_the_array_api_rule_bit_for_bit(make, dtype):
    """Each rule is written once against the array API (``update``); NumPy arrays go
    through its in-place kernel (``update_in_place``), which must give the same bits."""
    rng = np.random.default_rng(3)
    params = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]
    twins = [p.copy() for p in params]
    kernel, generic = make(), make()
    generic.update_in_place = (  # type: ignore[method-assign]
        lambda param, grad, slot, learning_rate, work: generic.update(param, grad, slot,
                                                                      learning_rate))
    for _ in range(4):
        grads = [rng.normal(size=p.shape).astype(dtype) for p in params]
        kernel.step([(p, g.copy()) for p, g in zip(params, grads)])
        generic.step([(p, g.copy()) for p, g in zip(twins, grads)])
    for a, b in zip(params, twins):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert kernel.state_dict().keys() == generic.state_dict().keys()
    for key, value in kernel.state_dict().items():
        np.testing.assert_array_equal(value, generic.state_dict()[key])


def test_parameter_buffer_lays_parameters_end_to_end():
    import neuroflow as nf

    net = nf.Network.from_sizes([4, 6, 3], seed=0)
    buffer = net.parameter_buffer
    assert buffer is not None and net.pack_parameters() is buffer  # already packed
    assert buffer.names == ("layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b")
    assert buffer.shapes == ((4, 6), (6,), (6, 3), (3,))
    assert buffer.offsets == (0, 24, 30, 48, 51) and buffer.size == 51 and len(buffer) == 4
    assert buffer.parameters.shape == buffer.gradients.shape == (51,)
    for (param, grad), p, g in zip(buffer, net.parameters(), net.gradients()):
        assert param is p and grad is g
        assert np.shares_memory(param, buffer.parameters)
        assert np.shares_memory(grad, buffer.gradients)
    np.testing.assert_array_equal(buffer.parameters[:24].reshape(4, 6), net.layers[0].params["W"])
    assert [v.shape for v in buffer.views(np.zeros(51))] == list(buffer.shapes)
    assert "4 parameters, 51 scalars" in repr(buffer)


def test_loading_weights_keeps_the_parameter_buffer():
    import neuroflow as nf

    net = nf.Network.from_sizes([4, 6, 3], seed=0)
    buffer = net.parameter_buffer
    other = nf.Network.from_sizes([4, 6, 3], seed=1)
    for mine, theirs in zip(net.layers, other.layers):
        mine.load_state(theirs.state())  # written in place
    assert buffer is not None and buffer.holds(net.parameters(), net.gradients())
    assert net.pack_parameters() is buffer
    np.testing.assert_array_equal(net.layers[0].params["W"], other.layers[0].params["W"])
    # a replaced array is noticed: the network packs again, values kept
    net.layers[1].params["b"] = net.layers[1].params["b"] + 1
    repacked = net.pack_parameters()
    assert repacked is not buffer and repacked is net.parameter_buffer
    np.testing.assert_array_equal(net.layers[1].params["b"], other.layers[1].params["b"] + 1)
    assert repacked.holds(net.parameters(), net.gradients())


def test_stepping_the_buffer_or_its_pairs_shares_one_state():
    import neuroflow as nf

    net = nf.Network.from_sizes([4, 6, 3], seed=0)
    buffer = net.parameter_buffer
    assert buffer is not None
    opt = optimizers.Adam(0.01)
    buffer.gradients[...] = 0.5
    opt.step(buffer)
    first = {key: value.copy() for key, value in opt.state_dict().items()}
    assert set(first) == {f"{i}.{slot}" for i in range(4) for slot in ("m", "v")}
    assert first["0.m"].shape == (4, 6) and first["3.v"].shape == (3,)
    opt.step(list(buffer))  # the same pairs, one at a time: the same state arrays
    for key, value in opt.state_dict().items():
        # still views of one flat slot laid out like the buffer, and stepped twice
        assert value.base is not None and value.base.shape == (buffer.size,)
        assert not np.array_equal(value, first[key])


def test_a_deep_copy_of_an_optimizer_continues_exactly():
    import copy

    import neuroflow as nf

    first, second = (nf.Network.from_sizes([4, 6, 3], seed=0).parameter_buffer
                     for _ in range(2))
    assert first is not None and second is not None
    first.gradients[...] = second.gradients[...] = 0.25
    opt = optimizers.Adam(0.01)
    opt.step(first)
    second.parameters[...] = first.parameters
    twin = copy.deepcopy(opt)  # state arrays copied one by one, no longer views
    opt.step(first)
    twin.step(second)
    np.testing.assert_array_equal(first.parameters, second.parameters)
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(value, opt.state_dict()[key])
        assert not np.shares_memory(value, opt.state_dict()[key])
