"""The compiled fast path (numba) against the NumPy reference of
:mod:`neuroflow.kernels`: float64 equal within 4 ulp, float32 within 1e-6 relative, for
every optimiser rule and ReLU kernel, over several steps and through ``fit``; and the
switch that forces the reference."""

import os
import subprocess
import sys

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import kernels, optimizers

DTYPES = [np.float32, np.float64]


@pytest.fixture
def restore_choice():
    """Leave the kernels' choice as the test found it."""
    saved = kernels._choice
    yield
    kernels.use(saved)


def assert_close(fast, reference):
    """float64: within 4 ulp; float32: within 1e-6 relative (of the element, with the
    array's largest magnitude times 1e-6 as the floor for values near 0)."""
    assert fast.dtype == reference.dtype
    if fast.dtype == np.float64:
        np.testing.assert_array_max_ulp(fast, reference, maxulp=4)
    else:
        scale = float(np.max(np.abs(reference))) or 1.0
        np.testing.assert_allclose(fast, reference, rtol=1e-6, atol=1e-6 * scale)


def _arrays(dtype, n=4099, seed=0):
    rng = np.random.default_rng(seed)
    return {"param": (rng.standard_normal(n) * 0.1).astype(dtype),
            "m": np.zeros(n, dtype), "v": np.zeros(n, dtype), "velocity": np.zeros(n, dtype)}


def _grads(dtype, steps, n=4099, seed=1):
    rng = np.random.default_rng(seed)
    grads = [(rng.standard_normal(n) * 0.01).astype(dtype) for _ in range(steps)]
    grads[0][:5] = 0  # exact zeros: sqrt(0) + eps
    return grads


