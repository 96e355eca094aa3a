"""What every command shares: exit statuses, bounds, the parser class and argument types.

An argument type raises :class:`argparse.ArgumentTypeError` with a message that says what
was expected and what was received; argparse turns it into one usage line (exit 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = [
    "path_text",
    "EXIT_USAGE", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE", "MAX_EPOCHS", "MAX_PLOT_EPOCHS",
    "MAX_PLOT_PANELS", "MAX_PLOT_SIZE", "MAX_PLOT_LAYERS", "MIN_DPI", "MAX_DPI", "UsageError",
    "Parser", "int_list", "positive", "positive_list", "int_in", "seed", "choices",
    "fraction", "non_negative",
    "delimiter",
    "add_csv_options",
]

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


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``neuroflow train: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_list(text: str) -> list[int]:
    """Layer sizes such as ``784,256,10``: at least two positive integers."""
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


def positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: a positive, finite ``kind`` (``int`` or ``float``)."""

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


def fraction(text: str) -> float:
    """An argparse type: a number in ``[0, 1)`` (``--validation-split``, ``--dropout``)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), received {text!r}")
    return value


def non_negative(text: str) -> float:
    """An argparse type: a finite number >= 0 (``--weight-decay``)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, received {text!r}")
    return value


def positive_list(limit: int) -> Callable[[str], list[float]]:
    """An argparse type: 1 to ``limit`` comma-separated positive finite numbers, such
    as learning rates ``0.01,0.1,1``."""

    def convert(text: str) -> list[float]:
        expected = f"1 to {limit} comma-separated positive numbers like 0.01,0.1,1"
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text!r}") \
                from None
        if not 1 <= len(values) <= limit:
            raise argparse.ArgumentTypeError(
                f"expected {expected}, received {len(values)} values")
        bad = [part for part, value in zip(text.split(","), values)
               if not 0 < value < float("inf")]
        if bad:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {bad[0]!r}")
        return values

    convert.__name__ = "positive numbers"
    return convert


def path_text(text: str) -> str:
    """An argparse type: a file or folder path, which may not be empty (an empty string
    would otherwise read as "not given" and fall back to a default)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a path, received an empty string ''")
    return text


def int_in(low: int, high: int) -> Callable[[str], int]:
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


def seed(text: str) -> int:
    """An argparse type: a random seed, a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, received {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, received {value}")
    return value


def choices(names: list[str]) -> Callable[[str], str]:
    """An argparse type: one of ``names``, case-insensitive, returned in lower case."""

    def convert(text: str) -> str:
        if text.lower() not in names:
            raise argparse.ArgumentTypeError(
                f"expected one of {', '.join(names)}, received {text!r}")
        return text.lower()

    return convert


def delimiter(text: str) -> str:
    """``--delimiter``: one character; ``tab`` (or ``\\t``), ``comma``, ``semicolon``,
    ``pipe`` and ``space`` are accepted by name."""
    names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
             "space": " "}
    value = names.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n":
        raise argparse.ArgumentTypeError(
            f"expected one character such as ',' or ';', or 'tab', received {text!r}")
    return value


def add_csv_options(parser: argparse.ArgumentParser) -> None:
    """``--header/--no-header`` and ``--delimiter`` for the commands that read CSV files."""
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                        help="CSV data: row 1 names the columns (--header) or is data "
                             "(--no-header); by default row 1 is a header when it holds no "
                             "number and no missing-value marker, and data otherwise (a typo "
                             "in it is then an error naming row 1)")
    parser.add_argument("--delimiter", type=delimiter, default=",", metavar="CHAR",
                        help="CSV data: the field separator, e.g. ';' or tab (default ',')")
