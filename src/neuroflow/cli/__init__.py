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

One module per command (``train``, ``evaluate``, ``summary``, ``gradcheck``, ``predict``,
``explain``, ``plot``, ``export``, ``playground``, ``sweep``, ``info``), each with
``add(commands)``, which adds its subparser, and ``run(args)``, its handler;
:data:`COMMANDS` lists them once. Shared parts: ``_args`` (exit statuses, bounds,
argument types), ``_data`` (training and evaluation data) and ``_inputs`` (what
``predict`` reads).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from neuroflow._version import __version__
from neuroflow.cli import (
    evaluate,
    explain,
    export,
    gradcheck,
    info,
    playground,
    plot,
    predict,
    summary,
    sweep,
    train,
)
from neuroflow.cli._args import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    MAX_DPI,
    MAX_EPOCHS,
    MAX_PLOT_EPOCHS,
    MAX_PLOT_LAYERS,
    MAX_PLOT_PANELS,
    MAX_PLOT_SIZE,
    MIN_DPI,
    Parser,
    UsageError,
)
from neuroflow.cli._data import load_data
from neuroflow.cli._inputs import read_inputs
from neuroflow.cli.plot import PLOT_KINDS
from neuroflow.errors import NeuroflowError

__all__ = [
    "main", "build_parser", "UsageError", "COMMANDS", "read_inputs", "load_data",
    "EXIT_USAGE", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE", "MAX_EPOCHS", "MAX_PLOT_EPOCHS",
    "MAX_PLOT_PANELS", "MAX_PLOT_SIZE", "MAX_PLOT_LAYERS", "MIN_DPI", "MAX_DPI", "PLOT_KINDS",
]

#: Every command, in the order ``neuroflow --help`` lists them: each adds its subparser.
COMMANDS: list[Callable[[Any], None]] = [train.add, evaluate.add, summary.add, gradcheck.add,
                                         predict.add, explain.add, plot.add, export.add,
                                         playground.add, sweep.add, info.add]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = Parser(prog="neuroflow",
                    description="Build, train, inspect and ship feed-forward neural networks.")
    parser.add_argument("--version", action="version", version=f"neuroflow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = _run(argv)
        if status != EXIT_USAGE:  # an error's one line says what matters
            command = next((a for a in (argv or sys.argv[1:]) if not a.startswith("-")), "")
            for warning in caught:
                print(f"neuroflow {command}: warning: {_single_line(str(warning.message))}",
                      file=sys.stderr)
        return status
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:  # while the parser is built or the arguments are read
        print("neuroflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


@cache
def _parser() -> argparse.ArgumentParser:
    """The parser :func:`main` reads with, built once per process (over a hundred
    arguments; a program that calls ``main`` many times would otherwise build it anew at
    each call). Parsing leaves a parser as it was; :func:`build_parser` gives a fresh one."""
    return build_parser()


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser()
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
    """The first line of an error's message; an ``OSError`` names its file first (a file
    name holding a line break is quoted, so the message stays one line)."""
    if isinstance(error, OSError) and error.strerror:
        if error.filename is not None:
            other = f" -> {_name(error.filename2)}" if error.filename2 is not None else ""
            return _single_line(f"{_name(error.filename)}{other}: {error.strerror}")
        return _single_line(str(error.strerror))
    text = str(error)
    return text.splitlines()[0] if text.strip() else type(error).__name__


def _name(filename: object) -> str:
    text = os.fsdecode(filename) if isinstance(filename, (str, bytes)) else str(filename)
    return repr(text) if not text.isprintable() else text


def _single_line(text: str) -> str:
    return " ".join(text.split("\n")) if text.strip() else text


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
