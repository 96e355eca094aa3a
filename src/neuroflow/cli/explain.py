"""``neuroflow explain``: one forward and backward pass, number by number, for a sample
through a saved model or a fresh small network.

The numbers and the choice of what a large network shows (the most informative inputs,
every class's probability, the cost after the step) come from :mod:`neuroflow.backprop`
and :mod:`neuroflow.explain`; this module reads the options, checks them against the
model and picks the sample. A model is traced in float64 (a copy), so every printed
number is exact to its digits.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

import numpy as np

from neuroflow import activations
from neuroflow.backprop import Trace, trace
from neuroflow.cli._args import UsageError, choices, int_in, int_list, path_text, positive
from neuroflow.cli._data import fresh_network, small_data
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.cli._sources import labelled_data
from neuroflow.explain import format_trace, informative_inputs
from neuroflow.layers import Conv2D
from neuroflow.network import Network
from neuroflow.receptive_field import ConvolutionTrace

__all__ = ["add", "run", "MAX_SHOWN"]

#: The most inputs (``--inputs``, ``--pixels``) or classes (``--classes``) one run shows.
MAX_SHOWN = 100


def add(commands: Any) -> None:
    """Add the ``explain`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "explain", help="show one forward and backward pass, number by number",
        description="Trace one sample through a saved model (MODEL --sample N) or a fresh "
                    "small network (--layers 2,3,1): the weighted sums z = xW + b, the "
                    "activations a = f(z), the output error, the deltas, dC/dW, dC/db and "
                    "the weight change -eta dC/dW of one gradient-descent step (a saved "
                    "model's own rate and optimiser unless --learning-rate is given), and "
                    "the cost after that step. For a classifier it prints the label, the "
                    "prediction and every class's probability (for a quadratic cost on class "
                    "labels: the outputs, the largest being the prediction). A layer with "
                    "more than 8 inputs shows those with the largest rows of dC/dW (never an "
                    "input that is 0), with W and b, and splits each z into the terms shown "
                    "and the rest, so that z = xW + b can be checked by hand. For a model "
                    "whose first layer is Conv2D it shows one receptive field: the input "
                    "patch, the kernel and the bias of one filter at one position, z = "
                    "sum x K + b, and that kernel's gradient and step.")
    parser.add_argument("model", nargs="?", type=path_text,
                        help="a .safetensors model file (optional)")
    add_verify_options(parser)
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="index of the test sample to trace (default 0)")
    parser.add_argument("--data", default=None, type=path_text, metavar="SOURCE",
                        help="'mnist', 'moons', 'circles', a directory of IDX files, or, "
                             "with MODEL, the image folder or CSV file it was trained on "
                             "(default: mnist for 784 inputs, else random inputs)")
    parser.add_argument("--layers", type=int_list, default=None, metavar="SIZES",
                        help="sizes of a fresh network, input first (default 2,3,1)")
    parser.add_argument("--activation", type=choices(activations.names()), default="tanh",
                        help="hidden activation of the fresh network (default tanh)")
    parser.add_argument("--output-activation", type=choices(activations.names()),
                        default=None, help="output activation of the fresh network "
                                           "(default sigmoid for 1 output, else softmax)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--learning-rate", type=positive(float), default=None, metavar="RATE",
                        help="eta of the weight change shown, a plain gradient-descent step "
                             "(default: MODEL's own rate, at its current step of a schedule, "
                             "and its own optimiser's step; 0.1 for a fresh network)")
    parser.add_argument("--inputs", type=int_in(1, MAX_SHOWN), default=None, metavar="N",
                        help="show the N most informative network inputs: the largest rows "
                             "of dC/dW (default 8)")
    parser.add_argument("--pixels", type=_index_list, default=None, metavar="I,J,...",
                        help="show exactly these network inputs (0-based; pixel i of a 28 x "
                             "28 image is row i // 28, column i %% 28)")
    parser.add_argument("--classes", type=_class_list, default=None, metavar="C,D,...|all",
                        help="output neurons (classes) to show, by index or class name, or "
                             "'all' (default: all up to 10 outputs)")
    parser.add_argument("--filter", type=int, default=None, metavar="F",
                        help="a Conv2D first layer: the filter shown (default 0)")
    parser.add_argument("--position", type=_position, default=None, metavar="ROW,COL",
                        help="a Conv2D first layer: the output position shown, 0-based "
                             "(default: where the filter's activation is largest)")
    parser.add_argument("--precision", type=positive(int), default=4,
                        help="significant digits (default 4)")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII symbols")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Trace the sample (or a random input with a target that fits the loss) and print
    the tables."""
    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    if args.inputs is not None and args.pixels is not None:
        raise UsageError("--pixels: give either --inputs N or --pixels I,J,..., not both")
    if args.model:
        net = load_model(args.model, args)
        if net.dtype != np.float64:
            net = net.copy("float64")
    else:
        args.layers = args.layers or [2, 3, 1]
        net = fresh_network(args)
    convolution = _convolution_options(args, net)
    classes = _classes(args.classes, net)
    if args.pixels is not None and max(args.pixels) >= net.in_features:
        raise UsageError(f"--pixels: expected input indices from 0 to {net.in_features - 1} "
                         f"(the network has {net.in_features} inputs), received "
                         f"{max(args.pixels)}")
    if args.inputs is not None and args.inputs > net.in_features:
        raise UsageError(f"--inputs: expected a number from 1 to {net.in_features} (the "
                         f"network's inputs), received {args.inputs}")
    samples: list[int] | None = None
    image_shape: tuple[int, int] | None = None
    if args.data is None and net.in_features != 784:
        rng = np.random.default_rng(args.seed)
        x = rng.normal(size=(1, net.in_features))
        k = net.out_features
        if net.loss.name == "cross_entropy":
            y: Any = rng.integers(0, k, size=1) if k > 1 else np.ones((1, 1))
        elif net.loss.name == "binary_cross_entropy":
            y = rng.integers(0, 2, size=(1, k)).astype(np.float64)
        else:
            y = rng.normal(size=(1, k))
    else:
        if args.model:
            # the model's own kind of rows (a CSV file's raw features: trace applies its
            # stored standardisation) and its class indices or regression values
            inputs, labels = labelled_data(args.data or "mnist", net)
        else:
            inputs, labels = small_data(args.data or "mnist", net.in_features)
        if not 0 <= args.sample < len(inputs):
            raise UsageError(f"--sample: expected an index in [0, {len(inputs) - 1}], "
                             f"received {args.sample}")
        x, y = inputs[args.sample:args.sample + 1], labels[args.sample:args.sample + 1]
        samples = [args.sample]
        side = int(round(np.sqrt(net.in_features)))
        if (args.data or "mnist").lower() not in ("moons", "circles") and \
                side * side == net.in_features:
            image_shape = (side, side)  # MNIST-style images, flattened row by row
    rate, source = _rate(args, net)
    result = trace(net, x, y, learning_rate=rate)
    step_rule = _optimiser_step(net, x, result) if args.learning_rate is None else None
    classes_count = max(2, net.out_features)  # a single output: classes 0 and 1
    names = net.class_names if net.class_names is not None \
        and len(net.class_names) == classes_count else None
    if isinstance(result, ConvolutionTrace):
        print(result.format(precision=args.precision, unicode=not args.ascii,
                            class_names=names, sample_indices=samples, rate_source=source,
                            step_rule=step_rule, **convolution))
        return 0
    shown = args.pixels if args.pixels is not None else \
        informative_inputs(result, args.inputs) if args.inputs is not None else None
    print(format_trace(result, precision=args.precision, unicode=not args.ascii,
                       inputs=shown, classes=classes, class_names=names,
                       image_shape=image_shape, sample_indices=samples,
                       rate_source=source, step_rule=step_rule))
    return 0


def _rate(args: argparse.Namespace, net: Network) -> tuple[float, str]:
    """The learning rate of the step shown and where it came from: ``--learning-rate``,
    else the saved model's optimiser (a schedule's rate at the model's current step),
    else 0.1."""
    if args.learning_rate is not None:
        return float(args.learning_rate), "given"
    optimizer = net.optimizer if args.model else None
    if optimizer is None:
        return 0.1, "the default" + ("; the model file stores no optimiser" if args.model
                                     else "")
    schedule = optimizer.learning_rate
    if callable(schedule):
        name = getattr(schedule, "name", None) or type(schedule).__name__
        return optimizer.current_learning_rate(), \
            f"the model's own: its {name} schedule at step {optimizer.iterations}"
    return optimizer.current_learning_rate(), "the model's own"


def _optimiser_step(net: Network, x: Any, result: Trace) -> str | None:
    """Replace the plain step ``-eta dC/dW`` of ``result`` by the step the model's own
    optimiser takes from its saved state (momentum, Adam's moments, weight decay,
    clipping), computed on float64 copies, with the cost after it. Returns what the step
    is (``None``: a plain SGD step, which the trace already shows)."""
    optimizer = net.optimizer
    if optimizer is None:
        return None
    config = optimizer.get_config()
    if config["name"] == "sgd" and not config.get("momentum") and not optimizer.weight_decay \
            and not optimizer.l1 and optimizer.clip_norm is None:
        return None
    own = copy.deepcopy(optimizer)
    own.state = {index: {key: np.array(value, dtype=np.float64) for key, value in slots.items()}
                 for index, slots in optimizer.state.items()}
    after = net.copy("float64")
    gradients = result.gradients()
    pairs = [(param, np.array(gradients[name], dtype=np.float64))
             for name, param, _ in after.named_parameters()]
    before = [param.copy() for param, _ in pairs]
    own.step(pairs)
    changes = iter([param - old for (param, _), old in zip(pairs, before)])
    if isinstance(result, ConvolutionTrace):  # the first layer's kernel and bias
        result.kernel_change = next(changes)
        result.bias_change = next(changes) if result.bias is not None else None
    for layer in result.layers:
        layer.weight_change = next(changes)
        if layer.bias_change is not None:
            layer.bias_change = next(changes)
    output = after.forward(after.prepare_inputs(x, "x"))
    result.cost_after_step = float(after.loss.value(output, result.target.astype(np.float64)))
    return f"the {config['name']} optimiser's step from its saved state"


def _convolution_options(args: argparse.Namespace, net: Network) -> dict[str, Any]:
    """``filter`` and ``position`` of the receptive field shown (a Conv2D first layer),
    checked against the layer; the options of dense models refused for it, and the other
    way round."""
    first = net.layers[0]
    if not isinstance(first, Conv2D):
        for option, value in (("--filter", args.filter), ("--position", args.position)):
            if value is not None:
                raise UsageError(f"{option}: only for a model whose first layer is Conv2D; "
                                 f"this one's is {type(first).__name__}")
        return {}
    for option, value in (("--inputs", args.inputs), ("--pixels", args.pixels),
                          ("--classes", args.classes)):
        if value is not None:
            raise UsageError(f"{option}: not for a model whose first layer is Conv2D (it "
                             "shows one receptive field: choose it with --filter and "
                             "--position)")
    filters, rows, columns = first.output_shape
    if args.filter is not None and not 0 <= args.filter < filters:
        raise UsageError(f"--filter: expected a filter from 0 to {filters - 1}, received "
                         f"{args.filter}")
    if args.position is not None and not (args.position[0] < rows
                                          and args.position[1] < columns):
        raise UsageError(f"--position: expected ROW from 0 to {rows - 1} and COL from 0 to "
                         f"{columns - 1} (the output is {rows} x {columns}), received "
                         f"{args.position[0]},{args.position[1]}")
    return {"filter": args.filter or 0, "position": args.position}


def _position(text: str) -> tuple[int, int]:
    """``--position``: two whole numbers >= 0, ``ROW,COL``."""
    try:
        row, column = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected ROW,COL like 12,7 (0-based), received {text!r}") from None
    if row < 0 or column < 0:
        raise argparse.ArgumentTypeError(f"expected ROW,COL >= 0, received {text!r}")
    return row, column


def _index_list(text: str) -> list[int]:
    """``--pixels``: distinct non-negative whole numbers, comma-separated, at most
    :data:`MAX_SHOWN` (their upper bound is checked against the model)."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated input indices like 350,378,406, received {text!r}"
        ) from None
    if any(value < 0 for value in values) or len(set(values)) != len(values) \
            or len(values) > MAX_SHOWN:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_SHOWN} distinct input indices >= 0, received {text!r}")
    return values


def _class_list(text: str) -> list[str] | str:
    """``--classes``: ``all``, or comma-separated class indices or names (checked against
    the model), at most :data:`MAX_SHOWN`."""
    if text.strip().lower() == "all":
        return "all"
    tokens = [part.strip() for part in text.split(",")]
    if not all(tokens) or len(set(tokens)) != len(tokens) or len(tokens) > MAX_SHOWN:
        raise argparse.ArgumentTypeError(
            f"expected 'all' or at most {MAX_SHOWN} distinct class indices or names like "
            f"3,8,9, received {text!r}")
    return tokens


def _classes(spec: list[str] | str | None, net: Network) -> list[int] | None:
    """The output neurons of ``--classes`` (``None``: the default choice)."""
    k = net.out_features
    if spec is None:
        return None
    if spec == "all":
        return list(range(k))
    names = [str(name) for name in net.class_names or []]
    chosen = []
    for token in spec:
        if token in names:
            index = names.index(token) if k > 1 else 0
        else:
            try:
                index = int(token)
            except ValueError:
                index = -1
        if not 0 <= index < k:
            named = f", {', '.join(names[:20])}" if names and k > 1 else ""
            raise UsageError(f"--classes: expected output neurons from 0 to {k - 1}{named} or "
                             f"'all', received {token!r}")
        chosen.append(index)
    if len(set(chosen)) != len(chosen):
        raise UsageError(f"--classes: expected distinct classes, received {','.join(spec)}")
    return chosen
