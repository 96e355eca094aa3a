"""``neuroflow gradcheck``: backpropagation's gradients against central finite differences
(exit status 1 when any parameter fails)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neuroflow import datasets
from neuroflow.cli._args import int_in, path_text, positive
from neuroflow.cli._keys import add_verify_options, load_model
from neuroflow.gradcheck import check_gradients
from neuroflow.network import Network

#: Most samples a check may use: the 10,000 MNIST test images it draws them from.
MAX_SAMPLES = 10_000

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``gradcheck`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "gradcheck", help="check backpropagation against finite differences",
        description="Compare backprop's gradients with central finite differences on a "
                    "float64 copy of a saved model (or a fresh 784-16-10 network) on a few "
                    "MNIST samples. Exit status 1 when any parameter fails.")
    parser.add_argument("model", nargs="?", type=path_text,
                        help="a .safetensors model file (optional)")
    add_verify_options(parser)
    parser.add_argument("--samples", type=int_in(1, MAX_SAMPLES), default=8,
                        help=f"default 8, at most {MAX_SAMPLES:,} (the MNIST test images)")
    parser.add_argument("--threshold", type=positive(float), default=1e-6,
                        help="relative error threshold (default 1e-6)")
    parser.add_argument("--max-entries", type=positive(int), default=100, metavar="N",
                        help="entries checked per parameter tensor, chosen at random "
                             "(default 100)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the fresh network, random inputs and entries (default 0)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check a saved model (or a fresh 784-16-10 tanh network) on MNIST samples when it
    takes them, else on random inputs and targets that fit its loss; print the report."""
    if args.model:
        net = load_model(args.model, args)
    else:
        net = Network.from_sizes([784, 16, 10], hidden="tanh", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    k = net.out_features
    if net.in_features == 784 and net.loss.name == "cross_entropy" and k == 10:
        _, _, x_test, y_test = datasets.mnist()
        x, y = x_test[:args.samples], y_test[:args.samples]
    else:
        # Random targets that fit the loss: targets equal to the outputs would make every
        # gradient zero and the check vacuous.
        x = rng.normal(size=(args.samples, net.in_features))
        if net.loss.name == "cross_entropy":
            y = rng.integers(0, k, size=args.samples) if k > 1 else np.ones((args.samples, 1))
        elif net.loss.name == "binary_cross_entropy":
            y = rng.integers(0, 2, size=(args.samples, k)).astype(np.float64)
        else:
            y = rng.normal(size=(args.samples, k))
    result = check_gradients(net, x, y, threshold=args.threshold,
                             max_entries=args.max_entries, seed=args.seed)
    print(result)
    return 0 if result.passed else 1
