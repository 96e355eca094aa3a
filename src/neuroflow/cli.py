"""The ``neuroflow`` command line: a thin face over the library.

Every user error (bad arguments, missing or corrupt files, invalid data) prints one line
to standard error and exits with status 2; no traceback.

Exit statuses: 0 success; 1 a failed gradient check, or training stopped because the loss
became NaN or infinite (the message names the epoch and batch; the checkpoint of the
last good epoch is kept); 2 a user error; 130 Ctrl-C; 141 standard output was closed
early (``neuroflow summary M | head -1``): nothing more is printed, no message, the
status a Unix tool killed by SIGPIPE gives. ``neuroflow train`` rewrites its
``--out`` file atomically at the end of every epoch, so after Ctrl-C it says where that
checkpoint is and prints the ``neuroflow train --resume ...`` command that continues it.

Every output (``train --out``, ``predict --out``, ``export --onnx``, ``plot --out``) is a
plain path, checked before any work starts (:func:`neuroflow.files.check_writable`): a
directory, device or FIFO, a missing folder, or one of the command's own input files is
refused with exit status 2 and nothing is written. Files are written atomically.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from neuroflow.errors import NeuroflowError

__all__ = ["main", "build_parser", "UsageError"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a tool killed by it

#: Bounds of options that would otherwise run "forever" or exhaust memory.
MAX_EPOCHS = 100_000
MAX_PLOT_EPOCHS = 10_000
MAX_PLOT_PANELS = 8
MAX_PLOT_SIZE = 4096
MAX_PLOT_LAYERS = 16
MIN_DPI, MAX_DPI = 10, 1000


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


def _int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[low, high]``; the message gives the range and
    the value received (``1e23`` is not a whole number)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {low} to {high}, received {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {low} to {high}, received {value}")
        return value

    convert.__name__ = f"whole number from {low} to {high}"
    return convert


def _seed(text: str) -> int:
    """An argparse type: a random seed, a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, received {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, received {value}")
    return value


def _plot_sizes(text: str) -> list[int]:
    """``--layers`` of ``plot``: sizes as for ``train``, bounded so that a plot stays small."""
    sizes = _int_list(text)
    if len(sizes) > MAX_PLOT_LAYERS or max(sizes) > MAX_PLOT_SIZE:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_PLOT_LAYERS} sizes of at most {MAX_PLOT_SIZE} each for a "
            f"plot, received {text!r}")
    return sizes


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
                                              " for CSV data inputs,64,outputs); a value "
                                              "given is used as given")
    parser.add_argument("--activation", type=_choices(activations.names()), default="relu",
                        help="hidden activation: " + ", ".join(activations.names()))
    parser.add_argument("--output-activation", type=_choices(activations.names()),
                        default="softmax", help="output activation (default softmax; for CSV "
                                                "data the one that suits --loss: softmax, "
                                                "sigmoid or linear)")
    parser.add_argument("--loss", type=_choices(losses.names()), default="cross_entropy",
                        help="cost function: " + ", ".join(losses.names()) + " (default "
                             "cross_entropy; for a CSV regression target mse)")
    parser.add_argument("--optimizer", type=_choices(optimizers.names()), default="adam",
                        help="optimiser: " + ", ".join(optimizers.names()) + " (default adam)")
    parser.add_argument("--learning-rate", type=_positive(float), default=1e-3, metavar="RATE",
                        help="learning rate eta (default 0.001)")
    parser.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=10,
                        help=f"default 10, at most {MAX_EPOCHS}")
    parser.add_argument("--batch-size", type=_positive(int), default=128, help="default 128")
    parser.add_argument("--validation-split", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of training data held out for validation (default 0)")
    # --seed and --dtype default to None so that _train can tell them given (see --resume)
    parser.add_argument("--seed", type=_seed, default=None,
                        help="random seed of the weights, the shuffling and (CSV data) the "
                             "held-out rows (default 0)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="floating-point type of weights and arithmetic (default float32)")
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="where to save the model, a plain file path; it is also "
                             "rewritten (atomically) at the end of every epoch as a checkpoint "
                             "(default model.safetensors, or the --resume file)")
    parser.add_argument("--resume", default=None, metavar="MODEL",
                        help="continue training the checkpoint MODEL (written by an "
                             "interrupted 'neuroflow train') up to a total of --epochs "
                             "epochs; architecture, dtype, seed and optimiser come from "
                             "MODEL (giving other ones is refused), so give the same "
                             "--data, --batch-size and --validation-split as before")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over MPI ranks; launch with mpiexec -n N "
                             "(needs neuroflow[mpi]); --batch-size is the global batch")
    _add_csv_options(parser)
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
    if args.target is not None or args.data.lower().endswith(".csv"):
        raise UsageError("--preset: expected MNIST-style data, received a CSV --data or "
                         "--target")
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


