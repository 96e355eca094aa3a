"""The ``neuroflow`` command line: a thin face over the library.

Every user error (bad arguments, missing or corrupt files, invalid data) prints one line
to standard error and exits with status 2; no traceback.

Exit statuses: 0 success; 1 a failed gradient check, or training stopped because the loss
became NaN or infinite (the message names the epoch and batch; the checkpoint of the
last good epoch is kept); 2 a user error; 130 Ctrl-C. ``neuroflow train`` rewrites its
``--out`` file atomically at the end of every epoch, so after Ctrl-C it says where that
checkpoint is and prints the ``neuroflow train --resume ...`` command that continues it.
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
                        help="'mnist' (bundled, default), a directory of MNIST IDX files or "
                             "a CSV file (see --target)")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV data: the target column, by header name or 0-based index "
                             "(default the last column); text labels and integers with few "
                             "values train a classifier, real numbers a regressor")
    parser.add_argument("--task", choices=["auto", "classification", "regression"],
                        default="auto", help="CSV data: override the choice made from the "
                                             "target column (default auto)")
    parser.add_argument("--missing", choices=["fail", "drop"], default="fail",
                        help="CSV data: rows with missing cells are an error (default) or "
                             "are dropped")
    parser.add_argument("--layers", type=_int_list, default=[784, 256, 128, 10],
                        metavar="SIZES", help="layer sizes, input first (default 784,256,128,10;"
                                              " for CSV data inputs,64,outputs)")
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
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="floating-point type of weights and arithmetic (default float32)")
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="where to save the model; it is also rewritten (atomically) at "
                             "the end of every epoch as a checkpoint (default "
                             "model.safetensors, or the --resume file)")
    parser.add_argument("--resume", default=None, metavar="MODEL",
                        help="continue training the checkpoint MODEL (written by an "
                             "interrupted 'neuroflow train') up to a total of --epochs "
                             "epochs; architecture and optimiser come from MODEL, so give "
                             "the same --data, --batch-size and --validation-split as before")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over MPI ranks; launch with mpiexec -n N "
                             "(needs neuroflow[mpi]); --batch-size is the global batch")
    _add_preset_option(parser)
    parser.set_defaults(handler=_train)


#: ``train`` options a preset fills in; given explicitly they override the preset.
_PRESET_OPTIONS = ("layers", "activation", "output_activation", "loss", "optimizer",
                   "learning_rate", "epochs", "batch_size", "validation_split")


def _add_preset_option(parser: argparse.ArgumentParser) -> None:
    from neuroflow import presets

    parser.add_argument("--preset", choices=presets.names(), default=None,
                        help="a named recipe from neuroflow.presets (mnist-best: 784-512-512-10 "
                             "ReLU with dropout, AdamW with a one-cycle schedule, 15 epochs, "
                             "best epoch chosen on a 10%% validation split); options given "
                             "explicitly override it")
    # defaults become None so that _apply_preset can tell explicit options apart
    defaults = {key: parser.get_default(key) for key in _PRESET_OPTIONS}
    parser.set_defaults(preset_defaults=defaults, **{key: None for key in _PRESET_OPTIONS})


def _apply_preset(args: argparse.Namespace) -> dict[str, Any] | None:
    """Fill the preset-controlled options: explicit value, else the preset's, else the
    default. Returns the resolved preset, or None without ``--preset``."""
    from neuroflow import presets

    explicit = {key: getattr(args, key) for key in _PRESET_OPTIONS
                if getattr(args, key, None) is not None}
    for key, default in getattr(args, "preset_defaults", {}).items():
        setattr(args, key, explicit.get(key, default))
    if getattr(args, "preset", None) is None:
        return None
    if args.resume or args.target is not None or args.data.lower().endswith(".csv"):
        raise UsageError("--preset: expected MNIST-style data without --resume or --target")
    preset = presets.resolve(args.preset, **explicit)
    for key in _PRESET_OPTIONS:
        if key in preset:
            setattr(args, key, preset[key])
    return preset


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

    preset = _apply_preset(args)
    if args.target is not None or args.data.lower().endswith(".csv"):
        return _train_csv(args)
    if args.out is None:
        args.out = args.resume or "model.safetensors"
    x_train, y_train, x_test, y_test = load_data(args.data)
    if args.resume:
        net = nf.load(args.resume)
        if net.in_features != x_train.shape[1]:
            raise UsageError(f"--resume: the model takes {net.in_features} inputs, the data "
                             f"has {x_train.shape[1]} columns")
    elif args.layers[0] != x_train.shape[1]:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{x_train.shape[1]}, received {args.layers[0]}")
    else:
        net = nf.Network.from_sizes(args.layers, hidden=args.activation,
                                    output=args.output_activation, loss=args.loss,
                                    seed=args.seed, dtype=args.dtype)
    if preset is not None:
        from neuroflow import presets

        net = presets.build_network(preset, seed=args.seed, dtype=args.dtype)
    extra = presets.fit_options(preset, x_train.shape[0]) if preset is not None else {}
    root = _is_root(args)
    if not args.quiet and root:
        print(net.summary())
    checkpoint = nf.callbacks.ModelCheckpoint(args.out)
    try:
        net.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                optimizer=extra.get("optimizer") or (None if args.resume else args.optimizer),
                learning_rate=args.learning_rate,
                validation_split=args.validation_split,
                verbose=0 if args.quiet or not root else 1, distributed=args.distributed,
                callbacks=[checkpoint, *extra.get("callbacks", [])] if root else [],
                **({"resume_from": args.resume} if args.resume else {}))
    except (nf.TrainingInterrupted, nf.TrainingDivergedError) as error:
        return _report_stop(args, error, checkpoint) if root else EXIT_INTERRUPTED
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
                                             "of a saved model, then its training state: "
                                             "epochs trained, optimiser, last epoch's "
                                             "metrics, class names and preprocessing.")
    parser.add_argument("model", help="a .safetensors model file")
    parser.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace) -> int:
    import neuroflow as nf

    net = nf.load(args.model)
    print(net.summary())
    print(f"epochs trained: {net.epochs_trained}")
    if net.optimizer is not None:
        print(f"optimizer: {net.optimizer!r} after {net.optimizer.iterations} steps "
              "(state saved: training can resume)")
    else:
        print("optimizer: not saved")
    if net.history is not None and net.history.history:
        from neuroflow.progress import format_logs

        last = {key: values[-1] for key, values in net.history.history.items() if values}
        print(f"last epoch: {format_logs(last)}")
    if net.class_names:
        print(f"classes: {', '.join(str(name) for name in net.class_names)}")
    if net.preprocessing is not None:
        print(f"preprocessing: {type(net.preprocessing).__name__}")
    return 0


# ---------------------------------------------------------------------------- evaluate
def _add_evaluate(commands: Any) -> None:
    parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model",
                                 description="Evaluate a saved model on the test set of "
                                             "--data, or on every row of a CSV file: prints "
                                             "the loss, and the accuracy for classification "
                                             "models.")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default), a directory of MNIST IDX files or "
                             "a CSV file of raw feature columns and a target column")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="CSV data: the target column, by header name or 0-based index "
                             "(default the last column); labels as in training")
    parser.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import neuroflow as nf

    net = nf.load(args.model)
    if Path(args.data).suffix.lower() == ".csv":
        x_test, y_test = _csv_for_model(net, args.data, args.target)  # checks the width
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


def _csv_target(target: str | None) -> int | str:
    """``--target``: a header name, or a column index given as digits (default -1)."""
    if target is None:
        return -1
    return int(target) if target.lstrip("-").isdigit() else target


def _csv_for_model(net: Any, source: str, target: str | None) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of a CSV file for a saved model: raw features (the model applies its
    stored standardisation) and targets as the model's class indices (labels looked up in
    its ``class_names``, or integer class indices when it has none) or regression values."""
    import neuroflow as nf

    path = Path(source)
    if not path.is_file():
        raise UsageError(f"--data: no such file: {source!r}")
    classification = net.loss.is_classification
    data = nf.datasets.load_csv(path, target=_csv_target(target),
                                task="classification" if classification else "regression",
                                dtype=str(net.dtype))
    if data.y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {source!r}")
    if data.x.shape[1] != net.in_features:
        raise UsageError(f"--data: the model takes {net.in_features} inputs, the data has "
                         f"{data.x.shape[1]} feature columns")
    if not classification:
        return data.x, data.y
    labels = [data.class_names[i] for i in data.y] if data.class_names else []
    known = ({str(name): index for index, name in enumerate(net.class_names)}
             if net.class_names is not None
             else {str(index): index for index in range(max(2, net.out_features))})
    unknown = sorted({str(label) for label in labels} - set(known))
    if unknown:
        expected = ", ".join(known) if len(known) <= 20 else f"{len(known)} classes"
        raise UsageError(f"--data: labels the model does not know: {', '.join(unknown[:10])}"
                         f" (the model's classes: {expected})")
    return data.x, np.array([known[str(label)] for label in labels], dtype=np.int64)


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
    """Run the CLI; return the exit status (0 success, 1 a failed check or a diverged
    training run, 2 a user error, 130 interrupted by Ctrl-C)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("neuroflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, NeuroflowError, ValueError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"neuroflow {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE


# ---------------------------------------------------------------------------- train: stops
def _report_stop(args: argparse.Namespace, error: BaseException, checkpoint: Any) -> int:
    """Tell where the last checkpoint is after Ctrl-C (exit 130) or divergence (exit 1)."""
    import shlex

    import neuroflow as nf

    if checkpoint.last_path is not None:
        where = (f"the last checkpoint (epoch {checkpoint.last_epoch}) is at "
                 f"{checkpoint.last_path}")
    elif args.resume:
        where = f"the checkpoint {args.resume} is unchanged"
    else:
        where = "no epoch was completed, so no checkpoint was written"
    if isinstance(error, nf.TrainingDivergedError):
        print(f"neuroflow train: error: {error}; {where}", file=sys.stderr)
        return 1
    print(f"neuroflow train: interrupted; {where}", file=sys.stderr)
    saved = checkpoint.last_path or args.resume
    if saved is not None:
        command = ["neuroflow", "train", "--resume", str(saved), "--data", args.data,
                   "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
        if args.validation_split:
            command += ["--validation-split", str(args.validation_split)]
        print(f"resume with: {shlex.join(command)}", file=sys.stderr)
    return EXIT_INTERRUPTED


# ---------------------------------------------------------------------------- predict
_INPUT_KINDS = ".csv/.txt rows, a .npy array, .png images or a directory of .png images"


def _add_predict(commands: Any) -> None:
    parser = commands.add_parser(
        "predict", help="run a saved model on new inputs",
        description="Run a saved model on inputs and write one CSV row per sample: the "
                    "input (row number or image file), the predicted class (classification "
                    "models) and every output. INPUT may be CSV rows of numbers (a "
                    "non-numeric first row is taken as a header), a .npy array of shape "
                    "(n, inputs), or, for models with 784 inputs, 28x28 PNG images (files or "
                    "a directory; grey, RGB or RGBA, scaled to [0, 1] like MNIST).")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=_INPUT_KINDS)
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="write the CSV to PATH instead of standard output")
    parser.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                        help="PNG only: invert brightness so digits are light on dark as in "
                             "MNIST; 'auto' (default) inverts images whose mean brightness "
                             "is above one half (dark ink on light paper)")
    parser.set_defaults(handler=_predict)


def _read_csv_rows(path: Path) -> np.ndarray:
    import csv

    rows: list[list[float]] = []
    with path.open(newline="") as stream:
        for number, row in enumerate(csv.reader(stream), start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                rows.append([float(cell) for cell in row])
            except ValueError:
                if number == 1 and not rows:
                    continue  # a header row
                raise UsageError(f"INPUT {path}: row {number} holds a value that is not a "
                                 "number") from None
            if len(rows[-1]) != len(rows[0]):
                raise UsageError(f"INPUT {path}: row {number} has {len(rows[-1])} values, "
                                 f"the first row has {len(rows[0])}")
    if not rows:
        raise UsageError(f"INPUT {path}: no rows of numbers")
    return np.asarray(rows, dtype=np.float64)


def _read_npy(path: Path, n_features: int) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise UsageError(f"INPUT {path}: not a readable .npy array ({error})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise UsageError(f"INPUT {path}: expected a numeric array")
    if array.ndim == 3 and array.shape[1] * array.shape[2] == n_features:
        array = array.reshape(array.shape[0], -1)  # a stack of images
    if array.dtype == np.uint8:
        array = array / 255.0  # image pixels, scaled like MNIST
    return array


def _read_png(path: Path, invert: str) -> np.ndarray:
    from neuroflow._png import PNGError, read_png, to_grayscale

    try:
        grey = to_grayscale(read_png(path))
    except PNGError as error:
        raise UsageError(f"INPUT {path}: {error}") from None
    if grey.shape != (28, 28):
        raise UsageError(f"INPUT {path}: expected a 28x28 image, received "
                         f"{grey.shape[1]}x{grey.shape[0]}")
    if invert == "yes" or (invert == "auto" and grey.mean() > 0.5):
        grey = 1.0 - grey
    return grey.reshape(1, 784)


def read_inputs(paths: Sequence[str], n_features: int, invert: str = "auto"
                ) -> tuple[np.ndarray, list[str]]:
    """Rows ``(n, n_features)`` for ``neuroflow predict`` and a label for each row."""
    blocks: list[np.ndarray] = []
    labels: list[str] = []
    for spec in paths:
        path = Path(spec)
        if not path.exists():
            raise UsageError(f"INPUT: no such file or directory: {spec!r}")
        files = sorted(path.glob("*.png")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise UsageError(f"INPUT: no .png images in the directory {spec!r}")
        for file in files:
            suffix = file.suffix.lower()
            if suffix == ".png":
                if n_features != 784:
                    raise UsageError(f"INPUT {file}: PNG images need a model with 784 inputs "
                                     f"(28x28 pixels); this model takes {n_features}")
                block = _read_png(file, invert)
                labels.append(str(file))
            elif suffix in (".csv", ".txt"):
                block = _read_csv_rows(file)
            elif suffix == ".npy":
                block = _read_npy(file, n_features)
            else:
                raise UsageError(f"INPUT {file}: expected {_INPUT_KINDS}")
            if block.ndim == 1:
                block = block.reshape(1, -1)
            if block.ndim != 2 or block.shape[1] != n_features:
                width = block.shape[1] if block.ndim == 2 else block.shape
                raise UsageError(f"INPUT {file}: expected {n_features} values per row (the "
                                 f"model's inputs), received {width}")
            if suffix != ".png":
                labels += [f"{file}:{i + 1}" if len(paths) > 1 else str(i + 1)
                           for i in range(block.shape[0])]
            blocks.append(block)
    return np.concatenate(blocks), labels


def _predict(args: argparse.Namespace) -> int:
    import csv
    import io

    import neuroflow as nf

    net = nf.load(args.model)
    x, labels = read_inputs(args.inputs, net.in_features, args.invert)
    output = net.predict(x)
    k = output.shape[1]
    names = [str(name) for name in net.class_names] if net.class_names else None
    columns = (names if names and len(names) == k
               else [f"output_{i}" for i in range(k)])
    header = ["input"]
    classes = None
    if net.loss.is_classification:
        header.append("class")
        classes = net.classes_from_output(output)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header + columns)
    for row, label in enumerate(labels):
        cells = [label]
        if classes is not None:
            index = int(classes[row])
            cells.append(names[index] if names and index < len(names) else str(index))
        writer.writerow(cells + [f"{value:.6g}" for value in output[row]])
    if args.out:
        Path(args.out).write_text(buffer.getvalue())
        print(f"wrote {len(labels)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


COMMANDS.append(_add_predict)


# ---------------------------------------------------------------------------- explain / plot
def _small_data(spec: str, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Test inputs and labels for a network with ``n_features`` inputs: MNIST's test set,
    or two moons / concentric circles (``--data moons|circles``) for 2-input networks."""
    from neuroflow import datasets

    name = spec.lower()
    if name in ("moons", "circles"):
        make = datasets.make_moons if name == "moons" else datasets.make_circles
        x, y = make(n_samples=400, seed=0)
    else:
        _, _, x, y = load_data(spec)
    if x.shape[1] != n_features:
        raise UsageError(f"--data: the network has {n_features} inputs but {spec!r} has "
                         f"{x.shape[1]} features; use --data moons or circles for 2 inputs")
    return x, y


