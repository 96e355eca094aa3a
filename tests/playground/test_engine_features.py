"""The playground engine's additions of issue 24, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow.playground import Config, Engine


def test_reset_draws_fresh_weights_with_a_new_seed():
    engine = Engine(Config(layers=(4,), seed=0))
    engine.step(2)
    before = engine.network.layers[0].params["W"].copy()
    engine.reset()
    assert engine.epoch == 0 and engine.config.seed != 0
    assert not np.array_equal(engine.network.layers[0].params["W"], before)
    engine.reset(seed=0)  # a given seed: that very start again
    assert np.array_equal(engine.network.layers[0].params["W"],
                          Engine(Config(layers=(4,), seed=0)).network.layers[0].params["W"])


def test_absurd_rates_are_allowed_and_seen_diverging():
    config = Config.parse({"lr": "1e6", "layers": "4"})
    assert config.learning_rate == 1e6
    with pytest.raises(ValueError, match=r"lr: expected a number > 0 and <= 1e\+06"):
        Config.parse({"lr": "0"})
    engine = Engine(config)
    assert engine.frame()["behaviour"] is None
    engine.step(2)
    assert engine.frame()["behaviour"] == "diverges"
    assert engine.losses[-1] > engine.losses[0]
