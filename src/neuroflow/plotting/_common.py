"""What every figure shares: loading matplotlib, a new figure, saving, argument checks.

matplotlib is the optional extra ``neuroflow[plot]``: it is imported when the first figure
is drawn, never when :mod:`neuroflow.plotting` is imported.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuroflow.files import write_atomic
from neuroflow.network import Network

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: File formats :func:`save` writes, chosen by the file's suffix.
FORMATS = ("png", "svg")
#: The one colour rule of neuroflow's pictures (every figure, the playground's CSS
#: ``--blue``/``--orange`` and ``explain``'s words): blue for a positive weight or value
#: (and class 1), orange for a negative one (and class 0), white at zero.
POSITIVE = "#0877bd"   # blue: positive weight
NEGATIVE = "#f59322"   # orange: negative weight
ZERO = "#f8f8f8"


def sign_colormap() -> Any:
    """The diverging colour map of that rule: orange (low, negative) through white to blue
    (high, positive)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("neuroflow_sign", [NEGATIVE, ZERO, POSITIVE])


def require_matplotlib() -> None:
    """Raise :class:`ImportError` naming the ``plot`` extra when matplotlib is missing."""
    new_figure((1.0, 1.0))


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure that is not registered with pyplot (no display needed)."""
    try:
        # optional extra (neuroflow[plot]): loaded when the first figure is drawn
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "neuroflow.plotting needs matplotlib: pip install 'neuroflow[plot]'") from error
    return Figure(figsize=figsize, layout="constrained")


def save(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``figure`` to ``path``; the suffix (``.png`` or ``.svg``) picks the format.

    The image is ``figsize * dpi`` pixels (PNG). It is rendered into the file through
    :func:`neuroflow.files.write_atomic`: atomically (a failed render leaves any old
    image in place), refusing a directory, device or FIFO, writing through a symbolic
    link and keeping an existing file's permission bits. Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"path: expected a file name ending in .png or .svg, received "
                         f"{str(path)!r}")
    write_atomic(path, lambda stream: figure.savefig(stream, dpi=dpi, format=suffix),
                 argument="path")
    return path


def check_network(network: object) -> Network:
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a neuroflow Network, received "
                         f"{type(network).__name__}")
    return network


def check_figsize(figsize: object) -> tuple[float, float]:
    if not (isinstance(figsize, (tuple, list)) and len(figsize) == 2 and
            all(isinstance(v, (int, float)) and v > 0 for v in figsize)):
        raise ValueError(f"figsize: expected (width, height) in inches, both > 0, received: "
                         f"{figsize!r}")
    return float(figsize[0]), float(figsize[1])


def check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, received: {value!r}")
    return value


def check_image_shape(image_shape: object, size: int) -> tuple[int, int]:
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 2 and
            all(isinstance(v, int) and v > 0 for v in image_shape)) or \
            image_shape[0] * image_shape[1] != size:
        raise ValueError(f"image_shape: expected (height, width) with height * width = {size}, "
                         f"received: {image_shape!r}")
    return int(image_shape[0]), int(image_shape[1])


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of a near-square grid of ``count`` images."""
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns
