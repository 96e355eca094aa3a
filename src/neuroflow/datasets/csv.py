"""Read users' own tabular data from CSV files, with errors that point at the bad cell.

Rows in error messages are numbered from 1 as a spreadsheet numbers them (the header, when
there is one, is row 1; blank lines count; a quoted cell spanning several lines is one
row); columns are numbered from 1 and named by the header when there is one.

Files are read as UTF-8 (a byte-order mark is ignored); numbers are parsed strictly (see
:func:`parse_number`).
"""

from __future__ import annotations

import csv as _csv
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow._constraints import (
    Constraints,
    Hidden,
    Options,
    PathLike,
    Satisfies,
    validate,
)
from neuroflow.datasets._cells import (
    MISSING_MARKERS,
    delimiter_hint,
    first_duplicate,
    is_missing,
    looks_like_header,
    name_list,
    number_hint,
    parse_number,
)
from neuroflow.datasets._files import check_file, reading
from neuroflow.errors import DatasetError

__all__ = ["load_csv", "TabularData", "match_columns", "parse_number", "looks_like_header",
           "MISSING_MARKERS", "MAX_CLASSES", "MAX_CSV_BYTES"]

#: An integer target with at most this many distinct values is taken as class labels.
MAX_CLASSES = 20
#: Largest CSV file read, in bytes (its cells are held as Python strings while parsing).
MAX_CSV_BYTES = 1 << 30
#: What the loaders' ``dtype`` accepts: the float type of ``x``.
DTYPE = [Options(("float32", "float64"))]
#: What each argument of :func:`load_csv` accepts (see :mod:`neuroflow._constraints`).
_parameter_constraints: dict[str, Constraints] = {"load_csv": {
    "path": [PathLike()],
    "target": [str, int, None],
    "header": [Satisfies(lambda value: value is None, "None (decide from row 1)"), bool,
               Hidden(Options(("auto",)))],
    "delimiter": [Satisfies(lambda value: isinstance(value, str) and len(value) == 1
                            and value not in "\"\r\n",
                            "one character other than a quote or line break")],
    "missing": [Options(("fail", "drop"))],
    "task": [Options(("auto", "classification", "regression"))],
    "dtype": DTYPE,
}}


@dataclass
class TabularData:
    """Inputs and targets read from a file; unpacks as ``x, y = data``.

    Attributes
    ----------
    x : ndarray (n_samples, n_features)
        Feature values.
    y : ndarray (n_samples,) or None
        Class indices ``0..k-1`` (int64) for classification, real values for regression,
        ``None`` without a target column.
    feature_names : list of str
        Header names of the feature columns (``column_1``... without a header).
    target_name : str or None
        Name of the target column.
    task : {"classification", "regression"} or None
        What the target calls for.
    class_names : list or None
        Original label of each class index (strings, or numbers for numeric labels);
        store it as ``network.class_names`` so predictions print these labels.
    dropped_rows : list of int
        File rows dropped for missing values (``missing="drop"``).
    has_header : bool
        Whether the file's first row named the columns (so ``feature_names`` are the
        file's own names, not generated ones).
    """

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None = None
    task: str | None = None
    class_names: list[Any] | None = None
    dropped_rows: list[int] = field(default_factory=list)
    has_header: bool = False

    @property
    def model_feature_names(self) -> list[str] | None:
        """The feature column names to store as ``network.feature_names``: the header's
        names when the file has a header, else None (generated ``column_i`` names are not
        worth checking later files against)."""
        return list(self.feature_names) if self.has_header else None

    def __iter__(self) -> Iterator[Any]:
        yield self.x
        yield self.y


