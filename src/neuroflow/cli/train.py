"""``neuroflow train``: one training path for every data source.

The source (bundled MNIST or an IDX folder, or a CSV file, :mod:`neuroflow.cli._data`)
decides how the data is read and the network is built or resumed; a preset
(``--preset``) fills in the options not given. Common to all: ``--out`` checked up front,
a checkpoint at the end of every epoch, Ctrl-C (exit 130 and the command that resumes),
divergence (exit 1 naming the last good checkpoint and the rate to try), the test score,
the final save, and a hint on stderr when the accuracy is no better than chance
(:mod:`neuroflow.cli._hints`).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import numpy as np

from neuroflow import activations, files, losses, optimizers, presets
from neuroflow.callbacks import Diagnostics, ModelCheckpoint
from neuroflow.cli import _hints
from neuroflow.cli._args import (
    MAX_EPOCHS,
    UsageError,
    add_csv_options,
    choices,
    fraction,
    int_in,
    path_text,
    positive,
    seed,
)
from neuroflow.cli._data import (
    TrainingData,
    csv_training_data,
    data_inputs,
    is_image_folder,
    load_data,
)
from neuroflow.cli._keys import add_sign_option, add_verify_options, load_model, train_key
from neuroflow.cli._options import (
    add_fit_options,
    auto_batch_size,
    build_dense,
    check_fit_options,
    fit_callbacks,
    fit_optimizer,
    say_stopped,
)
from neuroflow.cli._sources import test_data, training_images
from neuroflow.cli._stack import LAYERS_OPTION, stack_data
from neuroflow.errors import TrainingDivergedError, TrainingInterrupted

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """Add the ``train`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "train", help="train a network (default: 784-256-128-10 on bundled MNIST)",
        description="Train a feed-forward network by mini-batch gradient descent, print its "
                    "test accuracy and save it. With no options: the default network on the "
                    "bundled MNIST digits.")
    parser.add_argument("--data", default="mnist", metavar="SOURCE",
                        help="'mnist' (bundled, default), a directory of MNIST IDX files, a "
                             "folder of images with one sub-folder per class, or a CSV file")
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
    parser.add_argument("--layers", **LAYERS_OPTION)  # sizes, or conv32k3,pool2,dense128
    parser.add_argument("--activation", type=choices(activations.names()), default="relu",
                        help="hidden activation: " + ", ".join(activations.names()))
    parser.add_argument("--output-activation", type=choices(activations.names()),
                        default="softmax", help="output activation (default softmax; for CSV "
                                                "data the one that suits --loss: softmax, "
                                                "sigmoid or linear)")
    parser.add_argument("--loss", type=choices(losses.names()), default="cross_entropy",
                        help="cost function: " + ", ".join(losses.names()) + " (default "
                             "cross_entropy; for a CSV regression target mse); mse on class "
                             "labels trains one output per class on one-hot targets")
    parser.add_argument("--optimizer", type=choices(optimizers.names()), default="adam",
                        help="optimiser: " + ", ".join(optimizers.names()) + " (default adam)")
    parser.add_argument("--learning-rate", type=positive(float), default=1e-3, metavar="RATE",
                        help="learning rate eta (default 0.001)")
    parser.add_argument("--epochs", type=int_in(1, MAX_EPOCHS), default=10,
                        help=f"default 10, at most {MAX_EPOCHS}")
    parser.add_argument("--batch-size", type=positive(int), default=128,
                        help="default 128; for CSV data 32 (Keras' default; all the rows "
                             "when fewer), so a small table gets several steps per epoch")
    parser.add_argument("--validation-split", type=fraction, default=0.0, metavar="FRACTION",
                        help="fraction in [0, 1) of the training data held out to report "
                             "val_loss each epoch (default 0: none)")
    # --seed and --dtype default to None so that run can tell them given (see --resume)
    parser.add_argument("--seed", type=seed, default=None,
                        help="random seed of the weights, the shuffling and (CSV data) the "
                             "held-out rows (default 0)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="floating-point type of weights and arithmetic (default float32)")
    parser.add_argument("--out", default=None, type=path_text, metavar="PATH",
                        help="where to save the model, a plain file path; it is also "
                             "rewritten (atomically) at the end of every epoch as a checkpoint "
                             "(default model.safetensors, or the --resume file)")
    parser.add_argument("--resume", default=None, type=path_text, metavar="MODEL",
                        help="continue training the checkpoint MODEL (written by an "
                             "interrupted 'neuroflow train') up to a total of --epochs "
                             "epochs; architecture, dtype, seed and optimiser come from "
                             "MODEL (giving other ones is refused), and so do --batch-size "
                             "and --validation-split when not given; give the same --data "
                             "as before")
    parser.add_argument("--limit", type=positive(int), default=None, metavar="N",
                        help="train on the first N training samples only (a quick run; "
                             "the test set is unchanged); give the same --limit with "
                             "--resume")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--diagnostics", action="store_true",
                        help="watch for dead ReLUs, saturation, vanishing or exploding "
                             "gradients, divergence and plateaus, and print what is found "
                             "after each epoch (a run that diverges or ends below chance "
                             "gets a hint on stderr either way)")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over MPI ranks; launch with mpiexec -n N "
                             "(needs neuroflow[mpi]); --batch-size is the global batch")
    add_fit_options(parser)
    add_csv_options(parser)
    _add_preset_option(parser)
    add_sign_option(parser)
    add_verify_options(parser)
    parser.set_defaults(handler=_hints.stoppable(run))  # SIGTERM = Ctrl-C, exit 143


def run(args: argparse.Namespace) -> int:
    """``neuroflow train``: one path for every data source.

    The source (bundled MNIST, an IDX folder, a folder of images, or a CSV file) decides
    how the data is read and the network is built or resumed; checking ``--out`` up
    front, the per-epoch checkpoint, Ctrl-C or SIGTERM (exit 130 or 143 and a resume
    command), divergence (exit 1 naming the last good checkpoint), a failed write (exit 2
    naming ``--out``, and a resume command), the test score and the final save are common.
    """
    explicit = {key for key in (*_PRESET_OPTIONS, *_FROM_CHECKPOINT, "preset")
                if getattr(args, key, None) is not None}
    preset = _apply_preset(args)
    check_fit_options(args)
    args.seed = 0 if args.seed is None else args.seed
    args.dtype = args.dtype or "float32"
    args.out = args.out or args.resume or "model.safetensors"
    files.check_writable(args.out, inputs=data_inputs(args.data), argument="--out")
    args.signing_key = train_key(args)  # read before the data: a bad key fails at once
    resumed = _resumed_network(args, explicit) if args.resume else None
    if resumed is not None and "preset" not in explicit:
        _repeat_batches(args, explicit, resumed.training_run)
    csv = args.target is not None or args.data.lower().endswith(".csv")
    data = (csv_training_data(args, explicit, resumed) if csv
            else _mnist_training_data(args, preset, resumed))
    if args.limit is not None:
        data = dataclasses.replace(data, x_train=data.x_train[:args.limit],
                                   y_train=data.y_train[:args.limit])
    if args.test_data:
        data = test_data(args, data)
    if csv and "batch_size" not in explicit and resumed is None:
        args.batch_size = auto_batch_size(len(data.y_train))
    return _fit_and_save(args, data, preset)


# ---------------------------------------------------------------------------- presets
#: ``train`` options a preset fills in; given explicitly they override the preset.
_PRESET_OPTIONS = ("layers", "activation", "output_activation", "loss", "optimizer",
                   "learning_rate", "epochs", "batch_size", "validation_split")


def _add_preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=presets.names(), default=None,
                        help="a named recipe from neuroflow.presets (mnist-best: 784-512-512-10 "
                             "ReLU with dropout, AdamW with a one-cycle schedule, 15 epochs, best "
                             "epoch chosen on a 10%% validation split; nielsen: 784-30-10 "
                             "sigmoid, quadratic cost, plain SGD eta 15 (Nielsen's 3.0) on "
                             "batches of 10 for 30 epochs; mnist-cnn: conv32k3,pool2,conv64k3,"
                             "pool2,dense128 with dropout, AdamW one-cycle, 8 epochs; "
                             "fashion-cnn: the same with batch normalisation, 10 epochs, for "
                             "Fashion-MNIST, not bundled: --data DIR of its IDX files); options "
                             "given explicitly override it")
    # defaults become None so that _apply_preset can tell explicit options apart
    defaults = {key: parser.get_default(key) for key in _PRESET_OPTIONS}
    parser.set_defaults(preset_defaults=defaults, **{key: None for key in _PRESET_OPTIONS})


def _apply_preset(args: argparse.Namespace) -> dict[str, Any] | None:
    """Fill the preset-controlled options: explicit value, else the preset's, else the
    default. Returns the resolved preset, or None without ``--preset``."""
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
    problem = presets.data_problem(preset, args.data)
    if problem is not None:  # a preset for a data set that is not bundled
        raise UsageError(problem)
    for key in _PRESET_OPTIONS:
        if key in preset:
            setattr(args, key, preset[key])
    return preset


# ---------------------------------------------------------------------------- resume
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
    net = load_model(args.resume, args)
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


def _repeat_batches(args: argparse.Namespace, explicit: set[str],
                    run: dict[str, Any] | None) -> None:
    """A resumed run's ``--batch-size`` and ``--validation-split``, when not given, are the
    checkpoint's (a run of ``--preset nielsen`` resumes without repeating the preset):
    the split that holds out exactly its validation samples again."""
    if not run:
        return
    if "batch_size" not in explicit and "batch_size" in run:
        args.batch_size = int(run["batch_size"])
    held_out, kept = run.get("validation_samples"), run.get("samples")
    if "validation_split" not in explicit and held_out is not None and kept:
        # split_validation holds out floor(n * fraction) samples: (V + 1/2) / n gives V
        args.validation_split = (held_out + 0.5) / (held_out + kept) if held_out else 0.0


def _setting_text(key: str, value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return "a schedule" if value is None and key == "learning_rate" else str(value)


# ---------------------------------------------------------------------------- MNIST data
def _mnist_training_data(args: argparse.Namespace, preset: dict[str, Any] | None,
                         resumed: Any) -> TrainingData:
    """Bundled MNIST, a folder of IDX files, or a folder of images with one sub-folder
    per class (a fifth held out, drawn with the seed; the folder names become the class
    names): the network resumed, from the preset, or built from ``--layers``."""
    names = None
    if is_image_folder(args.data):  # the first image's size is checked before decoding
        x_train, y_train, x_test, y_test, names = training_images(args, resumed)
    else:
        x_train, y_train, x_test, y_test = load_data(args.data)
    n_inputs = x_train.shape[1]
    if resumed is not None:
        if resumed.in_features != n_inputs:
            raise UsageError(f"--resume: the model takes {resumed.in_features} inputs, the "
                             f"data has {n_inputs} columns")
        if names is not None and [str(n) for n in resumed.class_names or []] != names:
            raise UsageError(f"--data: the classes of {args.data} ({', '.join(names)}) differ "
                             "from the checkpoint's")
        return TrainingData(resumed, x_train, y_train, x_test, y_test)
    if isinstance(args.layers, str):  # a stack such as conv32k3,pool2,dense128
        return stack_data(args, names, x_train, y_train, x_test, y_test)
    layers = list(args.layers)
    if layers[0] != n_inputs:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{n_inputs}, received {layers[0]}")
    n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    if names is not None and layers[-1] != len(names):
        raise UsageError(f"--layers: the last size must be {len(names)}, one output per class "
                         f"folder of --data {args.data} ({', '.join(names)}), received "
                         f"{layers[-1]}")
    if (args.loss == "cross_entropy" or args.loss == "mse" and layers[-1] > 1) \
            and layers[-1] < n_classes:
        raise UsageError(f"--layers: the last size must be {n_classes}, one output per class "
                         f"(the labels of --data {args.data} run from 0 to {n_classes - 1}), "
                         f"received {layers[-1]}")
    if preset is not None:
        net = presets.build_network(preset, seed=args.seed, dtype=args.dtype)
    else:
        net = build_dense(layers, hidden=args.activation, output=args.output_activation,
                          loss=args.loss, seed=args.seed, dtype=args.dtype,
                          dropout=args.dropout)
    net.class_names = names
    return TrainingData(net, x_train, y_train, x_test, y_test,
                        held_out=f"{len(y_test)} held-out images" if names else "")


# ---------------------------------------------------------------------------- fit and save
_is_root = _hints.is_root  # False on MPI ranks other than 0 under --distributed
def _fit_and_save(args: argparse.Namespace, data: TrainingData,
                  preset: dict[str, Any] | None) -> int:
    """Train ``data.network`` with a checkpoint at ``--out`` after every epoch, report the
    test score and save; Ctrl-C and divergence go to :func:`_report_stop`."""
    net = data.network
    extra: dict[str, Any] = {}
    if preset is not None:
        extra = presets.fit_options(preset, data.x_train.shape[0])
    root = _is_root(args)
    if not args.quiet and root:
        if data.describe:
            print(data.describe)
        print(net.summary())
    # ModelCheckpoint fills {fields} of its path in; --out is a plain path, so its braces
    # are escaped and the checkpoint is written to exactly the file named.
    checkpoint = ModelCheckpoint(str(args.out).replace("{", "{{").replace("}", "}}"),
                                 sign_key=args.signing_key)
    diagnostics = [Diagnostics()] if getattr(args, "diagnostics", False) and root else []
    optimizer, stopping = fit_optimizer(args), fit_callbacks(args)
    try:
        net.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=args.batch_size,
                # a resumed run continues with the checkpoint's optimiser and schedule
                optimizer=None if args.resume else extra.get("optimizer") or optimizer,
                learning_rate=None if args.resume or "optimizer" in extra
                or not isinstance(optimizer, str) else args.learning_rate,
                validation_split=args.validation_split,
                verbose=0 if args.quiet or not root else 1, distributed=args.distributed,
                callbacks=[checkpoint, *diagnostics, *extra.get("callbacks", []),
                           *stopping] if root else [],
                **({"resume_from": args.resume} if args.resume else {}))
    except (TrainingInterrupted, TrainingDivergedError, files.WriteError) as error:
        if root:
            return _hints.report_stop(args, error, checkpoint, _hints.run_rate(args, net),
                                      _hints.findings(diagnostics))
        return _hints.rank_status(error)
    if not root:  # rank 0 alone evaluates and saves
        return 0
    say_stopped(stopping, args.quiet)
    history = net.history.history if net.history is not None else {}
    final = (history.get("val_accuracy") or history.get("accuracy") or [None])[-1]
    predicted = None
    if data.x_test is not None and data.y_test is not None and len(data.y_test):
        scores = net.evaluate(data.x_test, data.y_test)
        final = scores.get("accuracy")
        if final is not None and final < 2 / max(2, net.out_features):  # hints tell apart
            predicted = net.predict_classes(data.x_test)
        held_out = f", {data.held_out}" if data.held_out else ""
        if "accuracy" in scores:
            print(f"test accuracy: {scores['accuracy']:.2%}  (loss {scores['loss']:.4f}"
                  f"{held_out})")
        else:
            print(f"test {net.loss.name}: {scores['loss']:.6g}"
                  + (f"  ({data.held_out})" if data.held_out else ""))
    if (failed := _hints.save_model(net, args, checkpoint)) is not None:
        return failed
    print(f"saved model to {args.out}")
    if not args.quiet:
        _hints.next_steps(args.out, args.data)
    if final is not None:
        _hints.say(_hints.poor_accuracy(final, net, _hints.run_rate(args, net),
                                        history.get("loss", []), args.epochs,
                                        _hints.findings(diagnostics), predicted))
    return 0
