"""``--layers`` of ``neuroflow train``: plain sizes (``784,256,10``) or a convolutional
stack (``conv32k3,pool2,conv64k3,pool2,dense128``; :mod:`neuroflow.layers.stack`), and
the network of a stack for the data's images."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import numpy as np

from neuroflow.cli._args import UsageError, int_list
from neuroflow.cli._data import TrainingData
from neuroflow.layers import stack
from neuroflow.network import Network

if TYPE_CHECKING:
    from neuroflow.cli._settings import TrainSettings

__all__ = ["LAYERS_OPTION", "layers_option", "stack_data"]

LAYERS_HELP = ("layer sizes, input first (default 784,256,128,10; for CSV data "
               "inputs,64,outputs); a value given is used as given. Images (MNIST, IDX or "
               "image folders) also take a convolutional stack, input and output layers "
               "implied: " + stack.SYNTAX.replace("%", "%%"))


def layers_option(text: str) -> list[int] | str:
    """``--layers``: sizes (``784,256,10``) or a stack (``conv32k3,pool2,dense128``), read
    here and built once the data's shape is known."""
    if not stack.is_stack(text):
        return int_list(text)
    try:
        return stack.checked(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


#: The keyword arguments of ``train``'s ``--layers``.
LAYERS_OPTION = {"type": layers_option, "default": [784, 256, 128, 10], "metavar": "SIZES",
                 "help": LAYERS_HELP}


def stack_data(settings: TrainSettings, names: list[str] | None, x_train: np.ndarray,
               y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> TrainingData:
    """The network of the ``--layers`` stack: square images in (rows of ``side * side``
    or ``3 * side * side`` pixels), one output per class."""
    assert isinstance(settings.layers, str)  # called for a stack only
    classes = len(names) if names else int(max(y_train.max(), y_test.max(initial=0))) + 1
    try:
        layers = stack.build_stack(settings.layers, x_train.shape[1], classes,
                                   settings.activation, settings.output_activation)
    except ValueError as error:
        raise UsageError(str(error)) from None
    net = Network(layers, loss=settings.loss, seed=settings.seed, dtype=settings.dtype)
    net.class_names = names
    return TrainingData(net, x_train, y_train, x_test, y_test,
                        held_out=f"{len(y_test)} held-out images" if names else "")
