"""Declared argument constraints: the mechanism (neuroflow._constraints), and every optimiser,
callback, schedule, toy data set and file loader declaring each of its arguments and
checking it."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import neuroflow as nf
from neuroflow import callbacks, optimizers, schedules
from neuroflow._constraints import (
    Hidden,
    InstanceOf,
    Interval,
    Options,
    PathLike,
    Satisfies,
    accepts,
    describe,
    validate,
)
from neuroflow.datasets import csv, images, toy
from neuroflow.hooks import Callback

POSITIVE = [Interval(float, 0, None, closed="neither")]


# ------------------------------------------------------------------------- the mechanism
@pytest.mark.parametrize(("constraint", "good", "bad"), [
    (Interval(int, 1, None, closed="left"), [1, 7, np.int64(3), np.uint8(2)],
     [0, -1, True, np.bool_(True), 1.0, 2.5, "1", None]),
    (Interval(int, None, None), [0, -5, np.int32(2)], [True, False, 0.0, "0"]),
    (Interval(float, 0, None, closed="neither"), [1e-12, 1, 2.5, np.float32(0.5), np.int64(2)],
     [0, 0.0, -1.0, True, math.nan, math.inf, np.float64("nan"), "1", None]),
    (Interval(float, None, None), [-1e300, 0, 3.5], [math.nan, -math.inf, math.inf, False]),
    (Options(("auto", "min", "max")), ["auto", "max"], ["AUTO", "", None, 0, ["min"]]),
    (Options((1, 2)), [1, 2, np.int64(2), 1.0], [True, 0, 3, "1", np.array([1, 2])]),
    (bool, [True, False, np.bool_(False)], [0, 1, "True", None, 1.0]),
    (int, [0, np.int8(-3)], [True, 1.0, "1"]),
    (float, [0, 1.5, np.float32(2)], [math.nan, math.inf, True, "1.5"]),
    (str, ["", "x"], [b"x", 1, None]),
    (callable, [len, lambda: 0, int], [1, "len", None]),
    (None, [None], [0, "", False]),
    (dict, [{}, {"name": "step"}], [[], None]),
    (InstanceOf((bytes, str), "bytes or a string"), [b"", "s"], [1, None]),
    (Satisfies(lambda value: value == 3, "three"), [3, 3.0], [4, "3"]),
    (Hidden(int), [3], [True, 3.5]),
    (PathLike(), ["m.safetensors", Path("runs")], ["", b"m", 3, None]),
])
def test_each_kind_accepts_what_it_declares_and_nothing_else(constraint, good, bad):
    for value in good:
        assert accepts([constraint], value), value
    for value in bad:
        assert not accepts([constraint], value), value


@pytest.mark.parametrize(("interval", "inside", "outside", "words"), [
    (Interval(float, 0, 1, closed="both"), [0, 1, 0.5], [-0.1, 1.1], "a number in [0, 1]"),
    (Interval(float, 0, 1, closed="left"), [0, 0.999], [1, 1.0], "a number in [0, 1)"),
    (Interval(float, 0, 1, closed="right"), [1, 1e-9], [0, 0.0], "a number in (0, 1]"),
    (Interval(float, 0, 1, closed="neither"), [0.5], [0, 1], "a number in (0, 1)"),
    (Interval(float, 1, None, closed="neither"), [1.5], [1, 0.5], "a finite number > 1"),
    (Interval(float, 0, None, closed="left"), [0, 7], [-1e-9], "a finite number >= 0"),
    (Interval(float, None, 2, closed="right"), [2, -9], [2.5], "a finite number <= 2"),
    (Interval(float, None, 2, closed="neither"), [1.9], [2], "a finite number < 2"),
    (Interval(int, 1, None, closed="left"), [1], [0], "a positive integer"),
    (Interval(int, 0, None, closed="neither"), [1], [0], "a positive integer"),
    (Interval(int, 0, None, closed="left"), [0], [-1], "a non-negative integer"),
    (Interval(int, 2, None, closed="left"), [2], [1], "an integer >= 2"),
    (Interval(int, 0, 5, closed="neither"), [1, 4], [0, 5], "an integer in [1, 4]"),
    (Interval(int, None, 3, closed="right"), [3, -2], [4], "an integer <= 3"),
])
def test_interval_bounds_and_their_wording(interval, inside, outside, words):
    assert all(accepts([interval], value) for value in inside)
    assert not any(accepts([interval], value) for value in outside)
    assert describe([interval]) == words


def test_message_names_argument_expected_and_received():
    constraints = {"momentum": [Interval(float, 0, 1, closed="left")]}
    with pytest.raises(ValueError) as caught:
        validate("SGD", {"momentum": 1.5}, constraints)
    assert str(caught.value) == "momentum: expected a number in [0, 1), received: 1.5"
    validate("SGD", {"momentum": 0.0}, constraints)  # accepted: no error


@pytest.mark.parametrize(("allowed", "value", "message"), [
    ([Interval(int, 1, None, closed="left")], True,
     "count: expected a positive integer, received: True"),
    (POSITIVE, math.nan, "count: expected a finite number > 0, received: nan"),
    (POSITIVE, math.inf, "count: expected a finite number > 0, received: inf"),
    ([*POSITIVE, callable, None], "0.1",
     "count: expected a finite number > 0, a callable or None, received: '0.1'"),
    ([Options(("auto", "min", "max"))], "best",
     "count: expected 'auto', 'min' or 'max', received: 'best'"),
    ([Options({"b", "a"})], "c", "count: expected 'a' or 'b', received: 'c'"),
    ([bool, None], 1, "count: expected True, False or None, received: 1"),
    ([*POSITIVE, Hidden(dict)], -1, "count: expected a finite number > 0, received: -1"),
    ([dict], [], "count: expected a dict, received: []"),
])
def test_messages(allowed, value, message):
    with pytest.raises(ValueError) as caught:
        validate("owner", {"count": value}, {"count": allowed})
    assert str(caught.value) == message


def test_first_rejected_argument_in_order_is_reported():
    constraints = {"a": POSITIVE, "b": POSITIVE}
    with pytest.raises(ValueError, match="^b: "):
        validate("owner", {"b": 0, "a": 0}, constraints)


def test_a_long_value_is_shortened_in_the_message():
    with pytest.raises(ValueError) as caught:
        validate("owner", {"name": "x" * 1000}, {"name": [None]})
    assert str(caught.value).endswith("...") and len(str(caught.value)) < 200


def test_an_undeclared_argument_is_the_declaring_code_s_mistake():
    with pytest.raises(KeyError, match="SGD: no constraints declared for the argument 'rate'"):
        validate("SGD", {"rate": 1.0}, {"learning_rate": POSITIVE})


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError, match="kind: expected int or float"):
        Interval(complex, 0, 1)
    with pytest.raises(ValueError, match="closed: expected 'both', 'left', 'right' or 'neither'"):
        Interval(float, 0, 1, closed="open")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="high: expected at least low=2"):
        Interval(int, 2, 1)
    with pytest.raises(TypeError, match="not a constraint: 'positive'"):
        describe(["positive"])


# ----------------------------------------------------- every declaring class and function
def _optimizers() -> list[type]:
    return [optimizers.Optimizer, *optimizers.OPTIMIZERS.values()]


def _callbacks() -> list[type]:
    found = [getattr(callbacks, name) for name in callbacks.__all__]
    return [cls for cls in found if isinstance(cls, type) and issubclass(cls, Callback)
            and cls.__module__.startswith("neuroflow.callbacks")]


def _toy_sets() -> list[Callable[..., object]]:
    return [getattr(toy, name) for name in toy.__all__]


#: Valid values of the arguments without a default (everything else keeps its default).
REQUIRED: dict[str, dict[str, object]] = {
    "Optimizer": {"learning_rate": 0.1},
    "Constant": {"learning_rate": 0.1},
    "StepDecay": {"initial_learning_rate": 0.1, "step_size": 2},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_rate": 0.5},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "OneCycle": {"max_learning_rate": 0.1, "total_steps": 10},
    "ModelCheckpoint": {"path": "model.safetensors"},
    "CSVLogger": {"path": "log.csv"},
    "TensorBoard": {"log_dir": "runs"},
    "LearningRateScheduler": {"schedule": schedules.Constant(0.1)},
}

#: Values tried against every declared argument: each one its constraints reject must be
#: refused by the constructor with a message naming that argument.
CANDIDATES: list[object] = [math.nan, math.inf, True, -1, 0, 1, 2, 0.5, 1.5, "", "x", None,
                            object()]

DECLARERS = [(cls, cls._parameter_constraints) for cls in
             (*_optimizers(), *schedules.SCHEDULES.values(), *_callbacks())]
DECLARERS += [(function, toy._parameter_constraints[function.__name__])
              for function in _toy_sets()]
DECLARERS += [(csv.load_csv, csv._parameter_constraints["load_csv"]),
              (images.load_images, images._parameter_constraints["load_images"])]


def _required(name: str, folder: Path) -> dict[str, object]:
    """Valid values of ``name``'s arguments without a default; the loaders get small files."""
    if name == "load_csv":
        (folder / "data.csv").write_text("a,b\n1,0\n2,1\n")
        return {"path": folder / "data.csv"}
    if name == "load_images":
        for label in ("cats", "dogs"):
            (folder / "images" / label).mkdir(parents=True)
            Image.new("L", (2, 2), 255).save(folder / "images" / label / "one.png")
        return {"folder": folder / "images"}
    return REQUIRED.get(name, {})


