"""Export a trained network to ONNX for inference in other runtimes.

The graph maps the network's inference pass operator by operator (opset 17, IR version 8
so older runtimes load it too):

* ``Dense``: ``Gemm(x, W, b)`` computes ``z = x W + b``, followed by its activation;
* ``Dropout``: nothing (it is the identity at inference);
* ``BatchNorm``: the affine map of its running statistics,
  ``z = x * s + t`` with ``s = gamma / sqrt(running_var + epsilon)`` and
  ``t = beta - running_mean * s`` (``Mul`` and ``Add``), followed by its activation;
* image layers, on NCHW tensors as neuroflow's (no transpose anywhere): a ``Reshape`` of
  the input rows to ``(batch, channels, height, width)`` before the first one;
  ``Conv2D``: ``Conv(x, W, b)`` (kernel ``(filters, channels, kh, kw)`` as stored,
  explicit ``pads``) then its activation; ``MaxPool2D``: ``MaxPool``; ``AvgPool2D``:
  ``AveragePool`` with ``count_include_pad=0`` (padding left out of the mean, as in
  neuroflow); ``GlobalAveragePooling2D``: ``GlobalAveragePool`` then ``Flatten``;
  ``Flatten``: ``Flatten(axis=1)`` (channel, row, column order, as neuroflow's);
  ``BatchNorm`` after a convolution scales and shifts per channel (``(C, 1, 1)``);
* a :class:`~neuroflow.preprocessing.StandardScaler` in ``network.preprocessing``:
  ``Sub`` of the mean and ``Div`` by the scale before the first layer.

Activations become ``Relu``, ``Sigmoid``, ``Tanh``, ``LeakyRelu``, ``Elu``, ``Softplus``
and ``Softmax`` (last axis); the tanh approximation of GELU is written out with ``Mul``,
``Add`` and ``Tanh`` (ONNX's own ``Gelu`` needs opset 20); ``linear`` adds nothing.
Anything else (a custom activation or layer type) raises :class:`ValueError` naming it.

The graph computes in float32 whatever the network's dtype; its input is
``input (batch, in_features)`` and its output ``output (batch, out_features)``. When the
network has ``class_names`` they are stored as JSON in the model's metadata under
``neuroflow.class_names``.

Requires the ``onnx`` extra (``pip install neuroflow[onnx]``; onnxruntime to run it).
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow import activations as _activations
from neuroflow._version import __version__
from neuroflow.files import write_atomic
from neuroflow.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPool2D,
)
from neuroflow.preprocessing import StandardScaler
from neuroflow.services import provide

if TYPE_CHECKING:
    from neuroflow.network import Network

__all__ = ["export", "OPSET", "IR_VERSION", "SUPPORTED_ACTIVATIONS"]

OPSET = 17
IR_VERSION = 8
#: Activation names that export (all of neuroflow's registry).
SUPPORTED_ACTIVATIONS = ("elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "softmax",
                         "softplus", "tanh")


def _import_onnx() -> Any:
    try:
        # optional extra (neuroflow[onnx]): imported when a model is exported
        import onnx
    except ImportError as error:
        raise ImportError("ONNX export needs the onnx package: pip install 'neuroflow[onnx]'"
                          ) from error
    return onnx


class _GraphBuilder:
    """Collects nodes and float32 initialisers with unique names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, value: Any) -> str:
        array = np.asarray(value, dtype=np.float32)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name=name))
        return name

    def integers(self, name: str, value: Any) -> str:
        array = np.asarray(value, dtype=np.int64)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name=name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output,
                                                     **attributes))
        return output


def _activation(builder: _GraphBuilder, activation: Any, value: str, prefix: str,
                where: str) -> str:
    name = getattr(activation, "name", None)
    known = type(activation) is _activations.ACTIVATIONS.get(name)  # type: ignore[arg-type]
    if not known or name not in SUPPORTED_ACTIVATIONS:
        raise ValueError(
            f"{where}: activation {name or type(activation).__name__!r} cannot be exported "
            f"to ONNX; supported activations: {', '.join(SUPPORTED_ACTIVATIONS)}"
        )
    out = f"{prefix}.{name}"
    if name == "linear":
        return value
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus"}
    if name in simple:
        return builder.node(simple[name], [value], out)
    if name == "leaky_relu":
        return builder.node("LeakyRelu", [value], out, alpha=float(activation.alpha))
    if name == "elu":
        return builder.node("Elu", [value], out, alpha=float(activation.alpha))
    if name == "softmax":
        return builder.node("Softmax", [value], out, axis=-1)
    # gelu, tanh approximation: 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))
    cube = builder.node("Mul", [builder.node("Mul", [value, value], f"{out}.z2"), value],
                        f"{out}.z3")
    inner = builder.node("Add", [value, builder.node(
        "Mul", [cube, builder.constant(f"{out}.c", 0.044715)], f"{out}.cz3")], f"{out}.sum")
    scaled = builder.node("Mul", [inner, builder.constant(f"{out}.k", math.sqrt(2 / math.pi))],
                          f"{out}.u")
    one_plus = builder.node("Add", [builder.node("Tanh", [scaled], f"{out}.tanh"),
                                    builder.constant(f"{out}.one", 1.0)], f"{out}.one_plus")
    half_z = builder.node("Mul", [value, builder.constant(f"{out}.half", 0.5)], f"{out}.half_z")
    return builder.node("Mul", [half_z, one_plus], out)


def _preprocessing(builder: _GraphBuilder, preprocessing: Any, value: str) -> str:
    if type(preprocessing) is not StandardScaler or preprocessing.mean is None:
        raise ValueError(f"network.preprocessing: {type(preprocessing).__name__} cannot be "
                         "exported to ONNX; supported: a fitted StandardScaler")
    centred = builder.node("Sub", [value, builder.constant("preprocessing.mean",
                                                           preprocessing.mean)],
                           "preprocessing.centred")
    return builder.node("Div", [centred, builder.constant("preprocessing.scale",
                                                          preprocessing.scale)],
                        "preprocessing.scaled")


_IMAGE_LAYERS = (Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, Flatten)


def _window(layer: Any, size: tuple[int, int]) -> dict[str, Any]:
    """ONNX's window attributes: ``kernel_shape``, ``strides`` and ``pads`` (begins, ends)."""
    (top, bottom), (left, right) = layer.pads
    return {"kernel_shape": list(size), "strides": list(layer.stride),
            "pads": [top, left, bottom, right]}


def _image_layer(builder: _GraphBuilder, layer: Any, value: str, prefix: str,
                 where: str) -> str:
    """The nodes of an image layer (or a per-channel BatchNorm) on NCHW ``value``."""
    kind = type(layer)
    if kind is Conv2D:
        if layer.activation.name == "softmax":
            raise ValueError(f"{where}: a softmax over a convolution's filters cannot be "
                             "exported to ONNX; use it on a Dense output layer")
        inputs = [value, builder.constant(f"{prefix}.W", layer.params["W"])]
        if layer.use_bias:
            inputs.append(builder.constant(f"{prefix}.b", layer.params["b"]))
        value = builder.node("Conv", inputs, f"{prefix}.z", dilations=[1, 1], group=1,
                             **_window(layer, layer.kernel_size))
        return _activation(builder, layer.activation, value, prefix, where)
    if kind is MaxPool2D:
        return builder.node("MaxPool", [value], f"{prefix}.max",
                            **_window(layer, layer.pool_size))
    if kind is AvgPool2D:
        return builder.node("AveragePool", [value], f"{prefix}.mean", count_include_pad=0,
                            **_window(layer, layer.pool_size))
    if kind is GlobalAveragePooling2D:
        value = builder.node("GlobalAveragePool", [value], f"{prefix}.mean")
        return builder.node("Flatten", [value], f"{prefix}.rows", axis=1)
    if kind is Flatten:
        return builder.node("Flatten", [value], f"{prefix}.rows", axis=1)
    return _batch_norm(builder, layer, value, prefix, where)


def _batch_norm(builder: _GraphBuilder, layer: Any, value: str, prefix: str,
                where: str) -> str:
    """``z = x * s + t`` from the running statistics (per channel, ``(C, 1, 1)``, after a
    convolution), then the activation."""
    scale = (layer.params["gamma"].astype(np.float64)
             / np.sqrt(layer.running_var.astype(np.float64) + layer.epsilon))
    shift = layer.params["beta"] - layer.running_mean.astype(np.float64) * scale
    shape = (-1, 1, 1) if layer.image is not None else (-1,)
    value = builder.node("Mul", [value, builder.constant(f"{prefix}.scale",
                                                         scale.reshape(shape))],
                         f"{prefix}.scaled")
    value = builder.node("Add", [value, builder.constant(f"{prefix}.shift",
                                                         shift.reshape(shape))],
                         f"{prefix}.z")
    return _activation(builder, layer.activation, value, prefix, where)


