"""Declared constraints of constructor arguments, checked by one function: :func:`validate`.

Each optimiser, callback, schedule and data-set function declares what every argument
accepts, in one dict beside its signature (as scikit-learn's ``_parameter_constraints``)::

    _parameter_constraints = {
        "momentum": [Interval(float, 0, 1, closed="left")],
        "nesterov": [bool],
        "clip_norm": [Interval(float, 0, None, closed="neither"), None],
    }

and checks its arguments against it with one call, ``validate("SGD", {"momentum":
momentum, ...}, self._parameter_constraints)``. An argument is valid when one of its
constraints accepts it; otherwise :class:`ValueError` names the argument, every accepted
alternative and the value received::

    momentum: expected a number in [0, 1), received: 1.5
    clip_norm: expected a finite number > 0 or None, received: 0

A constraint is a :class:`Constraint` or one of these shorthands:

==============  ===========================================================================
``bool``        ``True`` or ``False`` (NumPy's too), never ``0``/``1``
``int``         an integer (Python or NumPy), never a ``bool``
``float``       a finite real number (integers included), never a ``bool``, NaN or infinity
``str``         a string
``callable``    anything callable
``None``        ``None``
a class         an instance of it (``dict``, ``bytes``...)
==============  ===========================================================================

Relations between arguments (``warmup_steps < decay_steps``) are checked apart, after
:func:`validate`. This module sits at the bottom of the layering: it imports nothing of
neuroflow, so every layer may use it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

import numpy as np

__all__ = ["Constraint", "Interval", "Options", "InstanceOf", "Satisfies", "Hidden", "PathLike",
           "Constraints", "validate", "describe", "accepts"]

#: What a class or module declares: the accepted alternatives of each argument, by name.
Constraints = Mapping[str, Sequence[object]]

#: Longest ``repr`` of a received value quoted in a message.
_MAX_REPR = 120


def _is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not _is_bool(value)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not _is_bool(value)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


class Constraint:
    """One accepted kind of value: :meth:`accepts` tests a value, :meth:`alternatives`
    words what is accepted (``("a positive integer",)``, ``("'min'", "'max'")``)."""

    def accepts(self, value: object) -> bool:
        raise NotImplementedError

    def alternatives(self) -> tuple[str, ...]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({describe([self])})"


class Interval(Constraint):
    """A number of ``kind`` (``int`` or ``float``) between ``low`` and ``high``.

    Parameters
    ----------
    kind : {int, float}
        ``int``: an integer (Python or NumPy, not a bool); ``float``: a finite real number
        (integers included; not a bool, NaN or infinity).
    low, high : float or None
        The bounds; ``None`` leaves that side open-ended.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, kind: type, low: float | None, high: float | None, *,
                 closed: Literal["both", "left", "right", "neither"] = "both") -> None:
        if kind not in (int, float):
            raise ValueError(f"kind: expected int or float, received: {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed: expected 'both', 'left', 'right' or 'neither', "
                             f"received: {closed!r}")
        if low is not None and high is not None and low > high:
            raise ValueError(f"high: expected at least low={low}, received: {high!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    @property
    def _low_closed(self) -> bool:
        return self.closed in ("both", "left")

    @property
    def _high_closed(self) -> bool:
        return self.closed in ("both", "right")

    def accepts(self, value: object) -> bool:
        if self.kind is int:
            if not _is_integer(value):
                return False
        elif not (_is_real(value) and math.isfinite(value)):  # type: ignore[arg-type]
            return False
        number: float = value  # type: ignore[assignment]
        if self.low is not None and (number < self.low or
                                     (number == self.low and not self._low_closed)):
            return False
        return self.high is None or (number < self.high or
                                     (number == self.high and self._high_closed))

    def alternatives(self) -> tuple[str, ...]:
        low, high = self.low, self.high
        if self.kind is int:
            # integer bounds: an open bound is the closed one next to it
            low = None if low is None else (math.ceil(low) if self._low_closed
                                            else math.floor(low) + 1)
            high = None if high is None else (math.floor(high) if self._high_closed
                                              else math.ceil(high) - 1)
            if low is not None and high is not None:
                return (f"an integer in [{low}, {high}]",)
            if low is not None:
                names = {0: "a non-negative integer", 1: "a positive integer"}
                return (names.get(low, f"an integer >= {low}"),)
            return (f"an integer <= {high}",) if high is not None else ("an integer",)
        if low is not None and high is not None:
            return (f"a number in {'[' if self._low_closed else '('}{low:g}, "
                    f"{high:g}{']' if self._high_closed else ')'}",)
        if low is not None:
            return (f"a finite number {'>=' if self._low_closed else '>'} {low:g}",)
        if high is not None:
            return (f"a finite number {'<=' if self._high_closed else '<'} {high:g}",)
        return ("a finite number",)


class Options(Constraint):
    """One of the given values (compared with ``==``; a bool never equals a number)."""

    def __init__(self, options: Iterable[object]) -> None:
        given = list(options)
        if isinstance(options, (set, frozenset)):
            given.sort(key=repr)  # a set has no order; the message lists them sorted
        self.options = tuple(given)

    def accepts(self, value: object) -> bool:
        for option in self.options:
            if _is_bool(value) != _is_bool(option):
                continue
            try:
                if bool(value == option):
                    return True
            except (TypeError, ValueError):  # an array's ambiguous truth value
                continue
        return False

    def alternatives(self) -> tuple[str, ...]:
        return tuple(repr(option) for option in self.options)


class InstanceOf(Constraint):
    """An instance of ``types``, worded as ``what`` (``"a numpy Generator"``)."""

    def __init__(self, types: type | tuple[type, ...], what: str) -> None:
        self.types, self.what = types, what

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.types)

    def alternatives(self) -> tuple[str, ...]:
        return (self.what,)


