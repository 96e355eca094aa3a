"""Animated GIFs of learning, for slides: a decision boundary or the neurons while a
network trains, gradient-descent steps along one weight, a path growing across the cost
landscape.

Frames are rendered by matplotlib and assembled by
:class:`matplotlib.animation.PillowWriter` (Pillow comes with matplotlib; no ffmpeg).
The file is written through :func:`neuroflow.files.write_atomic`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.experiments.cost_curve import cost_curve
from neuroflow.files import check_writable, write_atomic
from neuroflow.network import Network
from neuroflow.plotting._common import check_count, check_figsize, check_network, new_figure
from neuroflow.plotting.boundary import _check_2d, _draw_boundary
from neuroflow.plotting.landscape import draw_landscape, landscape_data
from neuroflow.plotting.learning import draw_cost_curve
from neuroflow.plotting.neurons import draw_neurons
from neuroflow.plotting.style import caption, check_style, describe_network, figure_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ANIMATIONS", "animate"]

#: The kinds :func:`animate` draws.
ANIMATIONS = ("boundary", "cost-weight", "landscape", "neurons")


def _epochs(epochs: Sequence[int] | int | None) -> list[int]:
    if isinstance(epochs, int):
        raise ValueError(f"epochs: expected a list of increasing epoch counts, one per "
                         f"frame, received: {epochs!r}")
    chosen = list(range(0, 41, 2)) if epochs is None else list(epochs)
    if not chosen or any(isinstance(e, bool) or not isinstance(e, int) or e < 0
                         for e in chosen) or chosen != sorted(chosen):
        raise ValueError(f"epochs: expected increasing non-negative integers, received: "
                         f"{epochs!r}")
    return chosen


def _write_gif(figure: Figure, draw: Callable[[int], None], count: int, path: Path,
               fps: int, dpi: int, redraw: bool = True) -> None:
    """Render ``count`` frames, ``draw(index)`` each (into the cleared figure when
    ``redraw``, else updating what is drawn), into a GIF at ``path``."""
    # optional extra (neuroflow[plot]): present once a figure has been made
    from matplotlib.animation import PillowWriter

    writer = PillowWriter(fps=fps)
    with tempfile.TemporaryDirectory() as folder:
        temporary = Path(folder) / "animation.gif"
        with writer.saving(figure, str(temporary), dpi):
            for index in range(count):
                if redraw:
                    figure.clear()
                draw(index)
                writer.grab_frame()
                if not redraw and index == 0:
                    figure.set_layout_engine("none")  # keep the first frame's layout
        data = temporary.read_bytes()
    write_atomic(path, data, argument="path")


def animate(kind: str, network: Network, x: Any, y: Any, path: str | Path,
            epochs: Sequence[int] | int | None = None, frames: int = 30, fps: int = 4,
            dpi: int = 60, figsize: tuple[float, float] | None = None,
            style: str = "paper", **options: Any) -> Path:
    """Write an animated GIF of ``kind`` to ``path``; returns the path written.

    Parameters
    ----------
    kind : {"boundary", "cost-weight", "landscape", "neurons"}
        ``boundary`` and ``neurons``: ``network`` (2 inputs) is trained in place, a frame
        after each of ``epochs`` total epochs (``fit`` with ``options``, e.g.
        ``optimizer="sgd", learning_rate=0.1``). ``cost-weight``: one frame per
        gradient-descent step of :func:`neuroflow.plotting.cost_vs_weight` (``options``:
        its ``layer``, ``weight``, ``learning_rates``, ``steps``). ``landscape``: the
        path of :func:`neuroflow.plotting.cost_landscape` growing, at most ``frames``
        frames (``options``: its arguments, ``data`` among them); ``network`` is not
        modified.
    network : Network
    x, y : arrays
        The data.
    path : str or path-like
        The ``.gif`` file to write.
    epochs : sequence of int, or int, optional
        ``boundary`` and ``neurons``: epoch counts of the frames (default 0, 2, ..., 40).
        ``landscape``: the epochs the path trains (an int, default 5).
    frames : int
        ``landscape``: the most frames (steps are skipped evenly beyond).
    fps : int
        Frames per second (1 to 50).
    dpi : int
        Pixels per inch of the frames.
    figsize : (float, float), optional
    style : {"paper", "slides"}
    """
    if kind not in ANIMATIONS:
        raise ValueError(f"kind: expected one of {', '.join(ANIMATIONS)}, received: {kind!r}")
    network = check_network(network)
    check_style(style)
    target = Path(path)
    if target.suffix.lower() != ".gif":
        raise ValueError(f"path: expected a file name ending in .gif, received {str(path)!r}")
    check_writable(target, argument="path")
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 50:
        raise ValueError(f"fps: expected a whole number from 1 to 50, received: {fps!r}")
    dpi = check_count(dpi, "dpi")
    frames = check_count(frames, "frames")
    with figure_style(style):
        if kind == "cost-weight":
            curve = cost_curve(network, x, y, **options)
            size = figsize or (3.6 * len(curve.paths), 6.0)
            figure = new_figure(check_figsize(size))
            count = max(len(p.costs) for p in curve.paths)
            draw = draw_cost_curve(figure, curve, upto=0)
            caption(figure, style, f"{describe_network(network)}; plain gradient descent on "
                                   "w alone")
        elif kind == "landscape":
            if epochs is not None:
                options["epochs"] = epochs
            data = options.pop("data", None)  # landscape_data's result, computed already
            surface, track = data if data is not None else landscape_data(network, x, y,
                                                                          **options)
            figure = new_figure(check_figsize(figsize or (6.4, 5.2)))
            steps = np.unique(np.linspace(0, len(track.positions) - 1,
                                          min(frames, len(track.positions))).round()
                              ).astype(int)
            count = len(steps)
            moving = draw_landscape(figure, surface, track, upto=0)
            caption(figure, style, f"{describe_network(network)}; {track.optimizer}, "
                                   f"η = {track.learning_rate:g}")

            def draw(index: int) -> None:
                moving(int(steps[index]))
        else:
            inputs, labels = _check_2d(network, x, y)
            schedule = _epochs(epochs)
            options.setdefault("verbose", 0)
            count = len(schedule)
            if kind == "boundary":
                figure = new_figure(check_figsize(figsize or (4.8, 4.8)))
            else:
                rows = sum(1 for layer in network.layers if "W" in layer.params)
                columns = min(max(network.sizes[1:]), 8)
                figure = new_figure(check_figsize(
                    figsize or (1.7 * columns + 0.8, 1.7 * rows + 0.6)))
            start = network.epochs_trained
            optimizer = options.get("optimizer", "adam")
            note = (f"{describe_network(network)}; {optimizer}, "
                    f"η = {options.get('learning_rate', 'default')}")

            def draw(index: int) -> None:
                done = network.epochs_trained - start
                if schedule[index] > done:
                    network.fit(x, y, epochs=schedule[index] - done, **options)
                accuracy = float((network.predict_classes(inputs) == labels).mean())
                heading = f"epoch {schedule[index]}: accuracy {accuracy:.0%}"
                if kind == "boundary":
                    ax = figure.add_subplot()
                    _draw_boundary(ax, network, inputs, labels, 60)
                    ax.set_title(heading)
                else:
                    draw_neurons(figure, network, inputs, labels)
                    figure.suptitle(heading)
                caption(figure, style, note)
        _write_gif(figure, draw, count, target, fps, dpi,
                   redraw=kind in ("boundary", "neurons"))
    return target
