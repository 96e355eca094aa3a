"""The contract every layer keeps, checked on every class registered in ``nf.layers.LAYERS``
(the way Keras' ``run_layer_test`` checks every Keras layer): a new layer gets these tests by
adding its examples to ``EXAMPLES``, and a registered layer without examples fails.

For each example (a constructor and an input shape):

- ``infer(x)`` equals ``forward(x, training=False)``;
- ``backward`` equals central finite differences of ``C = Σ forward(x) ⊙ R`` (a fixed random
  ``R``), for the input and for every parameter, in float64, relative error below 1e-6, in
  training mode (random layers are reseeded before each pass, so the pass is a function);
- ``get_config`` rebuilds the layer, and ``state``/``load_state`` carry everything the
  output depends on (same outputs, training and inference);
- with ``reuse_buffers`` on, a training pass gives the same outputs and gradients as a fresh
  layer, batch after batch and for a smaller last batch, and does not change the arrays an
  earlier pass of another batch size returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.layers import LAYERS, Layer, layer_from_config

Factory = Callable[[], Layer]

#: type_name -> (id, constructor, input shape without the batch axis)
EXAMPLES: dict[str, list[tuple[str, Factory, tuple[int, ...]]]] = {
    "Dense": [
        ("tanh", lambda: nf.Dense(5, 3, activation="tanh"), (5,)),
        ("relu-no-kink", lambda: nf.Dense(4, 6, activation="softplus"), (4,)),
        ("softmax", lambda: nf.Dense(4, 3, activation="softmax"), (4,)),
        ("sigmoid", lambda: nf.Dense(3, 2, activation="sigmoid"), (3,)),
        ("linear", lambda: nf.Dense(3, 2), (3,)),
    ],
    "Dropout": [
        ("half", lambda: nf.Dropout(0.5, features=6), (6,)),
        ("none", lambda: nf.Dropout(0.0, features=3), (3,)),
    ],
    "BatchNorm": [
        ("linear", lambda: nf.BatchNorm(features=4), (4,)),
        ("tanh", lambda: nf.BatchNorm(features=3, activation="tanh"), (3,)),
        ("per-channel", lambda: nf.BatchNorm(input_shape=(2, 3, 3), activation="tanh"),
         (2, 3, 3)),
    ],
    "Conv2D": [
        ("valid", lambda: nf.Conv2D(3, 3, input_shape=(2, 5, 5), activation="tanh"), (2, 5, 5)),
        ("same-stride2", lambda: nf.Conv2D(2, (3, 2), stride=2, padding="same",
                                           input_shape=(1, 5, 6)), (1, 5, 6)),
        ("rows-no-bias", lambda: nf.Conv2D(2, 2, use_bias=False, input_shape=(1, 4, 4),
                                           activation="softplus"), (16,)),
    ],
    "MaxPool2D": [
        ("valid", lambda: nf.MaxPool2D(2, input_shape=(2, 4, 5)), (2, 4, 5)),
        ("same-overlap", lambda: nf.MaxPool2D(3, stride=2, padding="same",
                                              input_shape=(1, 5, 5)), (1, 5, 5)),
    ],
    "AvgPool2D": [
        ("valid", lambda: nf.AvgPool2D(2, input_shape=(2, 4, 4)), (2, 4, 4)),
        ("same-overlap", lambda: nf.AvgPool2D(3, stride=2, padding="same",
                                              input_shape=(1, 5, 5)), (1, 5, 5)),
    ],
    "GlobalAveragePooling2D": [
        ("images", lambda: nf.GlobalAveragePooling2D(input_shape=(3, 2, 3)), (3, 2, 3)),
    ],
    "Flatten": [
        ("images", lambda: nf.Flatten(input_shape=(2, 3, 2)), (2, 3, 2)),
    ],
}

CASES = [pytest.param(name, factory, shape, id=f"{name}-{case}")
         for name, examples in sorted(EXAMPLES.items())
         for case, factory, shape in examples]


def test_every_registered_layer_has_examples() -> None:
    missing = sorted(set(LAYERS) - set(EXAMPLES))
    assert not missing, f"layers without contract examples in {__file__}: {missing}"
    for name, examples in EXAMPLES.items():
        for case, factory, _ in examples:
            assert type(factory()) is LAYERS[name], f"{name}-{case} builds another class"


def _built(factory: Factory, dtype=np.float64, seed: int = 0) -> Layer:
    layer = factory()
    layer.build(np.random.default_rng(seed), np.dtype(dtype))
    # parameters away from their initial symmetric values (e.g. BatchNorm's gamma = 1)
    rng = np.random.default_rng(seed + 1)
    for value in layer.params.values():
        value[...] = value + rng.normal(0.0, 0.3, value.shape).astype(value.dtype)
    return layer


def _reseeded(layer: Layer) -> Layer:
    """Random layers draw from ``layer.rng``: the same draws on every pass."""
    if hasattr(layer, "rng"):
        layer.rng = np.random.default_rng(7)
    return layer


def _input(shape: tuple[int, ...], n: int = 4, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, *shape))


@pytest.mark.parametrize(("name", "factory", "shape"), CASES)
def test_infer_equals_forward_in_inference_mode(name, factory, shape) -> None:
    layer = _built(factory)
    x = _input(shape)
    np.testing.assert_array_equal(layer.infer(x.copy()), layer.forward(x.copy(), training=False))


def _cost(layer: Layer, x: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(_reseeded(layer).forward(x, training=True) * weights))


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    return float(np.max(np.abs(analytic - numeric) / scale))


@pytest.mark.parametrize(("name", "factory", "shape"), CASES)
def test_backward_equals_finite_differences_float64(name, factory, shape) -> None:
    layer = _built(factory)
    x = _input(shape)
    output = _reseeded(layer).forward(x, training=True)
    weights = np.random.default_rng(11).normal(0.0, 1.0, output.shape)
    grad_input = layer.backward(weights.copy(), need_input_grad=True)
    analytic = {"input": np.array(grad_input, copy=True)}
    analytic.update({key: np.array(value, copy=True) for key, value in layer.grads.items()})
    targets = {"input": x, **layer.params}
    step = 1e-6
    for key, array in targets.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + step
            plus = _cost(layer, x, weights)
            array[index] = original - step
            minus = _cost(layer, x, weights)
            array[index] = original
            numeric[index] = (plus - minus) / (2 * step)
        error = _relative_error(analytic[key], numeric)
        assert error < 1e-6, f"{name}: d C / d {key}: relative error {error:.2e}"


@pytest.mark.parametrize(("name", "factory", "shape"), CASES)
def test_config_and_state_rebuild_the_same_layer(name, factory, shape) -> None:
    layer = _built(factory)
    x = _input(shape)
    layer.forward(x, training=True)  # moves running statistics where a layer keeps them
    rebuilt = layer_from_config(layer.get_config())
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()
    rebuilt.build(np.random.default_rng(99), np.dtype(np.float64))
    rebuilt.load_state({key: np.array(value) for key, value in layer.state().items()})
    assert sorted(rebuilt.state()) == sorted(layer.state())
    for key, value in layer.state().items():
        np.testing.assert_array_equal(rebuilt.state()[key], value, err_msg=key)
    np.testing.assert_array_equal(rebuilt.forward(x, training=False),
                                  layer.forward(x, training=False))
    np.testing.assert_array_equal(_reseeded(rebuilt).forward(x, training=True),
                                  _reseeded(layer).forward(x, training=True))
    assert rebuilt.parameter_count == layer.parameter_count


def _training_pass(layer: Layer, x: np.ndarray, weights: np.ndarray):
    output = np.array(_reseeded(layer).forward(x, training=True), copy=True)
    grad = layer.backward(weights, need_input_grad=True)
    return output, np.array(grad, copy=True), {k: v.copy() for k, v in layer.grads.items()}


@pytest.mark.parametrize(("name", "factory", "shape"), CASES)
def test_reused_buffers_give_the_same_numbers_as_fresh_arrays(name, factory, shape) -> None:
    reusing, fresh = _built(factory, np.float32), _built(factory, np.float32)
    reusing.reuse_buffers = True
    rng = np.random.default_rng(5)
    kept = None
    for n in (8, 8, 3, 8):  # a repeated size, then a smaller last batch, then back
        x = rng.normal(0.0, 1.0, (n, *shape)).astype(np.float32)
        weights = rng.normal(0.0, 1.0, (n, fresh.out_features)).astype(np.float32)
        expected = _training_pass(fresh, x, weights)
        if n == 3:
            kept = _reseeded(reusing).forward(x, training=True)
            kept_copy = np.array(kept, copy=True)
            got = (kept_copy, np.array(reusing.backward(weights), copy=True),
                   {k: v.copy() for k, v in reusing.grads.items()})
        else:
            got = _training_pass(reusing, x, weights)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        for key in expected[2]:
            np.testing.assert_array_equal(got[2][key], expected[2][key], err_msg=key)
    # the batch of 3 had its own arrays: the last batch of 8 did not write into them
    np.testing.assert_array_equal(kept, kept_copy)
