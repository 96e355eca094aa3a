"""The ``neuroflow`` command line: a thin face over the library.

Every user error (bad arguments, missing or corrupt files, invalid data) prints one line
to standard error and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from neuroflow.errors import NeuroflowError

__all__ = ["main", "build_parser", "UsageError"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A user mistake the CLI reports in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``neuroflow train: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_list(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers like 784,256,10, received {text!r}"
        ) from None
    if len(sizes) < 2 or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(
            f"expected at least two positive sizes like 784,256,10, received {text!r}")
    return sizes


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a positive {kind.__name__}, received {text!r}") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(
                f"expected a positive {kind.__name__}, received {text!r}")
        return value

    convert.__name__ = f"positive {kind.__name__}"
    return convert


def _choices(names: list[str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text.lower() not in names:
            raise argparse.ArgumentTypeError(
                f"expected one of {', '.join(names)}, received {text!r}")
        return text.lower()

    return convert


# ---------------------------------------------------------------------------- data
def load_data(spec: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``mnist`` (bundled) or a directory of MNIST-style IDX files."""
    from neuroflow import datasets

    if spec.lower() == "mnist":
        return datasets.mnist()
    path = Path(spec)
    if path.is_dir():
        return datasets.mnist(path)
    if not path.exists():
        raise UsageError(f"--data: no such file or directory: {spec!r}")
    raise UsageError(f"--data: expected 'mnist' or a directory of IDX files, received {spec!r}")


# ---------------------------------------------------------------------------- train
def _add_train(commands: Any) -> None:
    from neuroflow import activations, losses, optimizers

    parser = commands.add_parser(
        "train", help="train a network (default: 784-256-128-10 on bundled MNIST)",
        description="Train a feed-forward network by mini-batch gradient descent, print its "
                    "test accuracy and save it. With no options: the default network on the "
                    "bundled MNIST digits.")
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default) or a directory of MNIST IDX files")
    parser.add_argument("--layers", type=_int_list, default=[784, 256, 128, 10],
                        metavar="SIZES", help="layer sizes, input first (default 784,256,128,10)")
    parser.add_argument("--activation", type=_choices(activations.names()), default="relu",
                        help="hidden activation: " + ", ".join(activations.names()))
    parser.add_argument("--output-activation", type=_choices(activations.names()),
                        default="softmax", help="output activation (default softmax)")
    parser.add_argument("--loss", type=_choices(losses.names()), default="cross_entropy",
                        help="cost function: " + ", ".join(losses.names()))
    parser.add_argument("--optimizer", type=_choices(optimizers.names()), default="adam",
                        help="optimiser: " + ", ".join(optimizers.names()) + " (default adam)")
    parser.add_argument("--learning-rate", type=_positive(float), default=1e-3, metavar="RATE",
                        help="learning rate eta (default 0.001)")
    parser.add_argument("--epochs", type=_positive(int), default=10, help="default 10")
    parser.add_argument("--batch-size", type=_positive(int), default=128, help="default 128")
    parser.add_argument("--validation-split", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of training data held out for validation (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--out", default="model.safetensors", metavar="PATH",
                        help="where to save the trained model (default model.safetensors)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over MPI ranks; launch with mpiexec -n N "
                             "(needs neuroflow[mpi]); --batch-size is the global batch")
    parser.set_defaults(handler=_train)


def _is_root(args: argparse.Namespace) -> bool:
    """False on MPI ranks other than 0 under ``--distributed`` (they train silently)."""
    if not getattr(args, "distributed", False):
        return True
    from neuroflow import distributed

    try:
        return distributed.is_root()
    except ImportError as error:
        raise UsageError(f"--distributed: {error}") from None


def _train(args: argparse.Namespace) -> int:
    import neuroflow as nf

    x_train, y_train, x_test, y_test = load_data(args.data)
    if args.layers[0] != x_train.shape[1]:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{x_train.shape[1]}, received {args.layers[0]}")
    net = nf.Network.from_sizes(args.layers, hidden=args.activation,
                                output=args.output_activation, loss=args.loss,
                                seed=args.seed, dtype=args.dtype)
    root = _is_root(args)
    if not args.quiet and root:
        print(net.summary())
    net.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
            optimizer=args.optimizer, learning_rate=args.learning_rate,
            validation_split=args.validation_split,
            verbose=0 if args.quiet or not root else 1, distributed=args.distributed)
    if not root:  # rank 0 alone evaluates and saves
        return 0
    scores = net.evaluate(x_test, y_test)
    if "accuracy" in scores:
        print(f"test accuracy: {scores['accuracy']:.2%}  (loss {scores['loss']:.4f})")
    else:
        print(f"test loss: {scores['loss']:.4f}")
    net.save(args.out)
    print(f"saved model to {args.out}")
    return 0


# ---------------------------------------------------------------------------- summary
def _add_summary(commands: Any) -> None:
    parser = commands.add_parser("summary", help="show a saved model's layers",
                                 description="Print the layers, shapes and parameter counts "
                                             "of a saved model.")
    parser.add_argument("model", help="a .safetensors model file")
    parser.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace) -> int:
    import neuroflow as nf

    print(nf.load(args.model).summary())
    return 0


# ---------------------------------------------------------------------------- evaluate
def _add_evaluate(commands: Any) -> None:
    parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model",
                                 description="Evaluate a saved model on a test set.")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default) or a directory of MNIST IDX files")
    parser.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import neuroflow as nf

    net = nf.load(args.model)
    _, _, x_test, y_test = load_data(args.data)
    for key, value in net.evaluate(x_test, y_test).items():
        print(f"{key}: {value:.4f}")
    return 0


# ---------------------------------------------------------------------------- gradcheck
def _add_gradcheck(commands: Any) -> None:
    parser = commands.add_parser(
        "gradcheck", help="check backpropagation against finite differences",
        description="Compare backprop's gradients with central finite differences on a "
                    "float64 copy of a saved model (or a fresh 784-16-10 network) on a few "
                    "MNIST samples. Exit status 1 when any parameter fails.")
    parser.add_argument("model", nargs="?", help="a .safetensors model file (optional)")
    parser.add_argument("--samples", type=_positive(int), default=8, help="default 8")
    parser.add_argument("--threshold", type=_positive(float), default=1e-6,
                        help="relative error threshold (default 1e-6)")
    parser.add_argument("--max-entries", type=_positive(int), default=100, metavar="N",
                        help="entries checked per parameter tensor, chosen at random "
                             "(default 100)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the fresh network, random inputs and entries (default 0)")
    parser.set_defaults(handler=_gradcheck)


def _gradcheck(args: argparse.Namespace) -> int:
    import neuroflow as nf

    if args.model:
        net = nf.load(args.model)
    else:
        net = nf.Network.from_sizes([784, 16, 10], hidden="tanh", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    k = net.out_features
    if net.in_features == 784 and net.loss.name == "cross_entropy" and k == 10:
        _, _, x_test, y_test = nf.datasets.mnist()
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
    result = nf.check_gradients(net, x, y, threshold=args.threshold,
                                max_entries=args.max_entries, seed=args.seed)
    print(result)
    return 0 if result.passed else 1


COMMANDS: list[Callable[[Any], None]] = [_add_train, _add_evaluate, _add_summary,
                                         _add_gradcheck]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    from neuroflow import __version__

    parser = _Parser(prog="neuroflow",
                     description="Build, train, inspect and ship feed-forward neural networks.")
    parser.add_argument("--version", action="version", version=f"neuroflow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("neuroflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, NeuroflowError, ValueError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"neuroflow {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