#: ``train`` options a resumed run takes from its checkpoint: given explicitly with
#: ``--resume`` they must match the checkpoint, or the command is refused naming them.
_FROM_CHECKPOINT = ("layers", "activation", "output_activation", "loss", "dtype", "seed",
                    "optimizer", "learning_rate")
_CHANGES = {"layers": ("the architecture", ""), "activation": ("the architecture", ""),
            "output_activation": ("the architecture", ""), "loss": ("the loss", ""),
            "dtype": ("the floating-point type", ""),
            "seed": ("the random seed", "the checkpoint carries its generator's state"),
            "optimizer": ("the optimiser", "its state continues from the checkpoint"),
            "learning_rate": ("the optimiser", "its state continues from the checkpoint")}


@dataclass
class _TrainingData:
    """What a data source hands the one training path (:func:`_fit_and_save`)."""

    network: Any
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    describe: str | None = None  # printed before the summary unless --quiet
    held_out: str = ""  # said after the test score, e.g. "40 held-out rows"


def _train(args: argparse.Namespace) -> int:
    """``neuroflow train``: one path for every data source.

    The source (bundled MNIST or an IDX folder, or a CSV file) decides how the data is
    read and the network is built or resumed; checking ``--out`` up front, the
    per-epoch checkpoint, Ctrl-C (exit 130 and a resume command), divergence (exit 1
    naming the last good checkpoint), the test score and the final save are common.
    """
    from neuroflow import files

    explicit = {key for key in (*_PRESET_OPTIONS, *_FROM_CHECKPOINT, "preset")
                if getattr(args, key, None) is not None}
    preset = _apply_preset(args)
    args.seed = 0 if args.seed is None else args.seed
    args.dtype = args.dtype or "float32"
    args.out = args.out or args.resume or "model.safetensors"
    files.check_writable(args.out, inputs=_data_inputs(args.data), argument="--out")
    resumed = _resumed_network(args, explicit) if args.resume else None
    if args.target is not None or args.data.lower().endswith(".csv"):
        data = _csv_training_data(args, explicit, resumed)
    else:
        data = _mnist_training_data(args, preset, resumed)
    return _fit_and_save(args, data, preset)


def _data_inputs(spec: str) -> list[str]:
    """The files ``--data`` reads (a folder stands for its files), which outputs must not
    overwrite; none for the bundled MNIST."""
    return [] if spec.lower() == "mnist" else [spec]


def _checkpoint_settings(net: Any) -> dict[str, Any]:
    """The values of :data:`_FROM_CHECKPOINT` a loaded checkpoint holds."""
    dense = [layer for layer in net.layers if type(layer).__name__ == "Dense"]
    optimizer = net.optimizer
    rate = getattr(optimizer, "learning_rate", None)
    return {"layers": [net.in_features] + [layer.out_features for layer in dense],
            "activation": sorted({layer.activation.name for layer in dense[:-1]}),
            "output_activation": dense[-1].activation.name if dense else None,
            "loss": net.loss.name, "dtype": np.dtype(net.dtype).name, "seed": net.seed,
            "optimizer": getattr(optimizer, "name", None),
            "learning_rate": None if callable(rate) or rate is None else float(rate)}


def _resumed_network(args: argparse.Namespace, explicit: set[str]) -> Any:
    """Load ``--resume``; refuse an option given explicitly that differs from it."""
    import neuroflow as nf

    net = nf.load(args.resume)
    saved = _checkpoint_settings(net)
    for key in _FROM_CHECKPOINT:
        if key not in explicit:
            continue
        given, kept = getattr(args, key), saved[key]
        if key == "activation":
            same = kept in ([], [given])
        elif key == "learning_rate":
            same = kept is not None and float(given) == kept
        else:
            same = (list(given) if key == "layers" else given) == kept
        if same:
            continue
        flag = "--" + key.replace("_", "-")
        what, why = _CHANGES[key]
        raise UsageError(f"{flag}: cannot change {what} of a resumed model (it is read from "
                         f"--resume {args.resume}: {_setting_text(key, kept)}, received "
                         f"{_setting_text(key, given)}{'; ' + why if why else ''}); "
                         f"drop {flag}")
    return net