def build_model(network: Network, *, include_preprocessing: bool = True) -> Any:
    """Return the ONNX ``ModelProto`` of ``network``'s inference pass (see the module doc).

    Raises
    ------
    ValueError
        For a layer type, activation or preprocessing ONNX cannot express.
    """
    onnx = _import_onnx()
    builder = _GraphBuilder(onnx)
    value = "input"
    if include_preprocessing and network.preprocessing is not None:
        value = _preprocessing(builder, network.preprocessing, value)
    images = False  # whether value holds images (batch, c, h, w) rather than rows
    for index, layer in enumerate(network.layers):
        prefix = f"layers.{index}"
        where = f"layers[{index}] ({type(layer).__name__})"
        if type(layer) in _IMAGE_LAYERS or type(layer) is BatchNorm and layer.image:
            if not images:  # rows (batch, c*h*w) -> images (batch, c, h, w)
                shape = builder.integers(f"{prefix}.shape", [-1, *layer.input_shape])
                value = builder.node("Reshape", [value, shape], f"{prefix}.images")
            value = _image_layer(builder, layer, value, prefix, where)
            images = type(layer) not in (Flatten, GlobalAveragePooling2D)
            continue
        if images and type(layer) is Dense:
            value, images = builder.node("Flatten", [value], f"{prefix}.rows", axis=1), False
        if type(layer) is Dense:
            inputs = [value, builder.constant(f"{prefix}.W", layer.params["W"])]
            if layer.use_bias:
                inputs.append(builder.constant(f"{prefix}.b", layer.params["b"]))
            value = builder.node("Gemm", inputs, f"{prefix}.z")
            value = _activation(builder, layer.activation, value, prefix, where)
        elif type(layer) is Dropout:
            continue
        elif type(layer) is BatchNorm:
            value = _batch_norm(builder, layer, value, prefix, where)
        else:
            raise ValueError(f"{where}: layer type {type(layer).__name__!r} cannot be exported "
                             "to ONNX; supported layers: Dense, Dropout, BatchNorm, "
                             + ", ".join(cls.__name__ for cls in _IMAGE_LAYERS))
    if images:
        value = builder.node("Flatten", [value], "rows", axis=1)
    if value == "input":  # a graph output cannot be its input: add an explicit copy
        value = builder.node("Identity", [value], "identity")
    builder.nodes[-1].output[0] = "output"
    helper, float32 = onnx.helper, onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        builder.nodes, "neuroflow",
        [helper.make_tensor_value_info("input", float32, ["batch", network.in_features])],
        [helper.make_tensor_value_info("output", float32, ["batch", network.out_features])],
        initializer=builder.initializers,
    )
    model = helper.make_model(graph, producer_name="neuroflow", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    if network.class_names is not None:
        helper.set_model_props(model, {"neuroflow.class_names":
                                       json.dumps(list(network.class_names))})
    onnx.checker.check_model(model, full_check=True)
    return model


def export(network: Network, path: str | os.PathLike[str], *,
           include_preprocessing: bool = True) -> Any:
    """Write ``network`` as an ONNX model to ``path`` (atomically) and return the model.

    Parameters
    ----------
    network : Network
        The trained network; its inference pass is exported (see the module doc).
    path : str or PathLike
        Destination, conventionally ``*.onnx``; written by
        :func:`neuroflow.files.write_atomic` (atomic; a directory, device or FIFO is
        refused, a symbolic link is written through, permission bits are kept).
    include_preprocessing : bool
        Put ``network.preprocessing`` (a StandardScaler) into the graph, so the model
        takes raw inputs exactly like :meth:`Network.predict`.

    Returns
    -------
    onnx.ModelProto
        The model written, already validated by ``onnx.checker.check_model(full_check=True)``.

    Raises
    ------
    ValueError
        For anything ONNX cannot express, naming the layer and what is supported;
        :class:`neuroflow.errors.OutputError` for a refused ``path``.
    OSError
        When writing fails; an existing file at ``path`` is then unchanged.
    """
    model = build_model(network, include_preprocessing=include_preprocessing)
    write_atomic(path, model.SerializeToString(), argument="path")
    return model


# Network.to_onnx calls export (the model does not import its exporter)
provide("to_onnx", export)
