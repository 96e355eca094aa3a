"""Training curves redrawn live in a Jupyter notebook: :class:`LiveCurves`."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import IO, Any, ClassVar

import numpy as np

from neuroflow._constraints import Constraints, Interval, Satisfies, validate
from neuroflow.callbacks.progress import STREAM
from neuroflow.hooks import Callback, Logs

__all__ = ["LiveCurves"]

#: Logs that are not curves of the fit's quality.
_NOT_CURVES = ("learning_rate", "time")


def _notebook_display() -> Callable[..., Any] | None:
    """IPython's ``display`` when this runs in a Jupyter kernel (with matplotlib for the
    drawing), else ``None``."""
    try:
        import matplotlib  # noqa: F401  (optional extra: neuroflow[plot])
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    return display if shell is not None and hasattr(shell, "kernel") else None


def _names(value: object) -> bool:
    """Whether ``value`` is a list or tuple of strings."""
    return isinstance(value, (list, tuple)) and all(isinstance(name, str) for name in value)


class LiveCurves(Callback):
    """Redraw the loss and metric curves after every epoch, in place, in a notebook.

    One panel per quantity (``loss``, ``accuracy``, ...), its ``val_`` curve beside it
    when there is validation data; ``learning_rate`` and ``time`` are left out. In a
    Jupyter kernel with matplotlib (the ``plot`` extra) the figure is shown as a PNG
    through :func:`IPython.display.display` and updated in place each epoch. Elsewhere
    (a script, a terminal, no matplotlib) nothing is drawn: each epoch writes one text
    line to ``stream`` when one is given, and nothing at all otherwise.

    Parameters
    ----------
    metrics : sequence of str, optional
        The quantities to draw (default: every one logged, e.g. ``["loss", "accuracy"]``).
    every : int
        Redraw every this many epochs (and after the last).
    stream : file, optional
        Where the text fallback writes its lines (``None``: no text).
    display : callable, optional
        ``display(obj, display_id=True)`` returning a handle with ``update(obj)``, as
        IPython's; by default IPython's own when running in a kernel.

    Attributes
    ----------
    curves : dict of str to list of float
        Every curve drawn so far, one value per epoch.
    """

    #: What each constructor argument accepts (see :mod:`neuroflow._constraints`).
    _parameter_constraints: ClassVar[Constraints] = {
        "metrics": [Satisfies(_names, "a list of names such as ['loss', 'accuracy']"), None],
        "every": [Interval(int, 1, None, closed="left")],
        "stream": STREAM,
        "display": [callable, None]}

    def __init__(self, metrics: Sequence[str] | None = None, every: int = 1,
                 stream: IO[str] | None = None,
                 display: Callable[..., Any] | None = None) -> None:
        super().__init__()
        validate("LiveCurves", {"metrics": metrics, "every": every, "stream": stream,
                                "display": display}, self._parameter_constraints)
        self.metrics = None if metrics is None else list(metrics)
        self.every = int(every)
        self.stream = stream
        self._display = display
        self._handle: Any = None
        self.curves: dict[str, list[float]] = {}

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.curves = {}
        self._handle = None
        if self._display is None:
            self._display = _notebook_display()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for key, value in (logs or {}).items():
            if key not in _NOT_CURVES and isinstance(value, (int, float, np.number)):
                self.curves.setdefault(key, []).append(float(value))
        last = self.params.get("epochs")
        if (epoch + 1) % self.every and epoch + 1 != last:
            return
        if self._display is not None:
            self._show(self.png())
        elif self.stream is not None:
            values = "  ".join(f"{key} {values[-1]:.4g}" for key, values in self.curves.items()
                               if key in self.panels() or key[4:] in self.panels())
            self.stream.write(f"epoch {epoch + 1}: {values}\n")

    def panels(self) -> list[str]:
        """The quantities drawn, one panel each."""
        if self.metrics is not None:
            return self.metrics
        return [key for key in self.curves if not key.startswith("val_")]

    def figure(self) -> Any:
        """The curves so far as a matplotlib :class:`~matplotlib.figure.Figure` (not shown)."""
        from matplotlib.figure import Figure  # optional extra: neuroflow[plot]

        panels = self.panels()
        figure = Figure(figsize=(4 * max(len(panels), 1), 3), layout="constrained")
        for index, name in enumerate(panels):
            axes = figure.add_subplot(1, max(len(panels), 1), index + 1)
            for key, label in ((name, "training"), (f"val_{name}", "validation")):
                values = self.curves.get(key)
                if values:
                    epochs = np.arange(1, len(values) + 1)
                    axes.plot(epochs, values, marker="o" if len(values) < 30 else None,
                              label=label)
            axes.set_title(name)
            axes.set_xlabel("epoch")
            axes.legend()
        return figure

    def png(self) -> bytes:
        """:meth:`figure` rendered as PNG bytes."""
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def _show(self, png: bytes) -> None:
        image: Any = png
        if getattr(self._display, "__module__", "").startswith("IPython"):
            from IPython.display import Image  # running in a kernel: IPython is there

            image = Image(data=png, format="png")
        assert self._display is not None
        if self._handle is None:
            self._handle = self._display(image, display_id=True)
        else:
            self._handle.update(image)