def _setting_text(key: str, value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return "a schedule" if value is None and key == "learning_rate" else str(value)


def _mnist_training_data(args: argparse.Namespace, preset: dict[str, Any] | None,
                         resumed: Any) -> _TrainingData:
    """Bundled MNIST or a folder of IDX files: the network resumed, from the preset, or
    built from ``--layers``."""
    import neuroflow as nf

    x_train, y_train, x_test, y_test = load_data(args.data)
    n_inputs = x_train.shape[1]
    if resumed is not None:
        if resumed.in_features != n_inputs:
            raise UsageError(f"--resume: the model takes {resumed.in_features} inputs, the "
                             f"data has {n_inputs} columns")
        return _TrainingData(resumed, x_train, y_train, x_test, y_test)
    layers = list(args.layers)
    if layers[0] != n_inputs:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{n_inputs}, received {layers[0]}")
    n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    if args.loss == "cross_entropy" and layers[-1] < n_classes:
        raise UsageError(f"--layers: the last size must be {n_classes}, one output per class "
                         f"(the labels of --data {args.data} run from 0 to {n_classes - 1}), "
                         f"received {layers[-1]}")
    if preset is not None:
        from neuroflow import presets

        net = presets.build_network(preset, seed=args.seed, dtype=args.dtype)
    else:
        net = nf.Network.from_sizes(layers, hidden=args.activation,
                                    output=args.output_activation, loss=args.loss,
                                    seed=args.seed, dtype=args.dtype)
    return _TrainingData(net, x_train, y_train, x_test, y_test)


def _fit_and_save(args: argparse.Namespace, data: _TrainingData,
                  preset: dict[str, Any] | None) -> int:
    """Train ``data.network`` with a checkpoint at ``--out`` after every epoch, report the
    test score and save; Ctrl-C and divergence go to :func:`_report_stop`."""
    import neuroflow as nf

    net = data.network
    extra: dict[str, Any] = {}
    if preset is not None:
        from neuroflow import presets

        extra = presets.fit_options(preset, data.x_train.shape[0])
    root = _is_root(args)
    if not args.quiet and root:
        if data.describe:
            print(data.describe)
        print(net.summary())
    # ModelCheckpoint fills {fields} of its path in; --out is a plain path, so its braces
    # are escaped and the checkpoint is written to exactly the file named.
    checkpoint = nf.callbacks.ModelCheckpoint(
        str(args.out).replace("{", "{{").replace("}", "}}"))
    try:
        net.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=args.batch_size,
                # a resumed run continues with the checkpoint's optimiser and schedule
                optimizer=None if args.resume else extra.get("optimizer") or args.optimizer,
                learning_rate=None if args.resume or "optimizer" in extra
                else args.learning_rate,
                validation_split=args.validation_split,
                verbose=0 if args.quiet or not root else 1, distributed=args.distributed,
                callbacks=[checkpoint, *extra.get("callbacks", [])] if root else [],
                **({"resume_from": args.resume} if args.resume else {}))
    except (nf.TrainingInterrupted, nf.TrainingDivergedError) as error:
        if root:
            return _report_stop(args, error, checkpoint)
        return 1 if isinstance(error, nf.TrainingDivergedError) else EXIT_INTERRUPTED
    if not root:  # rank 0 alone evaluates and saves
        return 0
    if data.x_test is not None and data.y_test is not None:
        scores = net.evaluate(data.x_test, data.y_test)
        held_out = f", {data.held_out}" if data.held_out else ""
        if "accuracy" in scores:
            print(f"test accuracy: {scores['accuracy']:.2%}  (loss {scores['loss']:.4f}"
                  f"{held_out})")
        else:
            print(f"test {net.loss.name}: {scores['loss']:.6g}"
                  + (f"  ({data.held_out})" if data.held_out else ""))
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
    _add_csv_options(parser)
    parser.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import neuroflow as nf

    net = nf.load(args.model)
    if Path(args.data).suffix.lower() == ".csv":
        x_test, y_test = _csv_for_model(net, args.data, args.target,  # checks the width
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


def _csv_target(target: str | None) -> int | str:
    """``--target``: a header name, or a column index given as digits (default -1)."""
    if target is None:
        return -1
    return int(target) if target.lstrip("-").isdigit() else target


def _csv_for_model(net: Any, source: str, target: str | None, *, header: bool | None = None,
                   delimiter: str = ",") -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of a CSV file for a saved model: raw features (the model applies its
    stored standardisation; with a header and a model that has ``feature_names``, columns
    are matched by name, else by position) and targets as the model's class indices
    (labels looked up in its ``class_names``, or integer class indices when it has none)
    or regression values."""
    import neuroflow as nf

    path = Path(source)
    if not path.is_file():
        raise UsageError(f"--data: no such file: {source!r}")
    classification = net.loss.is_classification
    data = nf.datasets.load_csv(path, target=_csv_target(target),
                                task="classification" if classification else "regression",
                                dtype=str(net.dtype), header=header, delimiter=delimiter)
    if data.y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {source!r}")
    feature_names = net.feature_names
    if data.has_header and feature_names is not None:
        data.x = data.x[:, nf.datasets.match_columns(data.feature_names, feature_names,
                                                     f"--data {source!r}")]
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
    """Run the CLI; return the exit status: 0 success, 1 a failed check or a diverged
    training run, 2 a user error (one line on standard error, also for ``OSError`` and
    ``MemoryError``), 130 interrupted by Ctrl-C, 141 standard output closed early by its
    reader (``neuroflow summary M | head -1``; nothing more is printed, as for a Unix
    tool killed by SIGPIPE)."""
    try:
        return _run(argv)
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        # Overflow or NaN is reported once, clearly (divergence, values beyond float32);
        # NumPy's floating-point RuntimeWarnings would only add lines to stderr.
        with np.errstate(all="ignore"):
            status = int(args.handler(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        print("neuroflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError as error:
        detail = str(error).splitlines()[0] if str(error) else ""
        names = _files_of(args)
        print(f"neuroflow {args.command}: error: out of memory"
              + (f" ({detail})" if detail else "")
              + (f" working on {names}; is it much larger than expected?" if names else ""),
              file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, NeuroflowError, ValueError, OSError) as error:
        print(f"neuroflow {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE


def _one_line(error: BaseException) -> str:
    """The first line of an error's message; an ``OSError`` names its file first."""
    if isinstance(error, OSError) and error.strerror:
        if error.filename is not None:
            other = f" -> {error.filename2}" if error.filename2 is not None else ""
            return f"{error.filename}{other}: {error.strerror}"
        return str(error.strerror).splitlines()[0]
    text = str(error)
    return text.splitlines()[0] if text.strip() else type(error).__name__


def _files_of(args: argparse.Namespace) -> str:
    """The files a command works on, for a message (``'m.safetensors', 'x.csv'``)."""
    names: list[str] = []
    for key in ("model", "resume", "data", "inputs"):
        value = getattr(args, key, None)
        for item in value if isinstance(value, list) else [value]:
            if item and str(item).lower() not in ("mnist", "moons", "circles"):
                names.append(repr(str(item)))
    return ", ".join(names)


def _discard_stdout() -> None:
    """Point standard output at the null device, so that what is still buffered goes
    nowhere instead of failing again (with a message) when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured output): nothing is flushed at exit


#: Data-reading options a resume command repeats when they differ from their default.
_RESUME_REPEATS = {"target": None, "missing": "fail", "delimiter": ",", "header": None,
                   "preset": None}


# ---------------------------------------------------------------------------- train: stops
def _report_stop(args: argparse.Namespace, error: BaseException, checkpoint: Any) -> int:
    """Tell where the last checkpoint is after Ctrl-C (exit 130, with the command that
    resumes it) or divergence (exit 1)."""
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
        command = ["neuroflow", "train", "--resume", str(saved), "--data", args.data]
        for key, default in _RESUME_REPEATS.items():
            value = getattr(args, key, default)
            if value == default:
                continue
            flag = "--" + key.replace("_", "-")
            if isinstance(value, bool):
                command.append(flag if value else f"--no-{key}")
            else:
                command += [flag, str(value)]
        command += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
        if args.validation_split:
            command += ["--validation-split", str(args.validation_split)]
        print(f"resume with: {shlex.join(command)}", file=sys.stderr)
    return EXIT_INTERRUPTED


# ---------------------------------------------------------------------------- predict
_INPUT_KINDS = (".csv/.txt rows, a .npy array, images (.png, .jpg, .jpeg, .bmp, .gif) or a "
                "directory of images")


def _delimiter(text: str) -> str:
    """``--delimiter``: one character; ``tab`` (or ``\\t``), ``comma``, ``semicolon``,
    ``pipe`` and ``space`` are accepted by name."""
    names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
             "space": " "}
    value = names.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n":
        raise argparse.ArgumentTypeError(
            f"expected one character such as ',' or ';', or 'tab', received {text!r}")
    return value


def _add_csv_options(parser: argparse.ArgumentParser) -> None:
    """``--header/--no-header`` and ``--delimiter`` for the commands that read CSV files."""
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                        help="CSV data: row 1 names the columns (--header) or is data "
                             "(--no-header); by default row 1 is a header when it holds no "
                             "number and no missing-value marker, and data otherwise (a typo "
                             "in it is then an error naming row 1)")
    parser.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                        help="CSV data: the field separator, e.g. ';' or tab (default ',')")


def _add_predict(commands: Any) -> None:
    parser = commands.add_parser(
        "predict", help="run a saved model on new inputs",
        description="Run a saved model on inputs and write one CSV row per sample: the "
                    "input (row number or image file), the predicted class (classification "
                    "models) and every output. INPUT may be CSV rows of numbers (see "
                    "--header; with a header, columns are matched to the model's feature "
                    "names by name when the model has them), a .npy array of shape "
                    "(n, inputs) (integer arrays are 8-bit pixels, divided by 255), or, for "
                    "models with 784 inputs, 28x28 images (.png, .jpg, .bmp, .gif files or a "
                    "directory; transparency is composited, and --invert makes dark ink on "
                    "light paper light-on-dark like MNIST; inverted images are named on "
                    "standard error).")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=_INPUT_KINDS)
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="write the CSV to PATH instead of standard output")
    parser.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                        help="images only: invert brightness so digits are light on dark as "
                             "in MNIST; 'auto' (default) inverts images whose mean brightness "
                             "is above one half (dark ink on light paper), the same rule as "
                             "nf.datasets.load_images")
    _add_csv_options(parser)
    parser.set_defaults(handler=_predict)


def _read_csv_rows(path: Path, header: bool | None = None, delimiter: str = ",",
                   feature_names: Sequence[str] | None = None) -> np.ndarray:
    """Every row of a CSV file of numbers (``nf.datasets.load_csv`` rules: UTF-8 with or
    without a byte-order mark, strict numbers, row 1 a header only when it holds no
    number, unless ``header`` says). With a header and a model that has
    ``feature_names``, columns are matched by name (any order; missing or extra columns
    are refused by name); otherwise by position."""
    from neuroflow.datasets.csv import load_csv, match_columns

    data = load_csv(path, target=None, header=header, delimiter=delimiter, dtype="float64")
    if data.has_header and feature_names is not None:
        return data.x[:, match_columns(data.feature_names, feature_names,
                                       f"CSV file {str(path)!r}")]
    return data.x


def _read_npy(path: Path, n_features: int, pixels: bool = True) -> np.ndarray:
    """A ``.npy`` array as rows of ``n_features`` floats.

    For a model of raw pixels (``pixels``: one without preprocessing), integer arrays are
    8-bit pixels: values must lie in 0..255 and are divided by 255 like MNIST (anything
    else is refused: save floats to pass values unchanged). For a model with
    preprocessing (e.g. trained on CSV columns) integers are plain values, passed as they
    are. Bool arrays become 0/1; floats pass unchanged. Shapes: ``(n, n_features)`` or
    ``(n_features,)``; for a model whose input count is a square ``s*s`` (784 = 28*28),
    also one image ``(s, s)`` or a stack ``(n, s, s)``; nothing else is reshaped.
    """
    from neuroflow.datasets.npy import read_npy
    from neuroflow.errors import DatasetError

    source = f"INPUT {str(path)!r}"
    array = read_npy(path)
    if array.dtype.kind in "iu" and pixels:
        low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
        if low < 0 or high > 255:
            raise DatasetError(f"{source}: integer arrays are read as 8-bit pixels in 0..255 "
                               f"(divided by 255), received values in [{low}, {high}]; save "
                               "the array as float to pass values unchanged")
        array = array / 255.0
    else:
        array = array.astype(np.float64)
    side = int(np.sqrt(n_features))
    square = side > 1 and side * side == n_features
    if square and array.shape == (side, side):
        array = array.reshape(1, n_features)
    elif square and array.ndim == 3 and array.shape[1:] == (side, side):
        array = array.reshape(array.shape[0], n_features)
    elif array.ndim == 1:
        array = array.reshape(1, -1)
    elif array.ndim != 2:
        images = f", ({side}, {side}) or (n, {side}, {side})" if square else ""
        raise DatasetError(f"{source}: expected an array of shape (n, {n_features}) or "
                           f"({n_features},){images}, received {array.shape}")
    if array.shape[0] == 0:
        raise DatasetError(f"{source}: expected at least one sample, received shape "
                           f"{array.shape}")
    bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if bad.size:
        raise DatasetError(f"{source}: expected finite values, received NaN or infinity in "
                           f"sample {int(bad[0]) + 1}")
    return array


def _read_image(path: Path, invert: str) -> tuple[np.ndarray, bool]:
    """One 28x28 image as a row of 784 values in [0, 1] and whether it was inverted:
    transparency composited and polarity made MNIST-like by the same rules as
    ``nf.datasets.load_images`` (``nf.datasets.images``). The size is checked from the
    file's header before any pixel is decoded."""
    from neuroflow.datasets.images import mnist_polarity, read_image

    grey = read_image(path, size=(28, 28))
    grey, inverted = mnist_polarity(grey, invert)
    return grey.reshape(1, 784), inverted


def _stderr_note(message: str) -> None:
    print(f"neuroflow predict: note: {message}", file=sys.stderr)


def read_inputs(paths: Sequence[str], n_features: int, invert: str = "auto", *,
                header: bool | None = None, delimiter: str = ",",
                feature_names: Sequence[str] | None = None,
                note: Callable[[str], None] | None = _stderr_note,
                pixels: bool = True) -> tuple[np.ndarray, list[str]]:
    """Rows ``(n, n_features)`` for ``neuroflow predict`` and a label for each row.

    Parameters
    ----------
    paths : sequence of str
        Files (CSV/TXT rows, ``.npy``, images) and directories of images.
    n_features : int
        The model's input count.
    invert : {"auto", "yes", "no"}
        Image polarity (see ``nf.datasets.images``).
    header, delimiter : bool or None, str
        How CSV files are read (see ``nf.datasets.load_csv``).
    feature_names : sequence of str or None
        The model's ``feature_names``: CSV files with a header are matched to them by name.
    note : callable or None
        Receives one line naming the images that were inverted, when any were (by
        default written to standard error as ``neuroflow predict: note: ...``).
    pixels : bool
        Whether the model takes raw pixels (no preprocessing): integer ``.npy`` arrays
        are then 8-bit pixels scaled to [0, 1], else plain values.

    Returns
    -------
    (ndarray, list of str)
        The rows, and the input label of each: the image file, or the sample number
        (1-based, prefixed with the file when several INPUTs are given).
    """
    blocks: list[np.ndarray] = []
    labels: list[str] = []
    inverted: list[str] = []
    n_images = 0
    for spec in paths:
        path = Path(spec)
        if not path.exists():
            raise UsageError(f"INPUT: no such file or directory: {spec!r}")
        if path.is_dir():
            from neuroflow.datasets.images import image_files

            files = image_files(path)
            if not files:
                raise UsageError(f"INPUT: no images (.png, .jpg, .jpeg, .bmp, .gif) in the "
                                 f"directory {spec!r}")
        else:
            files = [path]
        for file in files:
            suffix = file.suffix.lower()
            if suffix in (".png", ".jpg", ".jpeg", ".bmp", ".gif"):
                if n_features != 784:
                    raise UsageError(f"INPUT {file}: {suffix[1:].upper()} images need a model "
                                     f"with 784 inputs (28x28 pixels); this model takes "
                                     f"{n_features}")
                block, flipped = _read_image(file, invert)
                n_images += 1
                if flipped:
                    inverted.append(str(file))
                labels.append(str(file))
            elif suffix in (".csv", ".txt"):
                block = _read_csv_rows(file, header, delimiter, feature_names)
            elif suffix == ".npy":
                block = _read_npy(file, n_features, pixels)
            else:
                raise UsageError(f"INPUT {file}: expected {_INPUT_KINDS}")
            if block.ndim != 2 or block.shape[1] != n_features:
                width = block.shape[1] if block.ndim == 2 else block.shape
                raise UsageError(f"INPUT {file}: expected {n_features} values per row (the "
                                 f"model's inputs), received {width}")
            if suffix not in (".png", ".jpg", ".jpeg", ".bmp", ".gif"):  # images: labelled
                labels += [f"{file}:{i + 1}" if len(paths) > 1 else str(i + 1)
                           for i in range(block.shape[0])]
            blocks.append(block)
    if inverted and note is not None:
        shown = ", ".join(inverted[:5]) + (f" and {len(inverted) - 5} more"
                                           if len(inverted) > 5 else "")
        note(f"inverted {len(inverted)} of {n_images} images to light-on-dark like MNIST "
             f"(--invert {invert}): {shown}")
    return np.concatenate(blocks), labels


def _predict(args: argparse.Namespace) -> int:
    import csv
    import io

    import neuroflow as nf
    from neuroflow import files

    sources = [args.model, *args.inputs]
    if args.out:  # before any work: a device, a folder or an input file is refused
        files.check_writable(args.out, inputs=sources, argument="--out")
    net = nf.load(args.model)
    x, labels = read_inputs(args.inputs, net.in_features, args.invert, header=args.header,
                            delimiter=args.delimiter,
                            feature_names=net.feature_names,
                            pixels=net.preprocessing is None)
    _check_fits(x, net.dtype, "INPUT", "the model computes in float32; train one with "
                "--dtype float64 for such inputs")
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
    if args.out:  # atomically: a failed write (disk full) leaves an old file intact
        files.write_atomic(args.out, buffer.getvalue().encode("utf-8"), inputs=sources,
                           argument="--out")
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
                        help="'mnist', 'moons', 'circles', a directory of IDX files, or a "
                             "CSV file (target in the last column) for a model trained on "
                             "one")
    parser.add_argument("--layers", type=_plot_sizes, default=None, metavar="SIZES",
                        help="sizes of a fresh network when no MODEL is given (at most "
                             f"{MAX_PLOT_LAYERS} sizes, each at most {MAX_PLOT_SIZE})")
    parser.add_argument("--activation", type=_choices(activations.names()), default="tanh",
                        help="hidden activation of a fresh network (default tanh)")
    parser.add_argument("--output-activation", type=_choices(activations.names()),
                        default=None, help="output activation of a fresh network")
    parser.add_argument("--epochs", type=_plot_epochs, default="0,5,20,100", metavar="LIST",
                        help="boundary: epochs at which to draw (default 0,5,20,100; at most "
                             f"{MAX_PLOT_PANELS}, each at most {MAX_PLOT_EPOCHS})")
    parser.add_argument("--learning-rate", type=_positive(float), default=0.01, metavar="RATE",
                        help="boundary: Adam learning rate (default 0.01)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    parser.add_argument("--dpi", type=_int_in(MIN_DPI, MAX_DPI), default=100,
                        help=f"image resolution, {MIN_DPI} to {MAX_DPI} (default 100)")
    parser.set_defaults(handler=_plot)


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


