"""Layers of images: the shared :class:`ImageLayer` base, :class:`Flatten`, and
:func:`images_to_rows`, the conversion of image batches at a network's input.

Images travel between layers as ``(n, channels, height, width)`` (NCHW; see
:mod:`neuroflow.layers.conv`). Every image layer also accepts its input as rows
``(n, channels * height * width)`` (C order: channel, then row, then column), which is how
the rest of neuroflow stores samples (data sets, batches, CSV files), and hands back the
gradient in the shape it was given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroflow._validation import positive_int
from neuroflow.layers.base import Layer

__all__ = ["ImageLayer", "Flatten", "image_shape", "images_to_rows"]


def image_shape(value: object, argument: str = "input_shape") -> tuple[int, int, int]:
    """``value`` as ``(channels, height, width)`` of positive integers."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise ValueError(f"{argument}: expected (channels, height, width), received: {value!r}")
    return (positive_int(value[0], f"{argument}[0]"), positive_int(value[1], f"{argument}[1]"),
            positive_int(value[2], f"{argument}[2]"))


def images_to_rows(x: Any, shape: tuple[int, ...]) -> Any:
    """A batch of images as rows ``(n, c * h * w)`` in channel-first order, for a network
    whose first layer takes images of ``shape = (c, h, w)``.

    Accepted: ``(n, c, h, w)`` (channels first, as stored), ``(n, h, w, c)`` (channels
    last, as Keras, PIL and most image files hold them: transposed), ``(n, h, w)`` when
    ``c = 1``, and rows ``(n, c * h * w)``, returned as they are (like anything of fewer
    than 3 dimensions, or any ``x`` when ``shape`` is not an image shape, which the
    caller's validation judges). When ``h = w = c`` the channels-first reading wins.
    """
    if len(shape) != 3 or not isinstance(x, np.ndarray) or x.ndim < 3:
        if not (len(shape) == 3 and isinstance(x, (list, tuple))):
            return x
        try:
            x = np.asarray(x)
        except ValueError:  # ragged: the caller's validation says so
            return x
        if x.ndim < 3:
            return x
    channels, height, width = shape
    sample = tuple(x.shape[1:])
    if sample == (channels, height, width) or (channels == 1 and sample == (height, width)):
        pass
    elif sample == (height, width, channels):
        x = x.transpose(0, 3, 1, 2)
    else:
        raise ValueError(
            f"x: expected images of shape (n, {channels}, {height}, {width}) (channels first), "
            f"(n, {height}, {width}, {channels}) (channels last)"
            + (f", (n, {height}, {width})" if channels == 1 else "")
            + f" or rows (n, {channels * height * width}), received shape {x.shape}")
    return x.reshape(x.shape[0], -1)


class ImageLayer(Layer):
    """Base of the layers whose input is a batch of images ``(n, c, h, w)``.

    The input shape ``(c, h, w)`` is given (``input_shape=``, for a first layer) or taken
    from the previous layer's :attr:`output_shape` by the network. Subclasses compute
    their :attr:`output_shape` from :attr:`image` (the input shape) in
    :meth:`shape_after`.
    """

    #: The argument a first layer must be given.
    size_argument = "input_shape"

    def __init__(self, input_shape: Any = None) -> None:
        super().__init__()
        self.image: tuple[int, int, int] | None = None
        self._output_shape: tuple[int, ...] = (0,)
        self._rows = False  # whether the last input came as rows (n, c*h*w)
        if input_shape is not None:
            self.set_input_shape(input_shape)

    def shape_after(self, image: tuple[int, int, int]) -> tuple[int, ...]:
        """The output shape (without the batch axis) for input images of ``image``."""
        raise NotImplementedError

    def set_input_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 3:
            raise ValueError(
                f"{type(self).__name__}: expected input images (channels, height, width), "
                f"received input of shape {tuple(shape)} from the previous layer; give "
                "input_shape=(channels, height, width)")
        self.image = image_shape(shape)
        output = self.shape_after(self.image)
        if min(output) <= 0:
            raise ValueError(f"{type(self).__name__}: input {self.image} is too small for "
                             f"{self._describe()}: it leaves an output of shape {output}")
        self._output_shape = output
        self.in_features = math.prod(self.image)
        self.out_features = math.prod(output)

    def set_features(self, features: int) -> None:
        raise ValueError(f"{type(self).__name__}: expected input images "
                         f"(channels, height, width), received {features} features; give "
                         "input_shape=(channels, height, width)")

    def _describe(self) -> str:
        return "its window"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.image if self.image is not None else (self.in_features,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self._output_shape

    def as_images(self, x: np.ndarray) -> np.ndarray:
        """``x`` as ``(n, c, h, w)`` (rows are reshaped, a view); remembers the form."""
        assert self.image is not None  # set once the layer is connected
        self._rows = x.ndim == 2
        return x.reshape(x.shape[0], *self.image) if self._rows else x

    def as_given(self, grad_input: np.ndarray) -> np.ndarray:
        """The input gradient in the form the last input came in."""
        return grad_input.reshape(grad_input.shape[0], -1) if self._rows else grad_input

    def as_outputs(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output`` as ``(n, *output_shape)``."""
        return grad_output.reshape(grad_output.shape[0], *self._output_shape)

    def get_config(self) -> dict[str, Any]:
        return {"type": self.type_name,
                "input_shape": None if self.image is None else list(self.image)}


class Flatten(ImageLayer):
    """Images ``(n, c, h, w)`` to rows ``(n, c * h * w)`` (channel, then row, then column:
    ONNX's ``Flatten`` and ``torch.nn.Flatten``), so that ``Dense`` layers can follow;
    backpropagation reshapes the gradient back.

    Parameters
    ----------
    input_shape : (channels, height, width), optional
        Taken from the previous layer when omitted.
    """

    type_name = "Flatten"

    def shape_after(self, image: tuple[int, int, int]) -> tuple[int, ...]:
        return (math.prod(image),)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._rows = x.ndim == 2
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        if self._rows:
            return grad_output
        assert self.image is not None
        return grad_output.reshape(grad_output.shape[0], *self.image)
