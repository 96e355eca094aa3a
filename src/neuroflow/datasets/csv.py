"""Read users' own tabular data from CSV files, with errors that point at the bad cell.

Rows in error messages are numbered as lines of the file, from 1 (the header, when there
is one, is row 1); columns are numbered from 1 and named by the header when there is one.
"""

from __future__ import annotations

import csv as _csv
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow.errors import DatasetError

__all__ = ["load_csv", "TabularData", "MISSING_MARKERS", "MAX_CLASSES"]

#: Cells read as missing values (compared case-insensitively, surrounding blanks ignored).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: An integer target with at most this many distinct values is taken as class labels.
MAX_CLASSES = 20


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
    """

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None = None
    task: str | None = None
    class_names: list[Any] | None = None
    dropped_rows: list[int] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        yield self.x
        yield self.y


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = _csv.reader(stream, delimiter=delimiter)
            rows = [(reader.line_num, row) for row in reader
                    if row and any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise DatasetError(f"CSV file {str(path)!r}: no such file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"CSV file {str(path)!r}: not UTF-8 text ({error.reason})") from None
    except _csv.Error as error:
        raise DatasetError(f"CSV file {str(path)!r}: malformed CSV ({error})") from None
    if not rows:
        raise DatasetError(f"CSV file {str(path)!r}: no rows")
    return rows


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
             header: bool | str = "auto", delimiter: str = ",", missing: str = "fail",
             task: str = "auto", dtype: str = "float32") -> TabularData:
    """Read a CSV file of numeric features and one target column.

    Parameters
    ----------
    path : str or PathLike
        The file (UTF-8; blank lines are skipped).
    target : str, int or None
        The target column, by header name or index (negative counts from the end;
        default the last column). ``None``: every column is a feature, ``y`` is None.
    header : bool or "auto"
        Whether the first row names the columns. "auto": yes when none of its cells is
        a number.
    delimiter : str
        One-character field separator (``","``, ``";"``, ``"\\t"``...).
    missing : {"fail", "drop"}
        A missing cell (empty, ``NA``, ``NaN``, ``null``, ``?``...) raises an error naming
        it, or drops its whole row.
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
        sorted), and the column names.

    Raises
    ------
    DatasetError
        For ragged rows, non-numeric feature cells, missing values with
        ``missing="fail"`` (each naming the row and column) or non-numeric regression
        targets.
    ValueError
        For invalid arguments.

    Examples
    --------
    >>> data = load_csv("iris.csv", target="species")       # doctest: +SKIP
    >>> x, y = data
    >>> net.class_names = data.class_names                   # doctest: +SKIP
    """
    if not (isinstance(delimiter, str) and len(delimiter) == 1):
        raise ValueError(f"delimiter: expected one character, received {delimiter!r}")
    if missing not in ("fail", "drop"):
        raise ValueError(f"missing: expected 'fail' or 'drop', received {missing!r}")
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task: expected 'auto', 'classification' or 'regression', "
                         f"received {task!r}")
    if header not in (True, False, "auto"):
        raise ValueError(f"header: expected True, False or 'auto', received {header!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', received {dtype!r}")
    path = Path(path)
    rows = _read_rows(path, delimiter)
    first_line, first = rows[0]
    width = len(first)
    has_header = (header is True
                  or (header == "auto" and not any(_is_number(cell) for cell in first)))
    names = [cell.strip() or f"column_{i + 1}" for i, cell in enumerate(first)] \
        if has_header else None
    body = rows[1:] if has_header else rows
    if not body:
        raise DatasetError(f"CSV file {str(path)!r}: a header but no data rows")
    column_names = names or [f"column_{i + 1}" for i in range(width)]
    target_column = _target_index(target, names, width, path)

    def where(line: int, column: int) -> str:
        return f"row {line}, column {column + 1} ({column_names[column]!r})"

    features = [c for c in range(width) if c != target_column]
    values: list[list[float]] = []
    labels: list[str] = []
    dropped: list[int] = []
    for line, row in body:
        if len(row) != width:
            raise DatasetError(f"CSV file {str(path)!r}: row {line} has {len(row)} cells, "
                               f"expected {width} like row {first_line}")
        gap = next((c for c, cell in enumerate(row)
                    if cell.strip().lower() in MISSING_MARKERS), None)
        if gap is not None:
            if missing == "drop":
                dropped.append(line)
                continue
            raise DatasetError(f"CSV file {str(path)!r}: {where(line, gap)}: missing value "
                               f"{row[gap]!r}; fix it or pass missing='drop' to drop such rows")
        numbers = []
        for column in features:
            cell = row[column].strip()
            try:
                number = float(cell)
            except ValueError:
                raise DatasetError(f"CSV file {str(path)!r}: {where(line, column)}: expected a "
                                   f"number, received {cell!r}") from None
            if not math.isfinite(number):
                raise DatasetError(f"CSV file {str(path)!r}: {where(line, column)}: expected a "
                                   f"finite number, received {cell!r}")
            numbers.append(number)
        values.append(numbers)
        if target_column is not None:
            labels.append(row[target_column].strip())
    if not values:
        raise DatasetError(f"CSV file {str(path)!r}: no rows left after dropping "
                           f"{len(dropped)} with missing values")
    x = np.asarray(values, dtype=dtype).reshape(len(values), len(features))
    data = TabularData(x=x, y=None, feature_names=[column_names[c] for c in features],
                       dropped_rows=dropped)
    if target_column is None:
        return data
    data.target_name = column_names[target_column]
    lines = [line for line, _ in body if line not in set(dropped)]
    data.task, data.y, data.class_names = _read_target(labels, lines, task, dtype, path,
                                                       lambda line: where(line, target_column))
    return data


def _read_target(labels: list[str], lines: list[int], task: str, dtype: str, path: Path,
                 where: Any) -> tuple[str, np.ndarray, list[Any] | None]:
    numbers: list[float] = []
    numeric = True
    for line, label in zip(lines, labels):
        try:
            value = float(label)
        except ValueError:
            if task == "regression":
                raise DatasetError(f"CSV file {str(path)!r}: {where(line)}: a regression target "
                                   f"must be a number, received {label!r}") from None
            numeric = False
            break
        if not math.isfinite(value):
            raise DatasetError(f"CSV file {str(path)!r}: {where(line)}: expected a finite "
                               f"target, received {label!r}")
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
