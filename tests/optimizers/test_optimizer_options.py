"""Weight decay (coupled and decoupled), AdamW and gradient clipping: single steps by hand."""

import math

import numpy as np
import pytest

from neuroflow import optimizers


def _pair():
    return np.array([1.0, 2.0]), np.array([0.5, -1.0])


def test_coupled_weight_decay_sgd_single_step():
    param, grad = _pair()
    optimizers.SGD(learning_rate=0.1, weight_decay=0.2).step([(param, grad)])
    # g' = g + 0.2 theta = [0.7, -0.6]
    np.testing.assert_allclose(param, [1.0 - 0.07, 2.0 + 0.06])
    np.testing.assert_array_equal(grad, [0.5, -1.0])            # gradient left unchanged


def test_coupled_weight_decay_adam_and_rmsprop_single_step():
    param, grad = _pair()
    optimizers.Adam(learning_rate=0.1, weight_decay=0.2).step([(param, grad)])
    # first Adam step moves every weight by lr * sign(g') (up to epsilon); g' = [0.7, -0.6]
    np.testing.assert_allclose(param, [0.9, 2.1], rtol=1e-6)
    param, grad = _pair()
    optimizers.RMSProp(learning_rate=0.1, rho=0.9, weight_decay=0.2).step([(param, grad)])
    g = np.array([0.7, -0.6])
    expected = np.array([1.0, 2.0]) - 0.1 * g / (np.sqrt(0.1 * g * g) + 1e-8)
    np.testing.assert_allclose(param, expected)


def test_adamw_decoupled_single_step():
    param, grad = _pair()
    opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.step([(param, grad)])
    # theta <- theta (1 - 0.1 * 0.5), then the Adam step of the raw gradient: -0.1 sign(g)
    expected = np.array([1.0, 2.0]) * 0.95 - 0.1 * np.sign([0.5, -1.0])
    np.testing.assert_allclose(param, expected, rtol=1e-6)
    assert opt.get_config()["weight_decay"] == 0.5
    assert optimizers.get("adamw").name == "adamw"


def test_adamw_second_step_by_hand():
    param, grad = np.array([1.0]), np.array([0.5])
    opt = optimizers.AdamW(learning_rate=0.1, beta_1=0.9, beta_2=0.999, weight_decay=0.1)
    opt.step([(param, grad)])
    grad[:] = 0.25
    opt.step([(param, grad)])
    theta = 1.0 * 0.99 - 0.1 * 0.5 / (0.5 + 1e-8)     # first step: m_hat = 0.5 = sqrt(v_hat)
    m, v = 0.1 * 0.5, 0.001 * 0.25
    m, v = 0.9 * m + 0.1 * 0.25, 0.999 * v + 0.001 * 0.0625
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    theta = theta * 0.99 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(param, [theta], rtol=1e-10)


def test_clip_norm_scales_the_global_norm():
    p1, g1 = np.zeros(2), np.array([3.0, 0.0])
    p2, g2 = np.zeros(1), np.array([4.0])               # global norm 5
    optimizers.SGD(learning_rate=1.0, clip_norm=1.0).step([(p1, g1), (p2, g2)])
    np.testing.assert_allclose(p1, [-0.6, 0.0])
    np.testing.assert_allclose(p2, [-0.8])
    assert optimizers.global_norm([g1, g2]) == pytest.approx(1.0)
    p3, g3 = np.zeros(2), np.array([0.3, 0.4])          # below the limit: untouched
    optimizers.SGD(learning_rate=1.0, clip_norm=1.0).step([(p3, g3)])
    np.testing.assert_allclose(p3, [-0.3, -0.4])


def test_options_appear_in_config_and_round_trip():
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, weight_decay=1e-4, clip_norm=2.0)
    config = opt.get_config()
    assert config["weight_decay"] == 1e-4 and config["clip_norm"] == 2.0
    again = optimizers.get(config)
    assert again.get_config() == config
    assert "weight_decay" not in optimizers.Adam().get_config()


def test_option_errors():
    with pytest.raises(ValueError, match="weight_decay: expected a finite number >= 0"):
        optimizers.SGD(weight_decay=-1.0)
    with pytest.raises(ValueError, match="clip_norm: expected a finite number > 0"):
        optimizers.Adam(clip_norm=0.0)
