"""The compiled loops of the image layers (:mod:`neuroflow.layers.window_loops`): taken
when the kernels are numba's and never under ``numpy``; equal to the reference loops for
inputs of every memory layout, in float32 and with reused work arrays; max-pooling's
arg-max by index (ties, NaN); a forward of one implementation backpropagated by the
other; and a loop that cannot compile falls back to the NumPy code with one note."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import kernels
from neuroflow.layers import conv_reference as reference
from neuroflow.layers import window_loops


@pytest.fixture
def restore_choice():
    """Leave the kernels' choice, and the loops' state, as the test found them."""
    saved = kernels._choice
    broken = window_loops._broken
    yield
    kernels.use(saved)
    window_loops._broken = broken


@pytest.fixture
def calls(monkeypatch):
    """The names of the compiled loops run, in order."""
    names: list[str] = []
    run = window_loops.run

    def counted(compiled, name, *args):
        names.append(name)
        return run(compiled, name, *args)

    monkeypatch.setattr(window_loops, "run", counted)
    return names


def _conv(stride=1, padding="valid", channels=2, dtype=np.float64):
    layer = nf.Conv2D(3, (3, 2), stride=stride, padding=padding, activation="relu",
                      input_shape=(channels, 6, 7))
    layer.build(np.random.default_rng(0), np.dtype(dtype))
    layer.params["b"][...] = np.random.default_rng(1).normal(size=3)
    return layer


def _check_conv(layer, x, rtol=0.0, atol=1e-12):
    """Forward and backward of ``layer`` on ``x`` against the reference loops."""
    a = layer.forward(x, training=True)
    images = x.reshape(x.shape[0], *layer.image)
    z = reference.conv2d_forward(images.astype(np.float64), layer.params["W"].astype(
        np.float64), layer.params["b"].astype(np.float64), layer.stride, layer.pads)
    np.testing.assert_allclose(a, np.maximum(z, 0), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(3).normal(size=a.shape).astype(x.dtype)
    grad_x = layer.backward(upstream)
    delta = upstream * (z > 0)
    grad_w, grad_b, expected = reference.conv2d_backward(
        images.astype(np.float64), layer.params["W"].astype(np.float64), delta,
        layer.stride, layer.pads)
    assert grad_x.shape == x.shape
    np.testing.assert_allclose(grad_x.reshape(images.shape), expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(layer.grads["W"], grad_w, rtol=rtol, atol=atol)
    np.testing.assert_allclose(layer.grads["b"], grad_b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("choice", ["numba", "numpy"])
def test_the_loops_run_under_numba_only(restore_choice, calls, choice):
    kernels.use(choice)
    conv, pool = _conv(), nf.MaxPool2D(2, input_shape=(3, 4, 6))
    x = np.random.default_rng(0).normal(size=(2, 2, 6, 7))
    pooled = pool.forward(conv.forward(x, training=True), training=True)
    conv.backward(pool.backward(np.ones_like(pooled)))
    conv.infer(x)
    expected = ["gather_windows", "max_pool", "max_pool_backward", "scatter_windows",
                "gather_windows"]
    assert calls == (expected if choice == "numba" else [])
    assert ("index" in pool._cache) == (choice == "numba")


@pytest.mark.parametrize("layout", ["nchw", "nhwc-memory", "rows", "sliced"])
@pytest.mark.parametrize(("stride", "padding"), [(1, "same"), (2, "valid"), (2, "same")])
def test_convolution_of_every_memory_layout_equals_the_reference(restore_choice, layout,
                                                                 stride, padding):
    kernels.use("numba")
    layer = _conv(stride, padding)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 2, 6, 7))
    if layout == "nhwc-memory":  # as the layers' own outputs: channels last in memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    elif layout == "rows":
        x = x.reshape(3, -1)
    elif layout == "sliced":  # a strided view of a larger batch
        x = rng.normal(size=(6, 2, 6, 9))[::2, :, :, 1:8]
    _check_conv(layer, x)
    layer.reuse_buffers = True  # as during fit: twice into the same work arrays
    _check_conv(layer, x)
    _check_conv(layer, x)


def test_float32_convolution_is_close_to_the_float64_reference(restore_choice):
    kernels.use("numba")
    layer = _conv(1, "same", dtype=np.float32)
    x = np.random.default_rng(4).normal(size=(4, 2, 6, 7)).astype(np.float32)
    _check_conv(layer, x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.infer(x), layer.forward(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("size", "stride", "padding"),
                         [(2, 2, "valid"), (3, 2, "same"), ((3, 2), 1, "valid"), (2, 3, "same")])
def test_max_pooling_of_strided_inputs_equals_the_reference(restore_choice, size, stride,
                                                            padding):
    kernels.use("numba")
    layer = nf.MaxPool2D(size, stride=stride, padding=padding, input_shape=(3, 7, 8))
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 7, 8)).round(1)  # rounded: ties inside windows
    for given in (x, np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)):
        y = layer.forward(given, training=True)
        np.testing.assert_array_equal(y, reference.pool2d_forward(
            x, "max", layer.pool_size, layer.stride, layer.pads))
        grad = rng.normal(size=y.shape)
        np.testing.assert_allclose(layer.backward(grad), reference.pool2d_backward(
            x, "max", layer.pool_size, layer.stride, layer.pads, grad), rtol=0, atol=1e-12)


def test_max_pooling_propagates_nan_and_ignores_the_padding(restore_choice):
    kernels.use("numba")
    layer = nf.MaxPool2D(2, padding="same", input_shape=(1, 3, 3))
    x = -np.arange(9.0).reshape(1, 1, 3, 3) - 1  # all negative: padding must not win
    x[0, 0, 0, 1] = np.nan
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, [[[[np.nan, -3.0], [-7.0, -9.0]]]])
    grad = layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(grad, [[[[0, 1, 1], [0, 0, 0], [1, 0, 1]]]])


@pytest.mark.parametrize("forward_with", ["numba", "numpy"])
def test_a_forward_of_one_implementation_backpropagates_under_the_other(restore_choice,
                                                                         forward_with):
    kernels.use(forward_with)
    layer = nf.MaxPool2D(2, stride=1, input_shape=(2, 4, 5))
    x = np.random.default_rng(6).normal(size=(2, 2, 4, 5))
    y = layer.forward(x, training=True)
    kernels.use("numpy" if forward_with == "numba" else "numba")
    grad = np.random.default_rng(7).normal(size=y.shape)
    np.testing.assert_allclose(layer.backward(grad), reference.pool2d_backward(
        x, "max", layer.pool_size, layer.stride, layer.pads, grad), rtol=0, atol=1e-12)


def test_a_loop_that_cannot_compile_falls_back_with_one_note(restore_choice, monkeypatch,
                                                               caplog):
    kernels.use("numba")
    compiled = dict(window_loops.load() or {})

    def broken(*args):
        raise RuntimeError("cannot cache function 'gather_windows':\nno space left on device")

    compiled["gather_windows"] = broken
    monkeypatch.setattr(window_loops, "load", lambda: compiled)
    layer, pool = _conv(), nf.MaxPool2D(2, input_shape=(3, 4, 6))
    x = np.random.default_rng(8).normal(size=(2, 2, 6, 7))
    with caplog.at_level(logging.WARNING, logger="neuroflow.kernels"):
        _check_conv(layer, x)
        pool.forward(layer.forward(x, training=True), training=True)
    notes = [r.getMessage() for r in caplog.records if "image-layer loops" in r.getMessage()]
    assert len(notes) == 1 and "no space left on device" in notes[0]
    assert window_loops.loops() is None and "padded" in pool._cache  # NumPy from then on
