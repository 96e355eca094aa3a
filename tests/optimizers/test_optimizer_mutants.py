"""Details of the optimisers that the step-for-step tests leave open: what get_config
records (a schedule, L1), AdamW's own arguments and default, a name-less config, the flat
parameter buffer (its dtype, gradients and message, a layout that grows), updates on
another array library, and the declared constraints their arguments are checked by."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import kernels, optimizers, schedules
from neuroflow._constraints import (
    Hidden,
    Interval,
    Options,
    PathLike,
    Satisfies,
    describe,
    validate,
)
from neuroflow.optimizers import SGD, Adam, AdamW, Optimizer, RMSProp
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


# ------------------------------------------------- the declared constraints they are checked by
def test_constraints_built_at_run_time_accept_and_word_what_they_declare():
    # (the declarations of the library are built at import; these are built here)
    assert Interval(float, 0, 1, closed="right").accepts(1.0)
    assert not Interval(float, 0, 1, closed="neither").accepts(1.0)
    single = Interval(int, 3, 3)  # a bound equal to the other: one value
    assert single.accepts(3) and not single.accepts(4)
    assert describe([single]) == "an integer in [3, 3]"
    with pytest.raises(ValueError, match=r"^high: expected at least low=3, received: 2$"):
        Interval(int, 3, 2)
    assert describe([int]) == "an integer" and describe([float]) == "a finite number"
    assert describe([OSError, dict]) == "an OSError or a dict"
    options = Options((True, 1, "auto"))
    assert options.accepts(True) and options.accepts(1) and options.accepts("auto")
    assert not options.accepts(False) and options.alternatives() == ("True", "1", "'auto'")
    assert Options({"min", "max"}).alternatives() == ("'max'", "'min'")
    assert Satisfies(lambda value: value == 3, "three").accepts(3)
    hidden = Hidden(int)
    assert hidden.accepts(3) and not hidden.accepts(True) and hidden.alternatives() == ()
    assert PathLike().alternatives() == ("a file path",)
    assert PathLike("a folder").alternatives() == ("a folder",)


def test_an_option_that_cannot_be_compared_does_not_hide_the_next():
    class Picky:
        def __eq__(self, other):
            if isinstance(other, str):
                raise TypeError("not comparable with text")
            return other == 3
        __hash__ = None
    assert Options(("auto", 3)).accepts(Picky())


def test_a_set_of_options_of_several_types_is_listed_by_repr():
    options = Options({"auto", None, 10, 9})  # values of several types cannot be sorted
    assert options.alternatives() == ("'auto'", "10", "9", "None")
    assert options.accepts(None) and options.accepts(9) and not options.accepts("none")


def test_an_empty_path_of_bytes_is_not_a_path():
    class Empty:
        def __fspath__(self):
            return b""
    assert not PathLike().accepts(Empty())


@pytest.mark.parametrize("length", [120, 121])
def test_a_received_value_is_quoted_whole_up_to_120_characters(length):
    value = "x" * (length - 2)  # its repr adds the quotes
    with pytest.raises(ValueError) as refused:
        validate("SGD", {"nesterov": value}, {"nesterov": [bool]})
    quoted = repr(value) if length <= 120 else repr(value)[:117] + "..."
    assert str(refused.value) == f"nesterov: expected True or False, received: {quoted}"


def test_default_learning_rates_of_every_optimiser():
    assert AdamW().learning_rate == 1e-3 and RMSProp().learning_rate == 1e-3
    assert Adam().learning_rate == 1e-3 and SGD().learning_rate == 0.01


def test_nesterov_without_momentum_is_refused_with_the_whole_message():
    with pytest.raises(ValueError) as refused:
        SGD(0.1, nesterov=True)
    assert str(refused.value) == ("nesterov: expected momentum > 0 with nesterov=True, "
                                  "received: momentum=0")


class _Plain(Optimizer):
    """A user's optimiser written against the base class, with one state slot:
    ``v += g``, ``theta -= eta v``."""

    name = "plain"

    def update(self, param, grad, slot, learning_rate):
        velocity = slot("velocity")
        velocity += grad
        param -= velocity * learning_rate


def test_a_subclass_gets_no_decay_no_l1_and_its_own_rule_by_default():
    plain = _Plain(0.5)
    assert plain.weight_decay == 0.0 and plain.l1 == 0.0 and plain.clip_norm is None
    weights = np.array([1.0, -2.0])
    for _ in range(2):  # NumPy: through the default update_in_place, with the slot
        plain.step([(weights, np.array([0.5, 0.5]))])
    np.testing.assert_array_equal(weights, [0.25, -2.75])
    np.testing.assert_array_equal(plain.state[0]["velocity"], [1.0, 1.0])


def test_repr_config_and_state_moved_to_another_array_library():
    import array_api_strict as xp

    assert repr(SGD(0.1, momentum=0.9)) == "SGD(learning_rate=0.1, momentum=0.9, nesterov=False)"
    assert repr(Interval(float, 0, 1)) == "Interval(a number in [0, 1])"
    assert RMSProp(0.1, rho=0.8, epsilon=1e-6).get_config() == {
        "name": "rmsprop", "learning_rate": 0.1, "rho": 0.8, "epsilon": 1e-6}
    adam = Adam(0.1)
    adam.step([(np.array([1.0, 2.0]), np.array([0.5, -0.5]))])
    moments = {key: value.copy() for key, value in adam.state[0].items()}
    adam.to_backend(xp)
    assert set(adam.state[0]) == {"m", "v"}
    for key, value in adam.state[0].items():
        assert type(value).__module__.startswith("array_api_strict")
        np.testing.assert_array_equal(np.from_dlpack(value), moments[key])


@pytest.fixture
def numpy_kernels():
    """The NumPy reference kernels (those that use the work array), restored after."""
    saved = kernels._choice
    kernels.use("numpy")
    yield
    kernels.use(saved)


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9),
                                  lambda: SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: Adam(0.1), lambda: RMSProp(0.1)])
@pytest.mark.parametrize("flat", [False, True])
def test_reference_kernels_update_as_the_array_api_rule(numpy_kernels, make, flat):
    """Two steps through the NumPy kernels (each given a work array of its parameter's
    shape) against the same rule written with array-API operators (on array_api_strict);
    as pairs, two parameters of different shapes."""
    import array_api_strict as xp

    values = [[1.0, -2.0, 0.5], [[0.25], [-1.5]]]
    grads = [[[0.5, -0.25, 1.0], [[0.5], [1.0]]], [[0.25, 0.5, -1.0], [[-0.5], [0.25]]]]
    if flat:
        values, grads = values[:1], [step[:1] for step in grads]
    weights = [np.array(value) for value in values]
    strict = [xp.asarray(value) for value in values]
    in_place, rule = make(), make()
    for step in grads:
        if flat:
            buffer = ParameterBuffer(["w"], weights, [np.array(step[0])], np.dtype(np.float64))
            in_place.step(buffer)
            weights = [buffer.parameters]
        else:
            in_place.step([(w, np.array(g)) for w, g in zip(weights, step)])
        rule.step([(s, xp.asarray(g)) for s, g in zip(strict, step)])
    assert kernels.active() == "numpy"
    for got, expected, value in zip(weights, strict, values):
        np.testing.assert_allclose(got, np.from_dlpack(expected), rtol=1e-12)
        assert not np.array_equal(got, value)


class _WithoutNamespace(np.ndarray):
    """An array type without the array API's ``__array_namespace__``."""

    @property
    def __array_namespace__(self):  # type: ignore[override]
        raise AttributeError("__array_namespace__")


