"""The generic array-API path, run with array-api-strict on the CPU.

array-api-strict refuses everything the standard does not define, and NumPy functions
applied to its arrays silently return NumPy arrays, so every test checks the TYPE of
what comes back as well as its values (float64, against the NumPy path).
"""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import activations, backend, losses, optimizers
from neuroflow.layers import BatchNorm, Dense, Dropout

xps = pytest.importorskip("array_api_strict")
StrictArray = type(xps.asarray(0.0))
pytest.importorskip("array_api_compat")

TOL = dict(rtol=1e-12, atol=1e-12)


def strict(array):
    return xps.asarray(np.asarray(array))


def check(result, expected):
    """``result`` is an array-api-strict array equal to the NumPy ``expected``."""
    assert isinstance(result, StrictArray), type(result)
    np.testing.assert_allclose(backend.to_numpy(result), expected, **TOL)


@pytest.fixture
def z():
    return np.random.default_rng(0).normal(scale=2.0, size=(6, 4))


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", activations.names())
def test_activation_forward_and_backward_match_numpy(name, z):
    act = activations.get(name)
    grad_a = np.random.default_rng(1).normal(size=z.shape)
    a = act.forward(z)
    check(act.forward(strict(z)), a)
    check(act.backward(strict(grad_a), strict(z), strict(a)), act.backward(grad_a, z, a))
    if act.elementwise:
        check(act.derivative(strict(z), strict(a)), act.derivative(z, a))


@pytest.mark.parametrize("act", [activations.LeakyReLU(0.2), activations.ELU(0.5)])
def test_parametrised_activations_match_numpy(act, z):
    a = act.forward(z)
    check(act.forward(strict(z)), a)
    check(act.derivative(strict(z), strict(a)), act.derivative(z, a))


def test_float32_activation_stays_float32(z):
    out = activations.GELU().forward(strict(z.astype(np.float32)))
    assert out.dtype == xps.float32


# ------------------------------------------------------------------ losses
def loss_cases():
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(4), size=6)
    labels = rng.integers(0, 4, 6)
    one_hot = np.eye(4)[labels]
    sig = rng.uniform(0.05, 0.95, size=(6, 3))
    return [
        ("cross_entropy", "softmax", probs, labels),
        ("cross_entropy", "softmax", probs, one_hot),
        ("binary_cross_entropy", "sigmoid", sig, rng.integers(0, 2, (6, 3)).astype(float)),
        ("mse", "linear", rng.normal(size=(6, 3)), rng.normal(size=(6, 3))),
    ]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", range(4))
def test_loss_value_gradient_and_fused_delta_match_numpy(case, weighted):
    name, activation, output, target = loss_cases()[case]
    loss, act = losses.get(name), activations.get(activation)
    weights = np.linspace(0.5, 2.0, output.shape[0]) if weighted else None
    sw = None if weights is None else strict(weights)
    value = loss.value(strict(output), strict(target), sw)
    assert isinstance(value, float)
    assert value == pytest.approx(loss.value(output, target, weights), rel=1e-12)
    check(loss.gradient(strict(output), strict(target), sw),
          loss.gradient(output, target, weights))
    fused = loss.fused_delta(act, output, target, weights)
    if name == "mse":
        assert fused is None and loss.fused_delta(act, strict(output), strict(target)) is None
    else:
        check(loss.fused_delta(act, strict(output), strict(target), sw), fused)


# ------------------------------------------------------------------ layers
def dense_pair(activation, use_bias=True):
    layer = Dense(4, 3, activation, use_bias=use_bias)
    layer.build(np.random.default_rng(3), np.dtype(np.float64))
    twin = Dense(4, 3, activation, use_bias=use_bias)
    twin.load_state(layer.state())
    twin.to_backend(xps)
    return layer, twin


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("name", activations.names())
def test_dense_forward_backward_match_numpy(name, use_bias, z):
    layer, twin = dense_pair(name, use_bias)
    grad = np.random.default_rng(4).normal(size=(6, 3))
    check(twin.forward(strict(z), training=True), layer.forward(z, training=True))
    check(twin.backward(strict(grad)), layer.backward(grad))
    for key in layer.params:
        check(twin.grads[key], layer.grads[key])
    check(twin.infer(strict(z)), layer.infer(z))


def test_dense_gradient_arrays_are_written_in_place(z):
    _, twin = dense_pair("tanh")
    before = twin.grads["W"]
    twin.forward(strict(z), training=True)
    twin.backward(strict(np.ones((6, 3))), need_input_grad=False)
    assert twin.grads["W"] is before