def test_every_optimizer_callback_schedule_and_toy_set_is_covered():
    names = {target.__name__ for target, _ in DECLARERS}
    assert {"SGD", "Adam", "AdamW", "RMSProp", "Optimizer", "OneCycle", "CosineDecay",
            "EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "Diagnostics",
            "LiveCurves", "TensorBoard", "CSVLogger", "LambdaCallback", "ProgressBar",
            "LearningRateScheduler", "make_moons", "make_regression", "load_csv",
            "load_images"} <= names
    assert len(names) == len(DECLARERS) == 4 + 1 + 5 + 10 + 8 + 2


@pytest.mark.parametrize(("target", "constraints"), DECLARERS,
                         ids=[target.__name__ for target, _ in DECLARERS])
def test_declared_arguments_match_the_signature_and_are_checked(target, constraints,
                                                                tmp_path):
    parameters = [name for name, parameter in inspect.signature(target).parameters.items()
                  if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    # (a) declared and taken are the same arguments: none forgotten, none made up
    assert sorted(constraints) == sorted(parameters)
    required = _required(target.__name__, tmp_path)
    missing = [name for name in parameters if name not in required
               and inspect.signature(target).parameters[name].default is inspect.Parameter.empty]
    assert missing == [], f"add valid values of {missing} to REQUIRED"
    target(**required)  # the valid call works
    # (b) each value a declaration rejects is refused, naming its argument
    for name, allowed in constraints.items():
        rejected = [value for value in CANDIDATES if not accepts(allowed, value)]
        assert rejected, f"{name}: every candidate value is accepted"
        message = f"^{name}: expected {re.escape(describe(allowed))}, received: "
        for value in rejected:
            with pytest.raises(ValueError, match=message):
                target(**{**required, name: value})


def test_values_are_stored_as_plain_python_numbers():
    sgd = optimizers.SGD(np.float32(0.5), momentum=np.float64(0.25), clip_norm=np.int64(2))
    assert type(sgd.learning_rate) is float and type(sgd.momentum) is float
    assert type(sgd.clip_norm) is float and sgd.clip_norm == 2.0
    stopping = callbacks.EarlyStopping(patience=np.int64(3))
    assert type(stopping.patience) is int and stopping.patience == 3
    x, _ = nf.datasets.make_moons(n_samples=np.int64(10), noise=np.float32(0), seed=np.int8(1))
    assert x.shape == (10, 2)


def test_a_schedule_config_still_becomes_the_learning_rate():
    sgd = optimizers.SGD({"name": "step", "initial_learning_rate": 0.1, "step_size": 2})
    assert isinstance(sgd.learning_rate, schedules.StepDecay)
    with pytest.raises(ValueError, match="learning_rate: invalid arguments for schedule 'step'"):
        optimizers.SGD({"name": "step"})
