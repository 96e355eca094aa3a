"""Callbacks that record or run user code: :class:`CSVLogger` and :class:`LambdaCallback`."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from neuroflow._constraints import Constraints, PathLike, Satisfies, validate
from neuroflow.files import check_writable, write_atomic
from neuroflow.hooks import Callback

__all__ = ["CSVLogger", "LambdaCallback"]


class CSVLogger(Callback):
    """Log one CSV row per epoch (``epoch`` then every logged quantity) to ``path``.

    At the end of every epoch the file is rewritten, atomically, with every row so far
    (through :func:`neuroflow.files.write_atomic`): it always holds whole rows, never a
    half-written one, and no file stays open between epochs, so an exception anywhere in
    training leaks no handle. Follow it while training runs with ``tail -F`` (which
    reopens a replaced file) rather than ``tail -f``. The header is written with the first
    row, or taken from the existing file when appending to it. The path is checked when
    training begins (:func:`neuroflow.files.check_writable`): a directory, device or FIFO
    is refused before the first epoch.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    separator : str
        Field separator (one character).
    append : bool
        Keep the rows of an existing file and add to them, instead of replacing it.
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {
        "path": [PathLike()],
        "separator": [Satisfies(lambda value: isinstance(value, str) and len(value) == 1,
                                "one character")],
        "append": [bool]}

    def __init__(self, path: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        validate("CSVLogger", {"path": path, "separator": separator, "append": append},
                 self._parameter_constraints)
        self.path = Path(path)
        self.separator = separator
        self.append = bool(append)
        self._kept = ""  # an existing file's text, when appending
        self._rows: list[str] = []
        self._keys: list[str] | None = None

    def _row(self, cells: list[Any]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.separator).writerow(cells)
        return buffer.getvalue()

    def on_train_begin(self, logs=None):
        check_writable(self.path, argument="path")
        self._kept, self._rows, self._keys = "", [], None
        if self.append and self.path.exists():
            with open(self.path, encoding="utf-8", newline="") as existing:
                text = existing.read()
            if text.strip():
                self._kept = text if text.endswith(("\n", "\r")) else text + "\r\n"
                header = text.splitlines()[0].strip()
                self._keys = header.split(self.separator)[1:] if header else None
        elif not self.append:
            write_atomic(self.path, b"", argument="path")  # an old log goes at once

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = list(logs)
            self._rows.append(self._row(["epoch", *self._keys]))
        self._rows.append(self._row([epoch, *(logs.get(key, "") for key in self._keys)]))
        write_atomic(self.path, (self._kept + "".join(self._rows)).encode("utf-8"),
                     argument="path")


class LambdaCallback(Callback):
    """A callback made of plain functions, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))``.

    Each argument is ``None`` or a callable with the signature of the hook of the same
    name: ``on_train_begin(logs)``, ``on_train_end(logs)``, ``on_epoch_begin(epoch,
    logs)``, ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``.
    """

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
             "on_batch_begin", "on_batch_end")
    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {hook: [callable, None] for hook in HOOKS}

    def __init__(self, on_train_begin: Callable[..., Any] | None = None,
                 on_train_end: Callable[..., Any] | None = None,
                 on_epoch_begin: Callable[..., Any] | None = None,
                 on_epoch_end: Callable[..., Any] | None = None,
                 on_batch_begin: Callable[..., Any] | None = None,
                 on_batch_end: Callable[..., Any] | None = None) -> None:
        super().__init__()
        given = dict(zip(self.HOOKS, (on_train_begin, on_train_end, on_epoch_begin,
                                      on_epoch_end, on_batch_begin, on_batch_end)))
        validate("LambdaCallback", given, self._parameter_constraints)
        self.functions = given

    def on_train_begin(self, logs=None):
        if self.functions["on_train_begin"]:
            self.functions["on_train_begin"](logs)

    def on_train_end(self, logs=None):
        if self.functions["on_train_end"]:
            self.functions["on_train_end"](logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self.functions["on_epoch_begin"]:
            self.functions["on_epoch_begin"](epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.functions["on_epoch_end"]:
            self.functions["on_epoch_end"](epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        if self.functions["on_batch_begin"]:
            self.functions["on_batch_begin"](batch, logs)

    def on_batch_end(self, batch, logs=None):
        if self.functions["on_batch_end"]:
            self.functions["on_batch_end"](batch, logs)
