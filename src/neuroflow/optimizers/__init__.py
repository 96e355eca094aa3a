"""Gradient-descent optimisers.

An optimiser sees only ``(parameter, gradient)`` pairs, never layers: it updates each
parameter in place and keeps its own per-parameter state (see
:mod:`neuroflow.optimizers.base`). On NumPy, a network hands it its
:class:`ParameterBuffer`, the same pairs laid end to end, and the update runs over the
whole buffer at once.

================  =========================================================
module            holds
================  =========================================================
``base``          :class:`Optimizer`, the protocol
``sgd``           :class:`SGD`, gradient descent (with momentum)
``adam``          :class:`Adam`, :class:`AdamW`
``rmsprop``       :class:`RMSProp`
``clipping``      :func:`global_norm`, :func:`clip_gradients`
``parameters``    :class:`ParameterBuffer`
================  =========================================================

``learning_rate`` is a positive number or a schedule: any callable mapping the step
count (0, 1, 2, ...) to a learning rate.
"""

from __future__ import annotations

from typing import Any

from neuroflow.optimizers.adam import Adam, AdamW
from neuroflow.optimizers.base import Optimizer
from neuroflow.optimizers.clipping import clip_gradients, global_norm
from neuroflow.optimizers.parameters import ParameterBuffer
from neuroflow.optimizers.rmsprop import RMSProp
from neuroflow.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "RMSProp", "AdamW", "get", "names", "OPTIMIZERS",
           "global_norm", "clip_gradients", "ParameterBuffer"]

#: Every optimiser class, by its ``name``.
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
