"""CSV files whose feature columns may hold text: categories, one-hot encoded.

A feature column is *categorical* when more than half of its filled cells are not numbers
(``red``, ``S``/``M``/``L``); a column of numbers with a stray word stays numeric, so the
word is an error naming its cell. A file without such a column is read by
``nf.datasets.load_csv`` exactly as before. A categorical model's preprocessing is a
:class:`~neuroflow.preprocessing.Pipeline` of a
:class:`~neuroflow.preprocessing.OneHotEncoder` (the categories, stored in the model
file's ``preprocessing`` metadata) and a :class:`~neuroflow.preprocessing.StandardScaler`;
``predict`` and ``evaluate`` read its files with the same columns as categories.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from neuroflow.datasets import csv as _csv
from neuroflow.datasets._cells import is_missing
from neuroflow.datasets.csv import TabularData, load_csv, looks_like_header, parse_number
from neuroflow.errors import DatasetError
from neuroflow.preprocessing import OneHotEncoder, Pipeline, StandardScaler

__all__ = ["load_table", "encoder_of", "model_columns", "model_width", "categorical_of",
           "table_preprocessing"]


def encoder_of(net: Any) -> OneHotEncoder | None:
    """The one-hot encoder a model applies first (alone, or a pipeline's first step)."""
    preprocessing = net.preprocessing
    if isinstance(preprocessing, Pipeline) and preprocessing.steps:
        preprocessing = preprocessing.steps[0]
    return preprocessing if isinstance(preprocessing, OneHotEncoder) else None


def model_columns(net: Any) -> list[str] | None:
    """The names of the file columns a model reads: its encoder's input columns, else its
    ``feature_names`` (None when it has neither)."""
    encoder = encoder_of(net)
    if encoder is not None and encoder.columns is not None:
        return [column["name"] for column in encoder.columns]
    return net.feature_names


def model_width(net: Any) -> int:
    """How many file columns a model reads (its inputs, or its encoder's columns)."""
    encoder = encoder_of(net)
    if encoder is not None and encoder.columns is not None:
        return len(encoder.columns)
    return int(net.in_features)


def categorical_of(net: Any) -> set[str]:
    """The names of a model's categorical columns (empty without an encoder)."""
    encoder = encoder_of(net)
    return {column["name"] for column in (encoder.columns or [])
            if column["categories"] is not None} if encoder is not None else set()


def table_preprocessing(x: np.ndarray, names: list[str], train: np.ndarray) -> Pipeline:
    """One-hot encoding of the text columns of ``x (n, columns)`` (categories from every
    row, so a held-out row's category is known), then standardisation fitted on the rows
    ``train``: the preprocessing a CSV model with categorical columns stores."""
    table = {name: _column(x[:, j]) for j, name in enumerate(names)}
    encoder = OneHotEncoder().fit(table)
    scaler = StandardScaler().fit(encoder.transform(x[train]))
    return Pipeline([encoder, scaler])


def _column(values: np.ndarray) -> np.ndarray:
    """A column of the object table: float64 when it holds numbers, else strings."""
    if all(isinstance(value, float) for value in values):
        return values.astype(np.float64)
    return values.astype(str).astype(object)


def load_table(path: str | Path, target: int | str | None = -1, *,
               header: bool | None = None, delimiter: str = ",", missing: str = "fail",
               task: str = "auto", dtype: str = "float64",
               categorical: Collection[str] | None = None) -> TabularData:
    """``nf.datasets.load_csv``, but text feature columns are kept as categories.

    Parameters
    ----------
    categorical : collection of str or None
        The names (header names, or ``column_{i}`` without a header) of the columns to
        read as categories; None: found by the rule of this module.

    Returns
    -------
    TabularData
        As ``load_csv`` when no column is categorical; otherwise ``x`` is an object array
        ``(n, n_features)`` of floats (numeric columns) and strings (categories).
    """
    path = Path(path)
    rows = _csv._read_rows(path, delimiter)  # same reading rules and errors as load_csv
    first = rows[0][1]
    has_header = header if header is not None else (
        (isinstance(target, str) and target in (c.strip() for c in first))
        or looks_like_header(first))
    width = len(first)
    names = ([c.strip() or f"column_{i + 1}" for i, c in enumerate(first)] if has_header
             else [f"column_{i + 1}" for i in range(width)])
    body = rows[1:] if has_header else rows
    try:
        target_column = _csv._target_index(target, names if has_header else None, width, path)
    except ValueError:  # load_csv reports a bad target in its own words
        target_column = None
        categorical = ()
    features = [c for c in range(width) if c != target_column]
    if categorical is None:
        categorical = {names[c] for c in features if _mostly_text(body, c)}
    text = {c for c in features if names[c] in categorical}
    if not text:
        return load_csv(path, target=target, header=header, delimiter=delimiter,
                        missing=missing, task=task, dtype=dtype)
    return _read_table(path, body, names, features, text, target_column, missing, task,
                       dtype, has_header)


def _mostly_text(body: list[tuple[int, list[str]]], column: int) -> bool:
    cells = [row[column].strip() for _, row in body
             if column < len(row) and not is_missing(row[column])]
    text = sum(parse_number(cell) is None for cell in cells)
    return bool(cells) and 2 * text > len(cells)


def _read_table(path: Path, body: list[tuple[int, list[str]]], names: list[str],
                features: list[int], text: set[int], target_column: int | None,
                missing: str, task: str, dtype: str, has_header: bool) -> TabularData:
    source = f"CSV file {str(path)!r}"
    width = len(names)
    values: list[list[Any]] = []
    labels: list[str] = []
    kept: list[int] = []
    dropped: list[int] = []

    def where(line: int, column: int) -> str:
        return f"row {line}, column {column + 1} ({names[column]!r})"

    for line, row in body:
        if len(row) != width:
            raise DatasetError(f"{source}: row {line} has {len(row)} values, expected {width}")
        gap = next((c for c, cell in enumerate(row) if is_missing(cell)), None)
        if gap is not None:
            if missing == "drop":
                dropped.append(line)
                continue
            raise DatasetError(f"{source}: {where(line, gap)}: missing value {row[gap]!r}; "
                               "fix it or pass --missing drop to drop such rows")
        cells: list[Any] = []
        for column in features:
            cell = row[column].strip()
            if column in text:
                cells.append(cell)
                continue
            number = parse_number(cell)
            if number is None or not math.isfinite(number):
                raise DatasetError(f"{source}: {where(line, column)}: expected a number "
                                   f"(most of the column's cells are numbers), received "
                                   f"{cell!r}")
            cells.append(number)
        values.append(cells)
        kept.append(line)
        if target_column is not None:
            labels.append(row[target_column].strip())
    if not values:
        raise DatasetError(f"{source}: no rows left after dropping {len(dropped)} with "
                           "missing values")
    x = np.empty((len(values), len(features)), dtype=object)
    x[:] = values
    data = TabularData(x=x, y=None, feature_names=[names[c] for c in features],
                       dropped_rows=dropped, has_header=has_header)
    if target_column is not None:
        data.target_name = names[target_column]
        data.task, data.y, data.class_names = _csv._read_target(
            labels, kept, task, dtype, source, lambda line: where(line, target_column))
    return data
