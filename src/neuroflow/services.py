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
from collections.abc import Callable
from typing import Any

__all__ = ["SERVICE_PROVIDERS", "provide", "service"]

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
