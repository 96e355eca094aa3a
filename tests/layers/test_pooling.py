"""Pooling and Flatten: the strided fast paths equal the loops written from the
equations (max routes the gradient to the arg-max, average shares it), for every window,
stride and padding."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.layers import conv_reference as reference

KINDS = {"max": nf.MaxPool2D, "avg": nf.AvgPool2D}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("size", [2, (3, 2)])
def test_fast_path_equals_the_reference_loops(kind, stride, padding, size, kernel_choice):
    layer = KINDS[kind](size, stride=stride, padding=padding, input_shape=(2, 5, 6))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 5, 6))
    y = layer.forward(x, training=True)
    expected = reference.pool2d_forward(x, kind, layer.pool_size, layer.stride, layer.pads)
    assert y.shape == expected.shape == (3, *layer.output_shape)
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(layer.infer(x), y)
    grad = rng.normal(size=y.shape)
    np.testing.assert_allclose(
        layer.backward(grad.copy()),
        reference.pool2d_backward(x, kind, layer.pool_size, layer.stride, layer.pads, grad),
        rtol=0, atol=1e-12)


def test_max_pooling_routes_the_gradient_to_the_first_maximum(kernel_choice):
    layer = nf.MaxPool2D(2, input_shape=(1, 2, 4))
    x = np.array([[[[1.0, 5.0, 2.0, 2.0],
                    [3.0, 0.0, 2.0, 1.0]]]])
    np.testing.assert_array_equal(layer.forward(x, training=True), [[[[5.0, 2.0]]]])
    np.testing.assert_array_equal(layer.backward(np.array([[[[10.0, 7.0]]]])),
                                  [[[[0.0, 10.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_average_pooling_leaves_the_padding_out_of_the_mean(kernel_choice):
    layer = nf.AvgPool2D(2, padding="same", input_shape=(1, 3, 3))
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    # padding (0, 1) after each axis: the last window holds the corner pixel alone
    np.testing.assert_allclose(layer.forward(x)[0, 0], [[2.0, 3.5], [6.5, 8.0]])


def test_global_average_pooling_and_flatten():
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5))
    pooled = nf.GlobalAveragePooling2D(input_shape=(3, 4, 5))
    np.testing.assert_allclose(pooled.forward(x), x.mean(axis=(2, 3)))
    np.testing.assert_allclose(pooled.backward(np.ones((2, 3))), np.full(x.shape, 1 / 20))
    flatten = nf.Flatten(input_shape=(3, 4, 5))
    rows = flatten.forward(x)
    np.testing.assert_array_equal(rows, x.reshape(2, 60))  # channel, row, column
    np.testing.assert_array_equal(flatten.backward(rows), x)
    assert flatten.output_shape == (60,)


def test_pooling_defaults_and_errors():
    layer = nf.MaxPool2D(input_shape=(1, 6, 6))
    assert layer.pool_size == layer.stride == (2, 2) and layer.output_shape == (1, 3, 3)
    with pytest.raises(ValueError, match="pool_size: expected a positive integer"):
        nf.AvgPool2D(0)
    with pytest.raises(ValueError, match="padding: expected one of valid, same"):
        nf.MaxPool2D(2, padding="causal")
    with pytest.raises(ValueError, match=r"too small for a 3x3 window"):
        nf.MaxPool2D(3, input_shape=(1, 2, 2))
