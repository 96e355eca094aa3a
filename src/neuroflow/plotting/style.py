"""Figure styles: ``paper`` (the default) and ``slides`` (large fonts, thick lines, a
caption naming the network, the optimiser and the learning rate).

Every figure of :mod:`neuroflow.plotting` can be drawn in a style: the functions of the
teaching figures take ``style=``, and any figure drawn inside
``with figure_style("slides"):`` picks up the style's fonts and line widths (matplotlib
reads them when a text or line is created).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from neuroflow.network import Network

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["STYLES", "figure_style", "check_style", "caption", "describe_network"]

#: matplotlib settings of each style, by name.
STYLES: dict[str, dict[str, Any]] = {
    "paper": {
        "font.size": 10.0, "axes.titlesize": 11.0, "axes.labelsize": 10.0,
        "xtick.labelsize": 9.0, "ytick.labelsize": 9.0, "legend.fontsize": 8.0,
        "figure.titlesize": 12.0, "lines.linewidth": 1.5, "lines.markersize": 5.0,
    },
    "slides": {
        "font.size": 16.0, "axes.titlesize": 18.0, "axes.labelsize": 16.0,
        "xtick.labelsize": 14.0, "ytick.labelsize": 14.0, "legend.fontsize": 13.0,
        "figure.titlesize": 20.0, "lines.linewidth": 3.0, "lines.markersize": 9.0,
        "axes.linewidth": 1.5,
    },
}


def check_style(style: object) -> str:
    """Return ``style`` if it names one of :data:`STYLES`, else raise ``ValueError``."""
    if not isinstance(style, str) or style not in STYLES:
        raise ValueError(f"style: expected one of {', '.join(STYLES)}, received: {style!r}")
    return style


@contextlib.contextmanager
def figure_style(style: str = "paper") -> Iterator[None]:
    """Draw the figures made inside the ``with`` block in ``style``.

    Parameters
    ----------
    style : {"paper", "slides"}
    """
    settings: Any = STYLES[check_style(style)]
    try:
        # optional extra (neuroflow[plot]): loaded when the first figure is drawn
        import matplotlib
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "neuroflow.plotting needs matplotlib: pip install 'neuroflow[plot]'") from error
    with matplotlib.rc_context(settings):
        yield


def describe_network(network: Network) -> str:
    """``network 2-4-2 (tanh, softmax), 22 parameters``: what a caption names."""
    names = []
    for layer in network.layers:
        name = getattr(getattr(layer, "activation", None), "name", None)
        if name and name not in names:
            names.append(name)
    kinds = f" ({', '.join(names)})" if names else ""
    return (f"network {'-'.join(map(str, network.sizes))}{kinds}, "
            f"{network.parameter_count:,} parameters")


def caption(figure: Figure, style: str, text: str) -> None:
    """Write ``text`` under ``figure`` in the ``slides`` style (nothing in ``paper``)."""
    if check_style(style) == "slides":
        figure.supxlabel(text, fontsize="small", color="0.25")
