"""``neuroflow evaluate``: the loss (and accuracy) of a saved model on MNIST-style test
data, every image of an image folder or every row of a CSV file: the sources ``train``
takes, read by :func:`neuroflow.cli._sources.labelled_data`."""

from __future__ import annotations

import argparse
from typing import Any

from neuroflow.cli._args import add_csv_options
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.cli._sources import labelled_data

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``evaluate`` command to the subparsers ``commands``."""
    parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model",
                                 description="Evaluate a saved model on the test set of "
                                             "MNIST or an IDX folder, on every image of an "
                                             "image folder or on every row of a CSV file: "
                                             "prints the loss, and the accuracy for "
                                             "classification models.")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default), a directory of MNIST IDX files, a "
                             "folder of images with one sub-folder per class (named as the "
                             "model's classes) or a CSV file of raw feature columns and a "
                             "target column")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV data: the target column, by header name or 0-based index "
                             "(default the last column); labels as in training")
    add_csv_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the sample count and every score of ``net.evaluate``."""
    net = load_model(args.model, args)
    x_test, y_test = labelled_data(args.data, net, target=args.target, header=args.header,
                                   delimiter=args.delimiter)  # checks the width first
    print(f"samples: {x_test.shape[0]}")
    for key, value in net.evaluate(x_test, y_test).items():
        print(f"{key}: {value:.4f}")
    return 0
