"""Each schedule produces its documented learning-rate sequence."""

import math

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import schedules


def _seq(schedule, n):
    return [schedule(t) for t in range(n)]


def test_step_decay_sequence():
    np.testing.assert_allclose(_seq(schedules.StepDecay(0.1, step_size=2, factor=0.5), 6),
                               [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_exponential_sequence_smooth_and_staircase():
    np.testing.assert_allclose(_seq(schedules.ExponentialDecay(1.0, 0.5, 2), 5),
                               [1, 2**-0.5, 0.5, 2**-1.5, 0.25])
    np.testing.assert_allclose(
        _seq(schedules.ExponentialDecay(1.0, 0.5, 2, staircase=True), 5), [1, 1, 0.5, 0.5, 0.25])


def test_cosine_sequence_with_and_without_warmup():
    half = 0.5 * (1 + math.cos(math.pi / 4))
    np.testing.assert_allclose(_seq(schedules.CosineDecay(1.0, decay_steps=4), 6),
                               [1, half, 0.5, 1 - half, 0, 0], atol=1e-12)
    np.testing.assert_allclose(
        _seq(schedules.CosineDecay(1.0, decay_steps=6, warmup_steps=2), 7),
        [0.5, 1, 1, half, 0.5, 1 - half, 0], atol=1e-12)
    floor = schedules.CosineDecay(1.0, decay_steps=2, minimum_learning_rate=0.1)
    np.testing.assert_allclose(_seq(floor, 4), [1, 0.55, 0.1, 0.1])


def test_one_cycle_sequence():
    cycle = schedules.OneCycle(1.0, total_steps=5, pct_start=0.4, div_factor=10,
                               final_div_factor=10)
    np.testing.assert_allclose(_seq(cycle, 6), [0.1, 1, 0.7525, 0.2575, 0.01, 0.01])
    long = schedules.OneCycle(0.01, total_steps=100)
    values = _seq(long, 100)
    assert values[0] == pytest.approx(0.01 / 25)
    assert max(values) == pytest.approx(0.01)
    assert values[-1] == pytest.approx(0.01 / 25 / 1e4)


def test_constant_and_config_round_trip():
    for schedule in (schedules.Constant(0.3), schedules.StepDecay(0.1, 3, 0.2),
                     schedules.ExponentialDecay(0.1, 0.9, 10, True),
                     schedules.CosineDecay(0.1, 100, 10, 0.001), schedules.OneCycle(0.1, 50)):
        again = schedules.get(schedule.get_config())
        assert _seq(again, 60) == _seq(schedule, 60)
        assert again.get_config() == schedule.get_config()


def test_optimizer_calls_the_schedule_with_its_step_count_and_saves_its_config():
    opt = nf.optimizers.SGD(learning_rate=schedules.StepDecay(1.0, step_size=1, factor=0.5))
    param, grad = np.zeros(1), np.ones(1)
    for _ in range(3):
        opt.step([(param, grad)])
    np.testing.assert_allclose(param, [-(1 + 0.5 + 0.25)])
    rebuilt = nf.optimizers.get(opt.get_config())
    assert isinstance(rebuilt.learning_rate, schedules.StepDecay)


def test_steps_per_epoch_matches_fit():
    assert schedules.steps_per_epoch(60000, 128, 0.1) == 422
    assert schedules.steps_per_epoch(10, 3) == 4


def test_schedule_errors():
    with pytest.raises(ValueError, match="step_size: expected a positive integer"):
        schedules.StepDecay(0.1, 0)
    with pytest.raises(ValueError, match="warmup_steps: expected fewer than decay_steps=5"):
        schedules.CosineDecay(0.1, 5, warmup_steps=5)
    with pytest.raises(ValueError, match="minimum_learning_rate: expected at most"):
        schedules.CosineDecay(0.1, 5, minimum_learning_rate=1.0)
    with pytest.raises(ValueError, match=r"pct_start: expected a number in \(0, 1\)"):
        schedules.OneCycle(0.1, 10, pct_start=1.0)
    with pytest.raises(ValueError, match="total_steps: expected an integer >= 2, received: 1"):
        schedules.OneCycle(0.1, 1)
    with pytest.raises(ValueError, match="initial_learning_rate: expected a finite number > 0"):
        schedules.ExponentialDecay(-1.0, 0.5)
    with pytest.raises(ValueError, match="schedule: expected a schedule name among"):
        schedules.get({"name": "linear"})
    with pytest.raises(ValueError, match="invalid arguments for schedule 'step'"):
        schedules.get({"name": "step", "initial_learning_rate": 0.1})
    with pytest.raises(ValueError, match="expected a Schedule or its config dict"):
        schedules.get(0.1)
