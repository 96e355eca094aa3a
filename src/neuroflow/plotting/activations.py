r"""Activation functions :math:`a = f(z)` and their derivatives :math:`f'(z)`, drawn from
the library's own activation objects (:mod:`neuroflow.activations`): the curves are the
numbers backpropagation uses, not a separate formula."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from neuroflow import activations as _activations
from neuroflow.plotting._common import check_figsize, grid_shape, new_figure
from neuroflow.plotting.style import caption, figure_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["activations", "activation_curves"]


def activation_curves(names: Sequence[str] | None = None, low: float = -4.0,
                      high: float = 4.0, points: int = 401
                      ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    r"""``{name: (z, f(z), f'(z))}`` for each element-wise activation, in float64.

    :math:`f` is the activation's ``forward`` and :math:`f'` its ``derivative(z, f(z))``:
    the same code that training runs.

    Parameters
    ----------
    names : sequence of str, optional
        Activation names (default: every element-wise one, :func:`neuroflow.activations.names`
        without ``softmax``, whose derivative is a matrix).
    low, high : float
        The range of :math:`z`.
    points : int
        Values of :math:`z` (>= 3).
    """
    if names is None:
        names = [name for name in _activations.names() if _activations.get(name).elementwise]
    elif isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ValueError(f"names: expected a non-empty list of activation names, received: "
                         f"{names!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise ValueError(f"points: expected an integer >= 3, received: {points!r}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"low, high: expected finite numbers with low < high, received: "
                         f"{low!r}, {high!r}")
    z = np.linspace(float(low), float(high), points)
    curves = {}
    for name in names:
        activation = _activations.get(name, "names")
        if not activation.elementwise:
            raise ValueError(f"names: expected element-wise activations, received "
                             f"{name!r}, whose derivative is a matrix (each output depends "
                             "on every input)")
        a = activation.forward(z)
        curves[activation.name] = (z, a, activation.derivative(z, a))
    return curves


def activations(names: Sequence[str] | None = None, figsize: tuple[float, float] | None = None,
                style: str = "paper") -> Figure:
    r"""Each activation :math:`f(z)` (solid) and its derivative :math:`f'(z)` (dashed),
    one panel per activation, over :math:`z \in [-4, 4]`.

    Where :math:`f'` is near 0 (a saturated sigmoid or tanh, a ReLU for :math:`z < 0`)
    the error :math:`\delta = \partial C/\partial a \odot f'(z)` reaching the layer below
    is near 0 too, and the weights below learn slowly: the shaded band marks
    :math:`|f'(z)| < 0.05`.

    Parameters
    ----------
    names : sequence of str, optional
        Default: every element-wise activation of :mod:`neuroflow.activations`.
    figsize : (float, float), optional
        Default: 3 inches per column by 2.6 per row.
    style : {"paper", "slides"}
    """
    curves = activation_curves(names)
    rows, columns = grid_shape(len(curves))
    size = (3.0 * columns, 2.6 * rows + 0.4) if figsize is None else figsize
    with figure_style(style):
        figure = new_figure(check_figsize(size))
        axes = figure.subplots(rows, columns, squeeze=False)
        for ax in axes.flat[len(curves):]:
            ax.set_axis_off()
        for ax, (name, (z, a, slope)) in zip(axes.flat, curves.items()):
            ax.axhline(0, color="0.7", linewidth=0.8)
            ax.axvline(0, color="0.7", linewidth=0.8)
            flat = np.abs(slope) < 0.05
            ax.fill_between(z, 0, 1, where=flat, color="#d62728", alpha=0.12, linewidth=0,
                            transform=ax.get_xaxis_transform(), label="|f′(z)| < 0.05")
            ax.plot(z, a, color="#1f77b4", label="f(z)")
            ax.plot(z, slope, color="#ff7f0e", linestyle="--", label="f′(z)")
            ax.set_title(name)
            ax.set_xlabel("z")
            ax.set_ylim(min(-1.2, float(a.min()) - 0.1), max(1.2, min(float(a.max()), 4.0) + 0.1))
            ax.grid(alpha=0.3)
        axes.flat[0].legend(loc="upper left", fontsize="x-small")
        caption(figure, style, "a = f(z) and f′(z) as neuroflow.activations computes them")
    return figure
