"""Gradient-descent optimisers.

An optimiser sees only ``(parameter, gradient)`` pairs, never layers. It updates each
parameter in place and keeps its own per-parameter state (momentum buffers, moment
estimates), indexed by the pair's position in the list it is given, which a network
always gives in the same order.

``learning_rate`` is a positive number or a schedule: any callable mapping the step
count (0, 1, 2, ...) to a learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from neuroflow.backend import namespace, to_backend

__all__ = ["Optimizer", "SGD", "Adam", "RMSProp", "AdamW", "get", "names", "OPTIMIZERS",
           "global_norm", "clip_gradients", "flat_buffers"]

Pair = tuple[np.ndarray, np.ndarray]
#: Index under which :meth:`Optimizer.update` receives all packed parameters at once.
_PACKED = -1
LearningRate = float | Callable[[int], float]


def _check_rate(value: object, argument: str, *, upper: float | None = None,
                allow_zero: bool = False) -> float:
    ok = (isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
          and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
          and (upper is None or value < upper))
    if not ok:
        bound = f" and < {upper}" if upper is not None else ""
        sign = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{argument}: expected a finite number {sign}{bound}, received: {value!r}")
    return float(value)  # type: ignore[arg-type]


class Optimizer:
    """Base class: :meth:`step` applies one update to every ``(param, grad)`` pair."""

    name: ClassVar[str] = ""

    #: ``True`` when ``weight_decay`` is applied by :meth:`update` (decoupled, AdamW)
    #: rather than added to the gradient by :meth:`step` (coupled L2).
    decoupled_weight_decay: ClassVar[bool] = False

    def __init__(self, learning_rate: LearningRate, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        if isinstance(learning_rate, dict):
            from neuroflow.schedules import get as _get_schedule

            learning_rate = _get_schedule(learning_rate, "learning_rate")
        if not callable(learning_rate):
            learning_rate = _check_rate(learning_rate, "learning_rate")
        self.learning_rate = learning_rate
        #: Weight-decay coefficient lambda: coupled L2 (``g + lambda theta``) for every
        #: optimiser but AdamW, whose decay is decoupled from the gradient.
        self.weight_decay = _check_rate(weight_decay, "weight_decay", allow_zero=True)
        #: Maximum global norm of the gradients (``None``: no clipping).
        self.clip_norm = None if clip_norm is None else _check_rate(clip_norm, "clip_norm")
        #: Number of steps taken so far.
        self.iterations = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}

    def current_learning_rate(self) -> float:
        """The learning rate the next step uses."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def step(self, pairs: Sequence[Pair]) -> None:
        r"""Update each parameter in place from its gradient.

        Before the optimiser's own rule, two optional transforms of the gradients:

        1. ``clip_norm`` :math:`c`: when the global norm
           :math:`\lVert g \rVert = \sqrt{\sum_p \lVert g_p \rVert^2}` over every pair
           exceeds :math:`c`, every gradient is scaled in place by
           :math:`c / \lVert g \rVert` (directions kept).
        2. coupled ``weight_decay`` :math:`\lambda` (L2 regularisation, all optimisers but
           AdamW): the rule sees :math:`g + \lambda \theta`, the gradient of the cost plus
           :math:`\tfrac{\lambda}{2} \lVert \theta \rVert^2`.

        With neither option set no extra pass over the arrays is made.

        Arrays of another array-API back-end (see :mod:`neuroflow.backend`) are updated
        by :meth:`update_generic` instead of :meth:`update`.
        """
        if pairs and not isinstance(pairs[0][0], np.ndarray):
            self._step_generic(pairs)
            return
        learning_rate = self.current_learning_rate()
        self.iterations += 1
        if self.clip_norm is not None:
            clip_gradients(pairs, self.clip_norm)
        indexed: Sequence[tuple[int, np.ndarray, np.ndarray]]
        packed = self._packed(pairs)
        if packed is not None:
            # Parameters laid end to end in one buffer (Network.pack_parameters): one
            # update over the whole buffer, its state slots being flat buffers whose
            # slices are the per-parameter slots.
            indexed = [(_PACKED, packed[0], packed[1])]
        else:
            indexed = [(index, param, grad) for index, (param, grad) in enumerate(pairs)]
        if self.weight_decay and not self.decoupled_weight_decay:
            decay = self.weight_decay
            for index, param, grad in indexed:
                decayed = param * decay
                decayed += grad
                self.update(index, param, decayed, learning_rate)
            return
        for index, param, grad in indexed:
            self.update(index, param, grad, learning_rate)

    def _packed(self, pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray] | None:
        """The flat buffers behind ``pairs`` when they are packed (see :func:`flat_buffers`);
        the answer is remembered for the same arrays."""
        cached = self.__dict__.get("_packed_cache")
        if cached is not None and len(cached[0]) == len(pairs) and all(
                a is p and b is g for (a, b), (p, g) in zip(cached[0], pairs)):
            return cached[1]
        packed = flat_buffers([p for p, _ in pairs], [g for _, g in pairs]) if pairs else None
        self.__dict__["_packed_cache"] = ([(p, g) for p, g in pairs], packed)
        self.__dict__["_packed_shapes"] = [p.shape for p, _ in pairs]
        return packed

    def _packed_slot(self, key: str, like: np.ndarray) -> np.ndarray:
        """Flat state buffer ``key`` for packed parameters; ``self.state[i][key]`` are views
        of its slices, so saving and restoring state keeps its per-parameter layout."""
        slots = self.__dict__.setdefault("_packed_slots", {})
        shapes = self.__dict__["_packed_shapes"]
        flat, views = slots.get(key, (None, []))
        if (flat is None or flat.shape != like.shape or flat.dtype != like.dtype
                or len(views) != len(shapes)
                or any(self.state.get(i, {}).get(key) is not view
                       for i, view in enumerate(views))):
            # First use, or state restored/replaced since: pack the per-parameter slots.
            flat = np.zeros_like(like)
            views, offset = [], 0
            for index, shape in enumerate(shapes):
                size = math.prod(shape)
                view = flat[offset:offset + size].reshape(shape)
                existing = self.state.get(index, {}).get(key)
                if existing is not None:
                    view[...] = existing
                self.state.setdefault(index, {})[key] = view
                views.append(view)
                offset += size
            slots[key] = (flat, views)
        return flat

    def update(self, index: int, param: np.ndarray, grad: np.ndarray,
               learning_rate: float) -> None:
        """Apply this optimiser's rule to one parameter."""
        raise NotImplementedError

    def _step_generic(self, pairs: Sequence[Pair]) -> None:
        """:meth:`step` for array-API arrays: the same rule, through :meth:`update_generic`."""
        learning_rate = self.current_learning_rate()
        self.iterations += 1
        if self.clip_norm is not None:
            clip_gradients(pairs, self.clip_norm)
        decay = self.weight_decay if not self.decoupled_weight_decay else 0.0
        for index, (param, grad) in enumerate(pairs):
            self.update_generic(index, param, grad + param * decay if decay else grad,
                                learning_rate)

    def update_generic(self, index: int, param: Any, grad: Any, learning_rate: float) -> None:
        """Apply this optimiser's rule to one array-API parameter, in place, with
        standard operators only (no ``out=``)."""
        raise NotImplementedError

    def _slot_generic(self, index: int, key: str, like: Any) -> Any:
        """State slot of an array-API parameter; a slot held in another library (e.g.
        restored from a file as NumPy) is moved to ``like``'s back-end first."""
        slots = self.state.setdefault(index, {})
        xp = namespace(like)
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = xp.zeros_like(like)
        elif isinstance(slot, np.ndarray) or namespace(slot) is not xp:
            slot = slots[key] = to_backend(slot, xp, like.device)
        return slot

    def _slot(self, index: int, key: str, like: np.ndarray) -> np.ndarray:
        if index == _PACKED:
            return self._packed_slot(key, like)
        slots = self.state.setdefault(index, {})
        if key not in slots:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def _scratch(self, index: int, like: np.ndarray) -> np.ndarray:
        """A work array shaped like parameter ``index``, reused by every step so the
        update arithmetic allocates nothing. Not state: never saved, contents undefined."""
        buffers = self.__dict__.setdefault("_scratch_buffers", {})
        array = buffers.get(index)
        if array is None or array.shape != like.shape or array.dtype != like.dtype:
            array = buffers[index] = np.empty_like(like)
        return array

    def state_dict(self) -> dict[str, np.ndarray]:
        """Per-parameter state as flat ``"{index}.{key}"`` arrays (for saving)."""
        return {f"{i}.{k}": v for i, slots in self.state.items() for k, v in slots.items()}

    def load_state_dict(self, tensors: dict[str, np.ndarray], iterations: int) -> None:
        """Restore what :meth:`state_dict` returned, and the step count."""
        self.state = {}
        for key, value in tensors.items():
            index, slot = key.split(".", 1)
            self.state.setdefault(int(index), {})[slot] = np.array(value, copy=True)
        self.iterations = int(iterations)

    def get_config(self) -> dict[str, Any]:
        """Name and hyper-parameters (a schedule is described by its own config)."""
        rate = self.learning_rate
        rate_config = rate.get_config() if hasattr(rate, "get_config") else rate
        config = {"name": self.name, "learning_rate": rate_config}
        if self.weight_decay or self.decoupled_weight_decay:
            config["weight_decay"] = self.weight_decay
        if self.clip_norm is not None:
            config["clip_norm"] = self.clip_norm
        return config

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("name")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    With learning rate :math:`\eta`, momentum :math:`\mu` and velocity :math:`v` (0 at first):

    .. math::
        v \leftarrow \mu v + g, \qquad
        \theta \leftarrow \theta - \eta v                      \quad\text{(classical)}

        \theta \leftarrow \theta - \eta (g + \mu v)            \quad\text{(Nesterov)}

    With ``momentum=0`` this is plain gradient descent :math:`\theta \leftarrow \theta - \eta g`:
    a step *down* the gradient, scaled by the learning rate.
    """

    name = "sgd"

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        self.momentum = _check_rate(momentum, "momentum", upper=1.0, allow_zero=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov: expected momentum > 0 with nesterov=True, received: "
                             "momentum=0")
        self.nesterov = bool(nesterov)

    def update(self, index, param, grad, learning_rate):
        work = self._scratch(index, param)
        if self.momentum == 0:
            np.multiply(grad, learning_rate, out=work)
            param -= work
            return
        velocity = self._slot(index, "velocity", param)
        velocity *= self.momentum
        velocity += grad
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=work)
            work += grad
            work *= learning_rate
        else:
            np.multiply(velocity, learning_rate, out=work)
        param -= work

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def update_generic(self, index, param, grad, learning_rate):
        if self.momentum == 0:
            param -= grad * learning_rate
            return
        velocity = self._slot_generic(index, "velocity", param)
        velocity *= self.momentum
        velocity += grad
        if self.nesterov:
            param -= (velocity * self.momentum + grad) * learning_rate
        else:
            param -= velocity * learning_rate


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): gradient descent with adaptive per-weight step sizes.

    At step :math:`t = 1, 2, \dots`, with :math:`m, v` starting at 0:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2

        \hat m = m / (1 - \beta_1^t), \quad \hat v = v / (1 - \beta_2^t), \qquad
        \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)
    """

    name = "adam"

    def __init__(self, learning_rate: LearningRate = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        self.beta_1 = _check_rate(beta_1, "beta_1", upper=1.0, allow_zero=True)
        self.beta_2 = _check_rate(beta_2, "beta_2", upper=1.0, allow_zero=True)
        self.epsilon = _check_rate(epsilon, "epsilon")

    def update(self, index, param, grad, learning_rate):
        t = self.iterations
        m = self._slot(index, "m", param)
        v = self._slot(index, "v", param)
        work = self._scratch(index, param)
        m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=work)
        m += work
        v *= self.beta_2
        np.multiply(grad, grad, out=work)
        work *= 1 - self.beta_2
        v += work
        # With c1 = 1 - beta_1^t, c2 = sqrt(1 - beta_2^t), m_hat = m / c1, v_hat = v / c2^2:
        #   eta m_hat / (sqrt(v_hat) + eps) = (eta c2 / c1) m / (sqrt(v) + eps c2),
        # so both bias corrections become scalars and every pass is in place.
        c2 = math.sqrt(1 - self.beta_2**t)
        np.sqrt(v, out=work)
        work += self.epsilon * c2
        np.divide(m, work, out=work)
        work *= learning_rate * c2 / (1 - self.beta_1**t)
        param -= work

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

    def update_generic(self, index, param, grad, learning_rate):
        t = self.iterations
        m = self._slot_generic(index, "m", param)
        v = self._slot_generic(index, "v", param)
        m *= self.beta_1
        m += grad * (1 - self.beta_1)
        v *= self.beta_2
        v += (grad * grad) * (1 - self.beta_2)
        c2 = math.sqrt(1 - self.beta_2**t)  # bias corrections as scalars, as in update
        param -= (m / (namespace(v).sqrt(v) + self.epsilon * c2)) * (
            learning_rate * c2 / (1 - self.beta_1**t))


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, 2012): divide the gradient by a running RMS of its history.

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \eta\, g / (\sqrt{v} + \epsilon)
    """

    name = "rmsprop"

    def __init__(self, learning_rate: LearningRate = 1e-3, rho: float = 0.9,
                 epsilon: float = 1e-8, weight_decay: float = 0.0,
                 clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, weight_decay, clip_norm)
        self.rho = _check_rate(rho, "rho", upper=1.0, allow_zero=True)
        self.epsilon = _check_rate(epsilon, "epsilon")

    def update(self, index, param, grad, learning_rate):
        v = self._slot(index, "v", param)
        work = self._scratch(index, param)
        v *= self.rho
        np.multiply(grad, grad, out=work)
        work *= 1 - self.rho
        v += work
        np.sqrt(v, out=work)
        work += self.epsilon
        np.divide(grad, work, out=work)
        work *= learning_rate
        param -= work

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}

    def update_generic(self, index, param, grad, learning_rate):
        v = self._slot_generic(index, "v", param)
        v *= self.rho
        v += (grad * grad) * (1 - self.rho)
        param -= (grad / (namespace(v).sqrt(v) + self.epsilon)) * learning_rate


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The decay shrinks the weights directly instead of entering the gradient, so the
    adaptive step sizes do not weaken it. At step :math:`t`, with :math:`\lambda` =
    ``weight_decay``:

    .. math::
        \theta \leftarrow \theta - \eta \lambda \theta, \quad\text{then the Adam update}
        \quad \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

    with :math:`m, v` computed from the gradient alone. The decay applies to every
    parameter the optimiser is given (biases included).
    """

    name = "adamw"
    decoupled_weight_decay = True

    def __init__(self, learning_rate: LearningRate = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, weight_decay: float = 0.01,
                 clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clip_norm)

    def update(self, index, param, grad, learning_rate):
        if self.weight_decay:
            param *= 1 - learning_rate * self.weight_decay
        super().update(index, param, grad, learning_rate)

    def update_generic(self, index, param, grad, learning_rate):
        if self.weight_decay:
            param *= 1 - learning_rate * self.weight_decay
        super().update_generic(index, param, grad, learning_rate)