def _fresh_network(args: argparse.Namespace) -> Any:
    import neuroflow as nf

    output = args.output_activation or ("sigmoid" if args.layers[-1] == 1 else "softmax")
    return nf.Network.from_sizes(args.layers, hidden=args.activation, output=output,
                                 seed=args.seed, dtype="float64")


def _add_explain(commands: Any) -> None:
    from neuroflow import activations

    parser = commands.add_parser(
        "explain", help="show one forward and backward pass, number by number",
        description="Trace one sample through a saved model (MODEL --sample N) or a fresh "
                    "small network (--layers 2,3,1): the weighted sums z = xW + b, the "
                    "activations a = f(z), the output error, the deltas, dC/dW, dC/db and "
                    "the weight change -eta dC/dW of one gradient-descent step.")
    parser.add_argument("model", nargs="?", help="a .safetensors model file (optional)")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="index of the test sample to trace (default 0)")
    parser.add_argument("--data", default=None, metavar="SOURCE",
                        help="'mnist', 'moons', 'circles' or a directory of IDX files "
                             "(default: mnist for 784 inputs, else random inputs)")
    parser.add_argument("--layers", type=_int_list, default=None, metavar="SIZES",
                        help="sizes of a fresh network, input first (default 2,3,1)")
    parser.add_argument("--activation", type=_choices(activations.names()), default="tanh",
                        help="hidden activation of the fresh network (default tanh)")
    parser.add_argument("--output-activation", type=_choices(activations.names()),
                        default=None, help="output activation of the fresh network "
                                           "(default sigmoid for 1 output, else softmax)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--learning-rate", type=_positive(float), default=0.1, metavar="RATE",
                        help="eta of the weight change shown (default 0.1)")
    parser.add_argument("--precision", type=_positive(int), default=4,
                        help="significant digits (default 4)")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII symbols")
    parser.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    import neuroflow as nf

    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    if args.model:
        net = nf.load(args.model)
    else:
        args.layers = args.layers or [2, 3, 1]
        net = _fresh_network(args)
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
        inputs, labels = _small_data(args.data or "mnist", net.in_features)
        if not 0 <= args.sample < len(inputs):
            raise UsageError(f"--sample: expected an index in [0, {len(inputs) - 1}], "
                             f"received {args.sample}")
        x, y = inputs[args.sample:args.sample + 1], labels[args.sample:args.sample + 1]
    result = nf.trace(net, x, y, learning_rate=args.learning_rate)
    print(result.format(precision=args.precision, unicode=not args.ascii))
    return 0