def _plot(args: argparse.Namespace) -> int:
    import neuroflow as nf
    from neuroflow import files

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
    data_files = [] if args.data is None else _data_inputs(args.data)
    files.check_writable(out, inputs=[args.model, *data_files], argument="--out")
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
        return _csv_for_model(net, args.data, None)
    if args.data is None and args.model and (net.class_names is not None
                                             or net.preprocessing is not None):
        raise UsageError(f"--data: {args.model} was trained on its own data (it has "
                         f"{'class names' if net.class_names is not None else 'preprocessing'}"
                         f"), not on {default}; give --data FILE.csv with labelled rows")
    return _small_data(args.data or default, net.in_features)


COMMANDS += [_add_explain, _add_plot]


# ---------------------------------------------------------------------------- train on CSV
def _csv_training_data(args: argparse.Namespace, explicit: set[str],
                       resumed: Any) -> _TrainingData:
    """``train --data PATH.csv [--target COLUMN]``: a classifier or regressor on a CSV file.

    The inputs are standardised (a StandardScaler fitted on the training rows, saved with
    the model) and text labels are stored as ``class_names``, so ``predict`` takes raw
    rows and prints the original labels. A fifth of the rows, drawn with the seed, is
    held out to report the test score. A resumed run takes the task, dtype, scaler,
    classes and seed (so the same held-out rows) from its checkpoint; ``fit`` then checks
    that the training rows are those of the interrupted run.
    """
    import neuroflow as nf
    from neuroflow.preprocessing import StandardScaler

    path = Path(args.data)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"--target: needs --data PATH.csv, received --data {args.data!r}")
    if not path.is_file():
        raise UsageError(f"--data: no such file: {args.data!r}")
    if args.distributed:
        raise UsageError("--distributed: trains MNIST-style data only, not --data PATH.csv")
    task, dtype = args.task, args.dtype
    if resumed is not None:
        saved_task = "classification" if resumed.loss.is_classification else "regression"
        if task not in ("auto", saved_task):
            raise UsageError(f"--task: the resumed model is a {saved_task} model (it is read "
                             f"from --resume {args.resume}); drop --task")
        task, dtype = saved_task, np.dtype(resumed.dtype).name
    options = {key: getattr(args, key) for key in ("header", "delimiter")
               if getattr(args, key, None) is not None}
    # read as float64 so that a finite value beyond float32 is named, not turned into inf
    data = nf.datasets.load_csv(path, target=_csv_target(args.target), task=task,
                                missing=args.missing, dtype="float64", **options)
    x, y = data.x, data.y
    if y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {str(path)!r}")
    if x.shape[1] == 0:
        raise UsageError(f"--data: {str(path)!r} has no feature columns besides the target "
                         f"{data.target_name!r}; if its fields are not separated by commas, "
                         "give --delimiter")
    classification = data.task == "classification"
    _check_fits(x, dtype, f"--data {args.data}", "use --dtype float64")
    x = x.astype(dtype)
    if not classification:
        _check_fits(y, dtype, f"--data {args.data}: the target", "use --dtype float64")
        y = y.astype(dtype)
    names = list(data.class_names or [])
    if classification and len(names) < 2:
        raise UsageError(f"--target: column {data.target_name!r} holds one class only "
                         f"({names}); a classifier needs two or more")
    if resumed is not None:
        if resumed.in_features != x.shape[1]:
            raise UsageError(f"--resume: the model takes {resumed.in_features} inputs, the "
                             f"data has {x.shape[1]} feature columns")
        saved_names = [str(name) for name in resumed.class_names or []]
        if classification and saved_names != [str(name) for name in names]:
            raise UsageError(f"--data: the classes of {args.data} ({', '.join(map(str, names))})"
                             f" differ from the checkpoint's ({', '.join(saved_names)})")
        if resumed.seed is None:
            raise UsageError(f"--resume: {args.resume} does not record the seed that chose "
                             "its held-out rows, so the run cannot continue on the same rows")
        seed, net = resumed.seed, resumed
    else:
        seed, net = args.seed, _csv_network(args, explicit, data, x.shape[1])
    order = np.random.default_rng(seed).permutation(x.shape[0])
    n_test = x.shape[0] // 5 if x.shape[0] >= 10 else 0
    test, train = order[:n_test], order[n_test:]
    if resumed is None:
        net.preprocessing = StandardScaler().fit(x[train])
        net.class_names = data.class_names
        net.feature_names = getattr(data, "model_feature_names", None)
    kind = f"classifier over {len(names)} classes" if classification else "regressor"
    describe = (f"{path.name}: {len(y)} rows, {x.shape[1]} features, target "
                f"{data.target_name!r} -> {kind}"
                + (f" ({len(data.dropped_rows)} rows with missing values dropped)"
                   if data.dropped_rows else ""))
    return _TrainingData(net, x[train], y[train], x[test] if n_test else None,
                         y[test] if n_test else None, describe,
                         f"{n_test} held-out rows" if n_test else "")