class Satisfies(Constraint):
    """Any value for which ``test(value)`` is true, worded as ``what`` (``"one
    character"``). ``test`` must not raise."""

    def __init__(self, test: Callable[[object], object], what: str) -> None:
        self.test, self.what = test, what

    def accepts(self, value: object) -> bool:
        return bool(self.test(value))

    def alternatives(self) -> tuple[str, ...]:
        return (self.what,)


class PathLike(Constraint):
    """A path: a non-empty string or :class:`os.PathLike`, worded as ``what``."""

    def __init__(self, what: str = "a file path") -> None:
        self.what = what

    def accepts(self, value: object) -> bool:
        return isinstance(value, (str, os.PathLike)) and os.fspath(value) not in ("", b"")

    def alternatives(self) -> tuple[str, ...]:
        return (self.what,)


class Hidden(Constraint):
    """Accepted as ``constraint`` is, but left out of the message (an alternative meant
    for other code, such as a schedule's config dict)."""

    def __init__(self, constraint: object) -> None:
        self.constraint = _resolve(constraint)

    def accepts(self, value: object) -> bool:
        return self.constraint.accepts(value)

    def alternatives(self) -> tuple[str, ...]:
        return ()


class _Boolean(Constraint):
    """``True`` or ``False``, Python's or NumPy's."""

    def accepts(self, value: object) -> bool:
        return _is_bool(value)

    def alternatives(self) -> tuple[str, ...]:
        return ("True", "False")


#: The shorthands: a Python type (or ``callable``, ``None``) standing for a constraint.
_SHORTHANDS: dict[object, Constraint] = {
    bool: _Boolean(),
    int: Interval(int, None, None),
    float: Interval(float, None, None),
    str: InstanceOf(str, "a string"),
    callable: Satisfies(callable, "a callable"),
    None: Satisfies(lambda value: value is None, "None"),
}


def _resolve(constraint: object) -> Constraint:
    """The :class:`Constraint` a declared entry stands for."""
    if isinstance(constraint, Constraint):
        return constraint
    try:
        return _SHORTHANDS[constraint]
    except (KeyError, TypeError):
        pass
    if isinstance(constraint, type):
        return InstanceOf(constraint, _article(constraint.__name__))
    raise TypeError(f"not a constraint: {constraint!r}")


def accepts(constraints: Sequence[object], value: object) -> bool:
    """Whether one of ``constraints`` accepts ``value``."""
    return any(_resolve(constraint).accepts(value) for constraint in constraints)


def describe(constraints: Sequence[object]) -> str:
    """What ``constraints`` accept, in words: ``"a finite number > 0 or None"``."""
    words = [text for constraint in constraints for text in _resolve(constraint).alternatives()]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _quoted(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else f"{text[:_MAX_REPR - 3]}..."


def validate(owner: str, values: Mapping[str, object], constraints: Constraints) -> None:
    """Check each of ``values`` (argument name to value) against its declared constraints.

    Parameters
    ----------
    owner : str
        Who takes the arguments (``"SGD"``, ``"make_moons"``), named when an argument has
        no declared constraints.
    values : mapping of str to object
        The arguments to check, in the order they are checked.
    constraints : mapping of str to list
        The declaration: each argument's accepted alternatives.

    Raises
    ------
    ValueError
        ``"{argument}: expected {what}, received: {value!r}"`` for the first argument that
        no constraint of its own accepts.
    KeyError
        When an argument of ``values`` has no declared constraints (a mistake of the
        declaring code, not of the caller).
    """
    for argument, value in values.items():
        if argument not in constraints:
            raise KeyError(f"{owner}: no constraints declared for the argument {argument!r}")
        allowed = constraints[argument]
        if not accepts(allowed, value):
            raise ValueError(f"{argument}: expected {describe(allowed)}, received: "
                             f"{_quoted(value)}")