PLOT_KINDS = ("architecture", "cost-weight", "curves", "confusion", "weights",
              "misclassified", "boundary")


def _add_plot(commands: Any) -> None:
    from neuroflow import activations

    parser = commands.add_parser(
        "plot", help="draw a network or its learning to a PNG or SVG file",
        description="Draw one figure: architecture (neurons and weights), cost-weight (the "
                    "cost against one weight with gradient-descent paths for three learning "
                    "rates), curves (a saved model's learning curves), confusion, weights "
                    "(first-layer weights as images), misclassified (test images the model "
                    "gets wrong), boundary (a 2-D decision boundary while a fresh network "
                    "trains on two moons or circles). Needs the [plot] extra.")
    parser.add_argument("kind", type=_choices(list(PLOT_KINDS)), metavar="KIND",
                        help=", ".join(PLOT_KINDS))
    parser.add_argument("model", nargs="?", help="a .safetensors model file")
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="output file, .png or .svg (default KIND.png)")
    parser.add_argument("--data", default=None, metavar="SOURCE",
                        help="'mnist', 'moons', 'circles' or a directory of IDX files")
    parser.add_argument("--layers", type=_int_list, default=None, metavar="SIZES",
                        help="sizes of a fresh network when no MODEL is given")
    parser.add_argument("--activation", type=_choices(activations.names()), default="tanh",
                        help="hidden activation of a fresh network (default tanh)")
    parser.add_argument("--output-activation", type=_choices(activations.names()),
                        default=None, help="output activation of a fresh network")
    parser.add_argument("--epochs", default="0,5,20,100", metavar="LIST",
                        help="boundary: epochs at which to draw (default 0,5,20,100)")
    parser.add_argument("--learning-rate", type=_positive(float), default=0.01, metavar="RATE",
                        help="boundary: Adam learning rate (default 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--dpi", type=_positive(int), default=100, help="default 100")
    parser.set_defaults(handler=_plot)