def _read_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of ``path``, each with its row number (1-based, counted as a
    spreadsheet counts them: blank lines count, a quoted cell spanning lines is one row)."""
    check_file(path, "CSV file", MAX_CSV_BYTES)
    try:
        with reading(path, "CSV file"), path.open(newline="", encoding="utf-8-sig") as stream:
            reader = _csv.reader(stream, delimiter=delimiter)
            rows = [(number, row) for number, row in enumerate(reader, start=1)
                    if row and any(cell.strip() for cell in row)]
    except UnicodeDecodeError as error:
        start = error.object[:2] if isinstance(error.object, bytes) else b""
        kind = ("UTF-16 text" if start in (b"\xff\xfe", b"\xfe\xff")
                else f"a byte that is not UTF-8 (0x{error.object[error.start]:02x}; "
                     "Latin-1 or Windows-1252 text?)")
        raise DatasetError(f"CSV file {str(path)!r}: expected UTF-8 text, received {kind}; "
                           "save it as UTF-8") from None
    except _csv.Error as error:
        raise DatasetError(f"CSV file {str(path)!r}: malformed CSV ({error})") from None
    if not rows:
        raise DatasetError(f"CSV file {str(path)!r}: no rows")
    return rows


def match_columns(header: Sequence[str], feature_names: Sequence[str] | None,
                  source: str) -> list[int]:
    """Column order that lines a file's feature columns up with a model's inputs.

    Parameters
    ----------
    header : sequence of str
        Names of the file's feature columns, in file order (from its header row).
    feature_names : sequence of str or None
        The model's ``feature_names`` (the training file's header), or None when the
        model has none.
    source : str
        What to name in messages, e.g. ``"CSV file 'new.csv'"``.

    Returns
    -------
    list of int
        ``order`` such that ``x[:, order]`` holds the model's features in its order:
        matched by name when the model has feature names (the file's columns may come in
        any order), by position (``0..len(header)-1``) when it has none.

    Raises
    ------
    DatasetError
        When a name appears twice in ``header``, or when the model has feature names and
        the file lacks some of them or holds columns the model was not trained on.
    """
    names = [str(name).strip() for name in header]
    if feature_names is None:
        return list(range(len(names)))
    twice = first_duplicate(names)
    if twice is not None:
        raise DatasetError(f"{source}: expected unique column names, received {twice!r} "
                           "more than once")
    wanted = [str(name) for name in feature_names]
    present, known = set(names), set(wanted)
    missing = [name for name in wanted if name not in present]
    extra = [name for name in names if name not in known]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {name_list(missing)}")
        if extra:
            problems.append(f"not in the model: {name_list(extra)}")
        raise DatasetError(f"{source}: expected the model's feature columns "
                           f"{name_list(wanted)} (any order), received a header with "
                           + "; ".join(problems))
    position = {name: index for index, name in enumerate(names)}
    return [position[name] for name in wanted]


def _target_index(target: int | str | None, names: list[str] | None, width: int,
                  path: Path) -> int | None:
    if target is None:
        return None
    if isinstance(target, str):
        if names is None:
            raise ValueError(f"target: a column name ({target!r}) needs a header row; pass a "
                             "column index or header=True")
        if target not in names:
            raise ValueError(f"target: expected one of the columns {', '.join(names)}, "
                             f"received {target!r}")
        return names.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) \
            and -width <= target < width:
        return int(target) % width
    raise ValueError(f"target: expected a column name or an index in [{-width}, {width - 1}] "
                     f"for {path.name}'s {width} columns, received {target!r}")


def load_csv(path: str | os.PathLike[str], target: int | str | None = -1, *,
             header: bool | None = None, delimiter: str = ",", missing: str = "fail",
             task: str = "auto", dtype: str = "float32") -> TabularData:
    """Read a CSV file of numeric features and one target column.

    Parameters
    ----------
    path : str or PathLike
        The file: UTF-8 text (a byte-order mark, as Excel writes, is ignored), at most
        ``MAX_CSV_BYTES``; blank lines are skipped.
    target : str, int or None
        The target column, by header name or index (negative counts from the end;
        default the last column). ``None``: every column is a feature, ``y`` is None.
    header : bool or None
        Whether row 1 names the columns. None (default) decides by
        :func:`looks_like_header`: row 1 is a header when it holds no number and no
        missing-value marker, or when it holds the ``target`` name. A row 1 with any
        number is data, so a typo there is an error naming row 1, never a skipped row.
        ``"auto"`` is accepted for None.
    delimiter : str
        One-character field separator; default ``","`` (no sniffing). Pass ``";"`` or
        ``"\\t"`` for other files; a cell holding one of these suggests it in the error.
    missing : {"fail", "drop"}
        A missing cell (empty, ``NA``, ``NaN``, ``null``, ``?``...) raises an error naming
        it, or drops its whole row (listed in ``dropped_rows``).
    task : {"auto", "classification", "regression"}
        How to read the target. "auto": text labels, or integers with at most
        ``MAX_CLASSES`` (20) distinct values, are classes; anything else is a
        regression target.
    dtype : {"float32", "float64"}
        Type of ``x`` (and of ``y`` for regression).

    Returns
    -------
    TabularData
        ``x (n, n_features)``, ``y (n,)`` (class indices ``0..k-1`` for
        classification, with ``class_names[i]`` the original label of class ``i``,
        sorted), the column names, and ``has_header``; ``data.model_feature_names`` is
        the header's feature names (None without a header), to store as
        ``network.feature_names``.

    Raises
    ------
    DatasetError
        For a missing, non-regular, oversized or non-UTF-8 file, ragged rows,
        non-numeric feature cells (numbers are parsed strictly: ``1_000`` is not one),
        missing values with ``missing="fail"`` (each naming the row and column),
        duplicate header names, or non-numeric regression targets.
    ValueError
        For invalid arguments.

    Examples
    --------
    >>> data = load_csv("iris.csv", target="species")       # doctest: +SKIP
    >>> x, y = data
    >>> net.class_names = data.class_names                   # doctest: +SKIP
    >>> net.feature_names = data.model_feature_names         # doctest: +SKIP
    """
    validate("load_csv", {"path": path, "target": target, "header": header,
                          "delimiter": delimiter, "missing": missing, "task": task,
                          "dtype": dtype}, _parameter_constraints["load_csv"])
    if isinstance(header, str):  # "auto"
        header = None
    path = Path(path)
    source = f"CSV file {str(path)!r}"
    rows = _read_rows(path, delimiter)
    first_line, first = rows[0]
    width = len(first)
    if header is None:
        has_header = ((isinstance(target, str) and target in (c.strip() for c in first))
                      or looks_like_header(first))
    else:
        has_header = header
    if target is not None and width < 2:
        raise DatasetError(f"{source}: expected at least 2 columns (features and a target), "
                           f"received 1 in row {first_line}{delimiter_hint(first[0], delimiter)}")
    names = [cell.strip() or f"column_{i + 1}" for i, cell in enumerate(first)] \
        if has_header else None
    if names is not None:
        twice = first_duplicate(names)
        if twice is not None:
            raise DatasetError(f"{source}: row {first_line} (the header): expected unique "
                               f"column names, received {twice!r} more than once")
    body = rows[1:] if has_header else rows
    if not body:
        raise DatasetError(f"{source}: a header but no data rows")
    column_names = names or [f"column_{i + 1}" for i in range(width)]
    target_column = _target_index(target, names, width, path)
    # a typo in row 1 of a file without a header: say how to declare a header
    header_hint = ("; if row 1 names the columns, pass header=True (--header on the command "
                   "line)") if header is None and not has_header else ""

    def where(line: int, column: int) -> str:
        return f"row {line}, column {column + 1} ({column_names[column]!r})"

    features = [c for c in range(width) if c != target_column]
    values: list[list[float]] = []
    labels: list[str] = []
    kept: list[int] = []
    dropped: list[int] = []
    for line, row in body:
        if len(row) != width:
            raise DatasetError(f"{source}: row {line} has {len(row)} values, expected {width} "
                               f"like row {first_line}{delimiter_hint(row[0], delimiter)}")
        gap = next((c for c, cell in enumerate(row) if is_missing(cell)), None)
        if gap is not None:
            if missing == "drop":
                dropped.append(line)
                continue
            raise DatasetError(f"{source}: {where(line, gap)}: missing value {row[gap]!r}; "
                               "fix it or pass missing='drop' to drop such rows")
        numbers = []
        for column in features:
            cell = row[column].strip()
            number = parse_number(cell)
            if number is None:
                hint = (number_hint(cell) or delimiter_hint(cell, delimiter)
                        or (header_hint if line == first_line else ""))
                raise DatasetError(f"{source}: {where(line, column)}: expected a number, "
                                   f"received {cell!r}{hint}")
            if not math.isfinite(number):
                raise DatasetError(f"{source}: {where(line, column)}: expected a finite "
                                   f"number, received {cell!r}")
            numbers.append(number)
        values.append(numbers)
        kept.append(line)
        if target_column is not None:
            labels.append(row[target_column].strip())
    if not values:
        raise DatasetError(f"{source}: no rows left after dropping {len(dropped)} with "
                           "missing values")
    x = np.asarray(values, dtype=dtype).reshape(len(values), len(features))
    data = TabularData(x=x, y=None, feature_names=[column_names[c] for c in features],
                       dropped_rows=dropped, has_header=has_header)
    if target_column is None:
        return data
    data.target_name = column_names[target_column]
    data.task, data.y, data.class_names = _read_target(labels, kept, task, dtype, source,
                                                       lambda line: where(line, target_column))
    return data


def _read_target(labels: list[str], lines: list[int], task: str, dtype: str, source: str,
                 where: Any) -> tuple[str, np.ndarray, list[Any] | None]:
    numbers: list[float] = []
    numeric = True
    for line, label in zip(lines, labels):
        value = parse_number(label)
        if value is None:
            if task == "regression":
                raise DatasetError(f"{source}: {where(line)}: a regression target must be a "
                                   f"number, received {label!r}")
            numeric = False
            break
        if not math.isfinite(value):
            raise DatasetError(f"{source}: {where(line)}: expected a finite target, "
                               f"received {label!r}")
        numbers.append(value)
    if numeric:
        array = np.asarray(numbers)
        integral = bool(np.all(array == np.round(array)))
        if task == "regression" or (task == "auto" and not (
                integral and len(np.unique(array)) <= MAX_CLASSES)):
            return "regression", array.astype(dtype), None
        classes, indices = np.unique(array, return_inverse=True)
        names: list[Any] = [int(c) if integral else float(c) for c in classes]
        return "classification", indices.astype(np.int64), names
    classes_text, indices = np.unique(np.asarray(labels, dtype=object).astype(str),
                                      return_inverse=True)
    return "classification", indices.astype(np.int64), [str(c) for c in classes_text]