RULES = {
    "sgd": lambda a, g, t: kernels.sgd(a["param"], g, 0.05, a["work"]),
    "sgd-momentum": lambda a, g, t: kernels.sgd_momentum(
        a["param"], g, a["velocity"], 0.9, False, 0.05, a["work"]),
    "sgd-nesterov": lambda a, g, t: kernels.sgd_momentum(
        a["param"], g, a["velocity"], 0.9, True, 0.05, a["work"]),
    "adam": lambda a, g, t: kernels.adam(a["param"], g, a["m"], a["v"], 0.9, 0.999, 1e-8,
                                         1e-3, t, a["work"]),
    "rmsprop": lambda a, g, t: kernels.rmsprop(a["param"], g, a["v"], 0.9, 1e-8, 1e-3,
                                               a["work"]),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_optimizer_kernel_matches_the_reference_over_steps(rule, dtype, restore_choice):
    fast, reference = _arrays(dtype), _arrays(dtype)
    for arrays in (fast, reference):
        arrays["work"] = np.empty_like(arrays["param"])
    for t, grad in enumerate(_grads(dtype, steps=6), start=1):
        for path, arrays in (("numba", fast), ("numpy", reference)):
            kernels.use(path)
            RULES[rule](arrays, grad, t)
    for key in ("param", "m", "v", "velocity"):
        assert_close(fast[key], reference[key])
    assert not np.array_equal(fast["param"], _arrays(dtype)["param"])  # it did move


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_relu_kernels_match_the_reference(dtype, restore_choice):
    rng = np.random.default_rng(2)
    z = rng.standard_normal((33, 17)).astype(dtype)
    z.flat[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30]
    grad = rng.standard_normal((33, 17)).astype(dtype)
    grad.flat[6:9] = [np.inf, -np.inf, np.nan]
    results = {}
    for path in ("numba", "numpy"):
        kernels.use(path)
        forward, backward = np.empty_like(z), np.empty_like(z)
        kernels.relu(z, forward)
        with np.errstate(invalid="ignore"):  # inf * 0 in NumPy's reference
            kernels.relu_backward(grad, z, backward)
        in_place = z.copy()
        kernels.relu(in_place, in_place)  # Dense.infer writes f(z) over z
        results[path] = (forward, backward, in_place)
    for fast, reference in zip(results["numba"], results["numpy"]):
        np.testing.assert_array_equal(fast, reference)  # nan where nan, same values
        np.testing.assert_array_equal(np.signbit(fast), np.signbit(reference))  # -0.0


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_fused_epilogues_match_the_two_step_reference(dtype, restore_choice):
    """bias + ReLU forward and ReLU derivative + bias gradient: one pass each on the fast
    path, the same numbers (bias gradient: rows added in order, as NumPy's axis-0 sum)."""
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal((37, 19)).astype(dtype)
    z0.flat[:3] = [np.nan, np.inf, -np.inf]
    bias = rng.standard_normal(19).astype(dtype)
    grad = rng.standard_normal((37, 19)).astype(dtype)
    results = {}
    for path in ("numba", "numpy"):
        kernels.use(path)
        z, forward = z0.copy(), np.empty_like(z0)
        kernels.bias_relu(z, bias, forward)
        delta, bias_gradient = np.empty_like(z0), np.full(19, 7.0, dtype)
        with np.errstate(invalid="ignore"):
            kernels.relu_backward_bias(grad, z, delta, bias_gradient)
        results[path] = (z, forward, delta, bias_gradient)
    two_steps = z0 + bias
    np.testing.assert_array_equal(results["numpy"][0], two_steps)
    np.testing.assert_array_equal(results["numpy"][1], np.maximum(two_steps, 0))
    for fast, reference in zip(results["numba"], results["numpy"]):
        np.testing.assert_array_equal(fast, reference)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(results["numpy"][3],
                                      np.sum(grad * (two_steps > 0), axis=0))


def test_fused_epilogues_take_the_fast_path_only_for_matching_bias(restore_choice):
    """A bias of another dtype or length runs the two NumPy steps (same numbers)."""
    kernels.use("numba")
    z = np.ones((4, 3), np.float32)
    out = np.empty_like(z)
    assert kernels._fast_rows((z, out), np.ones(3, np.float32)) is not None
    assert kernels._fast_rows((z, out), np.ones(3, np.float64)) is None
    assert kernels._fast_rows((z, out), np.ones(4, np.float32)) is None
    kernels.bias_relu(z, np.full(3, -2.0), out)  # float64 bias: NumPy's z += bias
    np.testing.assert_array_equal(out, np.zeros((4, 3), np.float32))


def _fit(path, optimizer, dtype):
    kernels.use(path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype(dtype)
    y = rng.integers(0, 3, size=96)
    net = nf.Network.from_sizes([6, 16, 8, 3], hidden="relu", output="softmax", seed=0,
                                dtype=np.dtype(dtype).name)
    net.fit(x, y, epochs=3, batch_size=16, optimizer=optimizer, verbose=0)
    return net


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd-momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "sgd-nesterov-l2": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True,
                                              weight_decay=1e-3),
    "adam": lambda: optimizers.Adam(1e-2),
    "adam-l2-clip": lambda: optimizers.Adam(1e-2, weight_decay=1e-3, clip_norm=1.0),
    "adamw": lambda: optimizers.AdamW(1e-2, weight_decay=0.05),
    "rmsprop": lambda: optimizers.RMSProp(1e-3),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fit_gives_the_reference_weights(name, dtype, restore_choice):
    fast = _fit("numba", OPTIMIZERS[name](), dtype)
    reference = _fit("numpy", OPTIMIZERS[name](), dtype)
    for got, want in zip(fast.parameters(), reference.parameters()):
        assert_close(got, want)


def test_only_eligible_arrays_take_the_fast_path(restore_choice, monkeypatch):
    kernels.use("numba")
    calls = []
    loops = kernels._resolve()
    monkeypatch.setitem(loops, "sgd", lambda *args: calls.append(args))
    param, grad = np.ones(8, np.float32), np.ones(8, np.float32)
    kernels.sgd(param, grad, 0.5, np.empty_like(param))
    assert len(calls) == 1 and param[0] == 1  # the (stubbed) loop ran instead of NumPy
    for p, g in [(np.ones(8, np.float16), np.ones(8, np.float16)),   # dtype
                 (np.ones(8, np.float32), np.ones(8, np.float64)),   # mixed dtypes
                 (np.ones((4, 4), np.float32)[:, ::2], np.ones((4, 2), np.float32)),  # strides
                 (np.ones(8, np.float32), np.ones(1, np.float32))]:  # shapes (broadcast)
        kernels.sgd(p, g, 0.5, np.empty_like(p))
        assert p.flat[0] == 0.5
    assert len(calls) == 1


def test_use_numpy_forces_the_reference(restore_choice, monkeypatch):
    kernels.use("numba")
    assert kernels.active() == "numba"
    kernels.use("numpy")
    assert kernels.active() == "numpy"
    monkeypatch.setattr(kernels.kernels_fast, "load", lambda: pytest.fail("numba loaded"))
    param = np.ones(8, np.float32)
    kernels.adam(param, np.ones(8, np.float32), np.zeros(8, np.float32),
                 np.zeros(8, np.float32), 0.9, 0.999, 1e-8, 1e-3, 1, np.empty_like(param))
    with pytest.raises(ValueError, match="expected one of"):
        kernels.use("fortran")


def test_environment_variable_forces_the_reference_and_numba_is_imported_lazily():
    probe = ("import sys, numpy as np, neuroflow as nf\n"
             "from neuroflow import kernels\n"
             "loaded = 'numba' in sys.modules\n"
             "net = nf.Network.from_sizes([4, 3], seed=0)\n"
             "net.fit(np.ones((8, 4), np.float32), np.zeros(8, int), epochs=1, verbose=0)\n"
             "print(loaded, kernels.active(), 'numba' in sys.modules)")
    outputs = {}
    for value in ("numpy", "auto"):
        env = {**os.environ, "NEUROFLOW_KERNELS": value}
        outputs[value] = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                                        capture_output=True, text=True).stdout.split()
    assert outputs["numpy"] == ["False", "numpy", "False"]
    assert outputs["auto"] == ["False", "numba", "True"]
