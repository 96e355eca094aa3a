"""What ``neuroflow predict`` reads: CSV rows, ``.npy`` arrays and 28x28 images, and every
source ``train`` takes (``mnist`` and IDX folders: their test images; an image folder:
the images of every class folder), as one array of rows with a label for each."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow.cli._args import UsageError
from neuroflow.cli._tabular import load_table
from neuroflow.datasets.csv import looks_like_header, match_columns
from neuroflow.datasets.images import image_files, mnist_polarity, read_image
from neuroflow.datasets.mnist import mnist
from neuroflow.datasets.npy import read_npy
from neuroflow.errors import DatasetError

__all__ = ["INPUT_KINDS", "read_inputs"]

INPUT_KINDS = (".csv/.txt rows, a .npy array, images (.png, .jpg, .jpeg, .bmp, .gif), a "
               "directory of images or of class sub-folders of images, 'mnist' or a "
               "directory of MNIST IDX files (their test images)")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def _first_row(path: Path, delimiter: str) -> list[str]:
    """Row 1 of a CSV file (its first non-blank row), or [] when it cannot be read here
    (the full read then reports why: a FIFO or device is not opened here)."""
    if not path.is_file():
        return []
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            return next((row for row in csv.reader(stream, delimiter=delimiter)
                         if any(cell.strip() for cell in row)), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _extra_column(path: Path, header: bool | None, delimiter: str,
                  feature_names: Sequence[str] | None) -> str | None:
    """The one header column that is not among the model's input columns, when every one
    of those is there (a candidate for the training file's target)."""
    first = [cell.strip() for cell in _first_row(path, delimiter)]
    if not feature_names or header is False or not (header or looks_like_header(first)):
        return None
    extra = [name for name in first if name not in feature_names]
    if len(extra) != 1 or len(first) != len(feature_names) + 1 \
            or set(first) - set(extra) != set(feature_names):
        return None
    return extra[0]


def _read_csv_rows(path: Path, header: bool | None = None, delimiter: str = ",",
                   feature_names: Sequence[str] | None = None,
                   target: int | str | None = None, categorical: Collection[str] = (),
                   note: Callable[[str], None] | None = None,
                   class_names: Collection[str] | None = None) -> np.ndarray:
    """Every row of a CSV file of numbers (``nf.datasets.load_csv`` rules: UTF-8 with or
    without a byte-order mark, strict numbers, row 1 a header only when it holds no
    number, unless ``header`` says). With a header and a model that has
    ``feature_names``, columns are matched by name (any order; missing or extra columns
    are refused by name); otherwise by position. ``target`` (a header name or index) is
    a column left out: the training file's labels (which may be text). Without it, the
    one header column that is not a model input (when all of those are there) is left out
    with a ``note`` when every value in it is one of the model's ``class_names``: the
    training file's target column. ``categorical`` columns are read as text."""
    options: dict[str, Any] = {"header": header, "delimiter": delimiter,
                               "dtype": "float64", "categorical": categorical}
    extra = None if target is not None or class_names is None else \
        _extra_column(path, header, delimiter, feature_names)
    if extra is not None and class_names is not None:
        data = load_table(path, target=extra, **options)
        if data.class_names is not None and \
                {str(name) for name in data.class_names} <= set(class_names):
            if note is not None:
                note(f"{path}: ignoring the column {extra!r}, which holds the model's class "
                     "labels and is not one of its inputs (the target)")
            target = extra
    data = load_table(path, target=target, **options)
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
    grey = read_image(path, size=(28, 28))
    grey, inverted = mnist_polarity(grey, invert)
    return grey.reshape(1, 784), inverted


def _is_idx_folder(path: Path) -> bool:
    """A folder of MNIST IDX files: it holds the training images file (plain or gzip)."""
    return path.is_dir() and any((path / name).is_file() for name in (
        "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte"))


def _test_images(spec: str, n_features: int) -> np.ndarray:
    """The test images of the bundled MNIST (``spec`` is ``mnist``) or of an IDX folder,
    as rows of 784 pixels; the model's input count is checked first."""
    if n_features != 784:
        raise UsageError(f"INPUT {spec}: MNIST images need a model with 784 inputs (28x28 "
                         f"pixels); this model takes {n_features}")
    try:
        x_test = (mnist() if spec.lower() == "mnist" and not Path(spec).exists()
                  else mnist(spec))[2]
    except DatasetError as error:  # the library names its parameter, path
        raise UsageError(f"INPUT {spec}: {str(error).removeprefix('path: ')}") from None
    return x_test.astype(np.float64)


def _folder_images(folder: Path) -> list[Path]:
    """The images directly in ``folder``, then those of its class sub-folders (as
    ``nf.datasets.load_images`` reads them: sorted, hidden ones skipped)."""
    files = image_files(folder)
    for child in sorted(folder.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            files += image_files(child)
    return files


def _stderr_note(message: str) -> None:
    print(f"neuroflow predict: note: {message}", file=sys.stderr)


def read_inputs(paths: Sequence[str], n_features: int, invert: str = "auto", *,
                header: bool | None = None, delimiter: str = ",",
                feature_names: Sequence[str] | None = None,
                note: Callable[[str], None] | None = _stderr_note,
                pixels: bool = True,
                target: int | str | None = None,
                categorical: Collection[str] = (),
                class_names: Collection[str] | None = None) -> tuple[np.ndarray, list[str]]:
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
    target : int, str or None
        A CSV column to leave out (the target column of a training file), by header name
        or index; ``None``: every column is an input, but for one header column that is
        not among ``feature_names`` (when all of those are there) that holds only
        ``class_names``: left out with a note.
    categorical : collection of str
        CSV columns read as text categories (the model's one-hot encoded columns); the
        rows are then an object array.
    class_names : collection of str or None
        A classifier's class labels as text (None for a regression model).

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
        if spec.lower() == "mnist" and not path.exists() or _is_idx_folder(path):
            block = _test_images(spec, n_features)
            labels += [f"{spec}:{i + 1}" if len(paths) > 1 else str(i + 1)
                       for i in range(block.shape[0])]
            blocks.append(block)
            continue
        if not path.exists():
            raise UsageError(f"INPUT: no such file or directory: {spec!r}")
        if path.is_dir():
            files = _folder_images(path)
            if not files:
                raise UsageError(f"INPUT: no images (.png, .jpg, .jpeg, .bmp, .gif) in the "
                                 f"directory {spec!r} or its class sub-folders")
        else:
            files = [path]
        for file in files:
            suffix = file.suffix.lower()
            if suffix in _IMAGE_SUFFIXES:
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
                block = _read_csv_rows(file, header, delimiter, feature_names, target,
                                       categorical, note, class_names)
            elif suffix == ".npy":
                block = _read_npy(file, n_features, pixels)
            else:
                raise UsageError(f"INPUT {file}: expected {INPUT_KINDS}")
            if block.ndim != 2 or block.shape[1] != n_features:
                width = block.shape[1] if block.ndim == 2 else block.shape
                raise UsageError(f"INPUT {file}: expected {n_features} values per row (the "
                                 f"model's inputs), received {width}")
            if suffix not in _IMAGE_SUFFIXES:  # images: labelled above
                labels += [f"{file}:{i + 1}" if len(paths) > 1 else str(i + 1)
                           for i in range(block.shape[0])]
            blocks.append(block)
    if inverted and note is not None:
        shown = ", ".join(inverted[:5]) + (f" and {len(inverted) - 5} more"
                                           if len(inverted) > 5 else "")
        note(f"inverted {len(inverted)} of {n_images} images to light-on-dark like MNIST "
             f"(--invert {invert}): {shown}")
    return np.concatenate(blocks), labels
