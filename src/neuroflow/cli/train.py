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
    is_image_folder,
    load_data,
)
from neuroflow.cli._keys import add_sign_option, add_verify_options
from neuroflow.cli._options import (
    add_fit_options,
    auto_batch_size,
    build_dense,
    fit_callbacks,
    fit_optimizer,
    say_stopped,
)
from neuroflow.cli._settings import (
    TrainSettings,
    add_preset_option,
    resolve_settings,
)
from neuroflow.cli._sources import test_data, training_images
from neuroflow.cli._stack import LAYERS_OPTION, stack_data
from neuroflow.errors import TrainingDivergedError, TrainingInterrupted

__all__ = ["add", "run", "resolve"]


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
    add_preset_option(parser)
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
    settings, data = resolve(args)
    return _fit_and_save(settings, data)


def resolve(args: argparse.Namespace) -> tuple[TrainSettings, TrainingData]:
    """The settings of the command line ``args`` (:func:`resolve_settings`) and the
    training data they name, with the one default that depends on the data: CSV data's
    batch size when neither given nor resumed (:func:`auto_batch_size` of the rows)."""
    settings, resumed = resolve_settings(args)
    data = (csv_training_data(settings, resumed) if settings.csv
            else _mnist_training_data(settings, resumed))
    if settings.limit is not None:
        data = dataclasses.replace(data, x_train=data.x_train[:settings.limit],
                                   y_train=data.y_train[:settings.limit])
    data = test_data(settings, data)  # --test-data as the test set, when given
    if settings.csv and "batch_size" not in settings.explicit and resumed is None:
        settings = dataclasses.replace(settings,
                                       batch_size=auto_batch_size(len(data.y_train)))
    return settings, data


# ---------------------------------------------------------------------------- MNIST data
def _mnist_training_data(settings: TrainSettings, resumed: Any) -> TrainingData:
    """Bundled MNIST, a folder of IDX files, or a folder of images with one sub-folder
    per class (a fifth held out, drawn with the seed; the folder names become the class
    names): the network resumed, from the preset, or built from ``--layers``."""
    names = None
    if is_image_folder(settings.data):  # the first image's size is checked before decoding
        x_train, y_train, x_test, y_test, names = training_images(settings, resumed)
    else:
        x_train, y_train, x_test, y_test = load_data(settings.data)
    n_inputs = x_train.shape[1]
    if resumed is not None:
        if resumed.in_features != n_inputs:
            raise UsageError(f"--resume: the model takes {resumed.in_features} inputs, the "
                             f"data has {n_inputs} columns")
        if names is not None and [str(n) for n in resumed.class_names or []] != names:
            raise UsageError(f"--data: the classes of {settings.data} ({', '.join(names)}) differ "
                             "from the checkpoint's")
        return TrainingData(resumed, x_train, y_train, x_test, y_test)
    if isinstance(settings.layers, str):  # a stack such as conv32k3,pool2,dense128
        return stack_data(settings, names, x_train, y_train, x_test, y_test)
    layers = list(settings.layers)
    if layers[0] != n_inputs:
        raise UsageError(f"--layers: the first size must be the number of inputs, "
                         f"{n_inputs}, received {layers[0]}")
    n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    if names is not None and layers[-1] != len(names):
        raise UsageError(f"--layers: the last size must be {len(names)}, one output per class "
                         f"folder of --data {settings.data} ({', '.join(names)}), received "
                         f"{layers[-1]}")
    if (settings.loss == "cross_entropy" or settings.loss == "mse" and layers[-1] > 1) \
            and layers[-1] < n_classes:
        raise UsageError(f"--layers: the last size must be {n_classes}, one output per class "
                         f"(the labels of --data {settings.data} run from 0 to {n_classes - 1}), "
                         f"received {layers[-1]}")
    if settings.recipe is not None:
        net = presets.build_network(dict(settings.recipe), seed=settings.seed,
                                    dtype=settings.dtype)
    else:
        net = build_dense(layers, hidden=settings.activation, output=settings.output_activation,
                          loss=settings.loss, seed=settings.seed, dtype=settings.dtype,
                          dropout=settings.dropout)
    net.class_names = names
    return TrainingData(net, x_train, y_train, x_test, y_test,
                        held_out=f"{len(y_test)} held-out images" if names else "")


# ---------------------------------------------------------------------------- fit and save
_is_root = _hints.is_root  # False on MPI ranks other than 0 under --distributed
def _fit_and_save(settings: TrainSettings, data: TrainingData) -> int:
    """Train ``data.network`` with a checkpoint at ``--out`` after every epoch, report the
    test score and save; Ctrl-C and divergence go to :func:`_report_stop`."""
    net = data.network
    extra: dict[str, Any] = {}
    if settings.recipe is not None:
        extra = presets.fit_options(dict(settings.recipe), data.x_train.shape[0])
    root = _is_root(settings)
    if not settings.quiet and root:
        if data.describe:
            print(data.describe)
        print(net.summary())
    # ModelCheckpoint fills {fields} of its path in; --out is a plain path, so its braces
    # are escaped and the checkpoint is written to exactly the file named.
    checkpoint = ModelCheckpoint(str(settings.out).replace("{", "{{").replace("}", "}}"),
                                 sign_key=settings.signing_key)
    diagnostics = [Diagnostics()] if settings.diagnostics and root else []
    optimizer, stopping = fit_optimizer(settings), fit_callbacks(settings)
    try:
        net.fit(data.x_train, data.y_train, epochs=settings.epochs, batch_size=settings.batch_size,
                # a resumed run continues with the checkpoint's optimiser and schedule
                optimizer=None if settings.resume else extra.get("optimizer") or optimizer,
                learning_rate=None if settings.resume or "optimizer" in extra
                or not isinstance(optimizer, str) else settings.learning_rate,
                validation_split=settings.validation_split,
                verbose=0 if settings.quiet or not root else 1, distributed=settings.distributed,
                callbacks=[checkpoint, *diagnostics, *extra.get("callbacks", []),
                           *stopping] if root else [],
                **({"resume_from": settings.resume} if settings.resume else {}))
    except (TrainingInterrupted, TrainingDivergedError, files.WriteError) as error:
        if root:
            return _hints.report_stop(settings, error, checkpoint, _hints.run_rate(settings, net),
                                      _hints.findings(diagnostics))
        return _hints.rank_status(error)
    if not root:  # rank 0 alone evaluates and saves
        return 0
    say_stopped(stopping, settings.quiet)
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
    if (failed := _hints.save_model(net, settings, checkpoint)) is not None:
        return failed
    print(f"saved model to {settings.out}")
    if not settings.quiet:
        _hints.next_steps(settings.out, settings.data)
    if final is not None:
        _hints.say(_hints.poor_accuracy(final, net, _hints.run_rate(settings, net),
                                        history.get("loss", []), settings.epochs,
                                        _hints.findings(diagnostics), predicted))
    return 0
