"""The optimiser protocol: :class:`Optimizer`.

An optimiser sees only parameters and their gradients, never layers: a sequence of
``(parameter, gradient)`` pairs, or a network's :class:`ParameterBuffer` (the same pairs,
laid end to end in two flat arrays). It updates each parameter in place and keeps its
own per-parameter state (momentum buffers, moment estimates), indexed by the pair's
position, which a network always gives in the same order.

Each rule is written once, in :meth:`Optimizer.update`, against the array API. NumPy
arrays are updated by the rule's in-place kernel from :mod:`neuroflow.kernels` instead
(:meth:`Optimizer.update_in_place`): the same numbers, bit for bit, without
temporaries.

``learning_rate`` is a positive number or a schedule: any callable mapping the step
count (0, 1, 2, ...) to a learning rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np

from neuroflow._constraints import Constraints, Hidden, Interval, validate
from neuroflow.backend import device_of, namespace, to_backend
from neuroflow.optimizers.clipping import clip_gradients
from neuroflow.optimizers.parameters import Pair, ParameterBuffer
from neuroflow.schedules import get as get_schedule

__all__ = ["Optimizer", "LearningRate", "Slot"]

LearningRate = float | Callable[[int], float]
#: ``slot(key)``: the state array ``key`` of the parameter being updated, created as
#: zeros shaped like it on first use.
Slot = Callable[[str], Any]


def _sign(param: Any) -> Any:
    """``sign(param)`` in the parameter's own array namespace."""
    xp = param.__array_namespace__() if hasattr(param, "__array_namespace__") else np
    return xp.sign(param)


