"""Activations: behaviour pinned by the mutation run of ``activations.py`` (docs/testing.md).

Each test checks something a changed implementation gets wrong: the element-wise
derivatives on both sides of their kinks, the descriptions (``repr``, ``hash``) and the
``*_into`` variants the training loop calls.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import activations


def test_relu_derivative_is_one_above_zero_and_zero_at_and_below_it() -> None:
    relu = activations.get("relu")
    z = np.array([[-1.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(relu.derivative(z, relu.forward(z)), [[0.0, 0.0, 1.0, 1.0]])
    # backward agrees with the derivative, also at the kink
    np.testing.assert_array_equal(relu.backward(np.full_like(z, 3.0), z, relu.forward(z)),
                                  [[0.0, 0.0, 3.0, 3.0]])


def test_repr_names_the_class_and_its_settings() -> None:
    assert repr(activations.get("relu")) == "ReLU()"
    assert repr(activations.LeakyReLU(0.2)) == "LeakyReLU(alpha=0.2)"
    assert repr(activations.ELU(0.5)) == "ELU(alpha=0.5)"


def test_equal_activations_hash_alike_and_serve_as_keys() -> None:
    assert hash(activations.LeakyReLU(0.2)) == hash(activations.LeakyReLU(0.2))
    assert hash(activations.get("relu")) == hash(activations.ReLU())
    table = {activations.ELU(0.5): "a", activations.LeakyReLU(0.5): "b"}
    assert table[activations.ELU(0.5)] == "a" and table[activations.LeakyReLU(0.5)] == "b"
    assert len({activations.get("tanh"), activations.Tanh(), activations.get("sigmoid")}) == 2


def test_linear_forward_returns_a_new_array() -> None:
    """``f(z) = z`` as a copy: writing into the output must not change ``z``."""
    z = np.array([[1.0, -2.0]])
    a = activations.get("linear").forward(z)
    assert not np.shares_memory(a, z)
    a[0, 0] = 5.0
    np.testing.assert_array_equal(z, [[1.0, -2.0]])


# ------------------------------------------------- the *_into variants of the training loop
def _arrays(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z``, a bias and ``dC/da``; the batch arrays are transposed views (not C-contiguous),
    so the NumPy kernels run without compiling the numba loops."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(3, 4)).T
    z[0, 0] = 0.0  # the kink
    return z, rng.normal(size=3), rng.normal(size=(3, 4)).T


@pytest.mark.parametrize("name", ["relu", "linear", "softmax", "tanh"])
def test_forward_variants_write_into_out_when_the_activation_has_a_kernel(name) -> None:
    activation = activations.get(name)
    z, bias, _ = _arrays()
    has_kernel = type(activation).forward_kernel is not None
    out = np.empty_like(z)
    result = activation.forward_into(z, out)
    assert (result is out) == has_kernel
    np.testing.assert_allclose(result, activation.forward(z), rtol=1e-12, atol=1e-15)
    shifted, out = z.copy(), np.empty_like(z)
    result = activation.forward_bias_into(shifted, bias, out)
    assert (result is out) == has_kernel
    np.testing.assert_array_equal(shifted, z + bias)  # the bias is added in place
    np.testing.assert_allclose(result, activation.forward(z + bias), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["relu", "elu", "tanh", "linear"])
def test_backward_variants_write_into_out_and_sum_the_bias_gradient(name) -> None:
    activation = activations.get(name)
    z, _, grad_a = _arrays()
    a = activation.forward(z)
    expected = activation.backward(grad_a, z, a)
    has_kernel = type(activation).backward_kernel is not None
    out = np.empty_like(z)
    result = activation.backward_into(grad_a, z, a, out)
    assert (result is out) == has_kernel
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    out, bias_gradient = np.empty_like(z), np.empty(3)
    result = activation.backward_bias_into(grad_a, z, a, out, bias_gradient)
    assert (result is out) == has_kernel
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    np.testing.assert_allclose(bias_gradient, expected.sum(axis=0), rtol=1e-12)


def test_into_variants_compute_with_the_formula_on_another_array_library() -> None:
    xp = pytest.importorskip("array_api_strict")
    relu = activations.get("relu")
    z_np, bias_np, grad_np = _arrays()
    z, bias, grad_a = xp.asarray(z_np), xp.asarray(bias_np), xp.asarray(grad_np)
    a = relu.forward(z)
    expected = np.asarray(grad_np * (z_np > 0))
    np.testing.assert_array_equal(np.asarray(relu.forward_into(z, xp.zeros_like(z))),
                                  np.maximum(z_np, 0))
    np.testing.assert_array_equal(np.asarray(relu.backward_into(grad_a, z, a, xp.zeros_like(z))),
                                  expected)
    bias_gradient = xp.zeros_like(bias)
    delta = relu.backward_bias_into(grad_a, z, a, xp.zeros_like(z), bias_gradient)
    np.testing.assert_array_equal(np.asarray(delta), expected)
    np.testing.assert_allclose(np.asarray(bias_gradient), expected.sum(axis=0), rtol=1e-12)
