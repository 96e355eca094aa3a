r"""Learning-rate schedules: objects mapping a step count to a learning rate.

A schedule is called as ``schedule(step) -> learning_rate`` with ``step = 0, 1, 2, ...``.
Given as an optimiser's ``learning_rate`` it counts **optimiser steps** (mini-batches):
the optimiser calls it with its step count before every update, so a run of
``epochs`` epochs of ``steps_per_epoch`` batches takes ``epochs * steps_per_epoch``
steps (:func:`steps_per_epoch` computes the second factor). To change the rate once per
**epoch** instead, give the same object to
:class:`neuroflow.callbacks.LearningRateScheduler`, which calls it with the epoch
number (0, 1, ...) at the start of each epoch.

Every schedule has ``get_config()`` and :func:`get` rebuilds it from that config, so an
optimiser's config (and a saved model) describes its schedule.

=================  =====================================================================
name               learning rate at step :math:`t`
=================  =====================================================================
``constant``       :math:`\eta_0`
``step``           :math:`\eta_0 \gamma^{\lfloor t / s \rfloor}`
``exponential``    :math:`\eta_0 \gamma^{t / s}` (``staircase``: :math:`\lfloor t/s \rfloor`)
``cosine``         linear warm-up to :math:`\eta_0` over :math:`w` steps, then
                   :math:`\eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos \pi u)`,
                   :math:`u = (t - w) / (T - w)` capped at 1
``one_cycle``      cosine rise from :math:`\eta_{max}/d` to :math:`\eta_{max}` over about the
                   first ``pct_start`` of :math:`T` steps, then cosine fall to
                   :math:`\eta_{max}/(d \cdot d_f)`
=================  =====================================================================
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from neuroflow._constraints import Constraints, Interval, validate

__all__ = ["Schedule", "Constant", "StepDecay", "ExponentialDecay", "CosineDecay", "OneCycle",
           "get", "names", "SCHEDULES", "steps_per_epoch"]

#: Accepted values of the arguments the schedules share.
_RATE = [Interval(float, 0, None, closed="neither")]
_STEPS = [Interval(int, 1, None, closed="left")]


def steps_per_epoch(n_samples: int, batch_size: int, validation_split: float = 0.0) -> int:
    """Mini-batches per epoch of :func:`neuroflow.fit` (last partial batch included)."""
    n_train = n_samples - int(math.floor(n_samples * validation_split))
    return -(-n_train // batch_size)


class Schedule:
    """Base class: ``schedule(step)`` returns the learning rate for step ``step >= 0``."""

    name: ClassVar[str] = ""
    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {}

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Name and arguments; :func:`get` rebuilds the schedule from them."""
        return {"name": self.name}

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("name")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


class Constant(Schedule):
    r"""The same rate at every step: :math:`\eta_t = \eta_0`."""

    name = "constant"
    _parameter_constraints = {"learning_rate": _RATE}

    def __init__(self, learning_rate: float) -> None:
        validate("Constant", {"learning_rate": learning_rate}, self._parameter_constraints)
        self.learning_rate = float(learning_rate)

    def __call__(self, step: int) -> float:
        return self.learning_rate

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "learning_rate": self.learning_rate}


