"""Details of the optimisers that the step-for-step tests leave open: what get_config
records (a schedule, L1), AdamW's own arguments and default, a name-less config, the flat
parameter buffer (its dtype, gradients and message, a layout that grows), and updates on
another array library."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import optimizers, schedules
from neuroflow.optimizers import SGD, Adam, AdamW, RMSProp
from neuroflow.optimizers.parameters import ParameterBuffer


def test_config_records_a_schedule_as_its_config_and_l1():
    schedule = schedules.ExponentialDecay(0.01, decay_rate=0.5, decay_steps=3)
    config = Adam(schedule, l1=0.25).get_config()
    assert config["learning_rate"] == schedule.get_config() and config["l1"] == 0.25
    rebuilt = optimizers.get({**config, "learning_rate": 0.01})
    assert rebuilt.l1 == 0.25


def test_adamw_passes_its_options_on_and_decays_by_one_percent():
    assert AdamW().weight_decay == 0.01
    adamw = AdamW(clip_norm=2.0, l1=0.5)
    assert adamw.clip_norm == 2.0 and adamw.l1 == 0.5


def test_config_without_a_name_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^optimizer: expected one of .* received: None$"):
        optimizers.get({"learning_rate": 0.1})


def test_parameter_buffer_keeps_dtype_values_and_counts():
    parameters = [np.arange(4, dtype=np.float32).reshape(2, 2), np.ones(3, np.float32)]
    gradients = [np.full((2, 2), 0.5, np.float32), np.full(3, -1.0, np.float32)]
    buffer = ParameterBuffer(["a", "b"], parameters, gradients, np.dtype(np.float32))
    assert buffer.parameters.dtype == buffer.gradients.dtype == np.float32
    np.testing.assert_array_equal(buffer.gradients, [0.5] * 4 + [-1.0] * 3)
    np.testing.assert_array_equal(buffer.parameters, [0, 1, 2, 3, 1, 1, 1])
    with pytest.raises(ValueError) as refused:
        ParameterBuffer(["a"], parameters, gradients, np.dtype(np.float32))
    assert str(refused.value) == ("names, parameters, gradients: expected one of each per "
                                  "parameter, received 1, 2 and 2")


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.1),
                                  lambda: RMSProp(0.1)])
def test_flat_state_follows_a_layout_that_grows(make):
    """A buffer with one more parameter than the last step's: the first keeps its state,
    the new one starts from zeros, as with (parameter, gradient) pairs."""
    rng = np.random.default_rng(0)
    first = [rng.normal(size=2)]
    second = [first[0].copy(), rng.normal(size=3)]
    grads_first, grads_second = [rng.normal(size=2)], [rng.normal(size=2), rng.normal(size=3)]
    flat, pairs = make(), make()
    buffer = ParameterBuffer(["a"], first, grads_first, np.dtype(np.float64))
    flat.step(buffer)
    listed = [p.copy() for p in first]
    pairs.step(list(zip(listed, grads_first)))
    grown = ParameterBuffer(["a", "b"], [buffer.parameters.copy(), second[1]], grads_second,
                            np.dtype(np.float64))
    flat.step(grown)
    listed.append(second[1].copy())
    pairs.step(list(zip(listed, grads_second)))
    np.testing.assert_allclose(grown.parameters, np.concatenate(listed), rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: Adam(0.1), lambda: RMSProp(0.1)])
def test_updates_stay_on_another_array_library(make):
    import array_api_strict as xp

    strict, plain = xp.asarray([1.0, 2.0]), np.array([1.0, 2.0])
    on_strict, on_numpy = make(), make()
    for _ in range(2):
        on_strict.step([(strict, xp.asarray([0.5, -0.5]))])
        on_numpy.step([(plain, np.array([0.5, -0.5]))])
    assert type(strict).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.from_dlpack(strict), plain, rtol=1e-12)


@pytest.mark.parametrize("flat", [False, True])
def test_l1_adds_its_sign_term_to_the_gradient(flat):
    """One hand-computed SGD step with ``l1 = 0.1``: ``g + 0.1 sign(w)``."""
    weights, gradients = np.array([1.0, -2.0, 0.0]), np.array([0.5, 0.5, 0.5])
    sgd = SGD(0.1, l1=0.1)
    if flat:
        buffer = ParameterBuffer(["w"], [weights], [gradients], np.dtype(np.float64))
        sgd.step(buffer)
        weights = buffer.parameters
    else:
        sgd.step([(weights, gradients)])
    np.testing.assert_allclose(weights, [0.94, -2.04, -0.05], rtol=0, atol=1e-15)


def test_restored_state_moves_to_the_parameters_array_library():
    """State restored as NumPy (from a file) continues on another array library's
    parameters, as it would on NumPy's."""
    import array_api_strict as xp

    state = {"0.m": np.array([0.1, -0.2]), "0.v": np.array([0.01, 0.04])}
    on_strict, on_numpy = Adam(0.1), Adam(0.1)
    on_strict.load_state_dict(state, 3)
    on_numpy.load_state_dict(state, 3)
    strict, plain = xp.asarray([1.0, 2.0]), np.array([1.0, 2.0])
    on_strict.step([(strict, xp.asarray([0.5, -0.5]))])
    on_numpy.step([(plain, np.array([0.5, -0.5]))])
    np.testing.assert_allclose(np.from_dlpack(strict), plain, rtol=1e-12)
    assert type(on_strict.state[0]["m"]) is type(strict)
    np.testing.assert_allclose(np.from_dlpack(on_strict.state[0]["v"]), on_numpy.state[0]["v"],
                               rtol=1e-12)
