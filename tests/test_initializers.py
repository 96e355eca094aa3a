import math

import numpy as np
import pytest

from neuroflow import initializers


@pytest.mark.parametrize(("name", "std"), [
    ("glorot_normal", math.sqrt(2 / (400 + 600))),
    ("he_normal", math.sqrt(2 / 400)),
    ("glorot_uniform", math.sqrt(6 / 1000) / math.sqrt(3)),
    ("he_uniform", math.sqrt(6 / 400) / math.sqrt(3)),
])
def test_scale_matches_formula(name, std):
    w = initializers.get(name)((400, 600), np.random.default_rng(0), np.float64)
    assert w.shape == (400, 600)
    # the sample std's relative standard error is at most 1 / sqrt(2 n) (normal draws;
    # less for uniform ones): allow 5 of them
    assert abs(w.std() - std) / std < 5 / math.sqrt(2 * w.size)
    # the sample mean of w.size independent draws has standard error std / sqrt(w.size):
    # allow 5 standard errors (code review §3 row 8: the bound was 0.1 std, ~50 of them)
    assert abs(w.mean()) < 5 * std / math.sqrt(w.size)


def test_uniform_limits():
    w = initializers.get("he_uniform")((50, 80), np.random.default_rng(0))
    assert np.abs(w).max() <= math.sqrt(6 / 50)


def test_normal_std_and_dtype():
    w = initializers.Normal(0.01)((300, 300), np.random.default_rng(1), np.float32)
    assert w.dtype == np.float32
    assert abs(w.std() - 0.01) < 0.001


def test_seeded_reproducible():
    a = initializers.get("glorot_uniform")((5, 5), np.random.default_rng(7))
    b = initializers.get("glorot_uniform")((5, 5), np.random.default_rng(7))
    assert np.array_equal(a, b)


def test_aliases_and_defaults():
    assert isinstance(initializers.get("xavier_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.default_for("relu"), initializers.HeNormal)
    assert isinstance(initializers.default_for("tanh"), initializers.GlorotUniform)
    assert initializers.get({"name": "normal", "std": 0.5}).std == 0.5


def test_errors():
    with pytest.raises(ValueError, match=r"initializer: expected one of .*he_normal.*received: "
                                         r"'lecun'"):
        initializers.get("lecun")
    with pytest.raises(ValueError, match=r"std: expected a finite number > 0, received: 0"):
        initializers.Normal(0)
