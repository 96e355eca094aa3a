"""``neuroflow summary``: a saved model's layers, shapes and parameter counts, then its
training state."""

from __future__ import annotations

import argparse
from typing import Any

from neuroflow.callbacks.progress import format_logs
from neuroflow.cli._keys import add_verify_options, load_model

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``summary`` command to the subparsers ``commands``."""
    parser = commands.add_parser("summary", help="show a saved model's layers",
                                 description="Print the layers, shapes and parameter counts "
                                             "of a saved model, then its training state: "
                                             "epochs trained, optimiser, last epoch's "
                                             "metrics, class names and preprocessing.")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the model's summary, epochs, optimiser, last epoch's metrics, classes and
    preprocessing."""
    net = load_model(args.model, args)
    print(net.summary())
    print(f"epochs trained: {net.epochs_trained}")
    if net.optimizer is not None:
        print(f"optimizer: {net.optimizer!r} after {net.optimizer.iterations} steps "
              "(state saved: training can resume)")
    else:
        print("optimizer: not saved")
    if net.history is not None and net.history.history:
        last = {key: values[-1] for key, values in net.history.history.items() if values}
        print(f"last epoch: {format_logs(last)}")
    if net.class_names:
        print(f"classes: {', '.join(str(name) for name in net.class_names)}")
    if net.preprocessing is not None:
        print(f"preprocessing: {type(net.preprocessing).__name__}")
    return 0