def flat_buffers(params: Sequence[np.ndarray],
               grads: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(flat_params, flat_grads)`` when ``params`` and ``grads`` are views laid end to end
    (in order, C-contiguous, same shapes) at the start of two flat buffers, else ``None``."""
    flat_params, flat_grads = params[0].base, grads[0].base
    if not (isinstance(flat_params, np.ndarray) and isinstance(flat_grads, np.ndarray)
            and flat_params.ndim == 1 and flat_grads.ndim == 1
            and flat_params.dtype == flat_grads.dtype):
        return None
    itemsize = flat_params.itemsize
    param_start, grad_start = flat_params.ctypes.data, flat_grads.ctypes.data
    offset = 0
    for param, grad in zip(params, grads):
        if (param.base is not flat_params or grad.base is not flat_grads
                or param.shape != grad.shape or param.dtype != flat_params.dtype
                or grad.dtype != flat_grads.dtype
                or not (param.flags.c_contiguous and grad.flags.c_contiguous)
                or param.ctypes.data != param_start + offset * itemsize
                or grad.ctypes.data != grad_start + offset * itemsize):
            return None
        offset += param.size
    if offset != flat_params.size or offset != flat_grads.size:
        return None
    return flat_params, flat_grads


def global_norm(gradients: Sequence[np.ndarray]) -> float:
    r"""The norm of all gradients seen as one vector: :math:`\sqrt{\sum_p \lVert g_p \rVert^2}`."""
    if gradients and not isinstance(gradients[0], np.ndarray):  # array-API arrays
        xp = namespace(*gradients)
        return math.sqrt(sum(float(xp.sum(g * g)) for g in gradients))
    return math.sqrt(sum(float(np.vdot(g, g)) for g in gradients))


def clip_gradients(pairs: Sequence[Pair], clip_norm: float) -> float:
    """Scale every gradient in place so their global norm is at most ``clip_norm``.

    Returns the global norm before clipping.
    """
    norm = global_norm([grad for _, grad in pairs])
    if norm > clip_norm:
        scale = clip_norm / norm
        for _, grad in pairs:
            grad *= scale
    return norm


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Adam, RMSProp, AdamW)}


def names() -> list[str]:
    """The registered optimiser names, sorted."""
    return sorted(OPTIMIZERS)


def get(optimizer: str | Optimizer | dict[str, Any], learning_rate: float | None = None,
        argument: str = "optimizer") -> Optimizer:
    """Return an :class:`Optimizer` for a name (with an optional learning rate),
    a config dict or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    config: dict[str, Any] = {}
    name: object = optimizer
    if isinstance(optimizer, dict):
        config = dict(optimizer)
        name = config.pop("name", None)
    if isinstance(name, str) and name.lower() in OPTIMIZERS:
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        return OPTIMIZERS[name.lower()](**config)
    raise ValueError(
        f"{argument}: expected one of {', '.join(names())} or an Optimizer instance, "
        f"received: {name!r}"
    )
