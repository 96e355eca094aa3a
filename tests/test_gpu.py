"""CuPy back-end on a CUDA GPU; skipped when CuPy or a GPU is missing."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import backend
from neuroflow.layers import BatchNorm, Dense, Dropout

cupy = pytest.importorskip("cupy")
pytest.importorskip("array_api_compat")


def _gpu_count() -> int:
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no driver, no device
        return 0


pytestmark = pytest.mark.skipif(_gpu_count() < 1, reason="no CUDA GPU")


def make(**kwargs):
    layers = [Dense(6, 16, "relu"), BatchNorm(activation="tanh"), Dropout(0.2),
              Dense(16, 3, "softmax")]
    return nf.Network(layers, seed=0, dtype="float64", **kwargs)


def test_device_cuda_puts_parameters_on_the_gpu():
    net = make(device="cuda")
    assert net.backend == "cupy"
    assert all(isinstance(p, cupy.ndarray) for p in net.parameters())
    assert isinstance(net.layers[1].running_var, cupy.ndarray)


def test_short_fit_on_gpu_matches_numpy(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 6)), rng.integers(0, 3, 64)
    reference, gpu = make(), make(backend="cupy")
    for net in (reference, gpu):
        net.fit(x, y, epochs=2, batch_size=16, optimizer="adam", verbose=0,
                validation_split=0.25)
    for got, expected in zip(gpu.parameters(), reference.parameters()):
        assert isinstance(got, cupy.ndarray)
        np.testing.assert_allclose(backend.to_numpy(got), expected, rtol=1e-9, atol=1e-9)
    predicted = gpu.predict(x)
    assert isinstance(predicted, np.ndarray)
    np.testing.assert_allclose(predicted, reference.predict(x), rtol=1e-9, atol=1e-9)
    path = tmp_path / "gpu.safetensors"
    gpu.save(str(path))
    np.testing.assert_allclose(nf.load(str(path)).predict(x), predicted, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adamw"])
def test_optimizers_step_on_gpu(optimizer):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 6)), rng.integers(0, 3, 32)
    net = make(backend="cupy")
    before = [backend.to_numpy(p).copy() for p in net.parameters()]
    net.fit(x, y, epochs=1, batch_size=8, optimizer=optimizer, verbose=0)
    assert any(not np.array_equal(b, backend.to_numpy(p))
               for b, p in zip(before, net.parameters()))
