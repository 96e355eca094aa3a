"""Where the commands get their data: bundled MNIST or IDX folders, image folders, CSV
files for training and evaluation, and the small sets ``explain`` and ``plot`` draw on;
:func:`data_kind` tells the sources apart (reading them for a model:
:mod:`neuroflow.cli._sources`)."""

from __future__ import annotations

import argparse
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow import datasets, losses
from neuroflow.cli._args import UsageError
from neuroflow.cli._options import build_dense
from neuroflow.cli._tabular import (
    categorical_of,
    load_table,
    model_columns,
    model_width,
    table_preprocessing,
)
from neuroflow.datasets.images import first_image, image_size
from neuroflow.errors import DatasetError
from neuroflow.network import Network
from neuroflow.preprocessing import StandardScaler

if TYPE_CHECKING:
    from neuroflow.cli._settings import TrainSettings

__all__ = ["load_data", "data_kind", "SOURCES", "MNIST_FEATURES", "data_inputs",
           "TrainingData", "csv_training_data", "csv_for_model", "classifies",
           "check_fits", "small_data", "fresh_network"]


#: What ``--data`` accepts, for help texts and messages.
SOURCES = ("'mnist' (bundled), a directory of MNIST IDX files, a folder of images with one "
           "sub-folder per class, or a CSV file")
#: Inputs of an MNIST-style IDX image (28 x 28 pixels), checked by ``nf.datasets.mnist``.
MNIST_FEATURES = 784

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def data_kind(spec: str, argument: str = "--data", named: tuple[str, ...] = ()) -> str:
    """``"mnist"``, ``"idx"``, ``"images"``, ``"csv"`` (or one of the ``named`` sets,
    e.g. ``"moons"``) for the value of ``argument``; nothing is read.

    Raises
    ------
    UsageError
        One line naming ``argument``: a missing path, a FIFO, device or socket ("not a
        regular file"), or a file that is not a ``.csv``.
    """
    name = spec.lower()
    if name == "mnist" or name in named:
        return name
    try:
        info = os.stat(spec)
    except FileNotFoundError:
        raise UsageError(f"{argument}: no such file or directory: {spec!r}") from None
    except OSError as error:
        raise UsageError(f"{argument}: {spec!r} cannot be read "
                         f"({error.strerror or error})") from None
    if stat.S_ISDIR(info.st_mode):
        return "images" if is_image_folder(spec) else "idx"
    if not stat.S_ISREG(info.st_mode):
        kind = next((what for test, what in _KINDS if test(info.st_mode)), "a special file")
        raise UsageError(f"{argument}: {spec!r} is {kind}, not a regular file; expected "
                         f"{SOURCES}")
    if name.endswith(".csv"):
        return "csv"
    raise UsageError(f"{argument}: expected {SOURCES}, received the file {spec!r}")


