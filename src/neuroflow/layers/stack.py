"""A one-line description of a layer stack, for the command line and the presets:
``conv32k3,pool2,conv64k3,pool2,dense128``.

Comma-separated, input to output; the input layer and the output layer are implied (the
data gives the input shape, the classes the outputs):

==================  ===============================================================
token               layer
==================  ===============================================================
``conv32k3``        :class:`Conv2D`, 32 filters of 3x3, stride 1, ``"valid"`` padding
``conv32k3s2same``  ... with stride 2 and ``"same"`` padding (``s`` and ``same`` optional)
``pool2``           :class:`MaxPool2D` 2x2 (also ``maxpool2``; ``pool3s2``: stride 2)
``avgpool2``        :class:`AvgPool2D` 2x2
``gap``             :class:`GlobalAveragePooling2D`
``bn``              :class:`BatchNorm` (per channel after a convolution); it takes the
                    activation of the layer before it, which becomes linear
``dropout0.25``     :class:`Dropout` with rate 0.25
``flatten``         :class:`Flatten` (added by itself before the first ``dense``)
``dense128``        :class:`Dense` of 128 neurons
==================  ===============================================================

Convolutions and hidden ``dense`` layers use the hidden activation; a ``Dense`` output
layer with the output activation ends the stack.
"""

from __future__ import annotations

import math
import re
from typing import Any

from neuroflow.layers.base import Layer
from neuroflow.layers.batchnorm import BatchNorm
from neuroflow.layers.conv import Conv2D
from neuroflow.layers.dense import Dense
from neuroflow.layers.dropout import Dropout
from neuroflow.layers.pooling import AvgPool2D, GlobalAveragePooling2D, MaxPool2D
from neuroflow.layers.reshape import Flatten

__all__ = ["SYNTAX", "is_stack", "parse_stack", "checked", "build_stack", "image_shape_of"]

#: One line on the syntax, for error messages and ``--help``.
SYNTAX = ("comma-separated layers such as conv32k3,pool2,conv64k3,pool2,dense128: "
          "conv<filters>k<size>[s<stride>][same], pool<size>[s<stride>] (max), "
          "avgpool<size>[s<stride>], gap, bn, dropout<rate>, flatten, dense<units>")

_TOKEN = re.compile(
    r"conv(?P<filters>\d+)k(?P<kernel>\d+)(?:s(?P<stride>\d+))?(?P<same>same)?"
    r"|(?P<kind>max|avg)?pool(?P<size>\d+)(?:s(?P<pool_stride>\d+))?"
    r"|(?P<gap>gap)|(?P<bn>bn)|(?P<flatten>flatten)"
    r"|dropout(?P<rate>0?\.\d+|0)|dense(?P<units>\d+)")


def is_stack(text: str) -> bool:
    """Whether ``text`` is a stack description rather than plain sizes (``784,256,10``)."""
    return any(c.isalpha() for c in text)


def parse_stack(text: str) -> list[dict[str, Any]]:
    """The tokens of ``text`` as ``{"layer": kind, ...arguments}``; raises ``ValueError``
    naming the first token that is not understood."""
    parsed: list[dict[str, Any]] = []
    for token in (part.strip().lower() for part in str(text).split(",")):
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"cannot read {token!r}; expected {SYNTAX}")
        groups = match.groupdict()
        if groups["filters"]:
            parsed.append({"layer": "conv", "filters": int(groups["filters"]),
                           "kernel": int(groups["kernel"]),
                           "stride": int(groups["stride"] or 1),
                           "padding": "same" if groups["same"] else "valid"})
        elif groups["size"]:
            parsed.append({"layer": "avgpool" if groups["kind"] == "avg" else "maxpool",
                           "size": int(groups["size"]),
                           "stride": int(groups["pool_stride"] or groups["size"])})
        elif groups["rate"]:
            parsed.append({"layer": "dropout", "rate": float(groups["rate"])})
        elif groups["units"]:
            parsed.append({"layer": "dense", "units": int(groups["units"])})
        else:
            parsed.append({"layer": next(k for k in ("gap", "bn", "flatten") if groups[k])})
    for entry in parsed:
        for key in ("filters", "kernel", "stride", "size", "units"):
            if int(entry.get(key, 1)) <= 0:
                raise ValueError(f"{key} must be positive in {text!r}")
    return parsed


def checked(text: str) -> str:
    """``text`` once :func:`parse_stack` reads it (raises ``ValueError`` otherwise)."""
    parse_stack(text)
    return text


def image_shape_of(n_inputs: int) -> tuple[int, int, int]:
    """The image shape of rows of ``n_inputs`` pixels: square, one channel (``784``: 28x28)
    or three (RGB)."""
    for channels in (1, 3):
        side = math.isqrt(n_inputs // channels)
        if n_inputs % channels == 0 and side * side * channels == n_inputs:
            return (channels, side, side)
    raise ValueError(f"--layers: a convolutional stack needs square images, received rows "
                     f"of {n_inputs} values (neither side*side nor 3*side*side)")


def build_stack(text: str, input_shape: int | tuple[int, ...], outputs: int,
                activation: str = "relu", output_activation: str = "softmax") -> list[Layer]:
    """The layers of the stack ``text`` for inputs of ``input_shape`` (``(c, h, w)``,
    ``(features,)``, or a number of pixels of square images: :func:`image_shape_of`),
    ending with a ``Dense(outputs)`` output layer."""
    entries = parse_stack(text)
    layers: list[Layer] = []
    shape = image_shape_of(input_shape) if isinstance(input_shape, int) else tuple(input_shape)

    def add(layer: Layer) -> None:
        nonlocal shape
        if not layer.in_features:  # sized by what comes before, as Network does
            layer.set_input_shape(shape)
        layers.append(layer)
        shape = layer.output_shape

    for index, entry in enumerate(entries):
        kind = entry["layer"]
        batch_norm_next = index + 1 < len(entries) and entries[index + 1]["layer"] == "bn"
        if kind == "dense" and len(shape) == 3:
            add(Flatten())
        if kind == "conv":
            add(Conv2D(entry["filters"], entry["kernel"], stride=entry["stride"],
                       padding=entry["padding"], use_bias=not batch_norm_next,
                       activation="linear" if batch_norm_next else activation))
        elif kind in ("maxpool", "avgpool"):
            pool = MaxPool2D if kind == "maxpool" else AvgPool2D
            add(pool(entry["size"], stride=entry["stride"]))
        elif kind == "gap":
            add(GlobalAveragePooling2D())
        elif kind == "flatten":
            add(Flatten())
        elif kind == "bn":
            add(BatchNorm(activation=activation))
        elif kind == "dropout":
            add(Dropout(entry["rate"]))
        else:
            add(Dense(math.prod(shape), entry["units"],
                      activation="linear" if batch_norm_next else activation))
    if len(shape) == 3:
        add(Flatten())
    add(Dense(math.prod(shape), outputs, activation=output_activation))
    return layers
