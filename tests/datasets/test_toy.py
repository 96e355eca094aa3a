"""Tests for the generated toy data sets."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.datasets import make_circles, make_moons, make_regression, make_spiral, make_xor
from neuroflow.playground import toy_data


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_classification_sets_shapes_types_and_balance(make):
    x, y = make(n_samples=101, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert np.sum(y == 0) == 51 and np.sum(y == 1) == 50


@pytest.mark.parametrize("make", [make_moons, make_circles, make_xor, make_spiral,
                                  make_regression])
def test_same_seed_same_data_and_other_seed_differs(make):
    x1, y1 = make(n_samples=50, seed=7)
    x2, y2 = make(n_samples=50, seed=7)
    x3, _ = make(n_samples=50, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_generator_seed_is_accepted():
    x, _ = make_moons(20, seed=np.random.default_rng(1))
    assert x.shape == (20, 2)


def test_circles_radii():
    x, y = make_circles(200, noise=0.0, factor=0.3, seed=0)
    radius = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)


def test_moons_without_noise_lie_on_arcs():
    x, y = make_moons(100, noise=0.0, seed=0)
    upper = x[y == 0]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, atol=1e-6)
    lower = x[y == 1] - np.array([1.0, 0.5], dtype=np.float32)
    np.testing.assert_allclose(np.linalg.norm(lower, axis=1), 1.0, atol=1e-6)


def test_xor_labels_are_the_quadrants_and_spiral_arms_alternate():
    x, y = make_xor(300, noise=0.0, seed=0)
    assert x.shape == (300, 2) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(np.int64))
    x, y = make_spiral(301, noise=0.0, seed=0)
    assert x.shape == (301, 2) and x.dtype == np.float32 and np.sum(y == 0) == 151
    radius = np.linalg.norm(x, axis=1)
    assert radius.min() >= 0.05 - 1e-6 and radius.max() <= 1.0 + 1e-6
    # at each radius the two arms point in opposite directions (angle + pi)
    order = np.argsort(radius)
    first, second = x[order][0::2], x[order][1::2]
    n = min(len(first), len(second))
    cosine = np.sum(first[:n] * second[:n], axis=1) / (
        np.linalg.norm(first[:n], axis=1) * np.linalg.norm(second[:n], axis=1))
    assert np.median(cosine) < -0.99


def test_the_playground_draws_its_sets_from_the_datasets():
    for name, make in (("xor", make_xor), ("spiral", make_spiral)):
        for got, want in zip(toy_data(name, 120, 0.2, 5), make(120, noise=0.2, seed=5)):
            np.testing.assert_array_equal(got, want)


def test_regression_shapes_and_dtypes():
    x, y = make_regression(30, n_features=3, n_targets=2, seed=0)
    assert x.shape == (30, 3) and x.dtype == np.float32
    assert y.shape == (30, 2) and y.dtype == np.float32
    assert np.all(np.abs(x) <= 2.0)


def test_exported_from_package():
    assert nf.datasets.make_moons is make_moons


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_moons(n_samples=1), "n_samples: expected an integer >= 2"),
        (lambda: make_moons(n_samples=2.5), "n_samples: expected an integer >= 2"),
        (lambda: make_moons(noise=-1.0), "noise: expected a finite number >= 0"),
        (lambda: make_circles(factor=1.0), r"factor: expected a number in \(0, 1\)"),
        (lambda: make_regression(n_features=0), "n_features: expected a positive integer"),
        (lambda: make_regression(n_targets=0), "n_targets: expected a positive integer"),
        (lambda: make_moons(seed="a"), "seed: expected a non-negative integer, a numpy "
                                          "Generator or None"),
        (lambda: make_moons(seed=-1), "seed: expected a non-negative integer"),
        (lambda: make_xor(n_samples=1), "n_samples: expected an integer >= 2"),
        (lambda: make_spiral(noise=float("nan")), "noise: expected a finite number >= 0"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