class StepDecay(Schedule):
    r"""Multiply the rate by ``factor`` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0 \, \gamma^{\lfloor t / s \rfloor}

    Example: ``StepDecay(0.1, step_size=2, factor=0.5)`` gives 0.1, 0.1, 0.05, 0.05,
    0.025, ...
    """

    name = "step"
    _parameter_constraints = {"initial_learning_rate": _RATE, "step_size": _STEPS,
                              "factor": [Interval(float, 0, None, closed="neither")]}

    def __init__(self, initial_learning_rate: float, step_size: int, factor: float = 0.1
                 ) -> None:
        validate("StepDecay", {"initial_learning_rate": initial_learning_rate,
                               "step_size": step_size, "factor": factor},
                 self._parameter_constraints)
        self.initial_learning_rate = float(initial_learning_rate)
        self.step_size = int(step_size)
        self.factor = float(factor)

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.factor ** (step // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "step_size": self.step_size, "factor": self.factor}


class ExponentialDecay(Schedule):
    r"""Smooth exponential decay by ``decay_rate`` every ``decay_steps`` steps.

    .. math:: \eta_t = \eta_0 \, \gamma^{t / s}
              \qquad (\text{staircase: } \gamma^{\lfloor t / s \rfloor})

    Example: ``ExponentialDecay(1.0, decay_rate=0.5, decay_steps=2)`` gives 1,
    0.7071, 0.5, 0.3536, 0.25, ...
    """

    name = "exponential"
    _parameter_constraints = {"initial_learning_rate": _RATE,
                              "decay_rate": [Interval(float, 0, None, closed="neither")],
                              "decay_steps": _STEPS, "staircase": [bool]}

    def __init__(self, initial_learning_rate: float, decay_rate: float, decay_steps: int = 1,
                 staircase: bool = False) -> None:
        validate("ExponentialDecay", {"initial_learning_rate": initial_learning_rate,
                                      "decay_rate": decay_rate, "decay_steps": decay_steps,
                                      "staircase": staircase}, self._parameter_constraints)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_rate = float(decay_rate)
        self.decay_steps = int(decay_steps)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        exponent = (step // self.decay_steps if self.staircase
                    else step / self.decay_steps)
        return self.initial_learning_rate * self.decay_rate ** exponent

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "decay_rate": self.decay_rate, "decay_steps": self.decay_steps,
                "staircase": self.staircase}


class CosineDecay(Schedule):
    r"""Cosine annealing from ``initial_learning_rate`` to ``minimum_learning_rate``,
    after an optional linear warm-up.

    With :math:`w` = ``warmup_steps`` and :math:`T` = ``decay_steps`` (total, warm-up
    included):

    .. math::
        \eta_t = \eta_0 \frac{t + 1}{w} \quad (t < w), \qquad
        \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})
                 \big(1 + \cos(\pi \min(1, \tfrac{t - w}{T - w}))\big) \quad (t \ge w)

    so the warm-up ends at :math:`\eta_0` and the rate stays at :math:`\eta_{min}` from
    step :math:`T` on. Example: ``CosineDecay(1.0, decay_steps=4)`` gives 1, 0.8536,
    0.5, 0.1464, 0, 0, ...
    """

    name = "cosine"
    _parameter_constraints = {"initial_learning_rate": _RATE, "decay_steps": _STEPS,
                              "warmup_steps": [Interval(int, 0, None, closed="left")],
                              "minimum_learning_rate": [Interval(float, 0, None, closed="left")]}

    def __init__(self, initial_learning_rate: float, decay_steps: int, warmup_steps: int = 0,
                 minimum_learning_rate: float = 0.0) -> None:
        validate("CosineDecay", {"initial_learning_rate": initial_learning_rate,
                                 "decay_steps": decay_steps, "warmup_steps": warmup_steps,
                                 "minimum_learning_rate": minimum_learning_rate},
                 self._parameter_constraints)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.warmup_steps = int(decay_steps), int(warmup_steps)
        if self.warmup_steps >= self.decay_steps:
            raise ValueError(f"warmup_steps: expected fewer than decay_steps="
                             f"{self.decay_steps}, received: {warmup_steps!r}")
        self.minimum_learning_rate = float(minimum_learning_rate)
        if self.minimum_learning_rate > self.initial_learning_rate:
            raise ValueError(f"minimum_learning_rate: expected at most initial_learning_rate="
                             f"{self.initial_learning_rate}, received: {minimum_learning_rate!r}")

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.initial_learning_rate * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / (self.decay_steps - self.warmup_steps))
        low = self.minimum_learning_rate
        return low + 0.5 * (self.initial_learning_rate - low) * (1 + math.cos(math.pi * progress))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "warmup_steps": self.warmup_steps,
                "minimum_learning_rate": self.minimum_learning_rate}