def test_dropout_with_fixed_mask_matches_numpy(z):
    mask = (np.random.default_rng(5).random(z.shape) > 0.3) / 0.7
    layer, twin = Dropout(0.3, features=4), Dropout(0.3, features=4)
    layer.fixed_mask = twin.fixed_mask = mask
    grad = np.random.default_rng(6).normal(size=z.shape)
    check(twin.forward(strict(z), training=True), layer.forward(z, training=True))
    check(twin.backward(strict(grad)), layer.backward(grad))
    check(twin.mask, layer.mask)


def test_dropout_draws_the_same_masks_as_numpy(z):
    layer, twin = Dropout(0.5, features=4), Dropout(0.5, features=4)
    layer.build(np.random.default_rng(7), np.dtype(np.float64))
    twin.build(np.random.default_rng(7), np.dtype(np.float64))
    check(twin.forward(strict(z), training=True), layer.forward(z, training=True))
    assert twin.forward(strict(z)) is not None  # inference: identity, no mask drawn
    assert twin.mask is None


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_forward_backward_match_numpy(training, z):
    layer = BatchNorm(4, activation="relu")
    layer.build(np.random.default_rng(8), np.dtype(np.float64))
    layer.params["gamma"] += np.linspace(0.1, 0.4, 4)
    layer.running_mean += 0.3
    twin = BatchNorm(4, activation="relu")
    twin.load_state({k: v.copy() for k, v in layer.state().items()})
    twin.to_backend(xps)
    grad = np.random.default_rng(9).normal(size=z.shape)
    check(twin.forward(strict(z), training), layer.forward(z, training))
    check(twin.backward(strict(grad)), layer.backward(grad))
    for key in ("gamma", "beta"):
        check(twin.grads[key], layer.grads[key])
    check(twin.running_mean, layer.running_mean)
    check(twin.running_var, layer.running_var)


# ------------------------------------------------------------------ optimisers
@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.1, momentum=0.9, weight_decay=0.01),
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, clip_norm=0.5),
    lambda: optimizers.Adam(0.01),
    lambda: optimizers.RMSProp(0.01, weight_decay=0.001),
    lambda: optimizers.AdamW(0.01, weight_decay=0.1),
], ids=["sgd", "momentum", "nesterov", "adam", "rmsprop", "adamw"])
def test_optimizer_updates_backend_arrays_like_numpy(make):
    rng = np.random.default_rng(10)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(3)]
    mine = [strict(p) for p in params]
    reference, generic = make(), make()
    for step in grads:
        reference.step([(p, g.copy()) for p, g in zip(params, step)])
        generic.step([(p, strict(g)) for p, g in zip(mine, step)])
    for got, expected in zip(mine, params):
        check(got, expected)
    for slots in generic.state.values():
        assert all(isinstance(v, StrictArray) for v in slots.values())


def test_global_norm_of_backend_arrays():
    grads = [np.arange(6.0).reshape(2, 3), np.ones(3)]
    assert optimizers.global_norm([strict(g) for g in grads]) == pytest.approx(
        optimizers.global_norm(grads), rel=1e-12)


# ------------------------------------------------------------------ network
def make_network(backend_name, dtype="float64"):
    layers = [Dense(5, 8, "tanh"), BatchNorm(activation="relu"), Dropout(0.2),
              Dense(8, 3, "softmax")]
    return nf.Network(layers, seed=11, dtype=dtype, backend=backend_name)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(12)
    return rng.normal(size=(48, 5)), rng.integers(0, 3, 48)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adamw"])
def test_short_fit_matches_numpy(optimizer, data):
    x, y = data
    reference, generic = make_network("numpy"), make_network("array_api_strict")
    h1 = reference.fit(x, y, epochs=2, batch_size=16, optimizer=optimizer, verbose=0,
                       validation_split=0.25)
    h2 = generic.fit(x, y, epochs=2, batch_size=16, optimizer=optimizer, verbose=0,
                     validation_split=0.25)
    for got, expected in zip(generic.parameters(), reference.parameters()):
        check(got, expected)
    np.testing.assert_allclose(h2.history["loss"], h1.history["loss"], **TOL)
    np.testing.assert_allclose(h2.history["val_loss"], h1.history["val_loss"], **TOL)
    predicted = generic.predict(x)
    assert isinstance(predicted, np.ndarray)
    np.testing.assert_allclose(predicted, reference.predict(x), **TOL)
    assert generic.evaluate(x, y)["loss"] == pytest.approx(reference.evaluate(x, y)["loss"],
                                                           rel=1e-12)


def test_forward_backward_on_backend_and_from_numpy_inputs(data):
    x, y = data
    reference, generic = make_network("numpy"), make_network("array_api_strict")
    check(generic.forward(x[:8]), reference.forward(x[:8]))  # NumPy input moved
    grad = generic.backward(y[:8])
    check(grad, reference.backward(y[:8]))
    for got, expected in zip(generic.gradients(), reference.gradients()):
        check(got, expected)
    assert "backend='array_api_strict'" in repr(generic)
    assert generic.predict_classes(x).dtype.kind == "i"


