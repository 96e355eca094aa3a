"""``neuroflow plot``: one figure of a network or of its learning, to a PNG or SVG file
(needs the ``[plot]`` extra)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow import activations, files
from neuroflow.cli._args import (
    MAX_DPI,
    MAX_PLOT_EPOCHS,
    MAX_PLOT_LAYERS,
    MAX_PLOT_PANELS,
    MAX_PLOT_SIZE,
    MIN_DPI,
    UsageError,
    choices,
    int_in,
    int_list,
    path_text,
    positive,
    seed,
)
from neuroflow.cli._data import csv_for_model, data_inputs, fresh_network, small_data
from neuroflow.io import load

__all__ = ["PLOT_KINDS", "add", "run"]

PLOT_KINDS = ("architecture", "cost-weight", "curves", "confusion", "weights",
              "misclassified", "boundary")


def _plot_sizes(text: str) -> list[int]:
    """``--layers`` of ``plot``: sizes as for ``train``, bounded so that a plot stays small."""
    sizes = int_list(text)
    if len(sizes) > MAX_PLOT_LAYERS or max(sizes) > MAX_PLOT_SIZE:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_PLOT_LAYERS} sizes of at most {MAX_PLOT_SIZE} each for a "
            f"plot, received {text!r}")
    return sizes


def _plot_epochs(text: str) -> list[int]:
    """``plot --epochs``: increasing epoch counts, a few panels of bounded training."""
    try:
        epochs = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 0,5,20, "
                                         f"received {text!r}") from None
    if len(epochs) > MAX_PLOT_PANELS or any(not 0 <= e <= MAX_PLOT_EPOCHS for e in epochs):
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_PLOT_PANELS} epochs, each from 0 to {MAX_PLOT_EPOCHS}, "
            f"received {text!r}")
    return epochs


def add(commands: Any) -> None:
    """Add the ``plot`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "plot", help="draw a network or its learning to a PNG or SVG file",
        description="Draw one figure: architecture (neurons and weights), cost-weight (the "
                    "cost against one weight with gradient-descent paths for three learning "
                    "rates), curves (a saved model's learning curves), confusion, weights "
                    "(first-layer weights as images), misclassified (test images the model "
                    "gets wrong), boundary (a 2-D decision boundary while a fresh network "
                    "trains on two moons or circles). Needs the [plot] extra.")
    parser.add_argument("kind", type=choices(list(PLOT_KINDS)), metavar="KIND",
                        help=", ".join(PLOT_KINDS))
    parser.add_argument("model", nargs="?", type=path_text, help="a .safetensors model file")
    parser.add_argument("--out", default=None, type=path_text, metavar="PATH",
                        help="output file, .png or .svg (default KIND.png)")
    parser.add_argument("--data", default=None, type=path_text, metavar="SOURCE",
                        help="'mnist', 'moons', 'circles', a directory of IDX files, or a "
                             "CSV file (target in the last column) for a model trained on "
                             "one")
    parser.add_argument("--layers", type=_plot_sizes, default=None, metavar="SIZES",
                        help="sizes of a fresh network when no MODEL is given (at most "
                             f"{MAX_PLOT_LAYERS} sizes, each at most {MAX_PLOT_SIZE})")
    parser.add_argument("--activation", type=choices(activations.names()), default="tanh",
                        help="hidden activation of a fresh network (default tanh)")
    parser.add_argument("--output-activation", type=choices(activations.names()),
                        default=None, help="output activation of a fresh network")
    parser.add_argument("--epochs", type=_plot_epochs, default="0,5,20,100", metavar="LIST",
                        help="boundary: epochs at which to draw (default 0,5,20,100; at most "
                             f"{MAX_PLOT_PANELS}, each at most {MAX_PLOT_EPOCHS})")
    parser.add_argument("--learning-rate", type=positive(float), default=0.01, metavar="RATE",
                        help="boundary: Adam learning rate (default 0.01)")
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    parser.add_argument("--dpi", type=int_in(MIN_DPI, MAX_DPI), default=100,
                        help=f"image resolution, {MIN_DPI} to {MAX_DPI} (default 100)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Draw the figure ``args.kind`` of a saved model or a fresh network and save it."""
    try:
        # a face that needs the optional matplotlib extra (neuroflow[plot]): imported on
        # use, and probed before any work so that a missing extra is one line
        import neuroflow.plotting as plotting

        plotting.require_matplotlib()
    except ImportError as error:
        raise UsageError(str(error)) from None
    kind = args.kind
    out = args.out or f"{kind}.png"
    if Path(out).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--out: expected a file name ending in .png or .svg, received "
                         f"{out!r}")
    data_files = [] if args.data is None else data_inputs(args.data)
    files.check_writable(out, inputs=[args.model, *data_files], argument="--out")
    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    default_layers = {"boundary": [2, 16, 16, 2], "cost-weight": [2, 4, 2]}
    if args.model:
        net = load(args.model)
    elif kind in ("architecture", "cost-weight", "boundary"):
        args.layers = args.layers or default_layers.get(kind, [784, 256, 128, 10])
        net = fresh_network(args)
    else:
        raise UsageError(f"plot {kind}: expected a MODEL file (a trained network)")
    if kind == "architecture":
        figure = plotting.architecture(net)
    elif kind == "curves":
        if net.history is None or not getattr(net.history, "history", {}).get("loss"):
            raise UsageError(f"plot curves: {args.model} holds no training history")
        for key, values in net.history.history.items():
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in values):
                raise UsageError(f"plot curves: the history in {args.model} holds values "
                                 f"that are not numbers under {key!r}")
        figure = plotting.learning_curves(net.history)
    elif kind == "boundary":
        x, y = _plot_data(args, net, "moons")
        epochs = args.epochs
        if args.model:
            figure = plotting.decision_boundary(net, x, y)
        else:
            figure = plotting.decision_boundary_over_time(
                net, x, y, epochs=epochs, optimizer="adam", learning_rate=args.learning_rate,
                batch_size=32)
    elif kind == "weights":
        figure = plotting.first_layer_weights(net)
    else:
        x, y = _plot_data(args, net, "moons" if net.in_features == 2 else "mnist")
        if kind == "cost-weight":
            figure = plotting.cost_vs_weight(net, x[:64], y[:64], layer=len(net.layers) - 1)
        elif kind == "confusion":
            figure = plotting.confusion_matrix(y, net.predict_classes(x),
                                               n_classes=max(net.out_features, 2),
                                               class_names=net.class_names)
        else:
            figure = plotting.misclassified(net, x, y)
    plotting.save(figure, out, dpi=args.dpi)
    print(f"wrote {out}")
    return 0


def _plot_data(args: argparse.Namespace, net: Any, default: str) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """Inputs and labels to plot a model with: ``--data`` (a CSV file for a model trained on
    one, read like ``evaluate``), else ``default``. A model trained on a CSV file (it has
    class names or preprocessing) is not plotted against moons or MNIST (finding B.15)."""
    if args.data is not None and args.data.lower().endswith(".csv"):
        return csv_for_model(net, args.data, None)
    if args.data is None and args.model and (net.class_names is not None
                                             or net.preprocessing is not None):
        raise UsageError(f"--data: {args.model} was trained on its own data (it has "
                         f"{'class names' if net.class_names is not None else 'preprocessing'}"
                         f"), not on {default}; give --data FILE.csv with labelled rows")
    return small_data(args.data or default, net.in_features)