class OneCycle(Schedule):
    r"""The one-cycle policy (Smith & Topin, 2018), cosine-shaped as in PyTorch.

    With :math:`T` = ``total_steps``, :math:`r` = ``pct_start``, :math:`d` =
    ``div_factor`` and :math:`d_f` = ``final_div_factor``, the rate rises from
    :math:`\eta_{max}/d` to :math:`\eta_{max}` at step :math:`p = rT - 1` and then
    falls to :math:`\eta_{max} / (d\, d_f)` at step :math:`T - 1`:

    .. math::
        \eta_t = c(\eta_{max}/d,\ \eta_{max},\ t / p) \quad (t < p), \qquad
        \eta_t = c(\eta_{max},\ \eta_{max}/(d\,d_f),\ \min(1, \tfrac{t - p}{T - 1 - p}))

    where :math:`c(a, b, u) = b + \tfrac12 (a - b)(1 + \cos \pi u)` moves from :math:`a`
    (:math:`u = 0`) to :math:`b` (:math:`u = 1`). Example: ``OneCycle(1.0,
    total_steps=5, pct_start=0.4, div_factor=10, final_div_factor=10)`` gives 0.1, 1,
    0.7525, 0.2575, 0.01 (and 0.01 after).
    """

    name = "one_cycle"
    _parameter_constraints = {"max_learning_rate": _RATE,
                              "total_steps": [Interval(int, 2, None, closed="left")],
                              "pct_start": [Interval(float, 0, 1, closed="neither")],
                              "div_factor": [Interval(float, 0, None, closed="neither")],
                              "final_div_factor": [Interval(float, 0, None, closed="neither")]}

    def __init__(self, max_learning_rate: float, total_steps: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4) -> None:
        validate("OneCycle", {"max_learning_rate": max_learning_rate,
                              "total_steps": total_steps, "pct_start": pct_start,
                              "div_factor": div_factor, "final_div_factor": final_div_factor},
                 self._parameter_constraints)
        self.max_learning_rate, self.total_steps = float(max_learning_rate), int(total_steps)
        self.pct_start = float(pct_start)
        self.div_factor, self.final_div_factor = float(div_factor), float(final_div_factor)

    @staticmethod
    def _cosine(start: float, end: float, progress: float) -> float:
        return end + 0.5 * (start - end) * (1 + math.cos(math.pi * progress))

    def __call__(self, step: int) -> float:
        peak = self.max_learning_rate
        initial = peak / self.div_factor
        final = initial / self.final_div_factor
        # the peak step, as in PyTorch: p = r T - 1, at least 1 and at most T - 1
        rise = min(max(self.pct_start * self.total_steps - 1, 1.0), self.total_steps - 1.0)
        if step < rise:
            return self._cosine(initial, peak, step / rise)
        fall = self.total_steps - 1 - rise
        if fall <= 0:
            return peak
        return self._cosine(peak, final, min(1.0, (step - rise) / fall))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "max_learning_rate": self.max_learning_rate,
                "total_steps": self.total_steps, "pct_start": self.pct_start,
                "div_factor": self.div_factor, "final_div_factor": self.final_div_factor}


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineDecay, OneCycle)
}


def names() -> list[str]:
    """The registered schedule names, sorted."""
    return sorted(SCHEDULES)


def get(schedule: Schedule | dict[str, Any], argument: str = "schedule") -> Schedule:
    """A :class:`Schedule` from an instance or a :meth:`Schedule.get_config` dict."""
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, dict):
        config = dict(schedule)
        name = config.pop("name", None)
        if isinstance(name, str) and name in SCHEDULES:
            try:
                return SCHEDULES[name](**config)
            except TypeError as error:
                raise ValueError(f"{argument}: invalid arguments for schedule {name!r} "
                                 f"({error})") from error
        raise ValueError(f"{argument}: expected a schedule name among {', '.join(names())}, "
                         f"received: {name!r}")
    raise ValueError(f"{argument}: expected a Schedule or its config dict, received "
                     f"{type(schedule).__name__}")
