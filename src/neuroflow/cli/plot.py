"""``neuroflow plot``: one figure of a network or of its learning, to a PNG or SVG file
(needs the ``[plot]`` extra)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple

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
from neuroflow.cli._keys import add_verify_options, load_model

__all__ = ["PLOT_KINDS", "add", "run"]

PLOT_KINDS = ("architecture", "cost-weight", "curves", "confusion", "weights",
              "misclassified", "boundary", "activations", "landscape", "neurons", "filters",
              "feature-maps")
#: The kinds ``--animate`` draws as a GIF.
ANIMATED_KINDS = ("boundary", "cost-weight", "landscape", "neurons")
#: Frames of a boundary or neurons animation without --epochs: every 2 epochs up to 40.
ANIMATION_EPOCHS = list(range(0, 41, 2))


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


def _weight(text: str) -> tuple[int, int, int]:
    """``--weight L,I,J``: layer L counted from 1 (as ``explain`` and the figures name
    layers), input I and neuron J from 0; returned as ``(L - 1, I, J)``."""
    try:
        layer, i, j = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three integers L,I,J like 2,0,1, received "
                                         f"{text!r}") from None
    if layer < 1 or i < 0 or j < 0:
        raise argparse.ArgumentTypeError(f"expected layer L >= 1 and I, J >= 0, received "
                                         f"{text!r}")
    return layer - 1, i, j


def add(commands: Any) -> None:
    """Add the ``plot`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "plot", help="draw a network or its learning to a PNG or SVG file",
        description="Draw one figure: architecture (neurons and weights), cost-weight (the cost "
                    "against one weight with gradient-descent paths for four learning rates, "
                    "each labelled by what its path did), curves (a saved model's learning "
                    "curves), confusion, weights (first-layer weights as images), misclassified "
                    "(test images the model gets wrong), boundary (a 2-D decision boundary while"
                    " a fresh network trains on two moons or circles), activations (each "
                    "activation and its derivative), landscape (the cost over two weights with "
                    "the path of training), neurons (each neuron's output over a 2-D input "
                    "plane, or first-layer weights as images), filters (every kernel of a "
                    "convolutional model's first Conv2D layer), feature-maps (each convolution's"
                    " and pooling layer's maps for test image --sample). Needs the [plot] extra.")
    parser.add_argument("kind", type=choices(list(PLOT_KINDS)), metavar="KIND",
                        help=", ".join(PLOT_KINDS))
    parser.add_argument("model", nargs="?", type=path_text, help="a .safetensors model file")
    add_verify_options(parser)
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
    parser.add_argument("--epochs", type=_plot_epochs, default=None, metavar="LIST",
                        help="boundary: epochs at which to draw (default 0,5,20,100; with "
                             "--animate 0,2,...,40); landscape, neurons: the last one is the "
                             "epochs to train (default 5; neurons of a fresh network 50, 1 "
                             "for images); at most "
                             f"{MAX_PLOT_PANELS}, each at most {MAX_PLOT_EPOCHS}")
    parser.add_argument("--optimizer", type=choices(["sgd", "adam", "rmsprop"]), default=None,
                        help="boundary, neurons: default adam; landscape: default sgd")
    parser.add_argument("--learning-rate", type=positive(float), default=None, metavar="RATE",
                        help="boundary, neurons, landscape: the optimiser's learning rate "
                             "(default 0.01 for adam and rmsprop, 0.5 for sgd)")
    parser.add_argument("--weight", type=_weight, default=None, metavar="L,I,J",
                        help="cost-weight, landscape: the weight w[I, J] of layer L (layers "
                             "counted from 1, I and J from 0); default: the weight with the "
                             "largest gradient that is not fed by a constant input")
    parser.add_argument("--animate", default=None, type=path_text, metavar="OUT.gif",
                        help="also write an animated GIF (boundary, cost-weight, landscape, "
                             "neurons); the still image is written only with --out")
    parser.add_argument("--sample", type=int_in(0, 10**9), default=None, metavar="N",
                        help="feature-maps: the test image to draw the maps of, counted "
                             "from 0 (default 0)")
    parser.add_argument("--style", type=choices(["paper", "slides"]), default="paper",
                        help="paper (default) or slides: large fonts, thick lines and a "
                             "caption naming the network, optimiser and learning rate")
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    parser.add_argument("--dpi", type=int_in(MIN_DPI, MAX_DPI), default=100,
                        help=f"image resolution, {MIN_DPI} to {MAX_DPI} (default 100)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Draw the figure ``args.kind`` of a saved model or a fresh network and save it (and,
    with ``--animate``, its animation)."""
    try:
        # a face that needs the optional matplotlib extra (neuroflow[plot]): imported on
        # use, and probed before any work so that a missing extra is one line
        import neuroflow.plotting as plotting

        plotting.require_matplotlib()
    except ImportError as error:
        raise UsageError(str(error)) from None
    kind = args.kind
    _check_outputs(args)
    if args.sample is not None and kind != "feature-maps":
        raise UsageError(f"--sample: only plot feature-maps draws one sample, not plot {kind}")
    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    net = _network(args) if kind != "activations" else None
    # the animation starts from the same network as the still figure, which may train it
    frames_from = net.copy() if args.animate and net is not None else None
    landscape = None
    if kind == "landscape" and args.out is not None and net is not None and args.animate:
        # the figure and the animation draw one landscape: its data is read and its path
        # trained once
        x, y = _inputs_for(args, net)
        landscape = _Landscape(x, y, plotting.landscape_data(net, x[:256], y[:256],
                                                             **_landscape(args, net)))
    with plotting.figure_style(args.style):
        figure = _figure(args, plotting, net, landscape)
        if frames_from is not None:
            _animate(args, plotting, frames_from, landscape)
        if figure is not None:
            plotting.save(figure, args.out, dpi=args.dpi)
            print(f"wrote {args.out}")
    if args.animate:
        print(f"wrote {args.animate}")
    return 0


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse a bad ``--out`` or ``--animate`` before any work; ``args.out`` becomes the
    still image to write, or ``None`` (``--animate`` alone writes only the GIF)."""
    kind = args.kind
    inputs = [args.model, *([] if args.data is None else data_inputs(args.data))]
    if args.animate is not None:
        if kind not in ANIMATED_KINDS:
            raise UsageError(f"--animate: plot {kind} has no animation; it is available for "
                             f"{', '.join(ANIMATED_KINDS)}")
        if Path(args.animate).suffix.lower() != ".gif":
            raise UsageError(f"--animate: expected a file name ending in .gif, received "
                             f"{args.animate!r}")
        files.check_writable(args.animate, inputs=inputs, argument="--animate")
    if args.out is None and args.animate is None:
        args.out = f"{kind}.png"
    if args.out is not None:
        if Path(args.out).suffix.lower() not in (".png", ".svg"):
            raise UsageError(f"--out: expected a file name ending in .png or .svg, received "
                             f"{args.out!r}")
        written = files.check_writable(args.out, inputs=inputs, argument="--out")
        if args.animate is not None and written == files.check_writable(args.animate):
            raise UsageError("--animate: expected a file other than --out")


def _network(args: argparse.Namespace) -> Any:
    """The model file, or a fresh network for the kinds that draw one."""
    default_layers = {"boundary": [2, 16, 16, 2], "cost-weight": [2, 4, 2],
                      "landscape": [2, 4, 2], "neurons": [2, 6, 4, 2]}
    if args.model:
        return load_model(args.model, args)
    if args.kind in ("architecture", "cost-weight", "boundary", "landscape", "neurons"):
        args.layers = args.layers or default_layers.get(args.kind, [784, 256, 128, 10])
        return fresh_network(args)
    raise UsageError(f"plot {args.kind}: expected a MODEL file (a trained network)")


def _training(args: argparse.Namespace, optimizer: str) -> dict[str, Any]:
    """``fit`` options of the kinds that train: ``--optimizer`` and ``--learning-rate``."""
    optimizer = args.optimizer or optimizer
    rate = args.learning_rate or (0.5 if optimizer == "sgd" else 0.01)
    return {"optimizer": optimizer, "learning_rate": rate, "batch_size": 32}


def _weight_for(args: argparse.Namespace, net: Any) -> tuple[int, int, int] | None:
    """``--weight`` checked against the network, in the numbering the user gave."""
    if args.weight is None:
        return None
    layer, i, j = args.weight
    layers = [index for index, part in enumerate(net.layers) if "W" in part.params]
    if layer not in layers:
        raise UsageError(f"--weight: expected a layer L holding weights, one of "
                         f"{', '.join(str(index + 1) for index in layers)}, received "
                         f"{layer + 1}")
    rows, columns = net.layers[layer].params["W"].shape
    if i >= rows or j >= columns:
        raise UsageError(f"--weight: layer {layer + 1} has weights w[I, J] with I < {rows} "
                         f"and J < {columns}, received {i},{j}")
    return layer, i, j


class _Landscape(NamedTuple):
    """A landscape computed once for ``--out`` and ``--animate``: the data it was
    computed on and :func:`neuroflow.plotting.landscape_data`'s result."""

    x: np.ndarray
    y: np.ndarray
    data: Any


def _figure(args: argparse.Namespace, plotting: Any, net: Any,
            landscape: _Landscape | None = None) -> Any:
    """The still figure of ``args.kind`` (``None`` when only an animation is asked for);
    ``landscape``: the landscape when already computed."""
    kind, style = args.kind, args.style
    if args.out is None:
        return None
    if kind == "activations":
        return plotting.activations(style=style)
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
        if args.model:
            figure = plotting.decision_boundary(net, x, y)
        else:
            training = _training(args, "adam")
            figure = plotting.decision_boundary_over_time(
                net, x, y, epochs=args.epochs or [0, 5, 20, 100], **training)
            plotting.caption(figure, style, f"{plotting.describe_network(net)}; "
                                            f"{training['optimizer']}, η = "
                                            f"{training['learning_rate']:g}, batch 32")
        return figure
    elif kind == "weights":
        figure = plotting.first_layer_weights(net)
    elif kind in ("filters", "feature-maps"):
        figure = _convolution(args, plotting, net)
    else:
        x, y = _inputs_for(args, net, landscape)
        if kind == "cost-weight":
            weight = _weight_for(args, net)
            return plotting.cost_vs_weight(net, x[:64], y[:64], style=style,
                                           **({} if weight is None else
                                              {"layer": weight[0], "weight": weight[1:]}))
        if kind == "landscape":
            return plotting.cost_landscape(
                net, x[:256], y[:256], **_landscape(args, net), style=style,
                data=None if landscape is None else landscape.data)
        if kind == "neurons":
            _train_fresh(args, net, x, y)
            return plotting.neurons(net, x, y, style=style)
        if kind == "confusion":
            figure = plotting.confusion_matrix(y, net.predict_classes(x),
                                               n_classes=max(net.out_features, 2),
                                               class_names=net.class_names)
        else:
            figure = plotting.misclassified(net, x, y)
    plotting.caption(figure, style, plotting.describe_network(net))
    return figure


def _convolution(args: argparse.Namespace, plotting: Any, net: Any) -> Any:
    """plot filters and feature-maps, refused in one line for a model without a Conv2D."""
    if not any(type(layer).__name__ == "Conv2D" for layer in net.layers):
        raise UsageError(f"plot {args.kind}: expected {plotting.CONV_NEEDED}; "
                         f"{args.model} has no Conv2D layer")
    if args.kind == "filters":
        return plotting.conv_filters(net)
    x, y = _plot_data(args, net, "mnist")
    n = args.sample or 0
    if n >= len(x):
        raise UsageError(f"--sample: expected an index below {len(x)}, the samples of "
                         f"{args.data or 'mnist'}'s test set, received {n}")
    predicted = net.predict_labels(x[n:n + 1])[0]
    return plotting.feature_maps(net, x[n], title=f"feature maps of test image {n} (label "
                                                  f"{y[n]}, predicted {predicted}), one row "
                                                  "per layer (blue: positive, white: 0)")


def _landscape(args: argparse.Namespace, net: Any) -> dict[str, Any]:
    """``cost_landscape`` options: the path's training and ``--weight`` as the first
    weight."""
    training = _training(args, "sgd")
    weight = _weight_for(args, net)
    return {"first": weight, "epochs": args.epochs[-1] if args.epochs else 5, **training}


def _train_fresh(args: argparse.Namespace, net: Any, x: np.ndarray, y: np.ndarray) -> None:
    """``plot neurons`` of a fresh network: train it first (the last of ``--epochs``,
    default 50 for two inputs and 1 for images), so that the neurons show something
    learnt."""
    if not args.model:
        epochs = args.epochs[-1] if args.epochs else (50 if net.in_features == 2 else 1)
        if epochs:
            net.fit(x, y, epochs=epochs, verbose=0, **_training(args, "adam"))


def _animate(args: argparse.Namespace, plotting: Any, net: Any,
             landscape: _Landscape | None = None) -> None:
    """Write the ``--animate`` GIF of ``args.kind`` (``landscape``: the landscape when
    already computed)."""
    kind = args.kind
    x, y = _inputs_for(args, net, landscape)
    options: dict[str, Any] = {"style": args.style, "dpi": args.dpi}
    if kind == "cost-weight":
        weight = _weight_for(args, net)
        if weight is not None:
            options.update(layer=weight[0], weight=weight[1:])
        x, y = x[:64], y[:64]
    elif kind == "landscape":
        options.update(_landscape(args, net),
                       data=None if landscape is None else landscape.data)
        x, y = x[:256], y[:256]
    else:
        if args.model:
            raise UsageError(f"--animate: plot {kind} animates a fresh network while it "
                             "trains; give --layers instead of MODEL")
        options.update(_training(args, "adam"), epochs=args.epochs or ANIMATION_EPOCHS)
    try:
        plotting.animate(kind, net, x, y, args.animate, **options)
    except ValueError as error:
        raise UsageError(f"--animate: {error}") from None


def _inputs_for(args: argparse.Namespace, net: Any, landscape: _Landscape | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The data ``landscape`` was computed on, or :func:`_plot_data` with the default data
    of ``net``'s input: two moons for two inputs, MNIST otherwise."""
    if landscape is not None:
        return landscape.x, landscape.y
    return _plot_data(args, net, "moons" if net.in_features == 2 else "mnist")


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