def load_data(spec: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``mnist`` (bundled) or a directory of MNIST-style IDX files."""
    if spec.lower() == "mnist":
        return datasets.mnist()
    path = Path(spec)
    if path.is_dir():
        try:
            return datasets.mnist(path)
        except DatasetError as error:
            text = str(error)
            if text.startswith("path: "):  # no IDX file, and no class folders either
                text = f"{text[6:]}; a folder of images needs one sub-folder per class"
            raise UsageError(f"--data: {text}") from None
    data_kind(spec)  # a missing path, a FIFO or device: the one-line message
    raise UsageError(f"--data: expected 'mnist' or a directory of IDX files, received {spec!r}")


def is_image_folder(spec: str) -> bool:
    """Whether ``--data`` names a folder of images, one sub-folder per class (an IDX
    folder holds files only)."""
    path = Path(spec)
    return spec.lower() != "mnist" and path.is_dir() and any(
        child.is_dir() for child in path.iterdir())


def load_image_folder(spec: str, seed: int, dtype: str
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``--data FOLDER/<class>/<images>``: ``(x_train, y_train, x_test, y_test, class
    names)``, a fifth of the images (drawn with ``seed``) held out for the test score.
    Images follow the rule of ``nf.datasets.load_images`` (inverted to light-on-dark)."""
    data = datasets.load_images(spec, dtype=dtype)
    assert data.y is not None  # load_images always labels by folder
    order = np.random.default_rng(seed).permutation(data.x.shape[0])
    n_test = data.x.shape[0] // 5 if data.x.shape[0] >= 10 else 0
    test, train = order[:n_test], order[n_test:]
    return (data.x[train], data.y[train], data.x[test], data.y[test],
            [str(name) for name in data.class_names or []])


def data_inputs(spec: str) -> list[str]:
    """The files ``--data`` reads (a folder stands for its files), which outputs must not
    overwrite; none for the bundled MNIST."""
    return [] if spec.lower() == "mnist" else [spec]


@dataclass
class TrainingData:
    """What a data source hands the one training path (``neuroflow.cli.train``)."""

    network: Any
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    describe: str | None = None  # printed before the summary unless --quiet
    held_out: str = ""  # said after the test score, e.g. "40 held-out rows"


# ---------------------------------------------------------------------------- CSV files
def csv_target(target: str | None) -> int | str:
    """``--target``: a header name, or a column index given as digits (default -1)."""
    if target is None:
        return -1
    return int(target) if target.lstrip("-").isdigit() else target


def check_fits(array: Any, dtype: Any, where: str, advice: str) -> None:
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


def classifies(net: Any) -> bool:
    """Whether a model's targets are classes: a classification loss, or ``mse`` with
    ``k > 1`` outputs, the one-hot targets of class labels (a CSV target is one column,
    so ``k > 1`` outputs cannot be a regression on it)."""
    return bool(net.loss.is_classification) or (net.loss.name == "mse"
                                                 and net.out_features > 1)


def csv_for_model(net: Any, source: str, target: str | None, *, header: bool | None = None,
                  delimiter: str = ",") -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of a CSV file for a saved model: raw features (the model applies its
    stored standardisation; with a header and a model that has ``feature_names``, columns
    are matched by name, else by position) and targets as the model's class indices
    (labels looked up in its ``class_names``, or integer class indices when it has none)
    or regression values."""
    path = Path(source)
    data_kind(source)  # a missing path, a FIFO or device: refused in one line
    classification = classifies(net)
    data = load_table(path, target=csv_target(target),
                      task="classification" if classification else "regression",
                      dtype=str(net.dtype), header=header, delimiter=delimiter,
                      categorical=categorical_of(net))
    if data.y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {source!r}")
    feature_names = model_columns(net)
    if data.has_header and feature_names is not None:
        data.x = data.x[:, datasets.match_columns(data.feature_names, feature_names,
                                                  f"--data {source!r}")]
    if data.x.shape[1] != model_width(net):
        raise UsageError(f"--data: the model takes {model_width(net)} inputs, the data has "
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


def csv_training_data(settings: TrainSettings, resumed: Any) -> TrainingData:
    """``train --data PATH.csv [--target COLUMN]``: a classifier or regressor on a CSV file.

    The inputs are standardised (a StandardScaler fitted on the training rows, saved with
    the model) and text labels are stored as ``class_names``, so ``predict`` takes raw
    rows and prints the original labels. A fifth of the rows, drawn with the seed, is
    held out to report the test score. A resumed run takes the task, dtype, scaler,
    classes and seed (so the same held-out rows) from its checkpoint; ``fit`` then checks
    that the training rows are those of the interrupted run.
    """
    path = Path(settings.data)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"--target: needs --data PATH.csv, received --data {settings.data!r}")
    data_kind(settings.data)  # a missing path, a FIFO or device: refused in one line
    if settings.distributed:
        raise UsageError("--distributed: trains MNIST-style data only, not --data PATH.csv")
    task, dtype = settings.task, settings.dtype
    if resumed is not None:
        saved_task = "classification" if classifies(resumed) else "regression"
        if task not in ("auto", saved_task):
            raise UsageError(f"--task: the resumed model is a {saved_task} model (it is read "
                             f"from --resume {settings.resume}); drop --task")
        task, dtype = saved_task, np.dtype(resumed.dtype).name
    options = {key: getattr(settings, key) for key in ("header", "delimiter")
               if getattr(settings, key) is not None}
    # read as float64 so that a finite value beyond float32 is named, not turned into inf
    data = load_table(path, target=csv_target(settings.target), task=task,
                      missing=settings.missing, dtype="float64",
                      categorical=None if resumed is None else categorical_of(resumed),
                      **options)
    x, y = data.x, data.y
    if y is None:  # load_csv always returns a target column when given one
        raise UsageError(f"--target: no target column found in {str(path)!r}")
    if x.shape[1] == 0:
        raise UsageError(f"--data: {str(path)!r} has no feature columns besides the target "
                         f"{data.target_name!r}; if its fields are not separated by commas, "
                         "give --delimiter")
    classification = data.task == "classification"
    if x.dtype != object:  # a table with categorical columns stays as read
        check_fits(x, dtype, f"--data {settings.data}", "use --dtype float64")
        x = x.astype(dtype)
    if not classification:
        check_fits(y, dtype, f"--data {settings.data}: the target", "use --dtype float64")
        y = y.astype(dtype)
    names = list(data.class_names or [])
    if classification and len(names) < 2:
        raise UsageError(f"--target: column {data.target_name!r} holds one class only "
                         f"({names}); a classifier needs two or more")
    if resumed is not None:
        if model_width(resumed) != x.shape[1]:
            raise UsageError(f"--resume: the model takes {model_width(resumed)} inputs, the "
                             f"data has {x.shape[1]} feature columns")
        saved_names = [str(name) for name in resumed.class_names or []]
        if classification and saved_names != [str(name) for name in names]:
            raise UsageError(f"--data: the classes of {settings.data} "
                             f"({', '.join(map(str, names))}) differ from the checkpoint's "
                             f"({', '.join(saved_names)})")
        if resumed.seed is None:
            raise UsageError(f"--resume: {settings.resume} does not record the seed that chose "
                             "its held-out rows, so the run cannot continue on the same rows")
        seed = resumed.seed
    else:
        seed = settings.seed
    order = np.random.default_rng(seed).permutation(x.shape[0])
    # --test-data: the whole file trains; else a fifth is held out for the test score
    n_test = x.shape[0] // 5 if x.shape[0] >= 10 and not settings.test_data else 0
    test, train = order[:n_test], order[n_test:]
    if resumed is not None:
        net = resumed
    elif x.dtype == object:  # categorical columns: one-hot, then standardised
        preprocessing = table_preprocessing(x, data.feature_names, train)
        net = _csv_network(settings, data, preprocessing.n_features or 0)
        net.preprocessing = preprocessing
        names_out = preprocessing.steps[0].feature_names_out
        if data.has_header and len(set(names_out)) == len(names_out):
            net.feature_names = names_out
    else:
        net = _csv_network(settings, data, x.shape[1])
        net.preprocessing = StandardScaler().fit(x[train])
        net.feature_names = getattr(data, "model_feature_names", None)
    if resumed is None:
        net.class_names = data.class_names
    kind = f"classifier over {len(names)} classes" if classification else "regressor"
    encoded = (f" ({len(categorical_of(net))} categorical, one-hot encoded to "
               f"{net.in_features} inputs)" if x.dtype == object else "")
    describe = (f"{path.name}: {len(y)} rows, {x.shape[1]} features{encoded}, target "
                f"{data.target_name!r} -> {kind}"
                + (f" ({len(data.dropped_rows)} rows with missing values dropped)"
                   if data.dropped_rows else ""))
    return TrainingData(net, x[train], y[train], x[test] if n_test else None,
                        y[test] if n_test else None, describe,
                        f"{n_test} held-out rows" if n_test else "")


def _csv_network(settings: TrainSettings, data: Any, n_features: int) -> Network:
    """A fresh network for CSV data: ``--loss`` and ``--output-activation`` when given
    (else cross_entropy and softmax for classes, mse and linear for numbers) and
    ``--layers`` when given (else ``inputs,64,outputs``; inputs after one-hot encoding),
    ``--dropout`` after each hidden layer. ``mse`` on classes trains on
    one-hot targets, one output per class (sigmoid by default, Nielsen's setup)."""
    classification = data.task == "classification"
    n_classes = len(data.class_names or [])
    explicit = settings.explicit
    loss = settings.loss if "loss" in explicit else ("cross_entropy" if classification else "mse")
    if classification and not losses.get(loss).is_classification and loss != "mse":
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
    one_hot = classification and loss == "mse"
    outputs = n_classes if loss == "cross_entropy" or one_hot else 1
    output = (settings.output_activation if "output_activation" in explicit else
              "sigmoid" if one_hot else
              {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, "linear"))
    layers: list[Any] = (list(settings.layers) if "layers" in explicit
                         else [n_features, 64, outputs])
    if layers[0] != n_features or layers[-1] != outputs:
        raise UsageError(f"--layers: expected {n_features} inputs (feature columns) first and "
                         f"{outputs} outputs last, received {','.join(map(str, layers))}")
    return build_dense(layers, hidden=settings.activation, output=output, loss=loss,
                       seed=settings.seed, dtype=settings.dtype, dropout=settings.dropout)


# ---------------------------------------------------------------------------- explain / plot
def small_data(spec: str, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Test inputs and labels for a network with ``n_features`` inputs: MNIST's test set,
    every image of an image folder (its size checked from the first image's header
    before any is decoded), or two moons / concentric circles (``--data moons|circles``)
    for 2-input networks."""
    name = spec.lower()
    if name in ("moons", "circles"):
        make = datasets.make_moons if name == "moons" else datasets.make_circles
        x, y = make(n_samples=400, seed=0)
    elif data_kind(spec, named=("moons", "circles")) == "images":
        width, height = image_size(first_image(spec))
        if width * height != n_features:
            raise UsageError(f"--data: the network has {n_features} inputs but the images of "
                             f"{spec!r} have {width * height} pixels ({width}x{height})")
        data = datasets.load_images(spec, dtype="float64")
        assert data.y is not None  # labelled by folder
        x, y = data.x, data.y
    else:
        _, _, x, y = load_data(spec)
    if x.shape[1] != n_features:
        raise UsageError(f"--data: the network has {n_features} inputs but {spec!r} has "
                         f"{x.shape[1]} features; use --data moons or circles for 2 inputs")
    return x, y


def fresh_network(args: argparse.Namespace) -> Network:
    """The float64 network of ``--layers``, ``--activation``, ``--output-activation`` (by
    default sigmoid for one output, else softmax), ``--loss`` where the command has it
    (default the output's own) and ``--seed`` (``explain``, ``plot``, ``sweep``)."""
    output = args.output_activation or ("sigmoid" if args.layers[-1] == 1 else "softmax")
    return Network.from_sizes(args.layers, hidden=args.activation, output=output,
                              loss=getattr(args, "loss", None), seed=args.seed,
                              dtype="float64")