def _csv_network(args: argparse.Namespace, explicit: set[str], data: Any,
                 n_features: int) -> Any:
    """A fresh network for CSV data: ``--loss`` and ``--output-activation`` when given
    (else cross_entropy and softmax for classes, mse and linear for numbers) and
    ``--layers`` when given (else ``inputs,64,outputs``)."""
    import neuroflow as nf
    from neuroflow import losses

    classification = data.task == "classification"
    n_classes = len(data.class_names or [])
    loss = args.loss if "loss" in explicit else ("cross_entropy" if classification else "mse")
    if classification and not losses.get(loss).is_classification:
        raise UsageError(f"--loss: {loss} is a regression loss, but the target "
                         f"{data.target_name!r} holds classes; use cross_entropy, or "
                         "--task regression for a numeric target")
    if not classification and losses.get(loss).is_classification:
        raise UsageError(f"--loss: {loss} needs class labels, but the target "
                         f"{data.target_name!r} holds numbers (a regression target); use "
                         "mse, or --task classification")
    if loss == "binary_cross_entropy" and n_classes != 2:
        raise UsageError(f"--loss: binary_cross_entropy needs two classes, the target "
                         f"{data.target_name!r} has {n_classes}; use cross_entropy")
    outputs = n_classes if loss == "cross_entropy" else 1
    output = (args.output_activation if "output_activation" in explicit else
              {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, "linear"))
    layers = list(args.layers) if "layers" in explicit else [n_features, 64, outputs]
    if layers[0] != n_features or layers[-1] != outputs:
        raise UsageError(f"--layers: expected {n_features} inputs (feature columns) first and "
                         f"{outputs} outputs last, received {','.join(map(str, layers))}")
    return nf.Network.from_sizes(layers, hidden=args.activation, output=output, loss=loss,
                                 seed=args.seed, dtype=args.dtype)


