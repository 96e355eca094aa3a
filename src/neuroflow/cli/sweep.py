"""``neuroflow sweep``: one network trained with several learning rates (and optimisers)
from the same initial weights, as a results table (:func:`neuroflow.experiments.sweep`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow import activations, datasets, files, losses, optimizers
from neuroflow.cli._args import (
    MAX_EPOCHS,
    UsageError,
    choices,
    int_in,
    int_list,
    path_text,
    positive,
    positive_list,
    seed,
)
from neuroflow.cli._data import (
    MNIST_FEATURES,
    data_inputs,
    data_kind,
    fresh_network,
    load_data,
    load_image_folder,
)
from neuroflow.cli._sources import image_features
from neuroflow.experiments.sweep import (
    MAX_OPTIMIZERS,
    MAX_RATES,
    sweep,
    to_csv,
    to_markdown,
    to_table,
)
from neuroflow.preprocessing import StandardScaler

__all__ = ["add", "run", "MAX_TRAIN_SIZE"]

#: The most training samples ``--train-size`` takes.
MAX_TRAIN_SIZE = 60_000

#: What each ``--out`` suffix writes.
_WRITERS = {".csv": to_csv, ".md": to_markdown}


def _optimizer_list(text: str) -> list[str]:
    """``--optimizers sgd,adam``: 1 to MAX_OPTIMIZERS registered names."""
    names = [choices(optimizers.names())(part.strip()) for part in text.split(",")]
    if len(names) > MAX_OPTIMIZERS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_OPTIMIZERS} optimisers, "
                                         f"received {len(names)}")
    return names


def add(commands: Any) -> None:
    """Add the ``sweep`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "sweep", help="train one network with several learning rates and compare",
        description="Train copies of one network (the same initial weights, the same "
                    "mini-batches) with each learning rate and optimiser, and print a "
                    "table: eta, optimiser, final training loss, accuracy on held-out data "
                    "and what the loss did (stalls, crawls, converges, oscillates, "
                    "diverges; defined in neuroflow.experiments.behaviour).")
    parser.add_argument("--learning-rates", type=positive_list(MAX_RATES),
                        required=True, metavar="RATES",
                        help=f"comma-separated learning rates, at most {MAX_RATES}, "
                             "e.g. 0.01,0.1,1,10")
    parser.add_argument("--optimizers", type=_optimizer_list, default=["sgd"], metavar="NAMES",
                        help=f"comma-separated optimisers, at most {MAX_OPTIMIZERS}, "
                             f"from {', '.join(optimizers.names())} (default sgd)")
    parser.add_argument("--data", default="moons", type=path_text, metavar="SOURCE",
                        help="'moons' (default), 'circles', 'mnist' (bundled), a directory "
                             "of MNIST IDX files, a folder of images with one sub-folder per "
                             "class, or a CSV file (the last column the target; a fifth of "
                             "the rows or images held out, as train does)")
    parser.add_argument("--layers", type=int_list, default=None, metavar="SIZES",
                        help="layer sizes, input first (default 2,16,2 for moons and "
                             "circles, 784,30,10 for MNIST)")
    parser.add_argument("--activation", type=choices(activations.names()), default="tanh",
                        help="hidden activation (default tanh)")
    parser.add_argument("--output-activation", type=choices(activations.names()),
                        default=None, help="output activation (default sigmoid for 1 "
                                           "output, else softmax)")
    parser.add_argument("--loss", type=choices(losses.names()), default=None,
                        help="cost function (default the output's own: cross_entropy for "
                             "softmax, binary_cross_entropy for sigmoid)")
    parser.add_argument("--epochs", type=int_in(1, MAX_EPOCHS), default=20,
                        help="epochs per run (default 20)")
    parser.add_argument("--batch-size", type=positive(int), default=32, help="default 32")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of the weights, the data and the shuffling (default 0)")
    parser.add_argument("--train-size", type=int_in(1, MAX_TRAIN_SIZE), default=None,
                        metavar="N", help="training samples (default 400 for moons and "
                                          "circles, the first 5000 MNIST images, every "
                                          "training row or image of a CSV file or image "
                                          "folder)")
    parser.add_argument("--out", default=None, type=path_text, metavar="PATH",
                        help="also write the rows to PATH: CSV (.csv, with every epoch's "
                             "loss) or a Markdown table (.md)")
    parser.set_defaults(handler=run)


def _sweep_data(args: argparse.Namespace
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and held-out ``(x, y, x_val, y_val)``: two draws of a toy set (seeds
    ``--seed`` and ``--seed + 1``), the first ``--train-size`` MNIST (or IDX folder)
    training images and the test set, or, as ``train`` splits them, an image folder or a
    CSV file with a fifth held out (drawn with ``--seed``). The network's input count
    (``--layers``) is checked from the first item, before the rest is decoded."""
    kind = data_kind(args.data, named=("moons", "circles"))
    if kind in ("moons", "circles"):
        make = datasets.make_moons if kind == "moons" else datasets.make_circles
        n = args.train_size or 400
        x, y = make(n_samples=n, seed=args.seed)
        x_val, y_val = make(n_samples=max(n // 2, 10), seed=args.seed + 1)
        return x, y, x_val, y_val
    if kind == "csv":
        x, y, x_val, y_val = _csv_split(args)
    else:
        n_inputs, where = image_features(args.data) if kind == "images" else \
            (MNIST_FEATURES, "28x28 pixels")
        if args.layers and args.layers[0] != n_inputs:
            raise UsageError(f"--layers: the first size must be the number of inputs, "
                             f"{n_inputs} ({where}), received {args.layers[0]}")
        if kind == "images":
            x, y, x_val, y_val, _ = load_image_folder(args.data, args.seed, "float64")
        else:
            x, y, x_val, y_val = load_data(args.data)
    n = min(args.train_size or (5000 if kind in ("mnist", "idx") else x.shape[0]), x.shape[0])
    return x[:n], y[:n], x_val, y_val


def _csv_split(args: argparse.Namespace
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A CSV file's rows (the last column the target), standardised on the training
    rows, with a fifth held out as ``train`` does; a numeric target sweeps a regressor
    (linear output and mse unless given)."""
    data = datasets.load_csv(args.data, dtype="float64")
    assert data.y is not None  # the last column is the target
    order = np.random.default_rng(args.seed).permutation(data.x.shape[0])
    n_test = max(1, data.x.shape[0] // 5)
    if data.x.shape[0] - n_test < 1:
        raise UsageError(f"--data: {args.data!r} has {data.x.shape[0]} rows; a sweep needs "
                         "at least two (one held out)")
    test, train = order[:n_test], order[n_test:]
    scaler = StandardScaler().fit(data.x[train])
    if data.task == "regression":
        args.output_activation = args.output_activation or "linear"
        args.loss = args.loss or "mse"
        args.layers = args.layers or [data.x.shape[1], 16, 1]
        args.regression = True
    if args.layers and args.layers[0] != data.x.shape[1]:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{data.x.shape[1]} (the feature columns of {args.data}), received "
                         f"{args.layers[0]}")
    return (scaler.transform(data.x[train]), data.y[train], scaler.transform(data.x[test]),
            data.y[test])


def run(args: argparse.Namespace) -> int:
    """Check ``--out``, train the rows, print the table and write ``--out``."""
    if args.out is not None:
        suffix = Path(args.out).suffix.lower()
        if suffix not in _WRITERS:
            raise UsageError(f"--out: expected a file ending in .csv or .md, received "
                             f"{args.out!r}")
        files.check_writable(args.out, inputs=data_inputs(args.data), argument="--out")
    x, y, x_val, y_val = _sweep_data(args)
    if getattr(args, "regression", False):  # a CSV file's numeric target
        n_classes = 1
    else:
        n_classes = int(max(y.max(initial=0), y_val.max(initial=0))) + 1
    args.layers = args.layers or [x.shape[1], 16 if x.shape[1] == 2 else 30,
                                  n_classes if n_classes > 2 or x.shape[1] != 2 else 2]
    if args.layers[0] != x.shape[1]:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{x.shape[1]}, received {args.layers[0]}")
    if 1 < args.layers[-1] < n_classes:
        raise UsageError(f"--layers: the last size must be 1 or at least {n_classes}, one "
                         f"output per class of --data {args.data}, received "
                         f"{args.layers[-1]}")
    net = fresh_network(args)
    rows = sweep(net, x, y, args.learning_rates, args.optimizers, epochs=args.epochs,
                        batch_size=args.batch_size,
                        validation_data=(x_val, y_val) if len(y_val) else None,
                        seed=args.seed)
    print(f"{' -> '.join(map(str, net.sizes))} {args.activation}, {net.loss.name}, "
          f"{x.shape[0]} training samples, {args.epochs} epoch{'s' if args.epochs != 1 else ''}"
          f" of batch {args.batch_size}; "
          + (f"accuracy on {x_val.shape[0]} held-out samples" if len(y_val) else
             "accuracy on the training samples (too few to hold any out)"))
    print(to_table(rows), end="")
    if args.out is not None:
        text = _WRITERS[Path(args.out).suffix.lower()](rows)
        files.write_atomic(args.out, text.encode("utf-8"), inputs=data_inputs(args.data),
                           argument="--out")
        print(f"wrote {len(rows)} rows to {args.out}")
    return 0
