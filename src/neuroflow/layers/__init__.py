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
``conv``          :class:`Conv2D`, the convolution (NCHW: why, in its notes)
``pooling``       :class:`MaxPool2D`, :class:`AvgPool2D`,
                  :class:`GlobalAveragePooling2D`
``reshape``       :class:`Flatten`, the image-layer base, input conversion
``windows``       the sliding-window geometry and im2col/col2im
``conv_reference`` convolution and pooling from their equations (loops)
================  =========================================================

Every layer type is registered here by its ``type_name``, the name a saved model's
architecture stores: :func:`layer_from_config` rebuilds a layer from it.
"""

from __future__ import annotations

from typing import Any

from neuroflow.layers.base import Layer
from neuroflow.layers.batchnorm import BatchNorm
from neuroflow.layers.conv import Conv2D
from neuroflow.layers.dense import Dense
from neuroflow.layers.dropout import Dropout
from neuroflow.layers.pooling import AvgPool2D, GlobalAveragePooling2D, MaxPool2D
from neuroflow.layers.reshape import Flatten, images_to_rows

__all__ = ["Layer", "Dense", "Dropout", "BatchNorm", "Conv2D", "MaxPool2D", "AvgPool2D",
           "GlobalAveragePooling2D", "Flatten", "images_to_rows", "get_layer_class",
           "layer_from_config", "LAYERS", "connect"]

#: Every layer class, by the ``type_name`` saved in a model's architecture.
LAYERS: dict[str, type[Layer]] = {cls.type_name: cls for cls in (
    Dense, Dropout, BatchNorm, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, Flatten)}


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
    ``out_features``) and size the layers given no input size (Dropout, BatchNorm, and
    image layers after the first) from the :attr:`~Layer.output_shape` of the layer
    before them; return them as a list."""
    layers = list(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer, received an empty list")
    for index, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise ValueError(f"layers[{index}]: expected a Layer, received "
                             f"{type(layer).__name__}")
        if not layer.in_features:  # a size-preserving layer sized from the one before
            if not index:
                argument = getattr(layer, "size_argument", "features")
                raise ValueError(f"layers[0]: {type(layer).__name__} is the first layer, so "
                                 f"it needs its width: expected {argument}=<int>, "
                                 "received none")
            layer.set_input_shape(layers[index - 1].output_shape)
        if index and layer.in_features != layers[index - 1].out_features:
            raise ValueError(
                f"layers[{index}]: expected in_features={layers[index - 1].out_features} "
                f"(the previous layer's out_features), received in_features={layer.in_features}")
    return layers
