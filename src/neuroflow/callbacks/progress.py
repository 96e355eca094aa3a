"""Progress reporting for ``fit``: a tqdm bar per epoch in a terminal, one plain line per
epoch otherwise."""

from __future__ import annotations

import sys
from typing import IO, Any, ClassVar

from tqdm.auto import tqdm

from neuroflow._constraints import Constraints, Options, Satisfies, validate
from neuroflow.hooks import Callback

__all__ = ["ProgressBar", "format_logs"]

#: Where text goes: an object with a ``write`` method (a text file), or None.
STREAM = [Satisfies(lambda value: callable(getattr(value, "write", None)),
                    "a text stream (an object with a write method)"), None]


def format_logs(logs: dict[str, Any]) -> str:
    """``loss=0.1234 accuracy=0.9712 ...`` for the numeric entries worth showing."""
    parts = []
    for key, value in logs.items():
        if key in {"time", "size"} or not isinstance(value, (int, float)):
            continue
        parts.append(f"{key}={value:.3g}" if key == "learning_rate" else f"{key}={value:.4f}")
    return " ".join(parts)


class ProgressBar(Callback):
    """Show training progress.

    Parameters
    ----------
    verbose : int
        1: a tqdm bar per epoch when ``stream`` is a terminal, else one line per epoch;
        2: always one line per epoch.
    stream : file, optional
        Where to write (standard output by default).
    """

    #: Refresh the bar's loss every this many batches (cheap, but not free).
    UPDATE_EVERY = 10
    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {"verbose": [Options((1, 2))],
                                                     "stream": STREAM}

    def __init__(self, verbose: int = 1, stream: IO[str] | None = None) -> None:
        super().__init__()
        validate("ProgressBar", {"verbose": verbose, "stream": stream},
                 self._parameter_constraints)
        self.verbose = verbose
        self.stream = stream
        self._bar: Any = None
        self._loss_sum = 0.0
        self._seen = 0

    @property
    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stdout

    def _interactive(self) -> bool:
        isatty = getattr(self._out, "isatty", None)
        return self.verbose == 1 and bool(isatty and isatty())

    def on_epoch_begin(self, epoch, logs=None):
        self._loss_sum, self._seen = 0.0, 0
        if self._interactive():
            total_epochs = self.params.get("epochs", "?")
            self._bar = tqdm(total=self.params.get("steps"), file=self._out, leave=True,
                             desc=f"epoch {epoch + 1}/{total_epochs}", unit="batch",
                             dynamic_ncols=True)

    def on_batch_end(self, batch, logs=None):
        if self._bar is None or logs is None:
            return
        size = logs.get("size", 1)
        self._loss_sum += logs["loss"] * size
        self._seen += size
        self._bar.update(1)
        if batch % self.UPDATE_EVERY == 0:
            self._bar.set_postfix_str(f"loss={self._loss_sum / self._seen:.4f}", refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        text = format_logs(logs or {})
        seconds = (logs or {}).get("time")
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
            return
        total_epochs = self.params.get("epochs", "?")
        timing = f" ({seconds:.1f}s)" if isinstance(seconds, float) else ""
        self._out.write(f"epoch {epoch + 1}/{total_epochs}{timing}: {text}\n")
        self._out.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