def _check_fits(array: Any, dtype: Any, where: str, advice: str) -> None:
    """Refuse finite values beyond float32's range when ``dtype`` is float32: they would
    become infinity and be reported as "NaN or infinity" (reliability D.23)."""
    array = np.asarray(array)
    if np.dtype(dtype) != np.float32 or array.dtype.kind != "f" or array.dtype.itemsize <= 4:
        return
    limit = float(np.finfo(np.float32).max)
    with np.errstate(invalid="ignore", over="ignore"):
        beyond = np.isfinite(array) & (np.abs(array) > limit)
    if beyond.any():
        value = float(array[np.unravel_index(int(np.argmax(beyond)), array.shape)])
        raise UsageError(f"{where}: the value {value:g} is beyond the float32 range (largest "
                         f"{limit:.4g}); {advice}")


# ---------------------------------------------------------------------------- export
def _add_export(commands: Any) -> None:
    parser = commands.add_parser(
        "export", help="export a saved model to ONNX",
        description="Write a saved model's inference pass as an ONNX model (opset 17, IR "
                    "version 8; Gemm and activation nodes, the stored standardisation "
                    "included) for onnxruntime and other runtimes. Needs neuroflow[onnx].")
    parser.add_argument("model", help="a .safetensors model file")
    parser.add_argument("--onnx", required=True, metavar="PATH",
                        help="the .onnx file to write (not the MODEL file)")
    parser.add_argument("--no-preprocessing", action="store_true",
                        help="leave the stored input standardisation out of the graph")
    parser.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    import neuroflow as nf
    from neuroflow import files

    if Path(args.onnx).suffix.lower() != ".onnx":
        raise UsageError(f"--onnx: expected a file name ending in .onnx, received "
                         f"{args.onnx!r}")
    files.check_writable(args.onnx, inputs=[args.model], argument="--onnx")
    net = nf.load(args.model)
    try:
        model = net.to_onnx(args.onnx, include_preprocessing=not args.no_preprocessing)
    except ImportError as error:
        raise UsageError(f"--onnx: {error}") from None
    print(f"wrote {args.onnx}: {len(model.graph.node)} ONNX nodes, opset 17, inputs "
          f"(batch, {net.in_features}), outputs (batch, {net.out_features})")
    return 0


COMMANDS.append(_add_export)