class Optimizer:
    """Base class: :meth:`step` applies one update to every ``(param, grad)`` pair."""

    name: ClassVar[str] = ""

    #: ``True`` when ``weight_decay`` shrinks the weights directly (decoupled, AdamW)
    #: rather than being added to the gradient (coupled L2).
    decoupled_weight_decay: ClassVar[bool] = False

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`); a
    #: subclass adds its own arguments' to these. A schedule's config dict is accepted
    #: as ``learning_rate`` too.
    _parameter_constraints: ClassVar[Constraints] = {
        "learning_rate": [Interval(float, 0, None, closed="neither"), Hidden(callable),
                          Hidden(dict)],
        "weight_decay": [Interval(float, 0, None, closed="left")],
        "clip_norm": [Interval(float, 0, None, closed="neither"), None],
        "l1": [Interval(float, 0, None, closed="left")],
    }

    def __init__(self, learning_rate: LearningRate, weight_decay: float = 0.0,
                 clip_norm: float | None = None, l1: float = 0.0) -> None:
        validate(type(self).__name__, {"learning_rate": learning_rate,
                                       "weight_decay": weight_decay, "clip_norm": clip_norm,
                                       "l1": l1}, self._parameter_constraints)
        if isinstance(learning_rate, dict):
            learning_rate = get_schedule(learning_rate, "learning_rate")
        self.learning_rate = learning_rate if callable(learning_rate) else float(learning_rate)
        #: Weight-decay coefficient lambda: coupled L2 (``g + lambda theta``) for every
        #: optimiser but AdamW, whose decay is decoupled from the gradient.
        self.weight_decay = float(weight_decay)
        #: L1 coefficient lambda_1: the rule sees ``g + lambda_1 sign(theta)``.
        self.l1 = float(l1)
        #: Maximum global norm of the gradients (``None``: no clipping).
        self.clip_norm = None if clip_norm is None else float(clip_norm)
        #: Number of steps taken so far.
        self.iterations = 0
        self.state = {}
        # Work arrays of the in-place kernels, by (shape, dtype): never saved.
        self._work: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """Per-parameter state: ``state[index][key]`` (e.g. ``state[0]["m"]``).

        While stepping a :class:`ParameterBuffer`, these arrays are views of flat slots
        laid out like the buffer. Replace the state as a whole (assignment,
        :meth:`load_state_dict`), not array by array.
        """
        return self._state

    @state.setter
    def state(self, state: dict[int, dict[str, Any]]) -> None:
        self._state = state
        #: Flat state arrays laid out like the parameter buffer of ``_flat_shapes``,
        #: by key; ``state[i][key]`` are views of them.
        self._flat_slots: dict[str, np.ndarray] = {}
        self._flat_shapes: tuple[tuple[int, ...], ...] = ()

    def current_learning_rate(self) -> float:
        """The learning rate the next step uses."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def step(self, parameters: ParameterBuffer | Sequence[Pair]) -> None:
        r"""Update each parameter in place from its gradient.

        ``parameters`` is a :class:`ParameterBuffer` (what ``fit`` gives on NumPy: one
        update over the whole flat buffer) or any sequence of ``(param, grad)`` pairs.
        Before the optimiser's own rule, two optional transforms of the gradients:

        1. ``clip_norm`` :math:`c`: when the global norm
           :math:`\lVert g \rVert = \sqrt{\sum_p \lVert g_p \rVert^2}` over every pair
           exceeds :math:`c`, every gradient is scaled in place by
           :math:`c / \lVert g \rVert` (directions kept).
        2. ``weight_decay`` :math:`\lambda`: coupled (L2 regularisation, all optimisers
           but AdamW), the rule sees :math:`g + \lambda \theta`, the gradient of the cost
           plus :math:`\tfrac{\lambda}{2} \lVert \theta \rVert^2`; decoupled (AdamW), the
           weights shrink first, :math:`\theta \leftarrow (1 - \eta\lambda)\theta`.
        3. ``l1`` :math:`\lambda_1` (L1 regularisation): the rule sees
           :math:`g + \lambda_1 \operatorname{sign}(\theta)`, the (sub)gradient of the cost
           plus :math:`\lambda_1 \lVert \theta \rVert_1`, which drives small weights to zero.

        With none of these options set no extra pass over the arrays is made.
        """
        learning_rate = self.current_learning_rate()
        self.iterations += 1
        if self.clip_norm is not None:
            clip_gradients(parameters, self.clip_norm)
        groups: list[tuple[Any, Any, Slot]]
        if isinstance(parameters, ParameterBuffer):
            groups = [(parameters.parameters, parameters.gradients,
                       partial(self._flat_slot, parameters))]
        else:
            groups = [(param, grad, partial(self._slot, index, like=param))
                      for index, (param, grad) in enumerate(parameters)]
        for param, grad, slot in groups:
            if self.weight_decay and self.decoupled_weight_decay:
                param *= 1 - learning_rate * self.weight_decay
            elif self.weight_decay:
                grad = param * self.weight_decay + grad
            if self.l1:
                grad = _sign(param) * self.l1 + grad
            if isinstance(param, np.ndarray):
                self.update_in_place(param, grad, slot, learning_rate,
                                     self._work_like(param))
            else:
                self.update(param, grad, slot, learning_rate)

    def update(self, param: Any, grad: Any, slot: Slot, learning_rate: float) -> None:
        """Apply this optimiser's rule to one parameter, in place, with array-API
        operators only; ``slot(key)`` gives its state arrays."""
        raise NotImplementedError

    def update_in_place(self, param: np.ndarray, grad: np.ndarray, slot: Slot,
                        learning_rate: float, work: np.ndarray) -> None:
        """:meth:`update` for NumPy arrays through the rule's kernel, with ``work`` (shaped
        like ``param``, contents undefined) as its only scratch array. Defaults to
        :meth:`update`."""
        self.update(param, grad, slot, learning_rate)

    def _slot(self, index: int, key: str, like: Any) -> Any:
        """State slot ``key`` of parameter ``index``, zeros like ``like`` at first; a slot
        held by another library (e.g. restored from a file as NumPy) is moved to
        ``like``'s back-end first."""
        slots = self.state.setdefault(index, {})
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = namespace(like).zeros_like(like)
        elif type(slot) is not type(like):
            slot = slots[key] = to_backend(slot, namespace(like), device_of(like))
        return slot

    def _flat_slot(self, buffer: ParameterBuffer, key: str) -> np.ndarray:
        """State slot ``key`` for the whole of ``buffer``: one flat array whose views are
        the per-parameter slots ``state[i][key]``, so saving and restoring state keeps its
        per-parameter layout. Built at first use, and again when the state was replaced
        or the layout changed, from the per-parameter slots present."""
        if buffer.shapes != self._flat_shapes:
            self._flat_slots, self._flat_shapes = {}, buffer.shapes
        flat = self._flat_slots.get(key)
        if flat is None or flat.dtype != buffer.parameters.dtype:
            flat = self._flat_slots[key] = np.zeros_like(buffer.parameters)
            for index, view in enumerate(buffer.views(flat)):
                existing = self.state.get(index, {}).get(key)
                if existing is not None:
                    view[...] = existing
                self.state.setdefault(index, {})[key] = view
        return flat

    def _work_like(self, array: np.ndarray) -> np.ndarray:
        """The kernels' work array for arrays shaped like ``array``, reused every step."""
        key = (array.shape, array.dtype)
        work = self._work.get(key)
        if work is None:
            work = self._work[key] = np.empty_like(array)
        return work

    def to_backend(self, xp: Any) -> None:
        """Move the state to array namespace ``xp``."""
        self.state = {index: {key: to_backend(value, xp) for key, value in slots.items()}
                      for index, slots in self.state.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Per-parameter state as flat ``"{index}.{key}"`` arrays (for saving)."""
        return {f"{i}.{k}": v for i, slots in self.state.items() for k, v in slots.items()}

    def load_state_dict(self, tensors: dict[str, np.ndarray], iterations: int) -> None:
        """Restore what :meth:`state_dict` returned, and the step count."""
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            index, slot = key.split(".", 1)
            state.setdefault(int(index), {})[slot] = np.array(value, copy=True)
        self.state = state
        self.iterations = int(iterations)

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.deepcopy, pickle) copies each state array on its own: the flat
        # slots they were views of are rebuilt from them at the next step, the work
        # arrays on demand.
        return {**self.__dict__, "_flat_slots": {}, "_flat_shapes": (), "_work": {}}

    def get_config(self) -> dict[str, Any]:
        """Name and hyper-parameters (a schedule is described by its own config)."""
        rate = self.learning_rate
        rate_config = rate.get_config() if hasattr(rate, "get_config") else rate
        config = {"name": self.name, "learning_rate": rate_config}
        if self.weight_decay or self.decoupled_weight_decay:
            config["weight_decay"] = self.weight_decay
        if self.clip_norm is not None:
            config["clip_norm"] = self.clip_norm
        if self.l1:
            config["l1"] = self.l1
        return config

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("name")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"