def _plot(args: argparse.Namespace) -> int:
    import neuroflow as nf

    try:
        from neuroflow import plotting

        plotting._figure((1.0, 1.0))
    except ImportError as error:
        raise UsageError(str(error)) from None
    kind = args.kind
    out = args.out or f"{kind}.png"
    if Path(out).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--out: expected a file name ending in .png or .svg, received "
                         f"{out!r}")
    if args.model and args.layers:
        raise UsageError("--layers: give either MODEL or --layers, not both")
    default_layers = {"boundary": [2, 16, 16, 2], "cost-weight": [2, 4, 2]}
    if args.model:
        net = nf.load(args.model)
    elif kind in ("architecture", "cost-weight", "boundary"):
        args.layers = args.layers or default_layers.get(kind, [784, 256, 128, 10])
        net = _fresh_network(args)
    else:
        raise UsageError(f"plot {kind}: expected a MODEL file (a trained network)")
    if kind == "architecture":
        figure = plotting.architecture(net)
    elif kind == "curves":
        if net.history is None or not getattr(net.history, "history", {}).get("loss"):
            raise UsageError(f"plot curves: {args.model} holds no training history")
        figure = plotting.learning_curves(net.history)
    elif kind == "boundary":
        x, y = _small_data(args.data or "moons", net.in_features)
        try:
            epochs = [int(e) for e in args.epochs.split(",")]
        except ValueError:
            raise UsageError(f"--epochs: expected comma-separated integers like 0,5,20, "
                             f"received {args.epochs!r}") from None
        if args.model:
            figure = plotting.decision_boundary(net, x, y)
        else:
            figure = plotting.decision_boundary_over_time(
                net, x, y, epochs=epochs, optimizer="adam", learning_rate=args.learning_rate,
                batch_size=32)
    else:
        x, y = _small_data(args.data or ("moons" if net.in_features == 2 else "mnist"),
                           net.in_features)
        if kind == "cost-weight":
            figure = plotting.cost_vs_weight(net, x[:64], y[:64], layer=len(net.layers) - 1)
        elif kind == "confusion":
            figure = plotting.confusion_matrix(y, net.predict_classes(x),
                                               n_classes=max(net.out_features, 2),
                                               class_names=net.class_names)
        elif kind == "weights":
            figure = plotting.first_layer_weights(net)
        else:
            figure = plotting.misclassified(net, x, y)
    plotting.save(figure, out, dpi=args.dpi)
    print(f"wrote {out}")
    return 0