def test_l1_sign_uses_the_parameters_own_array_library():
    import array_api_strict as xp

    strict, plain = xp.asarray([1.0, -2.0, 0.0]), np.array([1.0, -2.0, 0.0])
    SGD(0.1, l1=0.1).step([(strict, xp.asarray([0.5, 0.5, 0.5]))])
    SGD(0.1, l1=0.1).step([(plain, np.array([0.5, 0.5, 0.5]))])
    assert type(strict).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.from_dlpack(strict), [0.94, -2.04, -0.05], atol=1e-15)
    np.testing.assert_allclose(plain, [0.94, -2.04, -0.05], atol=1e-15)
    # an array without the array API falls back on NumPy's sign
    legacy = np.array([1.0, -2.0, 0.0]).view(_WithoutNamespace)
    assert not hasattr(legacy, "__array_namespace__")
    SGD(0.1, l1=0.1).step([(legacy, np.array([0.5, 0.5, 0.5]))])
    np.testing.assert_allclose(np.asarray(legacy), [0.94, -2.04, -0.05], atol=1e-15)


def test_flat_state_follows_the_parameters_dtype():
    """The same layout in float32 after float64 (a network cast down): the moments are
    kept, in float32."""
    adam = Adam(0.1)
    weights, gradients = np.array([1.0, -2.0]), np.array([0.5, -0.5])
    adam.step(ParameterBuffer(["w"], [weights], [gradients], np.dtype(np.float64)))
    first = adam.state[0]["m"].copy()
    buffer = ParameterBuffer(["w"], [weights.astype(np.float32)],
                             [gradients.astype(np.float32)], np.dtype(np.float32))
    adam.step(buffer)
    assert adam.state[0]["m"].dtype == adam.state[0]["v"].dtype == np.float32
    np.testing.assert_allclose(adam.state[0]["m"], 0.9 * first + 0.1 * gradients, rtol=1e-6)