def test_save_load_and_copy_from_backend(tmp_path, data):
    x, y = data
    net = make_network("array_api_strict")
    net.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "m.safetensors"
    net.save(str(path))
    loaded = nf.load(str(path))
    assert loaded.backend == "numpy" and isinstance(loaded.parameters()[0], np.ndarray)
    np.testing.assert_allclose(loaded.predict(x), net.predict(x), **TOL)
    clone = net.copy()
    assert clone.backend == "array_api_strict"
    assert isinstance(clone.parameters()[0], StrictArray)
    # resuming on the back-end: restored NumPy optimiser state is moved on first use
    loaded.to_backend("array_api_strict")
    assert isinstance(loaded.layers[1].running_mean, StrictArray)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert all(isinstance(v, StrictArray) for s in loaded.optimizer.state.values()
               for v in s.values())
    loaded.to_backend("numpy")
    assert all(isinstance(v, np.ndarray) for s in loaded.optimizer.state.values()
               for v in s.values())
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)


def test_float32_backend_network_trains(data):
    x, y = data
    net = nf.Network.from_sizes([5, 6, 3], seed=0, backend="array_api_strict")
    net.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert net.parameters()[0].dtype == xps.float32
    assert net.predict(x).dtype == np.float32


# ------------------------------------------------------------------ backend module
def test_namespace_is_numpy_itself_for_numpy_arrays():
    assert backend.namespace(np.ones(2), np.zeros(3)) is np
    assert backend.namespace(strict([1.0])) is xps
    assert backend.get_backend("numpy") is np
    assert backend.get_backend("array_api_strict") is xps


def test_to_backend_and_back():
    array = np.arange(6.0).reshape(2, 3)
    moved = backend.to_backend(array, xps)
    assert isinstance(moved, StrictArray)
    assert backend.to_backend(moved, xps) is moved
    back = backend.to_numpy(moved)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, array)
    assert backend.to_numpy(array) is array and backend.to_backend(None, xps) is None
    assert backend.device_of(array) == "cpu"
    assert backend.backend_name(xps) == "array_api_strict"
    assert backend.backend_name(np) == "numpy"


def test_numpy_training_does_not_import_array_api_compat():
    code = ("import sys, numpy as np, neuroflow as nf\n"
            "net = nf.Network.from_sizes([3, 4, 2], seed=0)\n"
            "net.fit(np.ones((8, 3)), np.arange(8) % 2, epochs=1, verbose=0)\n"
            "net.predict(np.ones((2, 3)))\n"
            "assert 'array_api_compat' not in sys.modules, 'imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_backend_and_device_raise():
    with pytest.raises(ValueError, match=r"backend: expected one of 'numpy', 'cupy', "
                                         r"'array_api_strict', received: 'jax'"):
        nf.Network.from_sizes([2, 2], backend="jax")
    with pytest.raises(ValueError, match=r"device: expected one of .*received: 'tpu'"):
        nf.Network.from_sizes([2, 2], device="tpu")
    with pytest.raises(ValueError, match=r"device: 'cuda' does not go with "
                                         r"backend='array_api_strict'"):
        nf.Network.from_sizes([2, 2], backend="array_api_strict", device="cuda")
    net = nf.Network.from_sizes([2, 2], backend="array_api_strict", device="cpu")
    assert net.backend == "array_api_strict"


def test_cupy_not_installed_names_the_extra(monkeypatch):
    monkeypatch.setattr(backend, "_FOUND", {})
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(ValueError, match=r"backend: 'cupy' needs CuPy.*neuroflow\[gpu\]"):
        nf.Network.from_sizes([2, 2], device="cuda")


def test_cupy_without_gpu_raises(monkeypatch):
    monkeypatch.setattr(backend, "_FOUND", {})
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 0)
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=runtime)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setitem(sys.modules, "array_api_compat.cupy", types.ModuleType("compat"))
    with pytest.raises(ValueError, match=r"backend: 'cupy' needs a CUDA GPU, found none"):
        backend.get_backend("cupy")

    def broken():
        raise RuntimeError("cudaErrorNoDevice")

    runtime.getDeviceCount = broken
    with pytest.raises(ValueError, match=r"needs a CUDA GPU, none is usable"):
        backend.get_backend("cupy")


def test_array_api_strict_missing_names_the_extra(monkeypatch):
    monkeypatch.setattr(backend, "_FOUND", {})
    monkeypatch.setitem(sys.modules, "array_api_strict", None)
    with pytest.raises(ValueError, match=r"array-api-strict.*neuroflow\[dev\]"):
        backend.get_backend("array_api_strict")
