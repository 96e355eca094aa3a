"""The small interface behind :class:`~neuroflow.network.Network`'s conveniences.

``net.fit``, ``net.save``, ``net.copy`` and ``net.to_onnx`` are implemented by modules
that sit *above* the model in the layering (the training loop, the file format, the ONNX
exporter import ``network``), so the model must not import them. Instead each registers
its function here with :func:`provide` when it is imported, and the network looks it up
with :func:`service`: the model depends on this interface, the implementations on the
model. ``import neuroflow`` imports ``training`` and ``io``; the ONNX exporter needs an
optional extra, so it is imported by name on first use (see ``docs/architecture.md``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuroflow.hooks import Callback, History
    from neuroflow.optimizers import Optimizer

__all__ = ["SERVICE_PROVIDERS", "provide", "service", "Fitting"]

#: Which module implements each of the network's conveniences.
SERVICE_PROVIDERS = {"fit": "neuroflow.training", "save": "neuroflow.io",
                     "copy": "neuroflow.io", "to_onnx": "neuroflow.onnx"}
_SERVICES: dict[str, Callable[..., Any]] = {}


def provide(name: str, function: Callable[..., Any]) -> None:
    """Register ``function`` as the implementation of ``Network.<name>``."""
    if name not in SERVICE_PROVIDERS:
        raise ValueError(f"name: expected one of {', '.join(SERVICE_PROVIDERS)}, received "
                         f"{name!r}")
    _SERVICES[name] = function


def service(name: str) -> Callable[..., Any]:
    """The registered implementation of ``Network.<name>``; a provider not imported yet
    (only the ONNX exporter, an optional extra) is imported by name on first use."""
    if name not in _SERVICES:
        importlib.import_module(SERVICE_PROVIDERS[name])  # it calls provide() on import
    return _SERVICES[name]


class Fitting:
    """:meth:`fit` of :class:`~neuroflow.network.Network` (a mixin): its whole signature,
    for ``help()``, IDEs and mypy, in front of the ``"fit"`` service."""

    def fit(self, x: Any, y: Any = None, *, epochs: int = 10, batch_size: int = 32,
            optimizer: str | Optimizer | None = None, learning_rate: float | None = None,
            validation_split: float = 0.0, validation_data: tuple[Any, Any] | None = None,
            shuffle: bool = True, callbacks: Sequence[Callback] | None = None,
            verbose: int = 1, sample_weight: Any = None,
            class_weight: dict[Any, float] | None = None, distributed: bool = False,
            resume_from: str | os.PathLike[str] | None = None,
            steps_per_epoch: int | None = None) -> History:
        """Train on arrays ``(x, y)``, or on a stream of ``(x, y)`` batches given as ``x``
        alone (``y`` left out); :func:`neuroflow.training.fit` describes every option."""
        return service("fit")(
            self, x, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
            learning_rate=learning_rate, validation_split=validation_split,
            validation_data=validation_data, shuffle=shuffle, callbacks=callbacks,
            verbose=verbose, sample_weight=sample_weight, class_weight=class_weight,
            distributed=distributed, resume_from=resume_from, steps_per_epoch=steps_per_epoch)
