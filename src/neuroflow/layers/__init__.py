"""Layers: the building blocks of a network.

A layer owns its parameters ``params`` and their gradients ``grads`` (same keys, same
shapes); ``forward(x, training)`` caches what ``backward(grad_output)`` needs, and
``backward`` fills ``grads`` and returns the gradient for the layer's input (see
:mod:`neuroflow.layers.base`).

================  =========================================================
module            holds
================  =========================================================
``base``          :class:`Layer`, the protocol
``dense``         :class:`Dense`, the layer of artificial neurons
``dropout``       :class:`Dropout`
``batchnorm``     :class:`BatchNorm`
================  =========================================================

Every layer type is registered here by its ``type_name``, the name a saved model's
architecture stores: :func:`layer_from_config` rebuilds a layer from it.
"""

from __future__ import annotations

from typing import Any

from neuroflow.layers.base import Layer
from neuroflow.layers.batchnorm import BatchNorm
from neuroflow.layers.dense import Dense
from neuroflow.layers.dropout import Dropout

__all__ = ["Layer", "Dense", "Dropout", "BatchNorm", "get_layer_class", "layer_from_config",
           "LAYERS", "connect"]

#: Every layer class, by the ``type_name`` saved in a model's architecture.
LAYERS: dict[str, type[Layer]] = {cls.type_name: cls for cls in (Dense, Dropout, BatchNorm)}


def get_layer_class(type_name: object) -> type[Layer]:
    """The layer class registered under ``type_name``."""
    if isinstance(type_name, str) and type_name in LAYERS:
        return LAYERS[type_name]
    raise ValueError(
        f"layer type: expected one of {', '.join(sorted(LAYERS))}, received: {type_name!r}"
    )


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Build an (unbuilt) layer from :meth:`Layer.get_config` output."""
    config = dict(config)
    cls = get_layer_class(config.pop("type", None))
    return cls(**config)


def connect(layers: Any) -> list[Layer]:
    """Check that ``layers`` chain (each layer's ``in_features`` is the previous layer's
    ``out_features``) and size the size-preserving ones (Dropout, BatchNorm) given no
    width from the layer before them; return them as a list."""
    layers = list(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, received an empty list")
    for index, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise ValueError(f"layers[{index}]: expected a Layer, received "
                             f"{type(layer).__name__}")
        if not layer.in_features:  # a size-preserving layer sized from the one before
            if not index:
                raise ValueError(f"layers[0]: {type(layer).__name__} is the first layer, so "
                                 "it needs its width: expected features=<int>, received none")
            layer.set_features(layers[index - 1].out_features)
        if index and layer.in_features != layers[index - 1].out_features:
            raise ValueError(
                f"layers[{index}]: expected in_features={layers[index - 1].out_features} "
                f"(the previous layer's out_features), received in_features={layer.in_features}")
    return layers
