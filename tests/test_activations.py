import numpy as np
import pytest

from neuroflow import activations

ALL = activations.names()
ELEMENTWISE = [name for name in ALL if activations.ACTIVATIONS[name].elementwise]


def test_registry_lists_every_activation():
    expected = ["elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "softmax", "softplus",
                "tanh"]
    assert expected == ALL


@pytest.mark.parametrize("name", ALL)
def test_forward_does_not_mutate_input(name, rng):
    z = rng.normal(size=(5, 4))
    before = z.copy()
    activations.get(name).forward(z)
    assert np.array_equal(z, before)


@pytest.mark.parametrize("name", ALL)
def test_backward_does_not_mutate_inputs(name, rng):
    act = activations.get(name)
    z = rng.normal(size=(5, 4))
    a = act.forward(z)
    g = rng.normal(size=(5, 4))
    copies = [z.copy(), a.copy(), g.copy()]
    act.backward(g, z, a)
    for original, copy in zip([z, a, g], copies):
        assert np.array_equal(original, copy)


@pytest.mark.parametrize("name", ALL)
def test_backward_matches_finite_differences(name, rng):
    act = activations.get(name)
    z = rng.normal(scale=2.0, size=(6, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu-like functions
    g = rng.normal(size=z.shape)
    analytic = act.backward(g, z, act.forward(z))
    eps = 1e-6
    numeric = np.zeros_like(z)
    for index in np.ndindex(*z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = ((act.forward(plus) - act.forward(minus)) * g).sum() / (2 * eps)
    error = np.linalg.norm(numeric - analytic) / (np.linalg.norm(numeric) +
                                                  np.linalg.norm(analytic))
    assert error < 1e-6


@pytest.mark.parametrize("name", ["sigmoid", "softmax", "tanh", "softplus", "elu", "gelu"])
def test_stable_for_huge_float32_inputs(name):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = activations.get(name).forward(z)
    assert a.dtype == np.float32
    assert np.all(np.isfinite(a))


def test_sigmoid_limits_and_symmetry():
    z = np.array([-1e4, -20.0, 0.0, 20.0, 1e4], dtype=np.float32)
    s = activations.Sigmoid().forward(z)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(s + s[::-1], 1.0, atol=1e-7)


def test_softmax_rows_sum_to_one_and_shift_invariant(rng):
    z = rng.normal(size=(4, 7)).astype(np.float32) * 1e3
    a = activations.Softmax().forward(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(activations.Softmax().forward(z + 100), a, atol=1e-6)


def test_relu_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.ReLU().forward(z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activations.LeakyReLU(0.1).forward(z), [[-0.2, 0.0, 3.0]])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_dtype_preserved(name):
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    act = activations.get(name)
    a = act.forward(z)
    assert a.dtype == np.float32
    assert act.backward(np.ones_like(z), z, a).dtype == np.float32


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError,
                       match=r"activation: expected one of elu, gelu.*received: 'rellu'"):
        activations.get("rellu")


def test_get_accepts_instance_and_config():
    act = activations.LeakyReLU(0.2)
    assert activations.get(act) is act
    assert activations.get({"name": "leaky_relu", "alpha": 0.2}) == act


def test_bad_alpha():
    with pytest.raises(ValueError, match=r"alpha: expected a finite number >= 0, received: -1"):
        activations.LeakyReLU(-1)
    with pytest.raises(ValueError, match=r"alpha: expected a finite number > 0"):
        activations.ELU(0)


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="Softmax.backward"):
        activations.Softmax().derivative(np.zeros((1, 2)), np.zeros((1, 2)))


# ------------------------------------------------ pinned by mutation testing (docs/testing.md)
def test_activations_are_equal_only_with_the_same_function_and_settings() -> None:
    assert activations.get("relu") == activations.get("relu")
    assert activations.get("relu") != activations.get("tanh")
    assert activations.LeakyReLU(0.1) != activations.LeakyReLU(0.2)
    assert activations.ELU(0.5) == activations.ELU(0.5)
    assert activations.get("relu") != "relu"


def test_elu_defaults_to_alpha_one_as_keras_and_pytorch() -> None:
    elu = activations.ELU()
    assert elu.alpha == 1.0
    np.testing.assert_allclose(elu.forward(np.array([-1.0])), np.expm1([-1.0]))


def test_elu_derivative_at_zero_takes_the_left_branch_alpha() -> None:
    """At the kink z = 0 the derivative is alpha e^0 = alpha (PyTorch's convention)."""
    elu = activations.ELU(0.5)
    z = np.array([0.0, 1e-3, -1e-3])
    a = elu.forward(z)
    np.testing.assert_allclose(elu.derivative(z, a), [0.5, 1.0, 0.5 * np.exp(-1e-3)])


def test_softmax_derivative_points_to_backward() -> None:
    softmax = activations.get("softmax")
    with pytest.raises(TypeError, match=r"^softmax has no element-wise derivative; use "
                                        r"Softmax.backward$"):
        softmax.derivative(np.zeros((1, 2)), np.full((1, 2), 0.5))


def test_leaky_relu_accepts_a_zero_slope_and_its_derivative_at_zero_is_the_slope() -> None:
    """alpha = 0 is plain ReLU (allowed); at the kink z = 0 the derivative is alpha, as in
    PyTorch's leaky_relu (the left branch)."""
    assert activations.LeakyReLU(0.0).alpha == 0.0
    leaky = activations.LeakyReLU(0.1)
    z = np.array([0.0, 2.0, -2.0])
    np.testing.assert_array_equal(leaky.derivative(z, leaky.forward(z)), [0.1, 1.0, 0.1])


def test_a_config_without_a_name_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^activation: expected one of .* received: None$"):
        activations.get({"alpha": 0.1})
    with pytest.raises(ValueError, match=r"^hidden: expected one of"):
        activations.get({"name": "nope"}, "hidden")
