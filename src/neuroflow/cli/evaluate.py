"""``neuroflow evaluate``: the loss (and accuracy) of a saved model on MNIST-style test
data or on every row of a CSV file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from neuroflow.cli._args import UsageError, add_csv_options
from neuroflow.cli._data import csv_for_model, load_data
from neuroflow.cli._keys import add_verify_options, load_model

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``evaluate`` command to the subparsers ``commands``."""
    parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model",
                                 description="Evaluate a saved model on the test set of "
                                             "--data, or on every row of a CSV file: prints "
                                             "the loss, and the accuracy for classification "
                                             "models.")
    parser.add_argument("model", help="a .safetensors model file")
    add_verify_options(parser)
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default), a directory of MNIST IDX files or "
                             "a CSV file of raw feature columns and a target column")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV data: the target column, by header name or 0-based index "
                             "(default the last column); labels as in training")
    add_csv_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the sample count and every score of ``net.evaluate``."""
    net = load_model(args.model, args)
    if Path(args.data).suffix.lower() == ".csv":
        x_test, y_test = csv_for_model(net, args.data, args.target,  # checks the width
                                       header=args.header, delimiter=args.delimiter)
    elif args.target is not None:
        raise UsageError(f"--target: needs --data PATH.csv, received --data {args.data!r}")
    else:
        _, _, x_test, y_test = load_data(args.data)
        if net.in_features != x_test.shape[1]:
            raise UsageError(f"--data: the model takes {net.in_features} inputs, the data has "
                             f"{x_test.shape[1]} columns")
    print(f"samples: {x_test.shape[0]}")
    for key, value in net.evaluate(x_test, y_test).items():
        print(f"{key}: {value:.4f}")
    return 0