COMMANDS += [_add_explain, _add_plot]


# ---------------------------------------------------------------------------- train on CSV
_MNIST_LAYERS = [784, 256, 128, 10]


def _train_csv(args: argparse.Namespace) -> int:
    """``train --data PATH.csv --target COLUMN``: a classifier or regressor on a CSV file.

    The inputs are standardised (a StandardScaler fitted on the training rows, saved with
    the model) and text labels are stored as ``class_names``, so ``predict`` takes raw
    rows and prints the original labels. A fifth of the rows (seeded) is held out to
    report the test score.
    """
    import neuroflow as nf
    from neuroflow.preprocessing import StandardScaler

    path = Path(args.data)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"--target: needs --data PATH.csv, received --data {args.data!r}")
    if not path.is_file():
        raise UsageError(f"--data: no such file: {args.data!r}")
    if args.resume or args.distributed:
        raise UsageError("--data PATH.csv: --resume and --distributed train MNIST-style data "
                         "only")
    data = nf.datasets.load_csv(path, target=_csv_target(args.target), task=args.task,
                                missing=args.missing,
                                dtype=args.dtype)
    x, y = data.x, data.y
    if y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {str(path)!r}")
    classification = data.task == "classification"
    outputs = len(data.class_names or []) if classification else 1
    if classification and outputs < 2:
        raise UsageError(f"--target: column {data.target_name!r} holds one class only "
                         f"({data.class_names}); a classifier needs two or more")
    layers = [x.shape[1], 64, outputs] if args.layers == _MNIST_LAYERS else args.layers
    if layers[0] != x.shape[1] or layers[-1] != outputs:
        raise UsageError(f"--layers: expected {x.shape[1]} inputs (feature columns) first and "
                         f"{outputs} outputs last, received {','.join(map(str, layers))}")
    order = np.random.default_rng(args.seed).permutation(x.shape[0])
    n_test = x.shape[0] // 5 if x.shape[0] >= 10 else 0
    test, train = order[:n_test], order[n_test:]
    net = nf.Network.from_sizes(layers, hidden=args.activation,
                                output="softmax" if classification else "linear",
                                loss="cross_entropy" if classification else "mse",
                                seed=args.seed, dtype=args.dtype)
    net.preprocessing = StandardScaler().fit(x[train])
    net.class_names = data.class_names
    if not args.quiet:
        kind = (f"classifier over {outputs} classes" if classification else "regressor")
        print(f"{path.name}: {len(y)} rows, {x.shape[1]} features, target "
              f"{data.target_name!r} -> {kind}"
              + (f" ({len(data.dropped_rows)} rows with missing values dropped)"
                 if data.dropped_rows else ""))
        print(net.summary())
    net.fit(x[train], y[train], epochs=args.epochs, batch_size=args.batch_size,
            optimizer=args.optimizer, learning_rate=args.learning_rate,
            validation_split=args.validation_split, verbose=0 if args.quiet else 1)
    if n_test:
        scores = net.evaluate(x[test], y[test])
        if classification:
            print(f"test accuracy: {scores['accuracy']:.2%}  (loss {scores['loss']:.4f}, "
                  f"{n_test} held-out rows)")
        else:
            print(f"test mse: {scores['loss']:.6g}  ({n_test} held-out rows)")
    net.save(args.out)
    print(f"saved model to {args.out}")
    return 0


# ---------------------------------------------------------------------------- export
def _add_export(commands: Any) -> None:
    parser = commands.add_parser(
        "export", help="export a saved model to ONNX",
        description="Write a saved model's inference pass as an ONNX model (opset 17, IR "
                    "version 8; Gemm and activation nodes, the stored standardisation "
                    "included) for onnxruntime and other runtimes. Needs neuroflow[onnx].")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("--onnx", required=True, metavar="PATH", help="the .onnx file to write")
    parser.add_argument("--no-preprocessing", action="store_true",
                        help="leave the stored input standardisation out of the graph")
    parser.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    import neuroflow as nf

    net = nf.load(args.model)
    try:
        model = net.to_onnx(args.onnx, include_preprocessing=not args.no_preprocessing)
    except ImportError as error:
        raise UsageError(f"--onnx: {error}") from None
    print(f"wrote {args.onnx}: {len(model.graph.node)} ONNX nodes, opset 17, inputs "
          f"(batch, {net.in_features}), outputs (batch, {net.out_features})")
    return 0


COMMANDS.append(_add_export)
