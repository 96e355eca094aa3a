"""``neuroflow explain``: one forward and backward pass, number by number, for a sample
through a saved model or a fresh small network."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neuroflow import activations
from neuroflow.backprop import trace
from neuroflow.cli._args import UsageError, choices, int_list, path_text, positive
from neuroflow.cli._data import fresh_network, small_data
from neuroflow.io import load

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``explain`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "explain", help="show one forward and backward pass, number by number",
        description="Trace one sample through a saved model (MODEL --sample N) or a fresh "
                    "small network (--layers 2,3,1): the weighted sums z = xW + b, the "
                    "activations a = f(z), the output error, the deltas, dC/dW, dC/db and "
                    "the weight change -eta dC/dW of one gradient-descent step.")
    parser.add_argument("model", nargs="?", type=path_text,
                        help="a .safetensors model file (optional)")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="index of the test sample to trace (default 0)")
    parser.add_argument("--data", default=None, type=path_text, metavar="SOURCE",
                        help="'mnist', 'moons', 'circles' or a directory of IDX files "
                             "(default: mnist for 784 inputs, else random inputs)")
    parser.add_argument("--layers", type=int_list, default=None, metavar="SIZES",
                        help="sizes of a fresh network, input first (default 2,3,1)")
    parser.add_argument("--activation", type=choices(activations.names()), default="tanh",
                        help="hidden activation of the fresh network (default tanh)")
    parser.add_argument("--output-activation", type=choices(activations.names()),
                        default=None, help="output activation of the fresh network "
                                           "(default sigmoid for 1 output, else softmax)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--learning-rate", type=positive(float), default=0.1, metavar="RATE",
                        help="eta of the weight change shown (default 0.1)")
    parser.add_argument("--precision", type=positive(int), default=4,
                        help="significant digits (default 4)")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII symbols")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Trace the sample (or a random input with a target that fits the loss) and print
    the tables."""
    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    if args.model:
        net = load(args.model)
    else:
        args.layers = args.layers or [2, 3, 1]
        net = fresh_network(args)
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
        inputs, labels = small_data(args.data or "mnist", net.in_features)
        if not 0 <= args.sample < len(inputs):
            raise UsageError(f"--sample: expected an index in [0, {len(inputs) - 1}], "
                             f"received {args.sample}")
        x, y = inputs[args.sample:args.sample + 1], labels[args.sample:args.sample + 1]
    result = trace(net, x, y, learning_rate=args.learning_rate)
    print(result.format(precision=args.precision, unicode=not args.ascii))
    return 0
